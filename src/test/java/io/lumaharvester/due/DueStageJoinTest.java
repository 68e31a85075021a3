package io.lumaharvester.due;

import static org.assertj.core.api.Assertions.assertThat;

import java.time.Duration;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.UUID;
import java.util.concurrent.ConcurrentHashMap;

import io.lumaharvester.dev.StandIns;
import io.lumaharvester.kafka.KafkaClients;
import org.apache.camel.CamelContext;
import org.awaitility.Awaitility;
import org.junit.jupiter.api.Test;

/**
 * The one timing of the due: consumer on a real broker that another test's load would stretch: apart from
 * DueConsumerTest, whose tests run side by side.
 */
class DueStageJoinTest {

    /**
     * An instance's due: consumers share its group, one topic each, and start one after another: a consumer joining
     * waits until the members already in the group have heard of the rebalance, at their next heartbeat. With the
     * consumer's own settings (no kafka.client.* setting), a stage started just after another routes its first
     * record well before Kafka's default heartbeat interval (3 s) has passed.
     */
    @Test
    void aStageStartedAfterAnotherInTheSameGroupRoutesItsFirstRecordWithinTwoSeconds() throws Exception {
        StandIns standIns = StandIns.shared();
        String group = "due-stages-" + UUID.randomUUID() + "-group";
        String firstTopic = "due-first-stage-" + UUID.randomUUID();
        String secondTopic = "due-second-stage-" + UUID.randomUUID();
        standIns.kafka.createTopics(List.of(firstTopic, secondTopic), 1);
        KafkaClients defaults = new KafkaClients(standIns.kafka.bootstrapServers(), Map.of());
        Set<String> first = ConcurrentHashMap.newKeySet();
        Set<String> second = ConcurrentHashMap.newKeySet();
        standIns.kafka.send(firstTopic, "first");
        standIns.kafka.send(secondTopic, "second");
        CamelContext camel = DueConsumerTest.consumerOf(firstTopic, first, defaults, group);
        try {
            // routed: the first stage is a member of the group with its partition
            Awaitility.await().atMost(Duration.ofSeconds(20)).pollInterval(Duration.ofMillis(10))
                    .until(() -> first.contains("first"));

            long started = System.currentTimeMillis();
            CamelContext other = DueConsumerTest.consumerOf(secondTopic, second, defaults, group);
            long firstRecordAfterMs;
            try {
                Awaitility.await().atMost(Duration.ofSeconds(20)).pollInterval(Duration.ofMillis(10))
                        .until(() -> second.contains("second"));
                firstRecordAfterMs = System.currentTimeMillis() - started;
            } finally {
                other.stop();
            }
            assertThat(firstRecordAfterMs).as("ms from the second stage's start to its first record routed")
                    .isLessThan(2_000);
        } finally {
            camel.stop();
        }
    }
}
