package io.lumaharvester.kafka;

import io.lumaharvester.intake.TaskStates;
import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.util.List;
import java.util.Map;
import java.util.UUID;

import io.lumaharvester.dev.StandIns;
import org.apache.kafka.clients.admin.Admin;
import org.apache.kafka.common.config.ConfigResource;
import org.junit.jupiter.api.Test;

/** What the harvester does with its topics at start-up, on a real broker that has none of them yet. */
class KafkaTopicsTest {

    private final StandIns standIns;

    KafkaTopicsTest() throws Exception {
        standIns = StandIns.shared();
    }

    private record Names(String tasks, String events, String dlq, String polling, String harvest, String accepted) {

        static Names fresh() {
            String prefix = "topics-" + UUID.randomUUID();
            return new Names(prefix + ".tasks", prefix + ".events", prefix + ".dlq", prefix + ".polling",
                    prefix + ".harvest", prefix + ".accepted");
        }

        List<String> all() {
            return List.of(tasks, events, dlq, polling, harvest, accepted);
        }
    }

    private KafkaTopics topics(Names names, boolean create) {
        return new KafkaTopics(List.of(
                KafkaTopics.Topic.shared("luma.topics.tasks", names.tasks()),
                KafkaTopics.Topic.shared("luma.topics.events", names.events()),
                KafkaTopics.Topic.shared("luma.topics.dlq", names.dlq()).with("max.message.bytes", "2000000"),
                KafkaTopics.Topic.internal("luma.topics.polling", names.polling()),
                KafkaTopics.Topic.internal("luma.topics.harvest", names.harvest()),
                KafkaTopics.Topic.internal("luma.topics.accepted", names.accepted())
                        .with(TaskStates.topicConfigs(RETENTION_MS), "luma.tasks.state-retention-ms")),
                create, 3, -1, standIns.kafka.bootstrapServers());
    }

    /** Three days: not the broker's default retention (7 days), so a hand-made topic differs. */
    private static final long RETENTION_MS = 3 * 24 * 3600 * 1000L;

    private String config(Admin admin, String topic, String name) throws Exception {
        ConfigResource resource = new ConfigResource(ConfigResource.Type.TOPIC, topic);
        return admin.describeConfigs(List.of(resource)).all().get().get(resource).get(name).value();
    }

    @Test
    void missingInternalTopicsAreCreatedWithTheirPartitionsAndTheTaskStatesCompactedAndDeletedAfterTheRetention()
            throws Exception {
        Names names = Names.fresh();
        standIns.kafka.createTopics(List.of(names.tasks(), names.events(), names.dlq()), 1);
        try (Admin admin = standIns.kafka.admin()) {
            KafkaTopics.Report report = topics(names, false).provision(admin);

            assertThat(report.created()).containsExactly(names.polling(), names.harvest(), names.accepted());
            assertThat(report.warnings()).isEmpty();
            assertThat(admin.describeTopics(List.of(names.polling())).allTopicNames().get().get(names.polling())
                    .partitions()).hasSize(3);
            assertThat(config(admin, names.accepted(), "cleanup.policy")).isEqualTo("compact,delete");
            assertThat(config(admin, names.accepted(), "retention.ms")).isEqualTo("259200000");
            // a seventh of the retention: Kafka deletes whole segments, once their newest record has expired
            assertThat(config(admin, names.accepted(), "segment.ms")).isEqualTo("37028571");
            assertThat(config(admin, names.polling(), "cleanup.policy")).isEqualTo("delete");
        }
    }

