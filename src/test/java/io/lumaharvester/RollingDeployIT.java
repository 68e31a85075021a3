package io.lumaharvester;

import io.lumaharvester.dev.Events;
import io.lumaharvester.dev.Probes;

import static org.assertj.core.api.Assertions.assertThat;

import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.HashMap;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.UUID;
import java.util.stream.Collectors;

import io.lumaharvester.dev.EmbeddedS3;
import io.lumaharvester.dev.HarvesterProcess;
import io.lumaharvester.dev.LumaApiStandIn;
import io.lumaharvester.dev.StandIns;
import org.apache.kafka.clients.consumer.ConsumerRecord;
import org.apache.kafka.clients.producer.KafkaProducer;
import org.apache.kafka.clients.producer.ProducerConfig;
import org.apache.kafka.clients.producer.ProducerRecord;
import org.apache.kafka.common.serialization.StringSerializer;
import org.awaitility.Awaitility;
import org.junit.jupiter.api.Tag;
import org.junit.jupiter.api.Test;

/**
 * A rolling deploy: two instances of the packaged jar in one group, copies that take seconds (the CDN answers each
 * file after 1.5 s), one instance stopped with SIGTERM mid-copy and started again. Partitions move twice (to the
 * instance that stays, then back to the restarted one); each move waits for the records in flight of the partitions
 * that move, so no task gets two events and few files are downloaded twice (a record that outlasts the wait, or one
 * finished ahead of an older one still waiting on its partition).
 */
// in the second IT group: two JVMs side by side, after the benchmarks (pom.xml, profile its-side-by-side)
@Tag("side-by-side")
class RollingDeployIT {

    /**
     * Copies of 1.5 s each. Once the leaving instance has stopped, the CDN pauses every new request until the restarted
     * instance is ready, so files are left for it however long the start takes (some 13 s on a quiet 2-core machine,
     * over a minute on a loaded one); a paused copy waits within the read time-out, set above the longest start.
     */
    private static final int TASKS = 120;
    private static final long FIRST_BYTE_MS = 1_500;
    /** Files downloaded again, at most, as a share of all files: a record that outlasted a hand-over. */
    private static final double MAX_DOWNLOADED_AGAIN = 0.02;

    @Test
    void aRollingRestartMidCopyCompletesEveryTaskOnceAndDownloadsAlmostNothingAgain() throws Exception {
        StandIns standIns = StandIns.shared();
        String run = UUID.randomUUID().toString().substring(0, 8);
        Map<String, String> settings = standIns.properties("rolling-" + run, Map.of(
                "luma.topics.partitions", "6",
                "luma.poll.interval-ms", "300",
                // half the default: the work lasts long enough for the restarted instance to join while it goes on
                "luma.harvest.max-copies-in-flight", "16",
                "luma.harvest.max-copies-in-flight-while-polls-lag", "16",
                // a copy paused while the other instance starts (below) is not timed out and asked for again
                "luma.harvest.read-timeout-ms", "300000"));
        Map<String, String> otherSettings = new HashMap<>(settings);
        otherSettings.put("luma.http.port", String.valueOf(freePort()));
        Map<String, String> env = Map.of("AWS_ACCESS_KEY_ID", EmbeddedS3.ACCESS_KEY,
                "AWS_SECRET_ACCESS_KEY", EmbeddedS3.SECRET_KEY);
        Path logs = Files.createDirectories(Path.of("target", "it"));
        Map<String, LumaApiStandIn.ServedMedia> served = new LinkedHashMap<>();
        for (int i = 0; i < TASKS; i++) {
            String taskId = "rolling-" + run + "-" + i;
            LumaApiStandIn.ServedMedia media = standIns.api.completesAfter(taskId, List.of(), 64_000);
            media.urlByRole().values().forEach(url -> standIns.cdn.throttle(path(standIns, url), FIRST_BYTE_MS, 0));
            served.put(taskId, media);
        }
        String events = settings.get("luma.topics.events");
        Path jar = HarvesterProcess.packagedJar();
        long started = System.currentTimeMillis();
        int eventsAtStop;
        int requestedAtStop;
        int requestedAtRestart;
        try (HarvesterProcess staying = HarvesterProcess.start(jar, List.of("-Xmx256m"), settings, env,
                logs.resolve("rolling-staying.log"))) {
            HarvesterProcess leaving = HarvesterProcess.start(jar, List.of("-Xmx256m"), otherSettings, env,
                    logs.resolve("rolling-leaving.log"));
            try {
                // both in the group before the tasks come, so that the stop moves partitions with copies in flight
                awaitReady(settings.get("luma.http.port"));
                awaitReady(otherSettings.get("luma.http.port"));
                send(standIns, settings.get("luma.topics.tasks"), served.keySet());
                // a sixth of the files asked for: with 1.5 s to the first byte, dozens are being copied on each
                Awaitility.await().atMost(Duration.ofMinutes(2)).pollInterval(Duration.ofMillis(100))
                        .until(() -> requested(standIns, served) >= TASKS / 2);
            } finally {
                // SIGTERM, as a rolling deploy stops an instance; copies are in flight on both
                leaving.close();
            }
            eventsAtStop = Events.records(standIns, events).size();
            requestedAtStop = requested(standIns, served);
            try {
                standIns.cdn.pauseNewRequests();
                try (HarvesterProcess restarted = HarvesterProcess.start(jar, List.of("-Xmx256m"), otherSettings,
                        env, logs.resolve("rolling-restarted.log"))) {
                    try {
                        awaitReady(otherSettings.get("luma.http.port"));
                        requestedAtRestart = requested(standIns, served);
                    } finally {
                        standIns.cdn.resume();
                    }
                    Awaitility.await().atMost(Duration.ofMinutes(2)).pollInterval(Duration.ofMillis(500))
                            .until(() -> eventsByTask(standIns, events).keySet().containsAll(served.keySet()));
                    Events.awaitDrained(standIns, settings.get("luma.kafka.group-id"),
                            settings.get("luma.topics.tasks"), settings.get("luma.topics.polling"),
                            settings.get("luma.topics.harvest"));
                }
            } finally {
                // the stand-ins serve the other ITs of this JVM after this one
                standIns.cdn.resume();
            }
        }
        long tookMs = System.currentTimeMillis() - started;

        Map<String, List<ConsumerRecord<byte[], byte[]>>> byTask = eventsByTask(standIns, events);
        long duplicates = byTask.values().stream().mapToLong(l -> l.size() - 1).sum();
        Map<String, Long> statuses = new HashMap<>();
        for (List<ConsumerRecord<byte[], byte[]>> taskEvents : byTask.values()) {
            for (ConsumerRecord<byte[], byte[]> event : taskEvents) {
                statuses.merge(status(event), 1L, Long::sum);
            }
        }
        int files = 3 * TASKS;
        int downloadedAgain = requested(standIns, served) - files;
        String figures = "tasks=" + TASKS + " files=" + files + " eventsAtStop=" + eventsAtStop + " events="
                + byTask.values().stream().mapToInt(List::size).sum() + " duplicateEvents=" + duplicates
                + " statuses=" + statuses + " requestsAtStop=" + requestedAtStop + " requestsAtRestart="
                + requestedAtRestart + " filesDownloadedAgain="
                + downloadedAgain + " tookMs=" + tookMs;
        Files.writeString(logs.resolve("rolling-deploy.txt"), figures + "\n");
        System.out.println("rolling deploy: " + figures);
        assertThat(eventsAtStop).as("tasks were still copying when the instance stopped: %s", figures)
                .isLessThan(TASKS);
        assertThat(requestedAtRestart).as("files were still to copy when the instance came back: %s", figures)
                .isLessThan(files);
        assertThat(byTask.keySet()).as(figures).containsExactlyInAnyOrderElementsOf(served.keySet());
        assertThat(duplicates).as(figures).isZero();
        assertThat(statuses).as(figures).containsOnlyKeys("completed");
        assertThat(downloadedAgain).as(figures).isLessThanOrEqualTo((int) Math.floor(files * MAX_DOWNLOADED_AGAIN));
    }

