package io.lumaharvester;

import static org.assertj.core.api.Assertions.assertThat;

import java.io.InputStream;
import java.util.HashMap;
import java.util.Map;
import java.util.Properties;
import java.util.stream.Stream;

import io.lumaharvester.provider.Providers;
import io.lumaharvester.dev.HarvesterApp;
import io.lumaharvester.dev.StandIns;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.Arguments;
import org.junit.jupiter.params.provider.CsvSource;
import org.junit.jupiter.params.provider.MethodSource;
import org.junit.jupiter.params.provider.ValueSource;

/** Each bad setting is named with its value and what is allowed; all of them at once; a real start fails with them. */
class SettingsCheckTest {

    /** application.properties as shipped, with a token: what a start sees when only LUMA_API_TOKEN is set. */
    private static Map<String, String> defaults() throws Exception {
        Properties properties = new Properties();
        try (InputStream in = SettingsCheckTest.class.getResourceAsStream("/application.properties")) {
            properties.load(in);
        }
        Map<String, String> settings = new HashMap<>();
        properties.stringPropertyNames().forEach(name -> settings.put(name, properties.getProperty(name)));
        settings.put("luma.api.token", "a-token");
        return settings;
    }

    private static java.util.List<String> problems(Map<String, String> changes) throws Exception {
        Map<String, String> settings = defaults();
        changes.forEach((name, value) -> {
            if (value == null) {
                settings.remove(name);
            } else {
                settings.put(name, value);
            }
        });
        return SettingsCheck.problems(settings::get);
    }

    @Test
    void theShippedDefaultsWithATokenAreAllowed() throws Exception {
        assertThat(SettingsCheck.problems(defaults()::get)).isEmpty();
    }