    @Test
    void missingSharedTopicsStopTheStartWithOneLineNamingEachAndTheCommandThatCreatesIt() throws Exception {
        Names names = Names.fresh();
        try (Admin admin = standIns.kafka.admin()) {
            assertThatThrownBy(() -> topics(names, false).provision(admin))
                    .isInstanceOf(KafkaTopics.MissingTopicsException.class)
                    .hasMessageNotContaining("\n")
                    .hasMessageContaining("Kafka topics missing: " + names.tasks() + ", " + names.events() + ", "
                            + names.dlq() + ", and luma.topics.create=false")
                    .hasMessageContaining("kafka-topics.sh --bootstrap-server " + standIns.kafka.bootstrapServers()
                            + " --create --topic " + names.tasks() + " --partitions 3;")
                    .hasMessageContaining("--topic " + names.dlq() + " --partitions 3 --config max.message.bytes=2000000")
                    .hasMessageNotContaining(names.polling());
            // a start that fails creates nothing
            assertThat(admin.listTopics().names().get()).doesNotContainAnyElementsOf(names.all());
        }
    }

    @Test
    void withCreateEveryTopicIsCreatedAndTheDeadLetterTopicTakesTheLargestRecord() throws Exception {
        Names names = Names.fresh();
        try (Admin admin = standIns.kafka.admin()) {
            KafkaTopics.Report report = topics(names, true).provision(admin);

            assertThat(report.created()).containsExactlyElementsOf(names.all());
            assertThat(config(admin, names.dlq(), "max.message.bytes")).isEqualTo("2000000");
            assertThat(topics(names, true).provision(admin).created()).as("a second start").isEmpty();
        }
    }

    @Test
    void topicsMadeByHandAreKeptAsTheyAreWithAWarningForWhatTheHarvesterExpects() throws Exception {
        Names names = Names.fresh();
        standIns.kafka.createTopics(Map.of(names.tasks(), 1, names.events(), 1, names.dlq(), 1, names.polling(), 1,
                names.harvest(), 1, names.accepted(), 1));
        try (Admin admin = standIns.kafka.admin()) {
            KafkaTopics.Report report = topics(names, false).provision(admin);

            assertThat(report.created()).isEmpty();
            assertThat(report.warnings()).containsExactlyInAnyOrder(
                    "topic " + names.accepted() + " has cleanup.policy=delete; the harvester expects compact,delete "
                            + "(luma.tasks.state-retention-ms)",
                    "topic " + names.accepted() + " has retention.ms=604800000; the harvester expects 259200000 "
                            + "(luma.tasks.state-retention-ms)",
                    "topic " + names.accepted() + " has segment.ms=604800000; the harvester expects 37028571 "
                            + "(luma.tasks.state-retention-ms)");
            assertThat(config(admin, names.accepted(), "cleanup.policy")).as("left as it was").isEqualTo("delete");
        }
    }

    /** What earlier versions created: compacted, no retention. Policies are compared as a set, in any order. */
    @Test
    void aStatesTopicThatIsOnlyCompactedIsWarnedAboutAndOneWithBothPoliciesInAnyOrderIsNot() throws Exception {
        Names names = Names.fresh();
        Names reordered = Names.fresh();
        standIns.kafka.createTopics(Map.of(names.tasks(), 1, names.events(), 1, names.dlq(), 1, names.polling(), 1,
                names.harvest(), 1));
        standIns.kafka.createTopics(Map.of(reordered.tasks(), 1, reordered.events(), 1, reordered.dlq(), 1,
                reordered.polling(), 1, reordered.harvest(), 1));
        standIns.kafka.createTopic(names.accepted(), 1, Map.of("cleanup.policy", "compact"));
        Map<String, String> reorderedConfigs = new java.util.HashMap<>(TaskStates.topicConfigs(RETENTION_MS));
        reorderedConfigs.put("cleanup.policy", "delete,compact");
        standIns.kafka.createTopic(reordered.accepted(), 1, reorderedConfigs);
        try (Admin admin = standIns.kafka.admin()) {
            assertThat(topics(names, false).provision(admin).warnings()).contains(
                    "topic " + names.accepted() + " has cleanup.policy=compact; the harvester expects compact,delete "
                            + "(luma.tasks.state-retention-ms)");
            assertThat(topics(reordered, false).provision(admin).warnings()).isEmpty();
        }
    }
}
