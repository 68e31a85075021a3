package io.lumaharvester;

import static org.assertj.core.api.Assertions.assertThat;

import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.List;
import java.util.Map;
import java.util.UUID;

import com.fasterxml.jackson.databind.JsonNode;
import io.lumaharvester.dev.EmbeddedS3;
import io.lumaharvester.dev.HarvesterProcess;
import io.lumaharvester.dev.LumaApiStandIn;
import io.lumaharvester.dev.StandIns;
import org.junit.jupiter.api.Test;

/**
 * The jar {@code mvn package} builds, run as {@code java -jar} and configured only through environment variables:
 * it harvests a 200 MB video at -Xmx96m, so memory does not grow with the file, and the file goes up multipart.
 */
class PackagedJarIT {

    private static final long VIDEO_BYTES = 200L * 1024 * 1024;

    @Test
    void theRunnableJarStreamsA200MbVideoIntoS3AtXmx96m() throws Exception {
        StandIns standIns = StandIns.shared();
        Map<String, String> settings = standIns.properties("jar");
        String taskId = "jar-" + UUID.randomUUID();
        LumaApiStandIn.ServedMedia media = standIns.api.completesAfter(taskId, List.of("processing"), VIDEO_BYTES);
        Path log = Files.createDirectories(Path.of("target", "it")).resolve("packaged-jar.log");
        Files.deleteIfExists(log);

        try (HarvesterProcess app = HarvesterProcess.start(HarvesterProcess.packagedJar(),
                List.of("-Xmx96m", "-XX:+ExitOnOutOfMemoryError"), settings,
                Map.of("AWS_ACCESS_KEY_ID", EmbeddedS3.ACCESS_KEY, "AWS_SECRET_ACCESS_KEY", EmbeddedS3.SECRET_KEY),
                log)) {
            standIns.kafka.send(settings.get("luma.topic.tasks"), taskId);

            var events = Events.awaitEvents(standIns, settings.get("luma.topic.events"), taskId,
                    Duration.ofMinutes(3));
            JsonNode event = Events.value(events.get(0));
            Events.assertValidEvent(event);
            assertThat(event.get("status").asText()).as(app.output()).isEqualTo("completed");
            assertThat(event.at("/assets/0/size").asLong()).isEqualTo(VIDEO_BYTES);
            String sha256 = media.byRole().get("video").sha256();
            assertThat(event.at("/assets/0/sha256").asText()).isEqualTo(sha256);
            assertThat(Events.sha256OfObject(standIns.s3, StandIns.BUCKET, "luma/" + taskId + "/video.mp4"))
                    .isEqualTo(sha256);
            try (var s3 = standIns.s3.client()) {
                String eTag = s3.headObject(b -> b.bucket(StandIns.BUCKET).key("luma/" + taskId + "/video.mp4")).eTag();
                assertThat(eTag).as("a multipart upload of 16 MiB parts").matches("\"?[0-9a-f]+-13\"?");
            }
            assertThat(app.process().isAlive()).as("no OutOfMemoryError").isTrue();
            assertThat(app.output()).doesNotContain(StandIns.TOKEN);
        }
    }

    /** How the Kubernetes Deployment applies its ConfigMap: a file named by CAMEL_MAIN_PROPERTY_PLACEHOLDER_LOCATION. */
    @Test
    void anApplicationPropertiesFileOutsideTheJarReplacesTheOneInside() throws Exception {
        StandIns standIns = StandIns.shared();
        Map<String, String> settings = standIns.properties("jar-configmap");
        Path dir = Files.createDirectories(Path.of("target", "it", "configmap"));
        Path properties = dir.resolve("application.properties");
        Files.writeString(properties, Files.readString(Path.of("application.properties"))
                .replace("s3.key-prefix=luma/", "s3.key-prefix=from-configmap/"));
        String taskId = "jar-configmap-" + UUID.randomUUID();
        LumaApiStandIn.ServedMedia media = standIns.api.completesAfter(taskId, List.of(), 10_000);
        Path log = dir.resolve("configmap.log");
        Files.deleteIfExists(log);

        try (HarvesterProcess app = HarvesterProcess.start(HarvesterProcess.packagedJar(), List.of(), settings,
                Map.of("AWS_ACCESS_KEY_ID", EmbeddedS3.ACCESS_KEY, "AWS_SECRET_ACCESS_KEY", EmbeddedS3.SECRET_KEY,
                        "CAMEL_MAIN_PROPERTY_PLACEHOLDER_LOCATION", "file:" + properties.toAbsolutePath()),
                log)) {
            standIns.kafka.send(settings.get("luma.topic.tasks"), taskId);
            JsonNode event = Events.value(Events.awaitOnlyEvent(standIns, settings.get("luma.topic.events"), taskId,
                    Duration.ofMinutes(2)));
            assertThat(event.at("/assets/0/key").asText()).as(app.output())
                    .isEqualTo("from-configmap/" + taskId + "/video.mp4");
            assertThat(Events.sha256OfObject(standIns.s3, StandIns.BUCKET, "from-configmap/" + taskId + "/video.mp4"))
                    .isEqualTo(media.byRole().get("video").sha256());
        }
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
