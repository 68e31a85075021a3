package io.lumaharvester.harvest;

import io.lumaharvester.dev.Events;
import io.lumaharvester.dev.FilteringS3;
import static org.assertj.core.api.Assertions.assertThat;

import java.time.Duration;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.UUID;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.stream.Stream;

import com.fasterxml.jackson.databind.JsonNode;
import io.lumaharvester.dev.HarvesterApp;
import io.lumaharvester.dev.StandIns;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.parallel.Execution;
import org.junit.jupiter.api.parallel.ExecutionMode;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.Arguments;
import org.junit.jupiter.params.provider.MethodSource;

/**
 * One table of storage errors, one test body: a permanent refusal (4xx) ends the task {@code storage_rejected} after
 * {@code luma.harvest.max-storage-rejections} tries, naming the S3 error code; a temporary one (503 SlowDown) is
 * retried until it passes, without using up media attempts. S3 is S3Proxy behind {@link FilteringS3}, which answers
 * for it where a row says so and counts what reached it.
 */
class StorageRejectionTest {

    /**
     * The video's size: small enough to be written whole before the S3 server's early answer is read. The server
     * answers a PUT to a missing bucket before it reads the body; a larger body then breaks the pipe, and the SDK,
     * unable to send the stream again, reports a failure for now instead of the 404 (retried, not counted as a refusal).
     */
    private static final long VIDEO_BYTES = 64 * 1024;
    private static final Duration WITHIN = Duration.ofSeconds(90);
    private static final int MAX_REJECTIONS = 3;

    private static StandIns standIns;
    private static FilteringS3 s3;
    /** A rule per task, by task id: the rows run against one stand-in. */
    private static final Map<String, FilteringS3.Rule> RULES = new ConcurrentHashMap<>();
    /** One harvester per bucket setting. */
    private static final Map<String, HarvesterApp> APPS = new HashMap<>();
    private static final Map<String, Map<String, String>> SETTINGS = new HashMap<>();

    @BeforeAll
    static void startS3() throws Exception {
        standIns = StandIns.shared();
        s3 = FilteringS3.perTask(standIns.s3.endpoint(), RULES);
    }

    @AfterAll
    static void stop() throws Exception {
        for (HarvesterApp app : APPS.values()) {
            app.close();
        }
        s3.close();
    }

    /** Every upload of the task (single PUT or multipart) is answered with this error. */
    private static FilteringS3.Rule always(int status, String code) {
        return request -> request.operation().equals("PutObject")
                || request.operation().equals("CreateMultipartUpload")
                ? new FilteringS3.Answer(status, code, "refused by the stand-in") : null;
    }

    /** S3's user-metadata limit (2 KB on AWS), here {@code bytes}: keys and values of x-amz-meta-* summed. */
    private static FilteringS3.Rule metadataLimit(int bytes) {
        return request -> {
            int size = request.headers().entrySet().stream().filter(h -> h.getKey().startsWith("x-amz-meta-"))
                    .mapToInt(h -> h.getKey().length() - "x-amz-meta-".length() + h.getValue().length()).sum();
            return size > bytes ? new FilteringS3.Answer(400, "MetadataTooLarge",
                    "Your metadata headers exceed the maximum allowed metadata size.") : null;
        };
    }

    /** The first {@code times} PUTs of the video are throttled, as S3 throttles a hot prefix; then they pass. */
    private static FilteringS3.Rule slowDownVideo(int times) {
        AtomicInteger left = new AtomicInteger(times);
        return request -> request.operation().equals("PutObject") && request.target().endsWith("/video.mp4")
                && left.getAndDecrement() > 0
                ? new FilteringS3.Answer(503, "SlowDown", "Please reduce your request rate.") : null;
    }

    static Stream<Arguments> storageErrors() {
        return Stream.of(
                // name, bucket, rule, expected status, failure detail (a regex), video PUTs that reached the stand-in
                Arguments.of("the bucket does not exist (404 NoSuchBucket)", "luma-no-such-bucket", null, "failed",
                        "S3 refused the (video|thumbnail|last_frame) media: NoSuchBucket \\(404\\)", MAX_REJECTIONS),
                Arguments.of("access denied (403 AccessDenied)", StandIns.BUCKET, always(403, "AccessDenied"), "failed",
                        "S3 refused the (video|thumbnail|last_frame) media: AccessDenied \\(403\\)", MAX_REJECTIONS),
                Arguments.of("metadata over the store's limit (400 MetadataTooLarge)", StandIns.BUCKET,
                        metadataLimit(16), "failed",
                        "S3 refused the (video|thumbnail|last_frame) media: MetadataTooLarge \\(400\\)",
                        MAX_REJECTIONS),
                // 8 throttled PUTs of the video outlast one media attempt however often the SDK retries within it
                Arguments.of("throttled 8 times (503 SlowDown), then stored", StandIns.BUCKET, slowDownVideo(8),
                        "completed", null, 9));
    }

    /** Each row is a task of its own, with its own rule: the rows run side by side. */
    @ParameterizedTest(name = "{0}")
    @MethodSource("storageErrors")
    @Execution(ExecutionMode.CONCURRENT)
    void aPermanentRefusalEndsTheTaskAfterItsTriesAndATemporaryOneIsRetriedUntilItPasses(String name, String bucket,
            FilteringS3.Rule rule, String status, String detail, int videoPuts) throws Exception {
        String taskId = "storage-" + UUID.randomUUID();
        if (rule != null) {
            RULES.put(taskId, rule);
        }
        Map<String, String> settings = harvesterFor(bucket);
        standIns.api.completesAfter(taskId, List.of("processing"), VIDEO_BYTES);
        standIns.kafka.send(settings.get("luma.topics.tasks"), taskId);

        JsonNode event = Events.value(Events.awaitOnlyEvent(standIns, settings.get("luma.topics.events"), taskId,
                WITHIN));
        assertThat(event.get("status").asText()).as("%s", event).isEqualTo(status);
        if (detail != null) {
            assertThat(event.at("/failure/reason").asText()).isEqualTo("storage_rejected");
            assertThat(event.at("/failure/detail").asText()).matches(detail);
        }
        assertThat(s3.seen("PutObject", "luma/" + taskId + "/video.mp4")).hasSize(videoPuts);
    }

    private static synchronized Map<String, String> harvesterFor(String bucket) throws Exception {
        if (!APPS.containsKey(bucket)) {
            String prefix = "storage-" + (bucket.equals(StandIns.BUCKET) ? "bucket" : "missing");
            Map<String, String> props = new HashMap<>(standIns.properties(prefix, Map.of(
                    "luma.poll.interval-ms", "200",
                    "luma.poll.max-backoff-ms", "400",
                    // a temporary error counted as a media attempt would end the task at once
                    "luma.harvest.max-attempts", "1",
                    "luma.harvest.max-storage-rejections", String.valueOf(MAX_REJECTIONS))));
            props.put("s3.endpoint", s3.endpoint());
            props.put("s3.bucket", bucket);
            APPS.put(bucket, HarvesterApp.start(props));
            SETTINGS.put(bucket, props);
        }
        return SETTINGS.get(bucket);
    }
}
