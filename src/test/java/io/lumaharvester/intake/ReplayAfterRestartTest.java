package io.lumaharvester.intake;

import static org.assertj.core.api.Assertions.assertThat;

import java.time.Duration;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.UUID;

import io.lumaharvester.dev.Events;
import io.lumaharvester.dev.HarvesterApp;
import io.lumaharvester.dev.StandIns;
import org.apache.kafka.clients.consumer.OffsetAndMetadata;
import org.apache.kafka.common.TopicPartition;
import org.junit.jupiter.api.Test;

/**
 * A restart that replays every step of a finished task (as if none had been committed, the worst a kill -9 leaves):
 * the task's intake record is the same run, whose event is known, so no second event and no new run.
 */
class ReplayAfterRestartTest {

    @Test
    void everyStepOfACompletedTaskReplayedAfterARestartSendsNoSecondEvent() throws Exception {
        StandIns standIns = StandIns.shared();
        Map<String, String> props = standIns.properties("replay", Map.of(
                "luma.poll.interval-ms", "200", "luma.poll.first-delay-ms", "0",
                "luma.events.dedup-lookback-ms", "1000"));
        String taskId = "replayed-" + UUID.randomUUID();
        standIns.api.completesAfter(taskId, List.of("pending"), 50_000);
        String events = props.get("luma.topics.events");
        String group = props.get("luma.kafka.group-id");
        List<String> topics = List.of(props.get("luma.topics.tasks"), props.get("luma.topics.polling"),
                props.get("luma.topics.harvest"));

        try (HarvesterApp first = HarvesterApp.start(props)) {
            standIns.kafka.send(props.get("luma.topics.tasks"), taskId);
            Events.awaitOnlyEvent(standIns, events, taskId, Duration.ofSeconds(40));
            Events.awaitDrained(standIns, group, topics.toArray(String[]::new));
        }
        for (String topic : topics.subList(1, 3)) {
            for (var record : Events.records(standIns, topic)) {
                assertThat(Events.value(record).path("run").asText()).as("%s: %s", topic, Events.value(record))
                        .isNotEmpty();
            }
        }
        try (var admin = standIns.kafka.admin()) {
            Map<TopicPartition, OffsetAndMetadata> fromTheStart = new HashMap<>();
            admin.listConsumerGroupOffsets(group).partitionsToOffsetAndMetadata().get().keySet().stream()
                    .filter(p -> topics.contains(p.topic()))
                    .forEach(p -> fromTheStart.put(p, new OffsetAndMetadata(0)));
            admin.alterConsumerGroupOffsets(group, fromTheStart).all().get();
        }

        try (HarvesterApp second = HarvesterApp.start(props)) {
            Events.awaitDrained(standIns, group, topics.toArray(String[]::new));
        }
        assertThat(Events.forKey(Events.records(standIns, events), taskId)).hasSize(1);
    }
}
