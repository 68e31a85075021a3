package io.lumaharvester.intake;

import io.lumaharvester.dev.Events;
import io.lumaharvester.dev.HarvesterExtension;
import io.lumaharvester.dev.Probes;
import io.lumaharvester.publish.GenerationEvents;
import static io.lumaharvester.dev.Events.header;
import static io.lumaharvester.dev.Events.value;
import static org.assertj.core.api.Assertions.assertThat;

import java.time.Duration;
import java.util.List;
import java.util.Map;
import java.util.UUID;

import com.fasterxml.jackson.databind.JsonNode;
import com.github.tomakehurst.wiremock.client.WireMock;
import io.lumaharvester.dev.LumaApiStandIn;
import io.lumaharvester.dev.StandIns;
import org.apache.kafka.clients.consumer.ConsumerRecord;
import org.awaitility.Awaitility;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.parallel.Execution;
import org.junit.jupiter.api.parallel.ExecutionMode;
import org.junit.jupiter.api.parallel.ResourceAccessMode;
import org.junit.jupiter.api.parallel.ResourceLock;
import org.junit.jupiter.api.extension.RegisterExtension;
import software.amazon.awssdk.services.s3.model.S3Object;

/**
 * A task id sent again (docs/how-it-works.md, Re-submission), end to end. Each test is a task of its own and counts
 * its own decision (republished, rerun, in_flight) before and after: they run side by side.
 */
@Execution(ExecutionMode.CONCURRENT)
class ResubmissionTest {

    /**
     * Taken alone by a test that waits until the harvester has nothing in flight (Events.awaitDrained), which the
     * other tests' tasks would put off; shared by the others.
     */
    private static final String DRAIN = "harvester-drained";

    private static final Duration WITHIN = Duration.ofSeconds(40);

    @RegisterExtension
    static final HarvesterExtension harvester = new HarvesterExtension("resubmit", Map.of(
            "luma.poll.interval-ms", "200",
            "luma.poll.first-delay-ms", "0",
            "luma.tasks.deadline-ms", "20000",
            "luma.poll.not-found-confirmations", "2",
            "luma.poll.max-backoff-ms", "400"));

    private final StandIns standIns = harvester.standIns();

    private String events() {
        return harvester.setting("luma.topics.events");
    }

    private List<ConsumerRecord<byte[], byte[]>> awaitEventCount(String taskId, int count) {
        Awaitility.await().atMost(WITHIN).pollInterval(Duration.ofMillis(200))
                .until(() -> Events.forKey(Events.records(standIns, events()), taskId).size() >= count);
        return Events.forKey(Events.records(standIns, events()), taskId);
    }

    private double duplicates(String decision) throws Exception {
        return Probes.sample(Probes.scrape(harvester.setting("luma.http.port")), "luma_tasks_duplicate_total",
                "decision=" + decision);
    }

    private List<S3Object> objects(String taskId) {
        try (var s3 = standIns.s3.client()) {
            return s3.listObjectsV2(b -> b.bucket(StandIns.BUCKET).prefix("luma/" + taskId + "/")).contents();
        }
    }

