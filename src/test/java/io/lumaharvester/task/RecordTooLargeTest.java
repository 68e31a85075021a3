package io.lumaharvester.task;

import io.lumaharvester.dev.Events;
import io.lumaharvester.dev.HarvesterExtension;
import io.lumaharvester.dev.LogCapture;
import io.lumaharvester.dev.Probes;
import static org.assertj.core.api.Assertions.assertThat;

import java.time.Duration;
import java.util.List;
import java.util.Map;
import java.util.UUID;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import io.lumaharvester.dev.LumaApiStandIn;
import io.lumaharvester.dev.StandIns;
import org.awaitility.Awaitility;
import org.junit.jupiter.api.Order;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.BeforeAllCallback;
import org.junit.jupiter.api.extension.RegisterExtension;

/**
 * A task whose next ticket Kafka refuses as too large: on these topics, made by hand before the harvester starts,
 * {@code max.message.bytes} is 20,000, below what kafka.client.max.request.size (1 MB) lets the producers send and
 * what SettingsCheck can see. The same record would be refused on every try; the task ends {@code record_too_large},
 * once, and its record is committed.
 */
class RecordTooLargeTest {

    private static final String PREFIX = "too-large";
    private static final int TOPIC_LIMIT = 20_000;

    /** Before the harvester: it keeps topics that exist as they are. */
    @RegisterExtension
    @Order(1)
    static final BeforeAllCallback smallTopics = context -> {
        Map<String, String> topics = StandIns.topics(PREFIX);
        for (String setting : List.of("luma.topics.polling", "luma.topics.harvest")) {
            StandIns.shared().kafka.createTopic(topics.get(setting), 2,
                    Map.of("max.message.bytes", String.valueOf(TOPIC_LIMIT)));
        }
    };

    @RegisterExtension
    @Order(2)
    static final HarvesterExtension harvester = new HarvesterExtension(PREFIX, Map.of(
            "luma.poll.interval-ms", "200"));

    /** Everything the application logs. */
    @RegisterExtension
    static final LogCapture logs = new LogCapture();

    private final StandIns standIns = harvester.standIns();

    private JsonNode onlyEvent(String taskId) throws Exception {
        return Events.value(Events.awaitOnlyEvent(standIns, harvester.setting("luma.topics.events"), taskId,
                Duration.ofSeconds(40)));
    }

    private void awaitDrained() {
        Events.awaitDrained(standIns, harvester.setting("luma.kafka.group-id"), harvester.setting("luma.topics.tasks"),
                harvester.setting("luma.topics.polling"), harvester.setting("luma.topics.harvest"));
    }

    private double finished(String reason) throws Exception {
        return Probes.sample(Probes.scrape(harvester.setting("luma.http.port")), "luma_tasks_finished_total",
                "status=failed", "reason=" + reason);
    }

    /**
     * The API answers completed with valid JSON of 60 KB (under luma.api.max-response-bytes): the harvest ticket that
     * carries it is three times the topic's limit. Before: the poll backed off and polled again, for ever.
     */
    @Test
    void aCompletedGenerationTooLargeForItsTicketEndsTheTaskRecordTooLargeAfterOnePoll() throws Exception {
        String taskId = "too-large-answer-" + UUID.randomUUID();
        ObjectNode answer = LumaApiStandIn.completedBody(standIns.api.completedMedia(taskId, 10_000));
        answer.put("padding", "x".repeat(60_000));
        standIns.api.answer(taskId, List.of(LumaApiStandIn.json(answer)));
        double before = finished("record_too_large");

        harvester.submit(taskId);

        JsonNode event = onlyEvent(taskId);
        assertThat(event.get("status").asText()).isEqualTo("failed");
        assertThat(event.get("state").asText()).as("the provider's answer").isEqualTo("completed");
        assertThat(event.at("/failure/reason").asText()).isEqualTo("record_too_large");
        assertThat(event.at("/failure/detail").asText())
                .startsWith("Kafka refused the task's next ticket on " + harvester.setting("luma.topics.harvest")
                        + " (")
                .containsPattern("\\(6[0-9]{4} bytes\\) as too large \\(RecordTooLargeException: ")
                .contains("kafka.client.max.request.size (1048576)", "the topic's max.message.bytes",
                        "luma.api.max-response-bytes=262144", "luma.tasks.max-record-bytes=65536");
        awaitDrained();
        assertThat(standIns.api.requestsFor(taskId)).as("polled once, not in a loop").hasSize(1);
        assertThat(Events.forKey(Events.records(standIns, harvester.setting("luma.topics.harvest")), taskId))
                .as("nothing on the harvest topic").isEmpty();
        Awaitility.await().atMost(Duration.ofSeconds(10))
                .until(() -> finished("record_too_large") == before + 1);
        assertThat(logs.text()).contains("io.lumaharvester.task.TaskRecovery task " + taskId
                        + ": Kafka refused the task's next ticket")
                .contains("task " + taskId + ": failed (reason record_too_large: Kafka refused");
    }

    /**
     * Metadata of 30 KB passes intake (luma.tasks.max-record-bytes is 64 KiB), but the first ticket that carries it
     * is refused. Before: the intake record was sent again and again, its task never polled and never ended.
     */
    @Test
    void aTaskWhoseFirstTicketIsTooLargeEndsRecordTooLargeWithoutAPoll() throws Exception {
        String taskId = "too-large-metadata-" + UUID.randomUUID();
        harvester.submit("{\"task_id\":\"" + taskId + "\",\"metadata\":{\"note\":\"" + "m".repeat(30_000) + "\"}}");

        JsonNode event = onlyEvent(taskId);
        assertThat(event.at("/failure/reason").asText()).isEqualTo("record_too_large");
        assertThat(event.at("/failure/detail").asText())
                .startsWith("Kafka refused the task's next ticket on " + harvester.setting("luma.topics.polling"));
        assertThat(event.at("/metadata/note").asText()).hasSize(30_000);
        awaitDrained();
        assertThat(standIns.api.requestsFor(taskId)).isEmpty();
    }
}
