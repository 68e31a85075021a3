package io.lumaharvester;

import io.lumaharvester.dev.Events;
import io.lumaharvester.dev.HarvesterExtension;

import static io.lumaharvester.dev.Events.header;
import static io.lumaharvester.dev.Events.value;
import static org.assertj.core.api.Assertions.assertThat;

import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.List;
import java.util.Map;
import java.util.UUID;

import com.fasterxml.jackson.databind.JsonNode;
import com.github.tomakehurst.wiremock.client.WireMock;
import io.lumaharvester.dev.CdnStandIn;
import io.lumaharvester.dev.LumaApiStandIn;
import io.lumaharvester.dev.StandIns;
import org.apache.kafka.clients.consumer.ConsumerRecord;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.parallel.Execution;
import org.junit.jupiter.api.parallel.ExecutionMode;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.CsvSource;
import org.junit.jupiter.api.extension.RegisterExtension;

/**
 * The whole pipeline on a real broker, a real S3 server and stand-ins for the API and CDN. Each test is a task of its
 * own, and most wait out a deadline: they run side by side.
 */
@Execution(ExecutionMode.CONCURRENT)
class HarvestEndToEndTest {

    private static final Duration WITHIN = Duration.ofSeconds(40);

    @RegisterExtension
    static final HarvesterExtension harvester = new HarvesterExtension("e2e", Map.of(
            "luma.poll.interval-ms", "200",
            "luma.tasks.deadline-ms", "6000",
            "luma.poll.not-found-confirmations", "2",
            "luma.poll.max-backoff-ms", "400"));

    private final StandIns standIns = harvester.standIns();

    private static String newTaskId(String what) {
        return what + "-" + UUID.randomUUID();
    }

    private void submit(String value) throws Exception {
        standIns.kafka.send(harvester.setting("luma.topics.tasks"), value);
    }

    private ConsumerRecord<byte[], byte[]> onlyEvent(String taskId) throws Exception {
        return Events.awaitOnlyEvent(standIns, harvester.setting("luma.topics.events"), taskId, WITHIN);
    }

    @Test
    void pendingThenProcessingThenCompletedTaskIsStoredInS3AndAnnounced() throws Exception {
        String taskId = newTaskId("completes");
        LumaApiStandIn.ServedMedia media = standIns.api.completesAfter(taskId, List.of("pending", "processing"),
                3_000_000);
        submit("{\"task_id\":\"" + taskId + "\",\"metadata\":{\"order\":42,\"tags\":[\"a\"]}}");

        ConsumerRecord<byte[], byte[]> record = onlyEvent(taskId);
        JsonNode event = value(record);
        assertThat(event.get("status").asText()).isEqualTo("completed");
        assertThat(event.get("state").asText()).isEqualTo("completed");
        assertThat(event.get("polls").asInt()).isEqualTo(3);
        assertThat(event.get("metadata")).isEqualTo(Events.JSON.readTree("{\"order\":42,\"tags\":[\"a\"]}"));
        assertThat(event.get("prompt").asText()).isEqualTo("美人鱼");
        assertThat(event.get("aspect_ratio").asText()).isEqualTo("16:9");

        JsonNode files = event.get("media");
        assertThat(files).hasSize(3);
        Map<String, String> keyByRole = Map.of(
                "video", "luma/" + taskId + "/video.mp4",
                "thumbnail", "luma/" + taskId + "/thumbnail.webp",
                "last_frame", "luma/" + taskId + "/last_frame.jpg");
        for (JsonNode file : files) {
            String role = file.get("roles").get(0).asText();
            CdnStandIn.MediaFile served = media.byRole().get(role);
            assertThat(file.get("key").asText()).isEqualTo(keyByRole.get(role));
            assertThat(file.get("uri").asText()).isEqualTo("s3://" + StandIns.BUCKET + "/" + keyByRole.get(role));
            assertThat(file.get("size").asLong()).isEqualTo(served.size());
            assertThat(file.get("sha256").asText()).isEqualTo(served.sha256());
            assertThat(file.get("content_type").asText()).isEqualTo(served.contentType());
            assertThat(Events.sha256OfObject(standIns.s3, StandIns.BUCKET, keyByRole.get(role)))
                    .isEqualTo(served.sha256());
            try (var s3 = standIns.s3.client()) {
                assertThat(s3.headObject(b -> b.bucket(StandIns.BUCKET).key(keyByRole.get(role))).contentType())
                        .isEqualTo(served.contentType());
            }
        }
        JsonNode video = files.get(0);
        assertThat(video.get("roles")).extracting(JsonNode::asText)
                .containsExactly("video", "artifact.video", "video_raw", "artifact.video_raw");
        assertThat(video.get("width").asInt()).isEqualTo(1360);
        assertThat(video.get("duration").asDouble()).isEqualTo(5.041667);
        // each distinct file is downloaded once, though four fields name the video
        media.urlByRole().values().forEach(url ->
                assertThat(standIns.cdn.hits(url.substring(standIns.cdn.baseUrl().length()))).isEqualTo(1));

        assertThat(header(record, "ce_specversion")).isEqualTo("1.0");
        assertThat(header(record, "ce_type")).isEqualTo("luma.generation.completed");
        assertThat(header(record, "ce_subject")).isEqualTo(taskId);
        assertThat(header(record, "ce_source")).isEqualTo("/luma-harvester");
        assertThat(header(record, "ce_id")).isNotBlank();
        assertThat(header(record, "content-type")).isEqualTo("application/json");
    }

