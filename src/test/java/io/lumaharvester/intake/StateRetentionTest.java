package io.lumaharvester.intake;

import io.lumaharvester.dev.Events;
import io.lumaharvester.dev.HarvesterExtension;
import io.lumaharvester.dev.Probes;
import static io.lumaharvester.dev.Events.header;
import static io.lumaharvester.dev.Events.value;
import static org.assertj.core.api.Assertions.assertThat;

import java.time.Duration;
import java.util.List;
import java.util.Map;
import java.util.UUID;

import com.fasterxml.jackson.databind.JsonNode;
import io.lumaharvester.dev.LumaApiStandIn;
import io.lumaharvester.dev.StandIns;
import org.apache.kafka.clients.consumer.ConsumerRecord;
import org.awaitility.Awaitility;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.RegisterExtension;

/**
 * A task id sent again after its ended state expired (docs/how-it-works.md, Re-submission), end to end, with a retention of
 * seconds: longer than the two deadlines together (SettingsCheck), with room for a re-submission within it on a busy
 * machine.
 */
class StateRetentionTest {

    private static final long RETENTION_MS = 7_000;
    private static final Duration WITHIN = Duration.ofSeconds(40);

    @RegisterExtension
    static final HarvesterExtension harvester = new HarvesterExtension("retention", Map.of(
            "luma.poll.interval-ms", "200",
            "luma.tasks.deadline-ms", "2000",
            "luma.harvest.deadline-ms", "2500",
            "luma.tasks.state-retention-ms", String.valueOf(RETENTION_MS)));

    private final StandIns standIns = harvester.standIns();

    private List<ConsumerRecord<byte[], byte[]>> events(String taskId) {
        return Events.forKey(Events.records(standIns, harvester.setting("luma.topics.events")), taskId);
    }

    private List<ConsumerRecord<byte[], byte[]>> awaitEventCount(String taskId, int count) {
        Awaitility.await().atMost(WITHIN).pollInterval(Duration.ofMillis(200))
                .until(() -> events(taskId).size() >= count);
        return events(taskId);
    }

    private double duplicates(String decision) throws Exception {
        return Probes.sample(Probes.scrape(harvester.setting("luma.http.port")), "luma_tasks_duplicate_total",
                "decision=" + decision);
    }

    private void awaitDrained() {
        Events.awaitDrained(standIns, harvester.setting("luma.kafka.group-id"), harvester.setting("luma.topics.tasks"),
                harvester.setting("luma.topics.polling"), harvester.setting("luma.topics.harvest"));
    }

    /**
     * Within the retention, a completed task sent again gets its event again and nothing is copied; after it, the
     * id is a new task: polled again, its media copied a second time, a new event with its own run and ce_id.
     */
    @Test
    void aCompletedTaskSentAgainAfterItsStateExpiredIsANewTaskWithASecondCopyAndANewEvent() throws Exception {
        String taskId = "expired-" + UUID.randomUUID();
        LumaApiStandIn.ServedMedia media = standIns.api.completesAfter(taskId, List.of(), 50_000);
        harvester.submit(taskId);
        ConsumerRecord<byte[], byte[]> first = Events.awaitOnlyEvent(standIns,
                harvester.setting("luma.topics.events"), taskId, WITHIN);
        awaitDrained();
        // the retention counts from the ended state's record
        List<ConsumerRecord<byte[], byte[]>> states = Events.forKey(
                Events.records(standIns, harvester.setting("luma.topics.accepted")), taskId);
        long endedAt = states.get(states.size() - 1).timestamp();
        assertThat(value(states.get(states.size() - 1)).get("state").asText()).isEqualTo("ended");
        double republished = duplicates("republished");

        harvester.submit(taskId);
        List<ConsumerRecord<byte[], byte[]>> two = awaitEventCount(taskId, 2);
        assertThat(System.currentTimeMillis() - endedAt).as("sent again within the retention")
                .isLessThan(RETENTION_MS);
        assertThat(header(two.get(1), "ce_id")).isEqualTo(header(first, "ce_id"));
        assertThat(duplicates("republished")).isEqualTo(republished + 1);
        int polls = standIns.api.requestsFor(taskId).size();

        Awaitility.await().atMost(Duration.ofMillis(RETENTION_MS + 5_000)).pollInterval(Duration.ofMillis(100))
                .until(() -> System.currentTimeMillis() - endedAt > RETENTION_MS);
        harvester.submit(taskId);

        List<ConsumerRecord<byte[], byte[]>> three = awaitEventCount(taskId, 3);
        assertThat(three).hasSize(3);
        JsonNode again = value(three.get(2));
        Events.assertValidEvent(again);
        assertThat(again.get("status").asText()).isEqualTo("completed");
        assertThat(again.get("run").asText()).isNotEqualTo(value(first).get("run").asText());
        assertThat(header(three.get(2), "ce_id")).isNotEqualTo(header(first, "ce_id"));
        assertThat(standIns.api.requestsFor(taskId).size()).isGreaterThan(polls);
        media.urlByRole().values().forEach(url ->
                assertThat(standIns.cdn.hits(url.substring(standIns.cdn.baseUrl().length()))).as(url).isEqualTo(2));
        assertThat(duplicates("republished")).as("a new task, not a re-submission").isEqualTo(republished + 1);
    }
}