    @Test
    @ResourceLock(DRAIN)
    void aCompletedTaskSentAgainGetsTheSameEventAgainAndItsMediaAreNotCopiedAgain() throws Exception {
        String taskId = "done-" + UUID.randomUUID();
        LumaApiStandIn.ServedMedia media = standIns.api.completesAfter(taskId, List.of(), 100_000);
        harvester.submit(taskId);
        ConsumerRecord<byte[], byte[]> first = Events.awaitOnlyEvent(standIns, events(), taskId, WITHIN);
        Events.awaitDrained(standIns, harvester.setting("luma.kafka.group-id"), harvester.setting("luma.topics.tasks"),
                harvester.setting("luma.topics.polling"), harvester.setting("luma.topics.harvest"));
        List<S3Object> stored = objects(taskId);
        int polls = standIns.api.requestsFor(taskId).size();
        double republishedBefore = duplicates("republished");

        harvester.submit(taskId);

        List<ConsumerRecord<byte[], byte[]>> both = awaitEventCount(taskId, 2);
        assertThat(both).hasSize(2);
        assertThat(value(both.get(1))).isEqualTo(value(first));
        assertThat(header(both.get(1), "ce_id")).isEqualTo(header(first, "ce_id"));
        assertThat(header(both.get(1), "ce_type")).isEqualTo("luma.generation.completed");
        assertThat(objects(taskId)).extracting(S3Object::eTag, S3Object::lastModified)
                .containsExactlyInAnyOrderElementsOf(stored.stream()
                        .map(o -> org.assertj.core.groups.Tuple.tuple(o.eTag(), o.lastModified())).toList());
        media.urlByRole().values().forEach(url ->
                assertThat(standIns.cdn.hits(url.substring(standIns.cdn.baseUrl().length()))).isEqualTo(1));
        assertThat(standIns.api.requestsFor(taskId)).hasSize(polls);
        assertThat(duplicates("republished")).isEqualTo(republishedBefore + 1);
    }

    @Test
    @ResourceLock(value = DRAIN, mode = ResourceAccessMode.READ)
    void aTaskSentAgainAfterNotFoundStartsANewRunThatPollsAgainAndEndsWithItsOwnEvent() throws Exception {
        String taskId = "lost-" + UUID.randomUUID();
        standIns.api.answer(taskId, List.of(WireMock.aResponse().withStatus(404)));
        harvester.submit(taskId);
        JsonNode failed = value(Events.awaitOnlyEvent(standIns, events(), taskId, WITHIN));
        assertThat(failed.at("/failure/reason").asText()).isEqualTo("not_found");
        Events.awaitEnded(standIns, harvester.setting("luma.topics.accepted"), taskId);
        int polls = standIns.api.requestsFor(taskId).size();
        double rerunsBefore = duplicates("rerun");

        standIns.api.completesAfter(taskId, List.of(), 50_000);
        harvester.submit(taskId);

        List<ConsumerRecord<byte[], byte[]>> both = awaitEventCount(taskId, 2);
        assertThat(both).hasSize(2);
        JsonNode second = value(both.get(1));
        Events.assertValidEvent(second);
        assertThat(second.get("status").asText()).isEqualTo("completed");
        assertThat(failed.get("run").asText()).isNotBlank();
        assertThat(second.get("run").asText()).isNotBlank().isNotEqualTo(failed.get("run").asText());
        assertThat(header(both.get(1), "ce_id")).isNotEqualTo(header(both.get(0), "ce_id"));
        assertThat(header(both.get(1), GenerationEvents.RUN_HEADER)).isEqualTo(second.get("run").asText());
        assertThat(standIns.api.requestsFor(taskId).size()).isGreaterThan(polls);
        assertThat(duplicates("rerun")).isEqualTo(rerunsBefore + 1);
    }

    @Test
    @ResourceLock(DRAIN)
    void aTaskSentAgainWhileItRunsIsIgnoredAndEndsWithOneEvent() throws Exception {
        String taskId = "busy-" + UUID.randomUUID();
        standIns.api.completesAfter(taskId, List.of("pending", "pending", "pending", "processing"), 50_000);
        double inFlightBefore = duplicates("in_flight");
        harvester.submit(taskId);
        Awaitility.await().atMost(WITHIN).until(() -> !standIns.api.requestsFor(taskId).isEmpty());

        harvester.submit(taskId);

        Awaitility.await().atMost(WITHIN).until(() -> duplicates("in_flight") == inFlightBefore + 1);
        Events.awaitOnlyEvent(standIns, events(), taskId, WITHIN);
        Events.awaitDrained(standIns, harvester.setting("luma.kafka.group-id"), harvester.setting("luma.topics.tasks"),
                harvester.setting("luma.topics.polling"), harvester.setting("luma.topics.harvest"));
        assertThat(Events.forKey(Events.records(standIns, events()), taskId)).hasSize(1);
    }
}
