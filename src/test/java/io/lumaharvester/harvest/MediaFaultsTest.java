package io.lumaharvester.harvest;

import io.lumaharvester.dev.Events;
import io.lumaharvester.dev.HarvesterExtension;
import io.lumaharvester.dev.ScriptedProviderTask;
import static org.assertj.core.api.Assertions.assertThat;

import java.time.Duration;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.UUID;
import java.util.stream.Stream;

import com.fasterxml.jackson.databind.JsonNode;
import io.lumaharvester.dev.CdnStandIn;
import io.lumaharvester.dev.StandIns;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.RegisterExtension;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.Arguments;
import org.junit.jupiter.params.provider.MethodSource;
import software.amazon.awssdk.services.s3.S3Client;

/**
 * One table of CDN faults, one test body: every task still ends right, and S3 never holds a partial object. A failed
 * copy polls the task's provider again for fresh URLs: the faults that do are also rows for luma-official and fal
 * (whose fresh URLs take two requests: the status, then the result).
 */
class MediaFaultsTest {

    private static final long MB = 1024 * 1024;

    @RegisterExtension
    static final HarvesterExtension harvester = new HarvesterExtension("media-faults", settings());

    private static Map<String, String> settings() {
        Map<String, String> settings = new LinkedHashMap<>(Map.of(
                "luma.poll.interval-ms", "200",
                "luma.poll.max-backoff-ms", "400",
                "luma.harvest.max-attempts", "3",
                "s3.multipart.part-size-bytes", String.valueOf(5 * MB),
                "s3.multipart.threshold-bytes", String.valueOf(5 * MB),
                "luma.harvest.max-spool-bytes", String.valueOf(8 * MB)));
        try {
            settings.putAll(ScriptedProviderTask.settings(StandIns.shared()));
        } catch (Exception e) {
            throw new IllegalStateException(e);
        }
        return settings;
    }

    private final StandIns standIns = harvester.standIns();

    /** Otherwise the "no upload left open" check below could not fail. */
    @Test
    void theS3ServerListsOpenMultipartUploads() {
        try (S3Client s3 = standIns.s3.client()) {
            String key = "probe/" + UUID.randomUUID();
            String uploadId = s3.createMultipartUpload(b -> b.bucket(StandIns.BUCKET).key(key)).uploadId();
            assertThat(s3.listMultipartUploads(b -> b.bucket(StandIns.BUCKET).prefix(key)).uploads()).hasSize(1);
            s3.abortMultipartUpload(b -> b.bucket(StandIns.BUCKET).key(key).uploadId(uploadId));
        }
    }

    static Stream<Arguments> faults() {
        return Stream.of(
                // provider, name, video size, sent without a length, short bodies, CDN status for the video, redirect,
                // expected status or failure reason, video fetches
                Arguments.of("luma-aggregator", "short body once, single put", 3 * MB, false, 1, 0, null, "completed",
                        2),
                Arguments.of("luma-aggregator", "short body once, multipart", 12 * MB, false, 1, 0, null, "completed",
                        2),
                Arguments.of("luma-aggregator", "short body every time", 3 * MB, false, 99, 0, null,
                        "media_unavailable", 3),
                Arguments.of("luma-aggregator", "short body every time, multipart", 12 * MB, false, 99, 0, null,
                        "media_unavailable", 3),
                Arguments.of("luma-aggregator", "expired link (403) every time", 1 * MB, false, 0, 403, null,
                        "media_unavailable", 3),
                Arguments.of("luma-aggregator", "gone (404) every time", 1 * MB, false, 0, 404, null,
                        "media_unavailable", 3),
                Arguments.of("luma-aggregator", "CDN error (503) every time", 1 * MB, false, 0, 503, null,
                        "media_unavailable", 3),
                Arguments.of("luma-aggregator", "redirect to an allowed host", 1 * MB, false, 0, 0, "allowed",
                        "completed", 1),
                Arguments.of("luma-aggregator", "redirect to a host that is not allowed", 1 * MB, false, 0, 0,
                        "http://127.0.0.2:9/x.mp4", "media_rejected", 1),
                Arguments.of("luma-aggregator", "redirect to a file URL", 1 * MB, false, 0, 0, "file:///etc/passwd",
                        "media_rejected", 1),
                // a body without a Content-Length is spooled to disk first, within luma.harvest.max-spool-bytes; one
                // larger than the whole cap never fits: refused luma.harvest.max-storage-rejections (3) times
                Arguments.of("luma-aggregator", "no length, fits the spool", 3 * MB, true, 0, 0, null, "completed", 1),
                Arguments.of("luma-aggregator", "no length, larger than the whole spool", 12 * MB, true, 0, 0, null,
                        "storage_rejected", 3),
                // the faults whose retry polls the provider again for fresh URLs, at the other providers
                Arguments.of("luma-official", "short body once, single put", 3 * MB, false, 1, 0, null, "completed", 2),
                Arguments.of("luma-official", "expired link (403) every time", 1 * MB, false, 0, 403, null,
                        "media_unavailable", 3),
                Arguments.of("fal", "short body once, single put", 3 * MB, false, 1, 0, null, "completed", 2),
                Arguments.of("fal", "expired link (403) every time", 1 * MB, false, 0, 403, null, "media_unavailable",
                        3));
    }

