package io.lumaharvester;

import io.lumaharvester.kafka.KafkaClients;
import io.lumaharvester.harvest.S3Uploads;
import io.lumaharvester.harvest.MediaNaming;
import java.net.URI;
import java.net.URISyntaxException;
import java.util.ArrayList;
import java.util.List;
import java.util.Optional;
import java.util.function.Function;
import java.util.function.Predicate;

import org.apache.camel.CamelConfiguration;
import org.apache.camel.CamelContext;
import org.apache.camel.CamelContextAware;
import org.apache.camel.Configuration;
import org.apache.camel.spi.PropertiesComponent;

/**
 * Every setting, checked before anything is built: one line per bad value (the setting, the value, what is allowed),
 * all of them at once, so that a start fails once with the whole list rather than once per mistake, or not at all
 * (an interval of 0 hammers the API, an empty allow-list fails every task, an http:// base URL sends the token in
 * clear). A plain function of the settings; {@code settings} answers null for a setting that is not set.
 * <p>
 * First in {@code camel.main.configuration-classes}: Camel sets the context on it before it binds any Java bean, and
 * the start stops there with the report (a YAML bean that refuses its own setting stops it earlier).
 */
@Configuration
public final class SettingsCheck implements CamelConfiguration, CamelContextAware {

    /** S3 takes parts of 5 MiB at the least (but the last) and 5 GiB at the most. */
    private static final long MIN_PART = 5L * 1024 * 1024;
    private static final long MAX_PART = 5L * 1024 * 1024 * 1024;
    /**
     * Room in a Kafka record for what a ticket holds besides the generation and the metadata (ids, times, counters,
     * the key and headers): a few hundred bytes, with a wide margin.
     */
    static final int TICKET_FIELDS_BYTES = 16 * 1024;

    private record Rule(String setting, Predicate<String> allowed, String what) {
    }

