package io.lumaharvester.bench;

import io.lumaharvester.dev.Probes;

import static org.assertj.core.api.Assertions.assertThat;

import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.Properties;
import java.util.UUID;

import io.lumaharvester.dev.EmbeddedS3;
import io.lumaharvester.dev.FastApiStandIn;
import io.lumaharvester.dev.HarvesterProcess;
import io.lumaharvester.dev.StandIns;
import org.apache.kafka.clients.producer.KafkaProducer;
import org.apache.kafka.clients.producer.ProducerConfig;
import org.apache.kafka.clients.producer.ProducerRecord;
import org.apache.kafka.common.serialization.ByteArraySerializer;
import org.awaitility.Awaitility;
import org.junit.jupiter.api.Test;

/**
 * The heap holds however many tasks wait, whatever their size: the records the due: consumers hold are capped in bytes
 * (luma.tasks.max-held-bytes, 5 % of the heap by default), and a task's state is held without its event
 * (TaskStates). 1,000 tasks with 60 KB of metadata each, sent at once, are 60 MB of task records (more read into
 * trees) and as much again in tickets and in completed states' events: read whole, or with every completed task's
 * event held, they exhaust a 128 MB heap. The packaged jar at -Xmx128m (exiting on OutOfMemoryError, as the image
 * runs it) completes every one.
 */
class HeapBoundIT {

    private static final int TASKS = 1000;
    private static final String HEAP = "-Xmx128m";
    private static final int METADATA_BYTES = 60 * 1024;
    /**
     * Each ticket's least wait in the poll consumer before its first poll: with 1 s every ticket still waits and the
     * cap is reached (with the cap at 1 GB instead, the run ends in OutOfMemoryError). The rest of the run is bounded
     * by the copies and events of the tasks polled, which hold the cap meanwhile (on a quiet machine a task waited 21 s
     * at the median for its first poll), not by this.
     */
    private static final long FIRST_DELAY_MS = 1000;

    @Test
    void aThousandTasksWith60KbOfMetadataEachAllCompleteAt128MbOfHeap() throws Exception {
        StandIns standIns = StandIns.shared();
        String run = UUID.randomUUID().toString().substring(0, 8);
        // the API answers at once, completed at the first poll, which comes FIRST_DELAY_MS after intake: every task's
        // ticket waits in the poll consumer, all of them due at about the same moments, and each task costs one poll
        try (FastApiStandIn api = FastApiStandIn.start(standIns.api, 0, 1000)) {
            Map<String, String> settings = standIns.properties("heap-bound-" + run, Map.of(
                    "luma.api.base-url", api.baseUrl(),
                    "luma.poll.first-delay-ms", String.valueOf(FIRST_DELAY_MS),
                    "luma.poll.interval-ms", "2000",
                    "luma.topics.partitions", "4"));
            Path log = Files.createDirectories(Path.of("target", "it")).resolve("heap-bound-" + run + ".log");
            try (HarvesterProcess app = HarvesterProcess.start(HarvesterProcess.packagedJar(),
                    // both compilers, as in production: this run is JSON parsing and writing, tens of seconds of CPU
                    List.of(HEAP, "-XX:+ExitOnOutOfMemoryError", "-XX:TieredStopAtLevel=4",
                            "-Xlog:gc:file=" + log.resolveSibling("heap-bound-" + run + "-gc.log")), settings,
                    Map.of("AWS_ACCESS_KEY_ID", EmbeddedS3.ACCESS_KEY, "AWS_SECRET_ACCESS_KEY", EmbeddedS3.SECRET_KEY),
                    log)) {
                String port = settings.get("luma.http.port");
                Probes.awaitReady(port);
                BenchmarksIT.Sampler sampler = BenchmarksIT.Sampler.start(port);
                BenchmarksIT.EventCollector events = BenchmarksIT.EventCollector.start(standIns,
                        settings.get("luma.topics.events"));
                long start = System.currentTimeMillis();
                List<String> ids = sendTasks(standIns, settings.get("luma.topics.tasks"), "heap-" + run);
                Awaitility.await().atMost(Duration.ofMinutes(10)).pollInterval(Duration.ofMillis(500))
                        .until(() -> events.count() >= ids.size() || !app.process().isAlive());
                long tookMs = System.currentTimeMillis() - start;
                sampler.stop();
                events.stop();
                System.out.printf("HeapBoundIT: %d tasks of %d KB metadata at %s: %d events within %d ms, "
                        + "heap used peak %d MB%n", TASKS, METADATA_BYTES / 1024, HEAP, events.count(), tookMs,
                        sampler.maxHeap() >> 20);
                assertThat(app.output()).doesNotContain("OutOfMemoryError");
                assertThat(app.process().isAlive()).as("the harvester still runs").isTrue();
                assertThat(events.count()).as("tasks with an event").isEqualTo(TASKS);
                assertThat(events.statuses()).isEqualTo(Map.of("completed", TASKS));
            }
        }
    }

    /**
     * The task records, {"task_id": ..., "metadata": {"f000": "...", ...}}, at once: 60 KB of metadata in fields of
     * 116 characters, as structured metadata is (read into a tree, it takes more heap than its bytes; one string of 60 KB
     * would take only its bytes).
     */
    private static List<String> sendTasks(StandIns standIns, String topic, String prefix) {
        Properties props = new Properties();
        props.put(ProducerConfig.BOOTSTRAP_SERVERS_CONFIG, standIns.kafka.bootstrapServers());
        props.put(ProducerConfig.KEY_SERIALIZER_CLASS_CONFIG, ByteArraySerializer.class.getName());
        props.put(ProducerConfig.VALUE_SERIALIZER_CLASS_CONFIG, ByteArraySerializer.class.getName());
        props.put(ProducerConfig.LINGER_MS_CONFIG, "5");
        String metadata = structuredMetadata(METADATA_BYTES);
        List<String> ids = new ArrayList<>();
        try (KafkaProducer<byte[], byte[]> producer = new KafkaProducer<>(props)) {
            for (int i = 0; i < TASKS; i++) {
                String id = prefix + "-" + i;
                ids.add(id);
                byte[] value = ("{\"task_id\":\"" + id + "\",\"metadata\":" + metadata + "}")
                        .getBytes(StandardCharsets.UTF_8);
                producer.send(new ProducerRecord<>(topic, id.getBytes(StandardCharsets.UTF_8), value));
            }
            producer.flush();
        }
        return ids;
    }

    /** A JSON object of about {@code bytes} of metadata in fields of 116 characters, as structured metadata is. */
    static String structuredMetadata(int bytes) {
        StringBuilder fields = new StringBuilder();
        for (int field = 0; fields.length() < bytes; field++) {
            fields.append(field == 0 ? "" : ",").append(String.format("\"f%03d\":\"%s\"", field, "m".repeat(116)));
        }
        return "{" + fields + "}";
    }
}
