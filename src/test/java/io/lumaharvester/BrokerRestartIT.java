package io.lumaharvester;

import io.lumaharvester.dev.Events;
import io.lumaharvester.dev.LogCapture;
import io.lumaharvester.dev.Probes;
import io.lumaharvester.dev.ProviderStandIn;

import static org.assertj.core.api.Assertions.assertThat;

import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.UUID;
import java.util.regex.Pattern;
import java.util.stream.Collectors;

import io.lumaharvester.dev.CdnStandIn;
import io.lumaharvester.dev.ChildKafka;
import io.lumaharvester.dev.EmbeddedKafka;
import io.lumaharvester.dev.HarvesterApp;
import io.lumaharvester.dev.LumaApiStandIn;
import io.lumaharvester.dev.StandIns;
import io.lumaharvester.dev.TopicReader;
import io.lumaharvester.provider.ProviderSettings;
import org.apache.kafka.clients.consumer.ConsumerRecord;
import org.awaitility.Awaitility;
import org.junit.jupiter.api.Tag;
import org.junit.jupiter.api.Test;

/**
 * The Kafka broker restarts mid-run: nothing is lost, and the harvester reconnects by itself. The CDN holds the slow
 * tasks' videos until the broker is down, so their harvest steps write into the outage; the outage outlasts the
 * producers' delivery time-out, so those writes really fail (the log says so), and the broker is back before the
 * write that follows such a failure gives up. With one media attempt allowed, a failed write counted as a media
 * attempt would then end its task {@code media_unavailable}; left to redelivery, every task completes. The tasks are
 * split across luma-aggregator, luma-official and fal (two requests: status, then its result), each answering its
 * documented shape.
 */
// in the second IT group: two JVMs side by side, after the benchmarks (pom.xml, profile its-side-by-side)
@Tag("side-by-side")
class BrokerRestartIT {

    /** The routes' sends give up this long after the broker went away (default 2 minutes, which this outage is not). */
    private static final long DELIVERY_TIMEOUT_MS = 10_000;
    /** The harvest due: consumer's line for a record the route left unhandled (Kafka failing): sent again later. */
    private static final Pattern HARVEST_WRITE_REDELIVERED = Pattern.compile(
            "(?m)^io\\.lumaharvester\\.due\\.DueConsumer restart-broker\\.tasks\\.harvest record \\S+ failed "
                    + "\\(org\\.apache\\.kafka\\.\\S+: .*\\); trying again in \\d+ ms");
    /** The task error policy's line for a failed step counted as a media attempt. */
    private static final Pattern MEDIA_ATTEMPT_USED = Pattern.compile(
            "(?m)^io\\.lumaharvester\\.TaskRecovery task \\S+: media copy failed");
    private static final String TOKEN = "provider-token-b41e";
    private static final ProviderStandIn STAND_IN = ProviderStandIn.startForTheRun();
    private static final List<String> PROVIDERS = List.of("luma-aggregator", "luma-official", "fal");

    private static String providerBaseUrl(String name) {
        return STAND_IN.baseUrl() + ("fal".equals(name) ? "/fal-ai/kling-video" : "");
    }

