package io.lumaharvester;

import io.lumaharvester.dev.Events;
import io.lumaharvester.dev.Probes;
import io.lumaharvester.dev.SecuredKafka;
import io.lumaharvester.dev.TestCertificates;

import io.lumaharvester.intake.TaskStates;
import static org.assertj.core.api.Assertions.assertThat;

import java.net.http.HttpResponse;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.Arrays;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.UUID;

import com.fasterxml.jackson.databind.JsonNode;
import io.lumaharvester.dev.EmbeddedKafka;
import io.lumaharvester.dev.EmbeddedS3;
import io.lumaharvester.dev.HarvesterProcess;
import io.lumaharvester.dev.LumaApiStandIn;
import io.lumaharvester.dev.StandIns;
import org.apache.kafka.clients.admin.Admin;
import org.apache.kafka.common.config.ConfigResource;
import org.awaitility.Awaitility;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Tag;
import org.junit.jupiter.api.Test;

/**
 * The packaged jar against a broker locked down as enterprise clusters are (SASL_SSL with SCRAM-SHA-512, mutual TLS,
 * ACLs, no topic auto-creation), configured with settings only: {@code kafka.client.*} from the environment,
 * secrets from mounted files.
 */
// in the second IT group: two JVMs side by side, after the benchmarks (pom.xml, profile its-side-by-side)
@Tag("side-by-side")
class SecuredKafkaIT {

    private static final String PREFIX = "secured-";
    private static final Path DIR = Path.of("target", "it", "secured-kafka");

    private static SecuredKafka kafka;
    private static StandIns standIns;

    @BeforeAll
    static void startBroker() throws Exception {
        standIns = StandIns.shared();
        kafka = SecuredKafka.start(DIR.resolve("run-" + UUID.randomUUID()), PREFIX);
    }

    @AfterAll
    static void stopBroker() throws Exception {
        if (kafka != null) {
            kafka.close();
        }
    }

    /** The stand-ins' settings, topics under {@code PREFIX + name}, Kafka as given. */
    private static Map<String, String> settings(String name, Map<String, String> kafkaSettings) throws Exception {
        Map<String, String> settings = new LinkedHashMap<>(standIns.properties(PREFIX + name));
        // the task's second poll (its first answer is processing) after 0.5 s, not the 5 s the test would wait out
        settings.put("luma.poll.interval-ms", "500");
        settings.putAll(kafkaSettings);
        return settings;
    }

    private static HarvesterProcess start(String name, Map<String, String> settings) throws Exception {
        Path log = Files.createDirectories(DIR).resolve(name + ".log");
        Files.deleteIfExists(log);
        return HarvesterProcess.start(HarvesterProcess.packagedJar(), List.of(), settings,
                Map.of("AWS_ACCESS_KEY_ID", EmbeddedS3.ACCESS_KEY, "AWS_SECRET_ACCESS_KEY", EmbeddedS3.SECRET_KEY),
                log);
    }

    /** Submits a task on the back-door listener and checks its event and its video's bytes in S3. */
    private static void completesATask(Map<String, String> settings, HarvesterProcess app) throws Exception {
        String taskId = "secured-" + UUID.randomUUID();
        // ready means the harvester made its topics: auto-create is off, so a task sent before would wait on metadata
        Probes.awaitReady(settings.get("luma.http.port"));
        LumaApiStandIn.ServedMedia media = standIns.api.completesAfter(taskId, List.of("processing"), 100_000);
        EmbeddedKafka.send(kafka.broker.bootstrapServers(), settings.get("luma.topics.tasks"), null,
                taskId.getBytes(java.nio.charset.StandardCharsets.UTF_8), Map.of());
        JsonNode event = Events.value(Events.awaitOnlyEvent(kafka.broker.bootstrapServers(),
                settings.get("luma.topics.events"), taskId, Duration.ofMinutes(2)));
        assertThat(event.get("status").asText()).as(app.output()).isEqualTo("completed");
        assertThat(Events.sha256OfObject(standIns.s3, StandIns.BUCKET, "luma/" + taskId + "/video.mp4"))
                .isEqualTo(media.byRole().get("video").sha256());
    }

    @Test
    void saslSslWithScramCompletesATaskOnABrokerWithoutAutoCreateAndNoTopicMadeByHand() throws Exception {
        Map<String, String> settings = settings("sasl",
                kafka.scram(SecuredKafka.HARVESTER, SecuredKafka.password(SecuredKafka.HARVESTER)));
        try (HarvesterProcess app = start("sasl", settings)) {
            completesATask(settings, app);
            assertThat(app.output()).contains("created Kafka topics " + String.join(", ",
                    settings.get("luma.topics.tasks"), settings.get("luma.topics.events"),
                    settings.get("luma.topics.dlq"), settings.get("luma.topics.polling"),
                    settings.get("luma.topics.harvest"), settings.get("luma.topics.accepted")));
            assertThat(app.output()).doesNotContain(SecuredKafka.password(SecuredKafka.HARVESTER));
        }
        try (Admin admin = EmbeddedKafka.admin(kafka.broker.bootstrapServers())) {
            ConfigResource accepted = new ConfigResource(ConfigResource.Type.TOPIC, settings.get("luma.topics.accepted"));
            var configs = admin.describeConfigs(List.of(accepted)).all().get().get(accepted);
            // luma.tasks.state-retention-ms as shipped, set at creation: the ACLs grant Create, not AlterConfigs
            TaskStates.topicConfigs(604_800_000).forEach((name, value) ->
                    assertThat(configs.get(name).value()).as(name).isEqualTo(value));
        }
    }

