package io.lumaharvester.harvest;

import io.lumaharvester.dev.Events;
import io.lumaharvester.dev.FilteringS3;
import io.lumaharvester.dev.TricklingServer;
import static com.github.tomakehurst.wiremock.client.WireMock.aResponse;
import static org.assertj.core.api.Assertions.assertThat;

import java.time.Duration;
import java.util.HashMap;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.UUID;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.TimeUnit;

import com.fasterxml.jackson.databind.JsonNode;
import io.lumaharvester.dev.CdnStandIn;
import io.lumaharvester.dev.HarvesterApp;
import io.lumaharvester.dev.LumaApiStandIn;
import io.lumaharvester.dev.StandIns;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.parallel.Execution;
import org.junit.jupiter.api.parallel.ExecutionMode;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.EnumSource;
import software.amazon.awssdk.services.s3.S3Client;

/**
 * Every task ends, and a copy never runs or downloads for nothing: the media phase's deadline
 * ({@code luma.harvest.deadline-ms}) against S3 failing for now and an API answering 503 for ever; the wall-clock limit
 * of one copy ({@code luma.harvest.max-copy-ms}) against a CDN that trickles, its body or its status line and
 * headers; a copy that S3 fails at its first part drops the download instead of reading the rest. S3 is S3Proxy
 * behind {@link FilteringS3}, with a rule per task. Each test is a task of its own: they run side by side.
 */
@Execution(ExecutionMode.CONCURRENT)
class MediaDeadlineTest {

    private static final long MB = 1024 * 1024;
    private static final long MEDIA_DEADLINE_MS = 8_000;
    private static final long MAX_COPY_MS = 1_500;
    private static final Duration WITHIN = Duration.ofSeconds(90);
    /** Two attempts at MAX_COPY_MS each, and the re-poll between them, take about 4 s */
    private static final Duration TRICKLED_WITHIN = Duration.ofSeconds(30);

    private static StandIns standIns;
    private static FilteringS3 s3;
    private static final Map<String, FilteringS3.Rule> RULES = new ConcurrentHashMap<>();
    private static HarvesterApp deadlineApp;
    private static Map<String, String> deadlineProps;
    private static HarvesterApp copyApp;
    private static Map<String, String> copyProps;
    private static TricklingServer trickling;

    @BeforeAll
    static void start() throws Exception {
        standIns = StandIns.shared();
        s3 = FilteringS3.perTask(standIns.s3.endpoint(), RULES);
        deadlineProps = new HashMap<>(standIns.properties("media-deadline", Map.of(
                "luma.poll.interval-ms", "200",
                "luma.poll.max-backoff-ms", "400",
                // attempts and refusals never run out first: only the deadline can end these tasks
                "luma.harvest.max-attempts", "1000",
                "luma.harvest.max-storage-rejections", "1",
                "luma.harvest.deadline-ms", String.valueOf(MEDIA_DEADLINE_MS),
                "s3.multipart.part-size-bytes", String.valueOf(5 * MB),
                "s3.multipart.threshold-bytes", String.valueOf(5 * MB))));
        deadlineProps.put("s3.endpoint", s3.endpoint());
        deadlineApp = HarvesterApp.start(deadlineProps);
        copyProps = new HashMap<>(standIns.properties("media-copy", Map.of(
                "luma.poll.interval-ms", "200",
                "luma.poll.max-backoff-ms", "400",
                "luma.harvest.max-attempts", "2",
                "luma.harvest.max-storage-rejections", "1",
                "luma.harvest.max-copy-ms", String.valueOf(MAX_COPY_MS))));
        copyProps.put("s3.endpoint", s3.endpoint());
        // a byte every 100 ms: never silent for the read time-out (60 s)
        trickling = TricklingServer.start(Duration.ofMillis(100));
        copyProps.put("luma.harvest.allowed-hosts", copyProps.get("luma.harvest.allowed-hosts") + ","
                + trickling.authority());
        copyApp = HarvesterApp.start(copyProps);
    }

    @AfterAll
    static void stop() throws Exception {
        if (deadlineApp != null) {
            deadlineApp.close();
        }
        if (copyApp != null) {
            copyApp.close();
        }
        s3.close();
        if (trickling != null) {
            trickling.close();
        }
    }

