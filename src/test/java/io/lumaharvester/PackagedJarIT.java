package io.lumaharvester;

import io.lumaharvester.dev.Events;

import static org.assertj.core.api.Assertions.assertThat;

import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.UUID;

import com.fasterxml.jackson.databind.JsonNode;
import io.lumaharvester.dev.EmbeddedS3;
import io.lumaharvester.dev.HarvesterProcess;
import io.lumaharvester.dev.LumaApiStandIn;
import io.lumaharvester.dev.StandIns;
import org.awaitility.Awaitility;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Tag;
import org.junit.jupiter.api.Test;

/**
 * The jar {@code mvn package} builds, run as {@code java -jar} and configured only through environment variables:
 * it harvests a 128 MB video at -Xmx96m, so memory does not grow with the file: it streams into S3 in one PUT. The
 * file is a third larger than the whole heap, which the harvester's own objects share: it cannot be held whole.
 */
// in the second IT group: two JVMs side by side, after the benchmarks (pom.xml, profile its-side-by-side)
@Tag("side-by-side")
class PackagedJarIT {

    private static final long VIDEO_BYTES = 128L * 1024 * 1024;

    @Test
    void theRunnableJarStreamsA128MbVideoIntoS3AtXmx96m() throws Exception {
        StandIns standIns = StandIns.shared();
        // the task's second poll (its first answer is processing) after 0.5 s, not the 5 s the test would wait out
        Map<String, String> settings = standIns.properties("jar", Map.of("luma.poll.interval-ms", "500"));
        String taskId = "jar-" + UUID.randomUUID();
        LumaApiStandIn.ServedMedia media = standIns.api.completesAfter(taskId, List.of("processing"), VIDEO_BYTES);
        Path log = Files.createDirectories(Path.of("target", "it")).resolve("packaged-jar.log");
        Files.deleteIfExists(log);

        try (HarvesterProcess app = HarvesterProcess.start(HarvesterProcess.packagedJar(),
                // both compilers: the copy hashes 128 MB (SHA-256), whose intrinsic only C2 has
                List.of("-Xmx96m", "-XX:+ExitOnOutOfMemoryError", "-XX:TieredStopAtLevel=4"), settings,
                Map.of("AWS_ACCESS_KEY_ID", EmbeddedS3.ACCESS_KEY, "AWS_SECRET_ACCESS_KEY", EmbeddedS3.SECRET_KEY),
                log)) {
            standIns.kafka.send(settings.get("luma.topics.tasks"), taskId);

            var events = Events.awaitEvents(standIns, settings.get("luma.topics.events"), taskId,
                    Duration.ofMinutes(3));
            JsonNode event = Events.value(events.get(0));
            Events.assertValidEvent(event);
            assertThat(event.get("status").asText()).as(app.output()).isEqualTo("completed");
            assertThat(event.at("/media/0/size").asLong()).isEqualTo(VIDEO_BYTES);
            String sha256 = media.byRole().get("video").sha256();
            assertThat(event.at("/media/0/sha256").asText()).isEqualTo(sha256);
            assertThat(Events.sha256OfObject(standIns.s3, StandIns.BUCKET, "luma/" + taskId + "/video.mp4"))
                    .isEqualTo(sha256);
            try (var s3 = standIns.s3.client()) {
                String eTag = s3.headObject(b -> b.bucket(StandIns.BUCKET).key("luma/" + taskId + "/video.mp4")).eTag();
                assertThat(eTag).as("one PUT, not a multipart upload").matches("\"?[0-9a-f]{32}\"?");
            }
            assertThat(app.process().isAlive()).as("no OutOfMemoryError").isTrue();
            assertThat(app.output()).doesNotContain(StandIns.TOKEN);
        }
    }

    /**
     * One harvester as the Kubernetes Deployment runs it, for the two tests below: its ConfigMap's two property files
     * named by CAMEL_MAIN_PROPERTY_PLACEHOLDER_LOCATION (they replace the copies inside the jar; this one's
     * s3.key-prefix is from-configmap/), and JSON logs with the MDC switched on.
     */
    private static HarvesterProcess deployed;
    private static Map<String, String> deployedSettings;

    @BeforeAll
    static void startAsDeployed() throws Exception {
        StandIns standIns = StandIns.shared();
        // a task's second poll (after dreaming) after 0.5 s, not 5 s
        deployedSettings = standIns.properties("jar-deployed", Map.of("luma.poll.interval-ms", "500"));
        Path dir = Files.createDirectories(Path.of("target", "it", "configmap"));
        Path properties = dir.resolve("application.properties");
        Files.writeString(properties, Files.readString(Path.of("application.properties"))
                .replace("s3.key-prefix=luma/", "s3.key-prefix=from-configmap/"));
        Path runnerProperties = Files.copy(Path.of("camel-main.properties"), dir.resolve("camel-main.properties"),
                StandardCopyOption.REPLACE_EXISTING);
        Path log = dir.resolve("deployed.log");
        Files.deleteIfExists(log);
        deployed = HarvesterProcess.start(HarvesterProcess.packagedJar(), List.of(), deployedSettings,
                Map.of("AWS_ACCESS_KEY_ID", EmbeddedS3.ACCESS_KEY, "AWS_SECRET_ACCESS_KEY", EmbeddedS3.SECRET_KEY,
                        "CAMEL_MAIN_PROPERTY_PLACEHOLDER_LOCATION",
                        "file:" + properties.toAbsolutePath() + ",file:" + runnerProperties.toAbsolutePath(),
                        "LUMA_LOG_FORMAT", "json", "CAMEL_MDC_ENABLED", "true"),
                log);
    }

