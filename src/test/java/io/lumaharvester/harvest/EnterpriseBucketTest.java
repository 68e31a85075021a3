package io.lumaharvester.harvest;

import io.lumaharvester.dev.Events;
import io.lumaharvester.dev.FilteringS3;
import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.time.Duration;
import java.util.Base64;
import java.util.HashMap;
import java.util.HexFormat;
import java.util.List;
import java.util.Map;
import java.util.UUID;

import com.fasterxml.jackson.databind.JsonNode;
import io.lumaharvester.dev.HarvesterApp;
import io.lumaharvester.dev.LumaApiStandIn;
import io.lumaharvester.dev.StandIns;
import org.awaitility.Awaitility;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.parallel.Execution;
import org.junit.jupiter.api.parallel.ExecutionMode;
import software.amazon.awssdk.services.s3.S3Client;
import software.amazon.awssdk.services.s3.model.NoSuchKeyException;

/**
 * A bucket whose policy requires SSE-KMS (the stand-in {@link FilteringS3#requiringKms} in front of S3Proxy): what the
 * harvester sends it with the default settings and with the enterprise settings, on a single PUT and on a multipart
 * upload. Each test runs harvesters of its own (own topics, own task ids) against the one stand-in bucket: they run
 * side by side.
 */
@Execution(ExecutionMode.CONCURRENT)
class EnterpriseBucketTest {

    private static final String KEY_ID = "arn:aws:kms:eu-west-1:111122223333:key/1234abcd-12ab-34cd-56ef-1234567890ab";
    private static final long MB = 1024 * 1024;
    private static final Duration WITHIN = Duration.ofSeconds(60);

    private static StandIns standIns;
    private static FilteringS3 bucket;

    @BeforeAll
    static void startBucket() throws Exception {
        standIns = StandIns.shared();
        bucket = FilteringS3.requiringKms(standIns.s3.endpoint(), KEY_ID);
    }

    @AfterAll
    static void stopBucket() throws Exception {
        bucket.close();
    }

    private static Map<String, String> settings(String prefix, Map<String, String> overrides) throws Exception {
        Map<String, String> props = new HashMap<>(standIns.properties(prefix, Map.of(
                "luma.poll.interval-ms", "200",
                "luma.poll.max-backoff-ms", "400")));
        props.put("s3.endpoint", bucket.endpoint());
        props.putAll(overrides);
        return props;
    }

    private static String base64(String sha256Hex) {
        return Base64.getEncoder().encodeToString(HexFormat.of().parseHex(sha256Hex));
    }

    @Test
    void encryptionRequiredBucketRefusesDefaultSettingsAndAcceptsConfiguredSse() throws Exception {
        String refusedTask = "sse-default-" + UUID.randomUUID();
        String refusedKey = "luma/" + refusedTask + "/video.mp4";
        Map<String, String> defaults = settings("sse-default", Map.of());
        standIns.api.completesAfter(refusedTask, List.of("processing"), MB);
        try (HarvesterApp app = HarvesterApp.start(defaults)) {
            standIns.kafka.send(defaults.get("luma.topics.tasks"), refusedTask);
            // refused, then refused again when the task's back-off retries it, until the refusals run out
            JsonNode event = Events.value(Events.awaitOnlyEvent(standIns, defaults.get("luma.topics.events"),
                    refusedTask, WITHIN));
            assertThat(event.at("/failure/reason").asText()).isEqualTo("storage_rejected");
            assertThat(event.at("/failure/detail").asText()).contains("AccessDenied (403)");
            assertThat(bucket.seen("PutObject", refusedKey)).hasSize(3).allMatch(FilteringS3.Seen::refused)
                    .allMatch(s -> s.header("x-amz-server-side-encryption") == null);
        }
        try (S3Client s3 = standIns.s3.client()) {
            assertThatThrownBy(() -> s3.headObject(b -> b.bucket(StandIns.BUCKET).key(refusedKey)))
                    .isInstanceOf(NoSuchKeyException.class);
        }

        String task = "sse-kms-" + UUID.randomUUID();
        Map<String, String> kms = settings("sse-kms", Map.of("s3.sse", "aws:kms", "s3.kms-key-id", KEY_ID));
        LumaApiStandIn.ServedMedia media = standIns.api.completesAfter(task, List.of("processing"), MB);
        completedEvent(kms, task);
        String key = "luma/" + task + "/video.mp4";
        assertThat(Events.sha256OfObject(standIns.s3, StandIns.BUCKET, key))
                .isEqualTo(media.byRole().get("video").sha256());
        assertThat(bucket.seen("PutObject", key)).singleElement().satisfies(put -> {
            assertThat(put.refused()).isFalse();
            assertThat(put.header("x-amz-server-side-encryption")).isEqualTo("aws:kms");
            assertThat(put.header("x-amz-server-side-encryption-aws-kms-key-id")).isEqualTo(KEY_ID);
        });
    }