    private static final List<Rule> RULES = List.of(
            positiveInt("luma.api.connect-timeout-ms"),
            positiveLong("luma.api.response-timeout-ms"),
            positiveInt("luma.api.keep-alive-ms"),
            positiveInt("luma.api.max-in-flight"),
            positiveLong("luma.api.max-response-bytes"),
            new Rule("luma.api.max-requests-per-second", v -> parses(v, Double::parseDouble, d -> d >= 0),
                    "a number, 0 (no limit) or above"),
            new Rule("luma.api.allow-insecure", SettingsCheck::bool, "true or false"),
            positiveLong("luma.tasks.deadline-ms"),
            positiveLong("luma.tasks.state-retention-ms"),
            positiveInt("luma.tasks.max-in-flight"),
            positiveInt("luma.tasks.max-record-bytes"),
            new Rule("luma.tasks.max-held-bytes", v -> parses(v, Long::parseLong, n -> n >= 0),
                    "a whole number of bytes, 0 or above (0: 5 % of the heap)"),
            positiveInt("luma.intake.max-in-flight"),
            positiveLong("luma.poll.interval-ms"),
            new Rule("luma.poll.first-delay-ms", v -> parses(v, Long::parseLong, n -> n >= 0),
                    "a whole number, 0 or above"),
            positiveLong("luma.poll.max-backoff-ms"),
            positiveInt("luma.poll.not-found-confirmations"),
            notBlank("luma.harvest.allowed-hosts", "a comma-separated list of host names (*.example.com for a suffix)"),
            notBlank("luma.harvest.allowed-schemes", "a comma-separated list of schemes (https)"),
            positiveInt("luma.harvest.max-attempts"),
            positiveInt("luma.harvest.max-storage-rejections"),
            positiveInt("luma.harvest.connect-timeout-ms"),
            positiveInt("luma.harvest.read-timeout-ms"),
            positiveInt("luma.harvest.max-copies-in-flight"),
            positiveInt("luma.harvest.max-copies-in-flight-while-polls-lag"),
            positiveLong("luma.harvest.max-spool-bytes"),
            // a relative directory would follow whatever the working directory is
            new Rule("luma.harvest.spool-dir", v -> v.isBlank() || absolutePath(v),
                    "empty (the JVM's temp directory) or an absolute path"),
            positiveLong("luma.harvest.deadline-ms"),
            positiveLong("luma.harvest.max-copy-ms"),
            notBlank("luma.topics.tasks", "a topic name"),
            notBlank("luma.topics.events", "a topic name"),
            notBlank("luma.topics.dlq", "a topic name"),
            notBlank("luma.topics.polling", "a topic name"),
            notBlank("luma.topics.harvest", "a topic name"),
            notBlank("luma.topics.accepted", "a topic name"),
            new Rule("luma.topics.create", SettingsCheck::bool, "true or false"),
            new Rule("luma.events.include-prompt", SettingsCheck::bool, "true or false"),
            new Rule("luma.harvest.allow-private-addresses", SettingsCheck::bool, "true or false"),
            new Rule("luma.topics.partitions", v -> parses(v, Integer::parseInt, n -> true),
                    "a whole number (0 or less: the broker's default)"),
            new Rule("luma.topics.replication-factor", v -> parses(v, Short::parseShort, n -> true),
                    "a whole number (0 or less: the broker's default)"),
            notBlank("luma.kafka.group-id", "a consumer group id"),
            new Rule("luma.kafka.fetch-wait-max-ms", v -> parses(v, Integer::parseInt, n -> n >= 0),
                    "a whole number, 0 or above"),
            positiveLong("luma.kafka.startup-retry-ms"),
            positiveInt("luma.kafka.max-record-attempts"),
            new Rule("luma.kafka.min-record-retry-ms", v -> parses(v, Long::parseLong, n -> n >= 0),
                    "a whole number of milliseconds, 0 or above"),
            positiveInt("luma.events.dedup-cache-size"),
            positiveLong("luma.events.dedup-lookback-ms"),
            positiveInt("luma.dlq.max-record-bytes"),
            notBlank("luma.events.source", "a URI reference (/luma-harvester)"),
            positiveInt("luma.health.timeout-ms"),
            new Rule("luma.callbacks.port", v -> parses(v, Integer::parseInt, n -> n >= 0 && n <= 65535),
                    "a port number, 1 to 65535, or 0 (no callbacks)"),
            new Rule("luma.callbacks.start-unknown", SettingsCheck::bool, "true or false"),
            positiveLong("luma.callbacks.max-body-bytes"),
            positiveInt("luma.callbacks.max-per-second"),
            positiveInt("luma.callbacks.dedup-cache-size"),
            new Rule("luma.callbacks.fal-jwks-url", SettingsCheck::httpUrl,
                    "an absolute http(s) URL (https://rest.fal.ai/.well-known/jwks.json)"),
            notBlank("kafka.brokers", "host:port[,host:port...]"),
            notBlank("s3.bucket", "a bucket name"),
            notBlank("s3.region", "an AWS region (us-east-1)"),
            new Rule("s3.key-pattern", v -> MediaNaming.patternProblem(v) == null,
                    "a key layout with {task_id} and {role}, optionally {extension}, not starting with /"),
            new Rule("s3.endpoint", v -> v.isBlank() || httpUrl(v), "empty (AWS) or an absolute http(s) URL"),
            positiveLong("s3.multipart.threshold-bytes"),
            new Rule("s3.expect-continue-threshold-bytes", v -> parses(v, Long::parseLong, n -> n >= 0),
                    "a whole number of bytes, 0 or above"),
            new Rule("s3.multipart.part-size-bytes", v -> parses(v, Long::parseLong, n -> n >= MIN_PART && n <= MAX_PART),
                    "a whole number from " + MIN_PART + " (5 MiB) to " + MAX_PART + " (5 GiB), S3's part sizes"));

    /** A setting's old name and its name now. */
    private record Renamed(String old, String now) {
    }

    /** Settings with a new name: one set under its old name would be ignored without a word, so it stops the start. */
    private static final List<Renamed> RENAMED = List.of(
            new Renamed("luma.harvest.max-concurrent-copies", "luma.harvest.max-copies-in-flight"),
            new Renamed("luma.harvest.max-concurrent-copies-while-polls-lag",
                    "luma.harvest.max-copies-in-flight-while-polls-lag"));

    private CamelContext camelContext;

    /** Stops the start with {@link #report} when any setting is not allowed. */
    @Override
    public void setCamelContext(CamelContext context) {
        PropertiesComponent properties = context.getPropertiesComponent();
        List<String> problems = problems(setting -> properties.resolveProperty(setting).orElse(null));
        if (!problems.isEmpty()) {
            throw new IllegalStateException(report(problems));
        }
        this.camelContext = context;
    }

    @Override
    public CamelContext getCamelContext() {
        return camelContext;
    }