    @AfterAll
    static void stopDeployed() throws Exception {
        if (deployed != null) {
            deployed.close();
        }
    }

    @Test
    void anApplicationPropertiesFileOutsideTheJarReplacesTheOneInside() throws Exception {
        StandIns standIns = StandIns.shared();
        String taskId = "jar-configmap-" + UUID.randomUUID();
        LumaApiStandIn.ServedMedia media = standIns.api.completesAfter(taskId, List.of(), 10_000);
        standIns.kafka.send(deployedSettings.get("luma.topics.tasks"), taskId);
        JsonNode event = Events.value(Events.awaitOnlyEvent(standIns, deployedSettings.get("luma.topics.events"),
                taskId, Duration.ofMinutes(2)));
        assertThat(event.at("/media/0/key").asText()).as(deployed.output())
                .isEqualTo("from-configmap/" + taskId + "/video.mp4");
        assertThat(Events.sha256OfObject(standIns.s3, StandIns.BUCKET, "from-configmap/" + taskId + "/video.mp4"))
                .isEqualTo(media.byRole().get("video").sha256());
    }

    /**
     * For log pipelines: LUMA_LOG_FORMAT=json makes every line a JSON object; with the MDC switched on (it is off by
     * default, for its CPU), the task's lines carry its id as a field.
     */
    @Test
    void withJsonLogsAndTheMdcOnEveryLineIsJsonAndEachTransitionCarriesTheTaskId() throws Exception {
        StandIns standIns = StandIns.shared();
        String taskId = "jar-json-" + UUID.randomUUID();
        standIns.api.completesAfter(taskId, List.of("dreaming"), 10_000);
        standIns.kafka.send(deployedSettings.get("luma.topics.tasks"), taskId);
        Events.awaitOnlyEvent(standIns, deployedSettings.get("luma.topics.events"), taskId, Duration.ofMinutes(2));
        Awaitility.await().atMost(Duration.ofSeconds(10))
                .until(() -> deployed.output().contains(taskId + ": completed (reason none), event sent"));
        String output = deployed.output();
        assertThat(output).doesNotContain(StandIns.TOKEN);
        List<JsonNode> lines = new ArrayList<>();
        // the lines written so far; the harvester runs on, so the last may be half written
        for (String line : output.substring(0, output.lastIndexOf('\n')).split("\n")) {
            if (!line.isBlank()) {
                lines.add(Events.JSON.readTree(line));
            }
        }
        List<String> transitions = lines.stream()
                .filter(line -> line.path("log.logger").asText().equals("io.lumaharvester.tasks"))
                .filter(line -> line.path("lumaTaskId").asText().equals(taskId))
                .map(line -> line.path("message").asText())
                .toList();
        assertThat(transitions).as("the task's lines, in order").satisfiesExactly(
                accepted -> assertThat(accepted).endsWith(": accepted"),
                running -> assertThat(running).contains("polled (HTTP 200, state dreaming), running"),
                completed -> assertThat(completed).contains("polled (HTTP 200, state completed), completed"),
                upload -> assertThat(upload).contains("uploaded from-configmap/" + taskId + "/"),
                upload -> assertThat(upload).contains("uploaded from-configmap/" + taskId + "/"),
                upload -> assertThat(upload).contains("uploaded from-configmap/" + taskId + "/"),
                sent -> assertThat(sent).contains("completed (reason none), event sent"));
        assertThat(transitions).anySatisfy(upload -> assertThat(upload)
                .contains("uploaded from-configmap/" + taskId + "/video.mp4 (10000 bytes)"));
        assertThat(lines).allSatisfy(line -> assertThat(line.has("@timestamp") && line.has("log.level")).isTrue());
    }

    @Test
    void withoutATokenTheJarRefusesToStartAndSaysWhy() throws Exception {
        StandIns standIns = StandIns.shared();
        Map<String, String> settings = new java.util.HashMap<>(standIns.properties("jar-no-token"));
        settings.remove("luma.api.token");
        Path log = Files.createDirectories(Path.of("target", "it")).resolve("no-token.log");
        Files.deleteIfExists(log);

        try (HarvesterProcess app = HarvesterProcess.start(HarvesterProcess.packagedJar(), List.of(), settings,
                Map.of(), log)) {
            assertThat(app.waitFor(60)).as("exits by itself").isTrue();
            assertThat(app.process().exitValue()).isEqualTo(1);
            assertThat(app.output()).contains("luma.api.token is not set: export LUMA_API_TOKEN=");
        }
    }
}