    static Stream<Arguments> badSettings() {
        return Stream.of(
                // setting, bad value (null: not set), the one line expected
                Arguments.of("luma.poll.interval-ms", "0",
                        "luma.poll.interval-ms=0 is not allowed: it must be a whole number above 0"),
                Arguments.of("luma.poll.interval-ms", "-5000",
                        "luma.poll.interval-ms=-5000 is not allowed: it must be a whole number above 0"),
                Arguments.of("luma.poll.max-backoff-ms", "soon",
                        "luma.poll.max-backoff-ms=soon is not allowed: it must be a whole number above 0"),
                Arguments.of("luma.poll.first-delay-ms", "-1",
                        "luma.poll.first-delay-ms=-1 is not allowed: it must be a whole number, 0 or above"),
                Arguments.of("luma.api.connect-timeout-ms", "0",
                        "luma.api.connect-timeout-ms=0 is not allowed: it must be a whole number above 0"),
                Arguments.of("luma.api.max-requests-per-second", "-1",
                        "luma.api.max-requests-per-second=-1 is not allowed: it must be a number, 0 (no limit) or above"),
                Arguments.of("luma.harvest.max-attempts", "0",
                        "luma.harvest.max-attempts=0 is not allowed: it must be a whole number above 0"),
                Arguments.of("luma.harvest.max-storage-rejections", "0",
                        "luma.harvest.max-storage-rejections=0 is not allowed: it must be a whole number above 0"),
                Arguments.of("luma.harvest.max-copies-in-flight", "0",
                        "luma.harvest.max-copies-in-flight=0 is not allowed: it must be a whole number above 0"),
                Arguments.of("luma.harvest.max-copies-in-flight-while-polls-lag", "0",
                        "luma.harvest.max-copies-in-flight-while-polls-lag=0 is not allowed: it must be a whole number "
                                + "above 0"),
                Arguments.of("luma.harvest.max-spool-bytes", "0",
                        "luma.harvest.max-spool-bytes=0 is not allowed: it must be a whole number above 0"),
                Arguments.of("luma.harvest.spool-dir", "tmp/spool",
                        "luma.harvest.spool-dir=tmp/spool is not allowed: it must be empty (the JVM's temp directory) or "
                                + "an absolute path"),
                Arguments.of("luma.harvest.deadline-ms", "0",
                        "luma.harvest.deadline-ms=0 is not allowed: it must be a whole number above 0"),
                Arguments.of("luma.harvest.max-copy-ms", "-5",
                        "luma.harvest.max-copy-ms=-5 is not allowed: it must be a whole number above 0"),
                Arguments.of("luma.harvest.allowed-hosts", "",
                        "luma.harvest.allowed-hosts= is not allowed: it must be a comma-separated list of host names "
                                + "(*.example.com for a suffix)"),
                Arguments.of("luma.harvest.allowed-schemes", " ",
                        "luma.harvest.allowed-schemes=  is not allowed: it must be a comma-separated list of schemes "
                                + "(https)"),
                Arguments.of("luma.topics.events", "",
                        "luma.topics.events= is not allowed: it must be a topic name"),
                Arguments.of("luma.topics.create", "yes",
                        "luma.topics.create=yes is not allowed: it must be true or false"),
                Arguments.of("luma.api.allow-insecure", "1",
                        "luma.api.allow-insecure=1 is not allowed: it must be true or false"),
                Arguments.of("s3.multipart.part-size-bytes", "1048576",
                        "s3.multipart.part-size-bytes=1048576 is not allowed: it must be a whole number from 5242880 "
                                + "(5 MiB) to 5368709120 (5 GiB), S3's part sizes"),
                Arguments.of("s3.expect-continue-threshold-bytes", "-1",
                        "s3.expect-continue-threshold-bytes=-1 is not allowed: it must be a whole number of bytes, 0 or "
                                + "above"),
                Arguments.of("s3.key-pattern", "{task_id}.{extension}",
                        "s3.key-pattern={task_id}.{extension} is not allowed: it must be a key layout with {task_id} "
                                + "and {role}, optionally {extension}, not starting with /"),
                Arguments.of("s3.endpoint", "minio:9000",
                        "s3.endpoint=minio:9000 is not allowed: it must be empty (AWS) or an absolute http(s) URL"),
                Arguments.of("s3.sse", "aws:kms:dsse",
                        "s3.sse=aws:kms:dsse is not allowed: it must be none, AES256 or aws:kms"),
                Arguments.of("luma.tasks.max-held-bytes", "-1",
                        "luma.tasks.max-held-bytes=-1 is not allowed: it must be a whole number of bytes, 0 or above "
                                + "(0: 5 % of the heap)"),
                Arguments.of("luma.dlq.max-record-bytes", "1000",
                        "luma.dlq.max-record-bytes=1000 is not allowed: it must be at least luma.tasks.max-record-bytes "
                                + "(65536): a dead letter keeps the record's bytes"),
                Arguments.of("luma.tasks.state-retention-ms", "0",
                        "luma.tasks.state-retention-ms=0 is not allowed: it must be a whole number above 0"),
                Arguments.of("luma.tasks.state-retention-ms", "5400000",
                        "luma.tasks.state-retention-ms=5400000 is not allowed: it must be longer than "
                                + "luma.tasks.deadline-ms + luma.harvest.deadline-ms (5400000): a running task's state "
                                + "must not expire"),
                Arguments.of("luma.api.max-response-bytes", "1000000",
                        "luma.api.max-response-bytes=1000000 is not allowed: it must be at most 966656: "
                                + "kafka.client.max.request.size (1048576, Kafka's default) less "
                                + "luma.tasks.max-record-bytes (65536) and 16384 for the ticket's other fields; a "
                                + "completed generation travels in one Kafka record with the task's metadata"),
                Arguments.of("kafka.client.max.request.size", "300000",
                        "luma.api.max-response-bytes=262144 is not allowed: it must be at most 218080: "
                                + "kafka.client.max.request.size (300000) less luma.tasks.max-record-bytes (65536) "
                                + "and 16384 for the ticket's other fields; a completed generation travels in one "
                                + "Kafka record with the task's metadata"),
                Arguments.of("luma.api.token", null,
                        "luma.api.token is not set: export LUMA_API_TOKEN=<your API token> (the harvester cannot poll "
                                + "the Luma API without it)"),
                Arguments.of("luma.api.base-url", "api.gpt.ge",
                        "luma.api.base-url=api.gpt.ge is not allowed: it must be an absolute http(s) URL without query "
                                + "or fragment (https://api.gpt.ge)"),
                Arguments.of("luma.api.base-url", "ftp://api.gpt.ge",
                        "luma.api.base-url=ftp://api.gpt.ge is not allowed: it must be an absolute http(s) URL "
                                + "without query or fragment (https://api.gpt.ge)"),
                Arguments.of("luma.api.base-url", "http://api.gpt.ge",
                        "luma.api.base-url=http://api.gpt.ge is not allowed: it must be an https:// URL: over http:// "
                                + "the token travels in clear (set luma.api.allow-insecure=true for a stand-in on this "
                                + "machine)"),
                Arguments.of("luma.callbacks.port", "70000",
                        "luma.callbacks.port=70000 is not allowed: it must be a port number, 1 to 65535, or 0 (no "
                                + "callbacks)"),
                Arguments.of("luma.callbacks.max-per-second", "0",
                        "luma.callbacks.max-per-second=0 is not allowed: it must be a whole number above 0"),
                Arguments.of("luma.callbacks.start-unknown", "yes",
                        "luma.callbacks.start-unknown=yes is not allowed: it must be true or false"),
                Arguments.of("luma.callbacks.fal-jwks-url", "rest.fal.ai/.well-known/jwks.json",
                        "luma.callbacks.fal-jwks-url=rest.fal.ai/.well-known/jwks.json is not allowed: it must be an "
                                + "absolute http(s) URL (https://rest.fal.ai/.well-known/jwks.json)"),
                Arguments.of("kafka.brokers", null, "kafka.brokers is not set: it must be host:port[,host:port...]"));
    }