    /** The lines that say what is wrong; empty when every setting is allowed. */
    public static List<String> problems(Function<String, String> settings) {
        List<String> problems = new ArrayList<>();
        for (Renamed renamed : RENAMED) {
            String value = settings.apply(renamed.old());
            if (value != null) {
                problems.add(renamed.old() + "=" + value + " is not read any more: set " + renamed.now() + "="
                        + value.strip() + " instead");
            }
        }
        for (Rule rule : RULES) {
            String value = settings.apply(rule.setting());
            // MicroProfile Config (Camel Quarkus) reads a setting set to empty as not set: where empty is allowed,
            // so is not set
            if (value == null && rule.allowed().test("")) {
                continue;
            }
            if (value == null || !rule.allowed().test(value)) {
                problems.add(notAllowed(rule.setting(), value, rule.what()));
            }
        }
        apiAccess(settings).ifPresent(problems::add);
        dlqLargeEnough(settings).ifPresent(problems::add);
        stateOutlivesRuns(settings).ifPresent(problems::add);
        generationFitsOneRecord(settings).ifPresent(problems::add);
        s3Uploads(settings).ifPresent(problems::add);
        callbackPortAlone(settings).ifPresent(problems::add);
        return problems;
    }

    /** One message for the start to fail with: the line itself, or a count and one indented line each. */
    public static String report(List<String> problems) {
        return problems.size() == 1 ? problems.get(0)
                : problems.size() + " settings are not allowed:\n  " + String.join("\n  ", problems);
    }

    /** The base URL without trailing slashes: {@code https://api/} + {@code /luma} would be {@code //luma}. */
    public static String baseUrl(String configured) {
        String url = configured.strip();
        while (url.endsWith("/")) {
            url = url.substring(0, url.length() - 1);
        }
        return url;
    }

    /** The token, and an API that does not get it in clear unless someone said so. */
    private static Optional<String> apiAccess(Function<String, String> settings) {
        String token = settings.apply("luma.api.token");
        if (token == null || token.isBlank()) {
            return Optional.of("luma.api.token is not set: export LUMA_API_TOKEN=<your API token> "
                    + "(the harvester cannot poll the Luma API without it)");
        }
        String url = settings.apply("luma.api.base-url");
        if (url == null || !httpUrl(url)) {
            return Optional.of(notAllowed("luma.api.base-url", url,
                    "an absolute http(s) URL without query or fragment (https://api.gpt.ge)"));
        }
        boolean insecure = "true".equals(settings.apply("luma.api.allow-insecure"));
        if (url.strip().toLowerCase(java.util.Locale.ROOT).startsWith("http:") && !insecure) {
            return Optional.of(notAllowed("luma.api.base-url", url, "an https:// URL: over http:// the token "
                    + "travels in clear (set luma.api.allow-insecure=true for a stand-in on this machine)"));
        }
        return Optional.empty();
    }

    /**
     * The callback port serves callbacks only: on the management server's port, camel-main would serve both from one
     * server, and /observe/* would face the providers.
     */
    private static Optional<String> callbackPortAlone(Function<String, String> settings) {
        String port = settings.apply("luma.callbacks.port");
        String management = settings.apply("luma.http.port");
        if (parses(port, Integer::parseInt, n -> n > 0) && management != null
                && port.strip().equals(management.strip())) {
            return Optional.of(notAllowed("luma.callbacks.port", port, "another port than luma.http.port ("
                    + management.strip() + "): the callback port serves nothing else"));
        }
        return Optional.empty();
    }

    /** A dead letter keeps the original record's bytes: the dead-letter topic must take what intake accepts. */
    private static Optional<String> dlqLargeEnough(Function<String, String> settings) {
        String dlq = settings.apply("luma.dlq.max-record-bytes");
        String tasks = settings.apply("luma.tasks.max-record-bytes");
        if (parses(dlq, Integer::parseInt, n -> n > 0) && parses(tasks, Integer::parseInt, n -> n > 0)
                && Integer.parseInt(dlq) < Integer.parseInt(tasks)) {
            return Optional.of(notAllowed("luma.dlq.max-record-bytes", dlq,
                    "at least luma.tasks.max-record-bytes (" + tasks + "): a dead letter keeps the record's bytes"));
        }
        return Optional.empty();
    }