    @ParameterizedTest(name = "{0}: {1}")
    @MethodSource("faults")
    void aFailedMediaCopyIsRetriedWithFreshUrlsAndNeverLeavesAPartialObject(String provider, String fault,
            long videoBytes, boolean withoutLength, int shortBodies, int videoStatus, String redirect, String outcome,
            int videoFetches) throws Exception {
        ScriptedProviderTask media = ScriptedProviderTask.of(standIns, provider, "media", videoBytes);
        media.answers(List.of(), List.of());
        String taskId = media.taskId;
        String videoPath = media.urlByRole.get("video").substring(standIns.cdn.baseUrl().length());
        if (withoutLength) {
            CdnStandIn.MediaFile video = media.byRole.get("video");
            standIns.cdn.put(videoPath, new CdnStandIn.MediaFile(video.contentType(), video.size(), video.seed(),
                    true, -1));
        }
        standIns.cdn.truncateNext(videoPath, shortBodies);
        standIns.cdn.answerStatus(videoPath, videoStatus);
        String movedPath = "/moved" + videoPath;
        if ("allowed".equals(redirect)) {
            standIns.cdn.put(movedPath, media.byRole.get("video"));
            standIns.cdn.redirect(videoPath, standIns.cdn.baseUrl() + movedPath);
        } else if (redirect != null) {
            standIns.cdn.redirect(videoPath, redirect);
        }
        standIns.kafka.send(harvester.setting("luma.topics.tasks"), media.record);

        JsonNode event = Events.value(Events.awaitOnlyEvent(standIns, harvester.setting("luma.topics.events"), taskId,
                Duration.ofSeconds(60)));
        String status = outcome.equals("completed") ? "completed" : "failed";
        assertThat(event.get("status").asText()).isEqualTo(status);
        assertThat(standIns.cdn.hits(videoPath)).isEqualTo(videoFetches);
        // each retry polled the task again for fresh URLs (fal: its status, then its result)
        assertThat(media.statusRequests()).hasSize(videoFetches);
        if (media.mediaPath != null) {
            assertThat(media.mediaRequests()).hasSize(videoFetches);
        }

        try (S3Client s3 = standIns.s3.client()) {
            var objects = s3.listObjectsV2(b -> b.bucket(StandIns.BUCKET).prefix("luma/" + taskId + "/")).contents();
            var uploads = s3.listMultipartUploads(b -> b.bucket(StandIns.BUCKET).prefix("luma/" + taskId + "/"))
                    .uploads();
            assertThat(uploads).as("multipart uploads left open").isEmpty();
            assertThat(harvester.app().context().getRegistry().lookupByNameAndType("mediaCopy",
                    MediaCopy.class).spoolSpace().used()).as("spool space still held").isZero();
            if (status.equals("completed")) {
                assertThat(Events.sha256OfObject(standIns.s3, StandIns.BUCKET, "luma/" + taskId + "/video.mp4"))
                        .isEqualTo(media.byRole.get("video").sha256());
                assertThat(objects).hasSize(media.byRole.size());
                assertThat(standIns.cdn.hits(movedPath)).isEqualTo("allowed".equals(redirect) ? 1 : 0);
            } else {
                assertThat(event.at("/failure/reason").asText()).isEqualTo(outcome);
                if (withoutLength) {
                    assertThat(event.at("/failure/detail").asText()).contains("luma.harvest.max-spool-bytes");
                }
                // the task's files copy in parallel: the others may be stored, complete; the video never in part
                assertThat(objects).noneMatch(o -> o.key().endsWith("/video.mp4"));
                for (var object : objects) {
                    String role = object.key().substring(object.key().lastIndexOf('/') + 1).split("\\.")[0];
                    assertThat(Events.sha256OfObject(standIns.s3, StandIns.BUCKET, object.key()))
                            .isEqualTo(media.byRole.get(role).sha256());
                }
            }
        }
    }
}
