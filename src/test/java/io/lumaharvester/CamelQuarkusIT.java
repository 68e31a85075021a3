package io.lumaharvester;

import io.lumaharvester.dev.Events;
import io.lumaharvester.dev.Probes;

import static org.assertj.core.api.Assertions.assertThat;

import java.net.ServerSocket;
import java.net.http.HttpResponse;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.UUID;

import com.fasterxml.jackson.databind.JsonNode;
import io.lumaharvester.dev.CdnStandIn;
import io.lumaharvester.dev.EmbeddedS3;
import io.lumaharvester.dev.HarvesterProcess;
import io.lumaharvester.dev.LumaApiStandIn;
import io.lumaharvester.dev.StandIns;
import org.awaitility.Awaitility;
import org.junit.jupiter.api.Tag;
import org.junit.jupiter.api.Test;

/**
 * The application Camel K builds for deploy/camel-k/luma-harvester.yaml (deploy/camel-k/camel-quarkus, built by the
 * invoker before the ITs: Camel Quarkus in JVM mode with the thin jar of the beans), run as Camel K runs it: the
 * route files from outside the jar as the Integration's sources, application.properties as its mounted ConfigMap,
 * the rest from the environment. Run once, for one task: its event on Kafka and its media in S3.
 */
// in the second IT group: two JVMs side by side, after the benchmarks (pom.xml, profile its-side-by-side)
@Tag("side-by-side")
class CamelQuarkusIT {

    /** Where the invoker builds deploy/camel-k/camel-quarkus (pom.xml, its cloneProjectsTo), and its log. */
    private static final Path BUILD = Path.of("target/camel-k/camel-quarkus");
    private static final Path QUARKUS_APP = BUILD.resolve("target/quarkus-app/quarkus-run.jar");

    @Test
    void onCamelQuarkusTheRoutesReportReadyHarvestATaskCountItAndStopOnSigterm() throws Exception {
        assertThat(QUARKUS_APP).as("the Camel Quarkus build (pom.xml, maven-invoker-plugin) ended with:%n%s",
                buildLogEnd()).exists();
        StandIns standIns = StandIns.shared();
        // the task's second poll (its first answer is processing) after 0.5 s, not the 5 s the test would wait out
        Map<String, String> settings = standIns.properties("quarkus", Map.of("luma.poll.interval-ms", "500"));
        String port = String.valueOf(freePort());
        String taskId = "quarkus-" + UUID.randomUUID();
        LumaApiStandIn.ServedMedia media = standIns.api.completesAfter(taskId, List.of("processing"), 100_000);
        Path log = Files.createDirectories(Path.of("target", "it")).resolve("camel-quarkus.log");
        Files.deleteIfExists(log);

        // C1 only and the serial collector: C2 would spend more CPU than the whole start does, for one task; no class
        // archive recorded at exit, as the next build builds the application again
        HarvesterProcess app = HarvesterProcess.startOnce(QUARKUS_APP,
                List.of("-Xmx256m", "-XX:TieredStopAtLevel=1", "-XX:+UseSerialGC"), settings, Map.of(
                "AWS_ACCESS_KEY_ID", EmbeddedS3.ACCESS_KEY, "AWS_SECRET_ACCESS_KEY", EmbeddedS3.SECRET_KEY,
                // what Camel K sets up from the Integration: its sources, its mounted configs
                "CAMEL_MAIN_ROUTES_INCLUDE_PATTERN", "file:" + Path.of("routes").toAbsolutePath() + "/*.camel.yaml",
                "CAMEL_MAIN_SOURCE_LOCATION_ENABLED", "true",
                "QUARKUS_CONFIG_LOCATIONS", Path.of("application.properties").toAbsolutePath().toString(),
                "QUARKUS_HTTP_PORT", port), log);
        try {
            Awaitility.await().atMost(Duration.ofMinutes(2)).pollInterval(Duration.ofMillis(500)).ignoreExceptions()
                    .failFast("the application exited; its log: " + log, () -> !app.process().isAlive())
                    .untilAsserted(() -> {
                        HttpResponse<String> ready = Probes.get(port, "/q/health/ready");
                        assertThat(ready.statusCode()).as(ready.body()).isEqualTo(200);
                        JsonNode checks = Events.JSON.readTree(ready.body()).get("checks");
                        for (String check : List.of("kafka-access", "s3-access", "luma-api-access")) {
                            assertThat(checks.findValues("name")).extracting(JsonNode::asText).contains(check);
                        }
                        assertThat(checks.findValues("status")).extracting(JsonNode::asText).containsOnly("UP");
                    });

            standIns.kafka.send(settings.get("luma.topics.tasks"), taskId);
            JsonNode event = Events.value(Events.awaitOnlyEvent(standIns, settings.get("luma.topics.events"), taskId,
                    Duration.ofMinutes(2)));
            assertThat(event.get("status").asText()).as(app.output()).isEqualTo("completed");
            // each file the CDN served is in S3, byte for byte, and the event names its SHA-256
            List<JsonNode> stored = new ArrayList<>();
            event.get("media").forEach(stored::add);
            assertThat(stored).extracting(m -> m.get("sha256").asText()).containsExactlyInAnyOrderElementsOf(
                    media.byRole().values().stream().map(CdnStandIn.MediaFile::sha256).toList());
            for (JsonNode file : stored) {
                assertThat(Events.sha256OfObject(standIns.s3, StandIns.BUCKET, file.get("key").asText()))
                        .as(file.get("key").asText()).isEqualTo(file.get("sha256").asText());
            }

            HttpResponse<String> metrics = Probes.get(port, "/q/metrics");
            assertThat(metrics.statusCode()).isEqualTo(200);
            assertThat(Probes.sample(metrics.body(), "luma_polls_total")).as(metrics.body()).isGreaterThanOrEqualTo(2);
            assertThat(Probes.sample(metrics.body(), "luma_api_answers_total")).isGreaterThanOrEqualTo(2);
            assertThat(Probes.sample(metrics.body(), "luma_media_stored_total")).isEqualTo(3);
            assertThat(metrics.body()).contains("luma_tasks_in_flight");
            assertThat(app.output()).doesNotContain(StandIns.TOKEN);

            app.process().destroy();
            assertThat(app.waitFor(60)).as("ends within 60 s of SIGTERM").isTrue();
            assertThat(app.process().exitValue()).as(app.output()).isIn(0, 143);
            assertThat(app.output()).contains("luma-harvester-camel-k stopped in");
        } finally {
            app.close();
        }
    }

    private static String buildLogEnd() throws Exception {
        Path log = BUILD.resolve("build.log");
        if (!Files.exists(log)) {
            return "no " + log + ": the invoker did not run";
        }
        List<String> lines = Files.readAllLines(log);
        return String.join("\n", lines.subList(Math.max(0, lines.size() - 40), lines.size()));
    }

    private static int freePort() throws Exception {
        try (ServerSocket socket = new ServerSocket(0)) {
            return socket.getLocalPort();
        }
    }
}