    /**
     * A running task's state must not expire while the task runs: its record is written once, at its admission, and
     * a run lasts up to its deadline and then, once the provider said completed, its media deadline.
     */
    private static Optional<String> stateOutlivesRuns(Function<String, String> settings) {
        String retention = settings.apply("luma.tasks.state-retention-ms");
        String deadline = settings.apply("luma.tasks.deadline-ms");
        String mediaDeadline = settings.apply("luma.harvest.deadline-ms");
        if (parses(retention, Long::parseLong, n -> n > 0) && parses(deadline, Long::parseLong, n -> n > 0)
                && parses(mediaDeadline, Long::parseLong, n -> n > 0)) {
            long longestRun = Long.parseLong(deadline.strip()) + Long.parseLong(mediaDeadline.strip());
            if (Long.parseLong(retention.strip()) <= longestRun) {
                return Optional.of(notAllowed("luma.tasks.state-retention-ms", retention, "longer than "
                        + "luma.tasks.deadline-ms + luma.harvest.deadline-ms (" + longestRun + "): a running task's "
                        + "state must not expire"));
            }
        }
        return Optional.empty();
    }

    /**
     * A completed generation travels in the task's next ticket, with the task's metadata, as one Kafka record: the
     * largest answer read and the largest task record must fit the producers' largest request together.
     */
    private static Optional<String> generationFitsOneRecord(Function<String, String> settings) {
        String answer = settings.apply("luma.api.max-response-bytes");
        String taskRecord = settings.apply("luma.tasks.max-record-bytes");
        if (!parses(answer, Long::parseLong, n -> n > 0) || !parses(taskRecord, Integer::parseInt, n -> n > 0)) {
            return Optional.empty();
        }
        String configured = settings.apply(KafkaClients.PREFIX + "max.request.size");
        long request = KafkaClients.maxRequestSize(configured);
        long most = request - Integer.parseInt(taskRecord.strip()) - TICKET_FIELDS_BYTES;
        if (Long.parseLong(answer.strip()) <= most) {
            return Optional.empty();
        }
        return Optional.of(notAllowed("luma.api.max-response-bytes", answer, "at most " + most + ": "
                + "kafka.client.max.request.size (" + request + (configured == null ? ", Kafka's default" : "")
                + ") less luma.tasks.max-record-bytes (" + taskRecord.strip() + ") and " + TICKET_FIELDS_BYTES
                + " for the ticket's other fields; a completed generation travels in one Kafka record with the "
                + "task's metadata"));
    }

    /** s3.sse, s3.kms-key-id, s3.storage-class, s3.tags and s3.checksum-algorithm, as the S3 client reads them. */
    private static Optional<String> s3Uploads(Function<String, String> settings) {
        try {
            S3Uploads.from(orEmpty(settings, "s3.sse"), orEmpty(settings, "s3.kms-key-id"),
                    orEmpty(settings, "s3.storage-class"), orEmpty(settings, "s3.tags"),
                    orEmpty(settings, "s3.checksum-algorithm"));
            return Optional.empty();
        } catch (IllegalStateException e) {
            return Optional.of(e.getMessage());
        }
    }

    private static String orEmpty(Function<String, String> settings, String setting) {
        String value = settings.apply(setting);
        return value == null ? "" : value;
    }

    private static String notAllowed(String setting, String value, String what) {
        return value == null ? setting + " is not set: it must be " + what
                : setting + "=" + value + " is not allowed: it must be " + what;
    }

    private static Rule positiveInt(String setting) {
        return new Rule(setting, v -> parses(v, Integer::parseInt, n -> n > 0), "a whole number above 0");
    }

    private static Rule positiveLong(String setting) {
        return new Rule(setting, v -> parses(v, Long::parseLong, n -> n > 0), "a whole number above 0");
    }

    private static Rule notBlank(String setting, String what) {
        return new Rule(setting, v -> !v.isBlank(), what);
    }

    private static boolean bool(String value) {
        return value.equals("true") || value.equals("false");
    }

    private static <N> boolean parses(String value, Function<String, N> parse, Predicate<N> allowed) {
        if (value == null) {
            return false;
        }
        try {
            return allowed.test(parse.apply(value.strip()));
        } catch (NumberFormatException e) {
            return false;
        }
    }

    private static boolean absolutePath(String value) {
        try {
            return java.nio.file.Path.of(value.strip()).isAbsolute();
        } catch (java.nio.file.InvalidPathException e) {
            return false;
        }
    }

    private static boolean httpUrl(String value) {
        try {
            URI uri = new URI(value.strip());
            String scheme = uri.getScheme() == null ? "" : uri.getScheme().toLowerCase(java.util.Locale.ROOT);
            return (scheme.equals("http") || scheme.equals("https")) && uri.getHost() != null
                    && uri.getRawQuery() == null && uri.getRawFragment() == null;
        } catch (URISyntaxException e) {
            return false;
        }
    }
}