    @Test
    void failedTaskIsAnnouncedWithTheProvidersReason() throws Exception {
        String taskId = newTaskId("fails");
        standIns.api.answer(taskId, List.of(
                LumaApiStandIn.json(LumaApiStandIn.runningBody(taskId, "dreaming")),
                LumaApiStandIn.json(LumaApiStandIn.failedBody(taskId, "content moderation"))));
        submit(taskId);

        ConsumerRecord<byte[], byte[]> record = onlyEvent(taskId);
        JsonNode event = value(record);
        assertThat(event.get("status").asText()).isEqualTo("failed");
        assertThat(event.get("state").asText()).isEqualTo("failed");
        assertThat(event.get("metadata").size()).isZero();
        assertThat(event.at("/failure/reason").asText()).isEqualTo("provider_failed");
        assertThat(event.at("/failure/detail").asText()).isEqualTo("content moderation");
        assertThat(header(record, "ce_type")).isEqualTo("luma.generation.failed");
    }

    @Test
    void unknownTaskEndsNotFoundAfterRepeated404s() throws Exception {
        String taskId = newTaskId("missing");
        standIns.api.answer(taskId, List.of(WireMock.aResponse().withStatus(404)));
        submit(taskId);

        JsonNode event = value(onlyEvent(taskId));
        assertThat(event.at("/failure/reason").asText()).isEqualTo("not_found");
        assertThat(standIns.api.requestsFor(taskId)).hasSize(2);
    }

    @Test
    void taskStillRunningAtItsDeadlineEndsWithTimeout() throws Exception {
        String taskId = newTaskId("slow");
        standIns.api.answer(taskId, List.of(LumaApiStandIn.json(LumaApiStandIn.runningBody(taskId, "processing"))));
        submit(taskId);

        JsonNode event = value(onlyEvent(taskId));
        assertThat(event.at("/failure/reason").asText()).isEqualTo("timeout");
        assertThat(event.get("state").asText()).isEqualTo("processing");
        assertThat(event.get("polls").asInt()).isGreaterThan(3);
    }

    @ParameterizedTest(name = "{0}")
    @CsvSource(delimiter = '|', textBlock = """
            503 for ever                   | 503 |
            401 for ever (token refused)   | 401 |
            200 with HTML for ever         | 200 | <html>maintenance</html>
            """)
    void aTaskWhoseApiNeverAnswersItsStateEndsWithTimeoutAtItsDeadline(String fault, int status, String body)
            throws Exception {
        String taskId = newTaskId("unanswered");
        standIns.api.answer(taskId, List.of(WireMock.aResponse().withStatus(status).withBody(body == null ? "" : body)));
        submit(taskId);

        JsonNode event = value(onlyEvent(taskId));
        assertThat(event.at("/failure/reason").asText()).isEqualTo("timeout");
        assertThat(event.at("/failure/detail").asText()).contains("luma.tasks.deadline-ms");
        assertThat(standIns.api.requestsFor(taskId)).hasSizeGreaterThan(1);
    }

    @Test
    void mediaOnAHostThatIsNotAllowedIsNeverFetched() throws Exception {
        String taskId = newTaskId("foreign-media");
        LumaApiStandIn.ServedMedia media = standIns.api.completedMedia(taskId, 1000);
        String body = LumaApiStandIn.completedBody(media).toString()
                .replace(media.urlByRole().get("thumbnail"), "file:///etc/passwd")
                .replace("http://127.0.0.1:", "http://127.0.0.2:");
        standIns.api.answer(taskId, List.of(LumaApiStandIn.json(Events.JSON.readTree(body))));
        submit(taskId);

        JsonNode event = value(onlyEvent(taskId));
        assertThat(event.at("/failure/reason").asText()).isEqualTo("media_rejected");
        assertThat(event.at("/failure/detail").asText()).contains("127.0.0.2").contains("scheme 'file'");
        media.urlByRole().values().forEach(url ->
                assertThat(standIns.cdn.hits(url.substring(standIns.cdn.baseUrl().length()))).isZero());
    }

    @Test
    void aRecordThatIsNotATaskGoesToTheDeadLetterTopicWithItsReason() throws Exception {
        byte[] bad = "../../etc/passwd".getBytes(StandardCharsets.UTF_8);
        standIns.kafka.send(harvester.setting("luma.topics.tasks"), "k1".getBytes(StandardCharsets.UTF_8), bad, Map.of());
        String good = newTaskId("after-bad");
        standIns.api.answer(good, List.of(LumaApiStandIn.json(LumaApiStandIn.failedBody(good, "x"))));
        submit(good);

        onlyEvent(good);
        List<ConsumerRecord<byte[], byte[]>> dead = Events.records(standIns, harvester.setting("luma.topics.dlq")).stream()
                .filter(r -> java.util.Arrays.equals(r.value(), bad)).toList();
        assertThat(dead).hasSize(1);
        assertThat(header(dead.get(0), "luma.dlq.reason")).isEqualTo("invalid_task_id");
        assertThat(header(dead.get(0), "luma.dlq.source-topic")).isEqualTo(harvester.setting("luma.topics.tasks"));
        assertThat(header(dead.get(0), "luma.dlq.source-offset")).isNotBlank();
        assertThat(new String(dead.get(0).key(), StandardCharsets.UTF_8)).isEqualTo("k1");
    }
}