    @Test
    void tasksInFlightWhileTheBrokerRestartsAllCompleteOnceAndAFailedHarvestWriteCostsNoMediaAttempt()
            throws Exception {
        StandIns standIns = StandIns.shared();
        try (ChildKafka broker = ChildKafka.start(Path.of("target", "it", "broker-" + UUID.randomUUID()));
                LogCapture logs = new LogCapture()) {
            Map<String, String> overrides = new LinkedHashMap<>(Map.of(
                    "kafka.brokers", broker.bootstrapServers(),
                    "luma.poll.interval-ms", "300",
                    // a Kafka failure counted as a media attempt ends the task at once
                    "luma.harvest.max-attempts", "1",
                    // a held video waits for the broker's stop: no read time-out meanwhile
                    "luma.harvest.read-timeout-ms", "300000",
                    "camel.component.kafka.request-timeout-ms", "5000",
                    "camel.component.kafka.delivery-timeout-ms", String.valueOf(DELIVERY_TIMEOUT_MS),
                    "camel.component.kafka.max-block-ms", String.valueOf(DELIVERY_TIMEOUT_MS)));
            for (String name : PROVIDERS.subList(1, PROVIDERS.size())) {
                overrides.put("luma.providers." + name + ".base-url", providerBaseUrl(name));
                overrides.put("luma.providers." + name + ".token", TOKEN);
            }
            Map<String, String> props = standIns.properties("restart-broker", overrides);
            EmbeddedKafka.createTopics(broker.bootstrapServers(), StandIns.topics("restart-broker").values()
                    .stream().collect(Collectors.toMap(t -> t, t -> 2)));
            String run = UUID.randomUUID().toString().substring(0, 8);
            // each task's record, and its media files by source URL
            Map<String, String> records = new LinkedHashMap<>();
            Map<String, Map<String, CdnStandIn.MediaFile>> served = new LinkedHashMap<>();
            List<String> slowVideos = new ArrayList<>();
            for (int i = 0; i < 30; i++) {
                String name = PROVIDERS.get(i % PROVIDERS.size());
                Map<String, CdnStandIn.MediaFile> files = new LinkedHashMap<>();
                String taskId;
                if ("luma-aggregator".equals(name)) {
                    taskId = "broker-" + run + "-" + i;
                    records.put(taskId, taskId);
                    LumaApiStandIn.ServedMedia media = standIns.api.completesAfter(taskId,
                            List.of("pending", "processing", "processing", "processing").subList(0, 1 + i % 4),
                            50_000);
                    media.urlByRole().forEach((role, url) -> files.put(url, media.byRole().get(role)));
                } else {
                    taskId = "luma-official".equals(name) ? UUID.randomUUID().toString() : "broker-" + run + "-" + i;
                    records.put(taskId, "{\"task_id\":\"" + taskId + "\",\"provider\":\"" + name + "\"}");
                    ProviderSettings settings = new ProviderSettings(providerBaseUrl(name), TOKEN, Map.of());
                    files.putAll(STAND_IN.completes(ProviderStandIn.builtIn(name, settings), settings, taskId, null,
                            "fal".equals(name) ? 202 : 200).filesByUrl());
                }
                served.put(taskId, files);
                if (i >= 10) {
                    files.forEach((url, file) -> {
                        if (file.contentType().startsWith("video/")) {
                            String video = url.substring(standIns.cdn.baseUrl().length());
                            // still copying when the broker stops, whatever the machine's speed
                            standIns.cdn.hold(video);
                            slowVideos.add(video);
                        }
                    });
                }
            }
            String events = props.get("luma.topics.events");

            try (HarvesterApp app = HarvesterApp.start(props)) {
                try {
                    for (String record : records.values()) {
                        EmbeddedKafka.send(broker.bootstrapServers(), props.get("luma.topics.tasks"), null,
                                record.getBytes(StandardCharsets.UTF_8), Map.of());
                    }
                    Awaitility.await().atMost(Duration.ofSeconds(60))
                            .until(() -> TopicReader.readAll(broker.bootstrapServers(), events).size() >= 5);
                    String port = props.get("luma.http.port");
                    assertThat(Probes.readiness(port).statusCode()).isEqualTo(200);
                    broker.stop();
                    // the slow videos' copies end now, and their harvest steps write into the outage
                    slowVideos.forEach(standIns.cdn::release);
                    Probes.awaitNotReady(port, "kafka-access");
                    // a harvest step's write failed: left to redelivery, or (counted) a media attempt used up
                    Awaitility.await().atMost(Duration.ofSeconds(90)).pollInterval(Duration.ofMillis(100))
                            .until(() -> HARVEST_WRITE_REDELIVERED.matcher(logs.text()).find()
                                    || MEDIA_ATTEMPT_USED.matcher(logs.text()).find());
                    // at once, so that the broker is back before the write that follows the failure gives up
                    broker.restart();
                    Probes.awaitReady(port);
                    Awaitility.await().atMost(Duration.ofMinutes(3)).pollInterval(Duration.ofMillis(500))
                            .until(() -> byTask(broker, events).keySet().containsAll(served.keySet()));
                } finally {
                    // whatever happened, before the harvester stops: no copy stays blocked on a held request
                    slowVideos.forEach(standIns.cdn::release);
                }
            }
            Map<String, List<ConsumerRecord<byte[], byte[]>>> byTask = byTask(broker, events);
            for (var task : served.entrySet()) {
                String taskId = task.getKey();
                assertThat(byTask.get(taskId)).as(taskId).hasSize(1);
                var event = Events.value(byTask.get(taskId).get(0));
                assertThat(event.get("status").asText()).as("%s", event).isEqualTo("completed");
                assertThat(event.get("media")).as("%s", event).hasSize(task.getValue().size());
                for (var file : event.get("media")) {
                    CdnStandIn.MediaFile source = task.getValue().get(file.get("source_url").asText());
                    assertThat(source).as("a file the answer named: %s", file).isNotNull();
                    assertThat(Events.sha256OfObject(standIns.s3, StandIns.BUCKET, file.get("key").asText()))
                            .as("object %s", file.get("key").asText()).isEqualTo(source.sha256());
                }
            }
            // the outage reached the harvest route's writes (otherwise this proves nothing about them), and none of
            // those failures was counted against a media attempt
            assertThat(HARVEST_WRITE_REDELIVERED.matcher(logs.text()).results().count())
                    .as("harvest records whose Kafka write failed and were sent again").isPositive();
            assertThat(MEDIA_ATTEMPT_USED.matcher(logs.text()).results().map(m -> m.group()).toList())
                    .as("media attempts used up").isEmpty();
        }
    }

    private static Map<String, List<ConsumerRecord<byte[], byte[]>>> byTask(ChildKafka broker, String topic) {
        return TopicReader.readAll(broker.bootstrapServers(), topic).stream()
                .collect(Collectors.groupingBy(r -> new String(r.key(), StandardCharsets.UTF_8)));
    }
}
