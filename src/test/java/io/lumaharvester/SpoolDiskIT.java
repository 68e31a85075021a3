package io.lumaharvester;

import io.lumaharvester.dev.Events;

import static org.assertj.core.api.Assertions.assertThat;
import static org.junit.jupiter.api.Assumptions.assumeTrue;

import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.List;
import java.util.Map;
import java.util.UUID;
import java.util.concurrent.TimeUnit;
import java.util.stream.Stream;

import com.fasterxml.jackson.databind.JsonNode;
import io.lumaharvester.dev.CdnStandIn;
import io.lumaharvester.dev.EmbeddedS3;
import io.lumaharvester.dev.HarvesterProcess;
import io.lumaharvester.dev.LumaApiStandIn;
import io.lumaharvester.dev.StandIns;
import org.awaitility.Awaitility;
import org.junit.jupiter.api.Tag;
import org.junit.jupiter.api.parallel.Execution;
import org.junit.jupiter.api.parallel.ExecutionMode;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.Arguments;
import org.junit.jupiter.params.provider.MethodSource;
import software.amazon.awssdk.services.s3.S3Client;

/**
 * The spool disk really cannot be written. Each row runs the packaged jar with {@code luma.harvest.spool-dir} on a
 * real fault: a read-only or a full file system (a tmpfs mounted in a mount namespace of the harvester's own, so
 * nothing outside the process sees it), a directory sysfs refuses files in (root included), a path under a regular
 * file. A video served without a Content-Length must be spooled; the task ends with one {@code storage_rejected}
 * event naming the directory and the disk's error, after {@code luma.harvest.max-storage-rejections} refusals and not
 * as a media attempt. Its other files, and another task's, are stored whole.
 */
// in the second IT group: two JVMs side by side, after the benchmarks (pom.xml, profile its-side-by-side)
@Tag("side-by-side")
class SpoolDiskIT {

    private static final long MB = 1024 * 1024;
    private static final int MAX_REJECTIONS = 3;
    private static final Duration WITHIN = Duration.ofSeconds(120);

    static Stream<Arguments> diskFaults() {
        return Stream.of(
                // name, tmpfs mounted on the spool directory (null: none), spool directory (relative: under the row's
                // own directory, which holds a regular file a-file), the disk's error in the detail
                Arguments.of("read-only file system (tmpfs mounted ro)", "ro", "spool", "Read-only file system"),
                Arguments.of("full file system (1 MiB tmpfs, 3 MB body)", "size=1m", "spool",
                        "No space left on device"),
                Arguments.of("no permission (sysfs takes no new file)", null, "/sys/kernel", "Permission denied"),
                Arguments.of("spool directory under a regular file", null, "a-file/spool", "Not a directory"));
    }