    /** Camel Quarkus reads its settings through MicroProfile Config, which reads a setting set to empty as not set. */
    @ParameterizedTest(name = "{0}")
    @ValueSource(strings = {"luma.harvest.spool-dir", "s3.endpoint", "s3.kms-key-id", "s3.storage-class", "s3.tags",
            "luma.providers.directory"})
    void aSettingThatMayBeEmptyMayAlsoBeNotSet(String setting) throws Exception {
        Map<String, String> change = new HashMap<>();
        change.put(setting, null);
        assertThat(problems(change)).isEmpty();
    }

    @Test
    void theCallbackPortIsNotTheManagementPort() throws Exception {
        assertThat(problems(Map.of("luma.callbacks.port", "8080", "luma.http.port", "8080"))).containsExactly(
                "luma.callbacks.port=8080 is not allowed: it must be another port than luma.http.port (8080): the "
                        + "callback port serves nothing else");
        assertThat(problems(Map.of("luma.callbacks.port", "8081", "luma.http.port", "8080"))).isEmpty();
    }

    @ParameterizedTest(name = "{0}={1}")
    @MethodSource("badSettings")
    void eachBadValueIsOneLineNamingTheSettingTheValueAndWhatIsAllowed(String setting, String value, String line)
            throws Exception {
        Map<String, String> change = new HashMap<>();
        change.put(setting, value);
        assertThat(problems(change)).containsExactly(line);
    }

    /** A value set under a setting's old name would be ignored without a word: the start stops, naming the new name. */
    @ParameterizedTest(name = "{0}")
    @CsvSource({"luma.harvest.max-concurrent-copies, luma.harvest.max-copies-in-flight",
            "luma.harvest.max-concurrent-copies-while-polls-lag, luma.harvest.max-copies-in-flight-while-polls-lag"})
    void aSettingUnderItsOldNameIsOneLineNamingItsNewName(String old, String now) throws Exception {
        assertThat(problems(Map.of(old, "16"))).containsExactly(
                old + "=16 is not read any more: set " + now + "=16 instead");
    }