    /** An event's status, with the failure's reason when it failed. */
    private static String status(ConsumerRecord<byte[], byte[]> event) throws Exception {
        var value = Events.value(event);
        String status = value.get("status").asText();
        return value.has("failure") ? status + ":" + value.get("failure").get("reason").asText() : status;
    }

    /** The task ids on the tasks topic, keyed by task id, with one producer. */
    private static void send(StandIns standIns, String topic, Iterable<String> taskIds) throws Exception {
        java.util.Properties props = new java.util.Properties();
        props.put(ProducerConfig.BOOTSTRAP_SERVERS_CONFIG, standIns.kafka.bootstrapServers());
        props.put(ProducerConfig.KEY_SERIALIZER_CLASS_CONFIG, StringSerializer.class.getName());
        props.put(ProducerConfig.VALUE_SERIALIZER_CLASS_CONFIG, StringSerializer.class.getName());
        try (KafkaProducer<String, String> producer = new KafkaProducer<>(props)) {
            for (String taskId : taskIds) {
                producer.send(new ProducerRecord<>(topic, taskId, taskId));
            }
            producer.flush();
        }
    }

    /** CDN requests for the tasks' files: each file once, plus each download again. */
    private static int requested(StandIns standIns, Map<String, LumaApiStandIn.ServedMedia> served) {
        return served.values().stream().flatMap(media -> media.urlByRole().values().stream())
                .mapToInt(url -> standIns.cdn.hits(path(standIns, url))).sum();
    }

    private static String path(StandIns standIns, String url) {
        return url.substring(standIns.cdn.baseUrl().length());
    }

    private static Map<String, List<ConsumerRecord<byte[], byte[]>>> eventsByTask(StandIns standIns, String topic) {
        return Events.records(standIns, topic).stream()
                .collect(Collectors.groupingBy(r -> new String(r.key(), StandardCharsets.UTF_8)));
    }

    /** Two JVMs starting at once on a loaded machine can take over a minute. */
    private static void awaitReady(String port) {
        Awaitility.await().atMost(Duration.ofMinutes(3)).pollInterval(Duration.ofMillis(250)).ignoreExceptions()
                .until(() -> Probes.readiness(port).statusCode() == 200);
    }

    private static int freePort() throws java.io.IOException {
        try (java.net.ServerSocket socket = new java.net.ServerSocket(0)) {
            return socket.getLocalPort();
        }
    }
}