    @Test
    void aCompletedTaskWhoseS3KeepsFailingForNowEndsMediaUnavailableAtTheMediaDeadline() throws Exception {
        String taskId = "deadline-s3-" + UUID.randomUUID();
        // S3 throttles this task's uploads for ever: temporary, so no attempt limit applies
        RULES.put(taskId, request -> request.operation().equals("PutObject")
                ? new FilteringS3.Answer(503, "SlowDown", "Please reduce your request rate.") : null);
        standIns.api.completesAfter(taskId, List.of("processing"), MB);
        long sent = System.nanoTime();
        standIns.kafka.send(deadlineProps.get("luma.topics.tasks"), taskId);

        JsonNode event = Events.value(Events.awaitOnlyEvent(standIns, deadlineProps.get("luma.topics.events"), taskId,
                WITHIN));
        assertThat(event.get("status").asText()).as("%s", event).isEqualTo("failed");
        assertThat(event.at("/failure/reason").asText()).isEqualTo("media_unavailable");
        // the deadline is seen either at an S3 failure or at the re-poll after its back-off, whichever comes first
        assertThat(event.at("/failure/detail").asText()).contains("media deadline passed", "luma.harvest.deadline-ms");
        assertThat(Duration.ofNanos(System.nanoTime() - sent)).isGreaterThanOrEqualTo(
                Duration.ofMillis(MEDIA_DEADLINE_MS));
        assertThat(s3.seen("PutObject", "luma/" + taskId + "/video.mp4")).as("S3 was retried meanwhile")
                .hasSizeGreaterThan(1);
    }

    @Test
    void aCompletedTaskWhoseRePollAnswers503ForEverAfterAMediaFailureEndsMediaUnavailable() throws Exception {
        String taskId = "deadline-api-" + UUID.randomUUID();
        LumaApiStandIn.ServedMedia media = standIns.api.completedMedia(taskId, MB);
        // the links are dead, and every poll after the first completed answer is a 503
        standIns.cdn.answerStatus(path(media, "video"), 403);
        standIns.api.answer(taskId, List.of(LumaApiStandIn.json(LumaApiStandIn.completedBody(media)),
                aResponse().withStatus(503)));
        standIns.kafka.send(deadlineProps.get("luma.topics.tasks"), taskId);

        JsonNode event = Events.value(Events.awaitOnlyEvent(standIns, deadlineProps.get("luma.topics.events"), taskId,
                WITHIN));
        assertThat(event.get("status").asText()).as("%s", event).isEqualTo("failed");
        assertThat(event.at("/failure/reason").asText()).isEqualTo("media_unavailable");
        assertThat(event.at("/failure/detail").asText()).contains("media deadline passed", "luma.harvest.deadline-ms",
                "HTTP 503");
        assertThat(standIns.api.requestsFor(taskId)).as("polled again after the media failure").hasSizeGreaterThan(2);
    }

    @Test
    void aCopySlowerThanMaxCopyMsIsCancelledAndTheTaskEndsMediaUnavailableWithNoObjectLeft() throws Exception {
        String taskId = "slow-cdn-" + UUID.randomUUID();
        LumaApiStandIn.ServedMedia media = standIns.api.completesAfter(taskId, List.of("processing"), 2 * MB);
        String video = path(media, "video");
        // 2 MB at 200 KB/s: 10 s, far past the 1.5 s limit, yet never silent for the read time-out
        standIns.cdn.throttle(video, 0, 200 * 1024);
        try {
            standIns.kafka.send(copyProps.get("luma.topics.tasks"), taskId);
            JsonNode event = Events.value(Events.awaitOnlyEvent(standIns, copyProps.get("luma.topics.events"),
                    taskId, WITHIN));
            assertThat(event.get("status").asText()).as("%s", event).isEqualTo("failed");
            assertThat(event.at("/failure/reason").asText()).isEqualTo("media_unavailable");
            assertThat(event.at("/failure/detail").asText()).contains("luma.harvest.max-copy-ms", "video");
        } finally {
            standIns.cdn.throttle(video, 0, 0);
        }
        List<CdnStandIn.Sending> sendings = standIns.cdn.sendings(video);
        assertThat(sendings).as("one download per media attempt").hasSize(2);
        for (CdnStandIn.Sending sending : sendings) {
            sending.done().get(30, TimeUnit.SECONDS);
            // cancelled within about the limit: the stand-in notices the dropped connection at its next write
            assertThat(sending.lasted()).isLessThan(Duration.ofMillis(MAX_COPY_MS + 3_000));
            assertThat(sending.sent()).isLessThan(2 * MB);
        }
        try (S3Client client = standIns.s3.client()) {
            assertThat(client.listObjectsV2(b -> b.bucket(StandIns.BUCKET).prefix("luma/" + taskId + "/video"))
                    .keyCount()).as("no partial video object").isZero();
        }
    }

