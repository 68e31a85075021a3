package io.lumaharvester.intake;

import io.lumaharvester.dev.Events;
import io.lumaharvester.dev.HarvesterExtension;
import static org.assertj.core.api.Assertions.assertThat;

import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Collections;
import java.util.List;
import java.util.Map;
import java.util.UUID;

import io.lumaharvester.dev.StandIns;
import org.apache.kafka.clients.consumer.ConsumerRecord;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.RegisterExtension;

/**
 * Admission control counts the tasks admitted, not the records read: intake reads a batch of task records at once, and
 * admits each only while the instance holds fewer than luma.tasks.max-in-flight tasks.
 */
class AdmissionTest {

    private static final int MAX_TASKS = 2;

    @RegisterExtension
    static final HarvesterExtension harvester = new HarvesterExtension("admission", Map.of(
            "luma.tasks.max-in-flight", String.valueOf(MAX_TASKS),
            // one record at a time through intake: a task counts as held from its admission on
            "luma.intake.max-in-flight", "1",
            "luma.poll.interval-ms", "200"));

    private final StandIns standIns = harvester.standIns();

    @Test
    void eightTasksReadAtOnceRunAtMostTwoAtATimeAndAllComplete() throws Exception {
        String run = UUID.randomUUID().toString().substring(0, 8);
        List<String> ids = new ArrayList<>();
        for (int i = 0; i < 8; i++) {
            String id = "admitted-" + run + "-" + i;
            ids.add(id);
            // over half a second of polls before it completes
            standIns.api.completesAfter(id, Collections.nCopies(3, "processing"), 1000);
        }
        for (String id : ids) {
            harvester.submit(id);
        }

        // each task runs from its first poll to its event; never more than MAX_TASKS at once
        List<long[]> runs = new ArrayList<>();
        for (String id : ids) {
            ConsumerRecord<byte[], byte[]> event = Events.awaitOnlyEvent(standIns,
                    harvester.setting("luma.topics.events"), id, Duration.ofSeconds(60));
            assertThat(Events.value(event).get("status").asText()).isEqualTo("completed");
            long firstPoll = standIns.api.requestsFor(id).stream()
                    .mapToLong(r -> r.getLoggedDate().getTime()).min().orElseThrow();
            runs.add(new long[] {firstPoll, event.timestamp()});
            assertThat(new String(event.key(), StandardCharsets.UTF_8)).isEqualTo(id);
        }
        for (long[] one : runs) {
            long atOnce = runs.stream().filter(other -> other[0] <= one[0] && one[0] < other[1]).count();
            assertThat(atOnce).as("tasks running when one started").isLessThanOrEqualTo(MAX_TASKS);
        }
    }
}