    /**
     * The key store and its password come as a Strimzi user's Secret mounts them ({@code user.p12}, {@code
     * user.password}), the trust store as the cluster CA's ({@code ca.p12}, {@code ca.password}); the passwords are
     * read through Kafka's own DirectoryConfigProvider, never from an environment value.
     */
    @Test
    void mutualTlsCompletesATaskWithTheKeyStorePasswordFromAMountedSecret() throws Exception {
        Path mounted = Files.createDirectories(DIR.resolve("mounted-user-secret"));
        Path keyStore = Files.copy(kafka.certificates.keyStore(SecuredKafka.TLS_CLIENT), mounted.resolve("user.p12"),
                java.nio.file.StandardCopyOption.REPLACE_EXISTING);
        Files.writeString(mounted.resolve("user.password"), TestCertificates.PASSWORD);
        Map<String, String> tls = new LinkedHashMap<>(kafka.mutualTls(keyStore,
                "${dir:" + mounted.toAbsolutePath() + ":user.password}"));
        Path caMount = Files.createDirectories(DIR.resolve("mounted-cluster-ca"));
        Files.copy(kafka.certificates.trustStore(), caMount.resolve("ca.p12"),
                java.nio.file.StandardCopyOption.REPLACE_EXISTING);
        Files.writeString(caMount.resolve("ca.password"), TestCertificates.PASSWORD);
        tls.put("kafka.client.ssl.truststore.location", caMount.resolve("ca.p12").toAbsolutePath().toString());
        tls.put("kafka.client.ssl.truststore.password", "${dir:" + caMount.toAbsolutePath() + ":ca.password}");
        tls.put("kafka.client.config.providers", "dir");
        tls.put("kafka.client.config.providers.dir.class",
                "org.apache.kafka.common.config.provider.DirectoryConfigProvider");
        Map<String, String> settings = settings("tls", tls);
        // the topics shared with other systems are made by hand; the harvester creates only its own
        settings.put("luma.topics.create", "false");
        EmbeddedKafka.createTopics(kafka.broker.bootstrapServers(), Map.of(settings.get("luma.topics.tasks"), 2,
                settings.get("luma.topics.events"), 2, settings.get("luma.topics.dlq"), 1));
        try (HarvesterProcess app = start("tls", settings)) {
            completesATask(settings, app);
            assertThat(app.output()).contains("created Kafka topics " + String.join(", ",
                    settings.get("luma.topics.polling"), settings.get("luma.topics.harvest"),
                    settings.get("luma.topics.accepted")));
        }
    }

    @Test
    void aWrongPasswordGivesOneErrorLineAndReadinessDownNamingKafkaAccess() throws Exception {
        Map<String, String> settings = settings("wrong-password", kafka.scram(SecuredKafka.HARVESTER, "not-the-password"));
        settings.put("luma.kafka.startup-retry-ms", "200");
        int refusedBefore = failedAuthentications();
        try (HarvesterProcess app = start("wrong-password", settings)) {
            Probes.awaitNotReady(settings.get("luma.http.port"), "kafka-access");
            // the harvester keeps trying, as the broker sees
            Awaitility.await().atMost(Duration.ofSeconds(60)).until(() -> failedAuthentications() >= refusedBefore + 5);
            HttpResponse<String> ready = Probes.readiness(settings.get("luma.http.port"));
            assertThat(ready.statusCode()).isEqualTo(503);
            assertThat(ready.body()).contains("kafka-access").contains("refused the harvester's credentials");

            List<String> errors = Arrays.stream(app.output().split("\n")).filter(l -> l.contains(" ERROR ")).toList();
            assertThat(errors).as(app.output()).hasSize(1);
            assertThat(errors.get(0)).contains("refused the harvester's credentials")
                    .contains("SaslAuthenticationException").contains("check kafka.client.*");
            assertThat(app.output()).as("no stack trace").doesNotContain("\tat ");
            assertThat(app.output().split("Authentication failed", -1)).as("said once, not once per attempt")
                    .hasSize(2);
            assertThat(app.process().isAlive()).isTrue();
        }
        String all = Files.readString(DIR.resolve("wrong-password.log"));
        assertThat(Arrays.stream(all.split("\n")).filter(l -> l.contains(" ERROR ")))
                .as("still one ERROR line after SIGTERM ended the wait").hasSize(1);
    }

    @Test
    void aclsThatForbidTopicCreationStopTheStartWithOneLineNamingEveryMissingTopic() throws Exception {
        Map<String, String> settings = settings("no-create",
                kafka.scram(SecuredKafka.READER, SecuredKafka.password(SecuredKafka.READER)));
        List<String> topics = StandIns.topics(PREFIX + "no-create").values().stream().toList();
        try (HarvesterProcess app = start("no-create", settings)) {
            assertThat(app.waitFor(90)).as("exits by itself").isTrue();
            assertThat(app.process().exitValue()).isEqualTo(1);
            List<String> lines = Arrays.stream(app.output().split("\n"))
                    .filter(l -> l.startsWith("luma-harvester could not start:")).toList();
            assertThat(lines).as(app.output()).hasSize(1);
            assertThat(lines.get(0)).contains("TopicAuthorizationException")
                    .contains("kafka-topics.sh --bootstrap-server " + settings.get("kafka.brokers") + " --create");
            topics.forEach(topic -> assertThat(lines.get(0)).contains("--topic " + topic + " "));
        }
        try (Admin admin = EmbeddedKafka.admin(kafka.broker.bootstrapServers())) {
            Set<String> existing = admin.listTopics().names().get();
            assertThat(existing).doesNotContainAnyElementsOf(topics);
        }
    }

    private static int failedAuthentications() throws Exception {
        return kafka.log().split("Failed authentication", -1).length - 1;
    }
}