    @Test
    void storageClassTagsAndSha256ChecksumsReachS3OnSinglePutAndMultipartUpload() throws Exception {
        String task = "enterprise-" + UUID.randomUUID();
        Map<String, String> props = settings("enterprise", Map.of(
                "s3.sse", "aws:kms",
                "s3.kms-key-id", KEY_ID,
                "s3.storage-class", "STANDARD_IA",
                "s3.tags", "team=media&retention=90d",
                "s3.multipart.threshold-bytes", String.valueOf(5 * MB),
                "s3.multipart.part-size-bytes", String.valueOf(5 * MB)));
        // the video goes up in three parts (5 + 5 + 2 MiB), the thumbnail in one PUT
        LumaApiStandIn.ServedMedia media = standIns.api.completesAfter(task, List.of("processing"), 12 * MB);
        // the thumbnail's from the S3 client's checksum, the video's (in parts) from the copy's own hash
        assertEventSha256s(completedEvent(props, task), media);

        String thumbnailKey = "luma/" + task + "/thumbnail.webp";
        String thumbnailSha256 = media.byRole().get("thumbnail").sha256();
        assertThat(Events.sha256OfObject(standIns.s3, StandIns.BUCKET, thumbnailKey)).isEqualTo(thumbnailSha256);
        assertThat(bucket.seen("PutObject", thumbnailKey)).singleElement().satisfies(put -> {
            assertEnterpriseHeaders(put);
            assertSha256Checksum(put);
            // and the checksum is that of the file the CDN served
            assertThat(put.trailers().get("x-amz-checksum-sha256")).isEqualTo(base64(thumbnailSha256));
            // a body under s3.expect-continue-threshold-bytes goes at once
            assertThat(put.header("expect")).isNull();
        });

        String videoKey = "luma/" + task + "/video.mp4";
        assertThat(Events.sha256OfObject(standIns.s3, StandIns.BUCKET, videoKey))
                .isEqualTo(media.byRole().get("video").sha256());
        assertThat(bucket.seen("PutObject", videoKey)).isEmpty();
        assertThat(bucket.seen("CreateMultipartUpload", videoKey)).singleElement().satisfies(create -> {
            assertEnterpriseHeaders(create);
            assertThat(create.header("x-amz-checksum-algorithm")).isEqualTo("SHA256");
        });
        List<FilteringS3.Seen> parts = bucket.seen("UploadPart", videoKey);
        // each part's SHA-256 comes in a header (the harvester hashes the part it holds before sending it)
        assertThat(parts).hasSize(3).allSatisfy(part -> {
            assertThat(part.header("x-amz-checksum-sha256")).isEqualTo(part.bodySha256());
            assertThat(part.header("x-amz-trailer")).as("no second checksum").isNull();
            assertThat(part.header("expect")).isEqualTo("100-continue");
        });
        // the complete request names each part's checksum, as S3 requires of an upload created with one
        assertThat(bucket.seen("CompleteMultipartUpload", videoKey)).singleElement().satisfies(complete ->
                parts.forEach(part -> assertThat(complete.body())
                        .contains("<ChecksumSHA256>" + part.bodySha256() + "</ChecksumSHA256>")));
    }