    @Test
    void aLargerAnswerIsAllowedWhenTheProducersTakeLargerRequests() throws Exception {
        assertThat(problems(Map.of("luma.api.max-response-bytes", "4000000",
                "kafka.client.max.request.size", "4194304"))).isEmpty();
    }

    @Test
    void plainHttpIsAllowedWhenSaidSo() throws Exception {
        assertThat(problems(Map.of("luma.api.base-url", "http://127.0.0.1:8089", "luma.api.allow-insecure", "true")))
                .isEmpty();
    }

    @Test
    void everyBadValueIsReportedTogether() throws Exception {
        var problems = problems(Map.of("luma.poll.interval-ms", "0", "luma.harvest.allowed-hosts", "",
                "luma.harvest.max-attempts", "-1"));
        assertThat(problems).hasSize(3);
        assertThat(SettingsCheck.report(problems)).startsWith("3 settings are not allowed:\n  ")
                .contains("\n  luma.poll.interval-ms=0 is not allowed").contains("\n  luma.harvest.allowed-hosts= is not")
                .contains("\n  luma.harvest.max-attempts=-1 is not allowed");
    }

    @Test
    void aTrailingSlashOnTheBaseUrlIsDropped() {
        assertThat(SettingsCheck.baseUrl("https://api.gpt.ge/")).isEqualTo("https://api.gpt.ge");
        assertThat(SettingsCheck.baseUrl(" https://api.gpt.ge/v1// ")).isEqualTo("https://api.gpt.ge/v1");
        assertThat(SettingsCheck.baseUrl("https://api.gpt.ge")).isEqualTo("https://api.gpt.ge");
    }

    /** In process, as HarvesterMain starts it: the start fails before anything is built, naming both values. */
    @Test
    void aStartWithTwoBadValuesFailsNamingBoth() throws Exception {
        Map<String, String> settings = new HashMap<>(StandIns.shared().properties("bad-settings"));
        settings.put("luma.poll.interval-ms", "0");
        settings.put("luma.api.allow-insecure", "false");
        assertThat(HarvesterApp.startFailure(settings))
                .startsWith("2 settings are not allowed:")
                .contains("luma.poll.interval-ms=0 is not allowed: it must be a whole number above 0")
                .contains("luma.api.base-url=" + settings.get("luma.api.base-url") + " is not allowed: "
                        + "it must be an https:// URL");
    }

    /** In process, as HarvesterMain starts it: the start fails on the old name before anything is built. */
    @Test
    void aStartWithASettingUnderItsOldNameFailsNamingItsNewName() throws Exception {
        Map<String, String> settings = new HashMap<>(StandIns.shared().properties("old-setting-name"));
        settings.put("luma.harvest.max-concurrent-copies", "8");
        assertThat(HarvesterApp.startFailure(settings)).isEqualTo("luma.harvest.max-concurrent-copies=8 is not read "
                + "any more: set luma.harvest.max-copies-in-flight=8 instead");
    }

    @Test
    void aStartWithATrailingSlashOnTheBaseUrlPollsWithoutADoubleSlash() throws Exception {
        Map<String, String> settings = new HashMap<>(StandIns.shared().properties("trailing-slash"));
        String base = settings.get("luma.api.base-url");
        settings.put("luma.api.base-url", base + "/");
        try (HarvesterApp app = HarvesterApp.start(settings)) {
            assertThat(app.context().getRegistry().lookupByNameAndType("providers", Providers.class)
                    .get(Providers.LUMA_AGGREGATOR).statusUrl("t-1", null))
                    .isEqualTo(base + "/luma/generations/t-1");
        }
    }
}