    @ParameterizedTest(name = "the {0} trickles")
    @EnumSource(TricklingServer.Shape.class)
    void aCdnAnswerThatTricklesFailsEachCopyAtMaxCopyMsAndTheTaskEndsMediaUnavailable(TricklingServer.Shape shape)
            throws Exception {
        String taskId = "trickle-" + shape.name().toLowerCase() + "-" + UUID.randomUUID();
        LumaApiStandIn.ServedMedia served = standIns.api.completedMedia(taskId, MB);
        String video = "/" + taskId + "/video.mp4";
        Map<String, String> urls = new LinkedHashMap<>(served.urlByRole());
        urls.put("video", trickling.url(video, shape));
        standIns.api.answer(taskId, List.of(LumaApiStandIn.json(LumaApiStandIn.completedBody(
                new LumaApiStandIn.ServedMedia(taskId, served.byRole(), urls)))));
        long sent = System.nanoTime();
        standIns.kafka.send(copyProps.get("luma.topics.tasks"), taskId);

        JsonNode event = Events.value(Events.awaitOnlyEvent(standIns, copyProps.get("luma.topics.events"), taskId,
                TRICKLED_WITHIN));
        assertThat(event.get("status").asText()).as("%s", event).isEqualTo("failed");
        assertThat(event.at("/failure/reason").asText()).isEqualTo("media_unavailable");
        assertThat(event.at("/failure/detail").asText()).contains("video", "luma.harvest.max-copy-ms");
        assertThat(Duration.ofNanos(System.nanoTime() - sent)).isLessThan(TRICKLED_WITHIN);
        List<TricklingServer.Trickle> trickles = trickling.trickles(video);
        assertThat(trickles).as("one download per media attempt").hasSize(2);
        for (TricklingServer.Trickle trickle : trickles) {
            // dropped at the limit: the server notices within its 100 ms pace
            assertThat(trickle.dropped().get(10, TimeUnit.SECONDS)).isLessThan(Duration.ofMillis(MAX_COPY_MS + 2_000));
        }
    }

    @Test
    void s3FailingAtTheFirstPartOfALargeFileDropsTheDownloadInsteadOfReadingItToTheEnd() throws Exception {
        String taskId = "first-part-" + UUID.randomUUID();
        long size = 60 * MB;
        // S3 refuses every part of this task's video: the copy fails at part 1 of 12 (a refusal ends the task at once
        // on this harvester; the copy limit stays at its default: a busy machine may take seconds for 5 MB)
        RULES.put(taskId, request -> request.operation().equals("UploadPart")
                ? new FilteringS3.Answer(403, "AccessDenied", "refused by the stand-in") : null);
        LumaApiStandIn.ServedMedia media = standIns.api.completesAfter(taskId, List.of("processing"), size);
        standIns.kafka.send(deadlineProps.get("luma.topics.tasks"), taskId);

        JsonNode event = Events.value(Events.awaitOnlyEvent(standIns, deadlineProps.get("luma.topics.events"), taskId,
                WITHIN));
        assertThat(event.get("status").asText()).as("%s", event).isEqualTo("failed");
        assertThat(event.at("/failure/reason").asText()).isEqualTo("storage_rejected");
        List<CdnStandIn.Sending> sendings = standIns.cdn.sendings(path(media, "video"));
        assertThat(sendings).hasSize(1);
        // what the CDN sent once its answer ended: one part (5 MB) and what the sockets' buffers held, not 60 MB
        long sent = sendings.get(0).done().get(60, TimeUnit.SECONDS);
        assertThat(sent).as("bytes the CDN sent of %d", size).isLessThan(size / 3);
    }

    /** The CDN stand-in's path of a role's file. */
    private static String path(LumaApiStandIn.ServedMedia media, String role) {
        return java.net.URI.create(media.urlByRole().get(role)).getRawPath();
    }
}