    @Test
    void withoutUploadChecksumsTheEventStillCarriesEachFilesSha256() throws Exception {
        String task = "no-checksum-" + UUID.randomUUID();
        Map<String, String> props = settings("no-checksum", Map.of("s3.sse", "aws:kms", "s3.kms-key-id", KEY_ID,
                "s3.checksum-algorithm", "NONE", "s3.expect-continue-threshold-bytes", "0"));
        LumaApiStandIn.ServedMedia media = standIns.api.completesAfter(task, List.of("processing"), MB);
        assertEventSha256s(completedEvent(props, task), media);
        assertThat(bucket.seen("PutObject", "luma/" + task + "/video.mp4")).singleElement().satisfies(put -> {
            assertThat(put.header("x-amz-sdk-checksum-algorithm")).isNull();
            assertThat(put.header("x-amz-trailer")).isNull();
            // threshold 0: every upload waits for S3's go-ahead
            assertThat(put.header("expect")).isEqualTo("100-continue");
        });
    }

    /** Runs the harvester with {@code props} until {@code task}'s one event, which must say completed. */
    private static JsonNode completedEvent(Map<String, String> props, String task) throws Exception {
        try (HarvesterApp app = HarvesterApp.start(props)) {
            standIns.kafka.send(props.get("luma.topics.tasks"), task);
            JsonNode event = Events.value(Events.awaitOnlyEvent(standIns, props.get("luma.topics.events"), task,
                    WITHIN));
            assertThat(event.get("status").asText()).isEqualTo("completed");
            return event;
        }
    }

    /** Every file in the event names the SHA-256 of the file the CDN served. */
    private static void assertEventSha256s(JsonNode event, LumaApiStandIn.ServedMedia media) {
        assertThat(event.get("media")).hasSize(media.byRole().size()).allSatisfy(file ->
                assertThat(file.get("sha256").asText())
                        .isEqualTo(media.byRole().get(file.get("roles").get(0).asText()).sha256()));
    }

    /** SSE-KMS with the bucket's key, the storage class and the tags, as S3 reads them from the request. */
    private static void assertEnterpriseHeaders(FilteringS3.Seen request) {
        assertThat(request.refused()).isFalse();
        assertThat(request.header("x-amz-server-side-encryption")).isEqualTo("aws:kms");
        assertThat(request.header("x-amz-server-side-encryption-aws-kms-key-id")).isEqualTo(KEY_ID);
        assertThat(request.header("x-amz-storage-class")).isEqualTo("STANDARD_IA");
        assertThat(request.header("x-amz-tagging")).isEqualTo("team=media&retention=90d");
    }

    /**
     * The body carries a SHA-256 trailer (aws-chunked: the SDK hashes the stream as it sends it) whose value is the
     * SHA-256 of the bytes the body carried, so S3 can verify them.
     */
    private static void assertSha256Checksum(FilteringS3.Seen upload) {
        assertThat(upload.header("x-amz-sdk-checksum-algorithm")).isEqualTo("SHA256");
        assertThat(upload.header("x-amz-trailer")).isEqualTo("x-amz-checksum-sha256");
        assertThat(upload.trailers().get("x-amz-checksum-sha256")).isEqualTo(upload.bodySha256());
    }

    @Test
    void unknownEncryptionOrKeyIdWithoutKmsStopsTheStartNamingTheSetting() throws Exception {
        assertThat(HarvesterApp.startFailure(settings("sse-bad", Map.of("s3.sse", "aws:kms:dsse"))))
                .isEqualTo("s3.sse=aws:kms:dsse is not allowed: it must be none, AES256 or aws:kms");
        assertThatThrownBy(() -> S3Uploads.from("AES256", "alias/media", "", "", "SHA256"))
                .hasMessage("s3.kms-key-id=alias/media is not allowed: it must be empty unless s3.sse=aws:kms "
                        + "(s3.sse is AES256)");
        assertThatThrownBy(() -> S3Uploads.from("aws:kms", "", "", "", "SHA256"))
                .hasMessageStartingWith("s3.kms-key-id= is not allowed: it must be a KMS key id");
        assertThatThrownBy(() -> S3Uploads.from("none", "", "COLD", "", "SHA256"))
                .hasMessageStartingWith("s3.storage-class=COLD is not allowed");
        assertThatThrownBy(() -> S3Uploads.from("none", "", "", "team", "SHA256"))
                .hasMessageStartingWith("s3.tags=team is not allowed");
        assertThatThrownBy(() -> S3Uploads.from("none", "", "", "", "MD5"))
                .hasMessage("s3.checksum-algorithm=MD5 is not allowed: it must be SHA256 or NONE");
    }
}
