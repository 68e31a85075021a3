package io.lumaharvester.kafka;

import java.time.Duration;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.Set;
import java.util.concurrent.ExecutionException;
import java.util.stream.Collectors;

import org.apache.kafka.clients.admin.Admin;
import org.apache.kafka.clients.admin.Config;
import org.apache.kafka.clients.admin.NewTopic;
import org.apache.kafka.common.KafkaFuture;
import org.apache.kafka.common.config.ConfigResource;
import org.apache.kafka.common.errors.TopicExistsException;

/**
 * The topics the harvester reads and writes, checked before any route starts. Internal topics (the poll loop's, the
 * harvest steps', the accepted ids) are created when missing; the topics users share with other systems (tasks,
 * events, dead letters) only when {@code luma.topics.create=true}. What is missing and may not be created fails the
 * start with one line that names every such topic and the command that creates it.
 */
public final class KafkaTopics {

    /**
     * One topic: the setting that names it, whether the harvester owns it, the configs it needs, and the setting each
     * config comes from (a warning names it; the topic's own setting when none is given).
     */
    public record Topic(String setting, String name, boolean internal, Map<String, String> configs,
            Map<String, String> configSettings) {

        public static Topic shared(String setting, String name) {
            return new Topic(setting, name, false, Map.of(), Map.of());
        }

        public static Topic internal(String setting, String name) {
            return new Topic(setting, name, true, Map.of(), Map.of());
        }

        public Topic with(String config, String value) {
            return with(Map.of(config, value), setting);
        }

        /** {@code configs} as {@code fromSetting} asks for them. */
        public Topic with(Map<String, String> more, String fromSetting) {
            Map<String, String> allConfigs = new LinkedHashMap<>(configs);
            Map<String, String> allSettings = new LinkedHashMap<>(configSettings);
            more.forEach((config, value) -> {
                allConfigs.put(config, value);
                allSettings.put(config, fromSetting);
            });
            return new Topic(setting, name, internal, allConfigs, allSettings);
        }

        String settingOf(String config) {
            return configSettings.getOrDefault(config, setting);
        }
    }

    /** What the check did: the topics it created, and what an operator should know about the existing ones. */
    public record Report(List<String> created, List<String> warnings) {
    }

    /** The start cannot go on: these topics are missing and the harvester may not create them. */
    public static final class MissingTopicsException extends Exception {

        public MissingTopicsException(String message) {
            super(message);
        }
    }

    private static final Duration READY_WITHIN = Duration.ofSeconds(30);

    private final List<Topic> topics;
    private final boolean createShared;
    private final int partitions;
    private final short replicationFactor;
    private final String brokers;

    /** {@code partitions} or {@code replicationFactor} of 0 or less take the broker's default. */
    public KafkaTopics(List<Topic> topics, boolean createShared, int partitions, int replicationFactor,
            String brokers) {
        this.topics = List.copyOf(topics);
        this.createShared = createShared;
        this.partitions = partitions;
        this.replicationFactor = (short) replicationFactor;
        this.brokers = brokers;
    }

    public Report provision(Admin admin) throws MissingTopicsException, InterruptedException, ExecutionException {
        Set<String> existing = admin.listTopics().names().get();
        List<Topic> missing = topics.stream().filter(t -> !existing.contains(t.name())).toList();
        List<Topic> notOurs = missing.stream().filter(t -> !t.internal() && !createShared).toList();
        if (!notOurs.isEmpty()) {
            // nothing is created when the start fails anyway
            throw missing(notOurs, "luma.topics.create=false", "or set luma.topics.create=true");
        }
        List<String> created = create(admin, missing);
        List<String> warnings = new ArrayList<>();
        warnings.addAll(configWarnings(admin, topics.stream().filter(t -> existing.contains(t.name())).toList()));
        return new Report(created, warnings);
    }

    private List<String> create(Admin admin, List<Topic> missing)
            throws MissingTopicsException, InterruptedException, ExecutionException {
        if (missing.isEmpty()) {
            return List.of();
        }
        Map<String, KafkaFuture<Void>> results = admin.createTopics(missing.stream().map(this::newTopic).toList())
                .values();
        List<Topic> refused = new ArrayList<>();
        String why = null;
        for (Topic topic : missing) {
            try {
                results.get(topic.name()).get();
            } catch (ExecutionException e) {
                if (!(e.getCause() instanceof TopicExistsException)) {
                    refused.add(topic);
                    why = e.getCause().getClass().getSimpleName() + ": " + e.getCause().getMessage();
                }
            }
        }
        if (!refused.isEmpty()) {
            throw missing(refused, "Kafka refused to create them (" + why + ")",
                    "or grant the harvester's principal Create on them");
        }
        List<String> names = missing.stream().map(Topic::name).toList();
        awaitLeaders(admin, names);
        return names;
    }