    // the rows side by side: each its own harvester, spool directory, topics and task ids; they wait, mostly
    @ParameterizedTest(name = "{0}")
    @MethodSource("diskFaults")
    @Execution(ExecutionMode.CONCURRENT)
    void aSpoolDiskThatCannotBeWrittenEndsTheTaskStorageRejectedNamingTheDiskAndLosesNothingElse(String fault,
            String tmpfs, String spool, String diskError) throws Exception {
        String run = UUID.randomUUID().toString().substring(0, 8);
        Path row = Files.createDirectories(Path.of("target", "it", "spool-disk-" + run)).toAbsolutePath();
        Files.createFile(row.resolve("a-file"));
        Path spoolDir = Path.of(spool).isAbsolute() ? Path.of(spool) : row.resolve(spool);
        List<String> launcher = List.of();
        if (tmpfs != null) {
            assumeTrue(privateMountsAllowed(row), "unshare --mount --map-root-user is not allowed on this machine");
            Files.createDirectories(spoolDir);
            launcher = List.of("unshare", "--mount", "--map-root-user", "sh", "-c",
                    "mount -t tmpfs -o " + tmpfs + " luma-spool \"$0\" && exec \"$@\"", spoolDir.toString());
        }
        StandIns standIns = StandIns.shared();
        Map<String, String> settings = standIns.properties("spool-disk-" + run, Map.of(
                "luma.harvest.spool-dir", spoolDir.toString(),
                "luma.poll.interval-ms", "200",
                "luma.poll.max-backoff-ms", "400",
                // a disk refusal counted as a media attempt would end the task media_unavailable at once
                "luma.harvest.max-attempts", "1",
                "luma.harvest.max-storage-rejections", String.valueOf(MAX_REJECTIONS)));
        String refused = "spool-refused-" + run;
        String stored = "spool-stored-" + run;
        LumaApiStandIn.ServedMedia refusedMedia = standIns.api.completesAfter(refused, List.of(), 3 * MB);
        LumaApiStandIn.ServedMedia storedMedia = standIns.api.completesAfter(stored, List.of(), MB);
        // the refused task's video comes without a Content-Length: it must be spooled
        String videoPath = refusedMedia.urlByRole().get("video").substring(standIns.cdn.baseUrl().length());
        CdnStandIn.MediaFile video = refusedMedia.byRole().get("video");
        standIns.cdn.put(videoPath, new CdnStandIn.MediaFile(video.contentType(), video.size(), video.seed(), true,
                -1));
        String events = settings.get("luma.topics.events");

        try (HarvesterProcess app = HarvesterProcess.start(launcher, HarvesterProcess.packagedJar(),
                List.of("-Xmx256m"), settings, Map.of("AWS_ACCESS_KEY_ID", EmbeddedS3.ACCESS_KEY,
                        "AWS_SECRET_ACCESS_KEY", EmbeddedS3.SECRET_KEY), row.resolve("harvester.log"))) {
            standIns.kafka.send(settings.get("luma.topics.tasks"), refused);
            standIns.kafka.send(settings.get("luma.topics.tasks"), stored);

            JsonNode failed = Events.value(Events.awaitOnlyEvent(standIns, events, refused, WITHIN));
            assertThat(failed.get("status").asText()).as("%s", failed).isEqualTo("failed");
            assertThat(failed.at("/failure/reason").asText()).isEqualTo("storage_rejected");
            assertThat(failed.at("/failure/detail").asText()).startsWith("the local disk refused the video media: "
                    + "the spool directory " + spoolDir + " (luma.harvest.spool-dir) cannot be written: " + diskError);
            // refused luma.harvest.max-storage-rejections times, each after a fresh poll; no media attempt used up
            assertThat(standIns.cdn.hits(videoPath)).isEqualTo(MAX_REJECTIONS);
            assertThat(Events.value(Events.awaitOnlyEvent(standIns, events, stored, WITHIN)).get("status").asText())
                    .isEqualTo("completed");
            if (tmpfs != null) {
                // the spool directory as the harvester sees it, inside its own mount namespace
                Path seen = Path.of("/proc", String.valueOf(app.process().pid()), "root")
                        .resolve(spoolDir.toString().substring(1));
                Awaitility.await().atMost(Duration.ofSeconds(10)).untilAsserted(() -> {
                    try (var files = Files.list(seen)) {
                        assertThat(files).as("spool files left in %s", seen).isEmpty();
                    }
                });
            }
        }
        try (S3Client s3 = standIns.s3.client()) {
            for (var task : List.of(refusedMedia, storedMedia)) {
                var keys = s3.listObjectsV2(b -> b.bucket(StandIns.BUCKET).prefix("luma/" + task.taskId() + "/"))
                        .contents().stream().map(o -> o.key()).toList();
                assertThat(keys).as("objects of %s", task.taskId()).hasSize(task == refusedMedia ? 2 : 3)
                        .allSatisfy(key -> assertThat(Events.sha256OfObject(standIns.s3, StandIns.BUCKET, key))
                                .isEqualTo(task.byRole().get(role(key)).sha256()));
            }
        }
    }

    /** thumbnail from luma/t/thumbnail.webp */
    private static String role(String key) {
        return key.substring(key.lastIndexOf('/') + 1).split("\\.")[0];
    }

    /** Whether this machine lets a process mount a file system of its own (user and mount namespaces). */
    private static boolean privateMountsAllowed(Path dir) throws InterruptedException {
        try {
            Process probe = new ProcessBuilder("unshare", "--mount", "--map-root-user", "sh", "-c",
                    "mount -t tmpfs -o size=64k luma-probe \"$0\"", dir.toString())
                    .redirectErrorStream(true).redirectOutput(dir.resolve("unshare-probe.log").toFile()).start();
            return probe.waitFor(30, TimeUnit.SECONDS) && probe.exitValue() == 0;
        } catch (java.io.IOException noUnshare) {
            return false;
        }
    }
}