    /** Consumers and the repositories need every partition led before they read. */
    private static void awaitLeaders(Admin admin, List<String> names) throws InterruptedException, ExecutionException {
        long deadline = System.nanoTime() + READY_WITHIN.toNanos();
        Exception last = null;
        while (System.nanoTime() < deadline) {
            try {
                if (admin.describeTopics(names).allTopicNames().get().values().stream()
                        .flatMap(d -> d.partitions().stream()).allMatch(p -> p.leader() != null)) {
                    return;
                }
            } catch (ExecutionException notYet) {
                last = notYet;
            }
            Thread.sleep(100);
        }
        throw new ExecutionException("the created topics " + names + " have no leader after "
                + READY_WITHIN.toSeconds() + " s", last);
    }

    private NewTopic newTopic(Topic topic) {
        NewTopic newTopic = new NewTopic(topic.name(), partitions > 0 ? Optional.of(partitions) : Optional.empty(),
                replicationFactor > 0 ? Optional.of(replicationFactor) : Optional.empty());
        return newTopic.configs(topic.configs());
    }

    /**
     * A topic made by hand without the configs the harvester needs (compaction and retention of the task states)
     * still works.
     */
    private static List<String> configWarnings(Admin admin, List<Topic> kept) {
        List<Topic> configured = kept.stream().filter(t -> !t.configs().isEmpty()).toList();
        if (configured.isEmpty()) {
            return List.of();
        }
        Map<ConfigResource, Config> configs;
        try {
            configs = admin.describeConfigs(configured.stream()
                    .map(t -> new ConfigResource(ConfigResource.Type.TOPIC, t.name())).toList()).all().get();
        } catch (ExecutionException | InterruptedException notAllowed) {
            if (notAllowed instanceof InterruptedException) {
                Thread.currentThread().interrupt();
            }
            return List.of("could not read the configs of " + configured.stream().map(Topic::name).toList() + ": "
                    + notAllowed.getMessage());
        }
        List<String> warnings = new ArrayList<>();
        for (Topic topic : configured) {
            Config config = configs.get(new ConfigResource(ConfigResource.Type.TOPIC, topic.name()));
            topic.configs().forEach((name, wanted) -> {
                var entry = config.get(name);
                String actual = entry == null ? null : entry.value();
                if (!satisfies(name, wanted, actual)) {
                    warnings.add("topic " + topic.name() + " has " + name + "=" + actual + "; the harvester expects "
                            + wanted + " (" + topic.settingOf(name) + ")");
                }
            });
        }
        return warnings;
    }

    /** Every wanted cleanup policy, in any order; a size limit may be larger than needed; anything else is equal. */
    private static boolean satisfies(String config, String wanted, String actual) {
        return switch (config) {
            case "cleanup.policy" -> actual != null && policies(actual).containsAll(policies(wanted));
            case "max.message.bytes" -> actual == null || Long.parseLong(actual) >= Long.parseLong(wanted);
            default -> wanted.equals(actual);
        };
    }

    private static Set<String> policies(String cleanupPolicy) {
        return java.util.Arrays.stream(cleanupPolicy.split(",")).map(String::strip).collect(Collectors.toSet());
    }

    private MissingTopicsException missing(List<Topic> topics, String why, String alternative) {
        String names = topics.stream().map(Topic::name).collect(Collectors.joining(", "));
        String commands = topics.stream().map(this::command).collect(Collectors.joining("; "));
        return new MissingTopicsException("Kafka topics missing: " + names + ", and " + why + ". Create them ("
                + alternative + "): " + commands);
    }

    /** The kafka-topics.sh line that creates this topic as the harvester would. */
    String command(Topic topic) {
        StringBuilder line = new StringBuilder("kafka-topics.sh --bootstrap-server ").append(brokers)
                .append(" --create --topic ").append(topic.name());
        if (partitions > 0) {
            line.append(" --partitions ").append(partitions);
        }
        if (replicationFactor > 0) {
            line.append(" --replication-factor ").append(replicationFactor);
        }
        topic.configs().forEach((name, value) -> line.append(" --config ").append(name).append('=').append(value));
        return line.toString();
    }
}
