package io.lumaharvester;

import static org.assertj.core.api.Assertions.assertThat;

import java.io.InputStream;
import java.net.HttpURLConnection;
import java.net.URI;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.time.LocalDate;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.Properties;
import java.util.UUID;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.atomic.AtomicBoolean;
import java.util.concurrent.atomic.AtomicLong;

import com.fasterxml.jackson.databind.JsonNode;
import io.lumaharvester.dev.EmbeddedKafka;
import io.lumaharvester.dev.EmbeddedS3;
import io.lumaharvester.dev.FastApiStandIn;
import io.lumaharvester.dev.HarvesterProcess;
import io.lumaharvester.dev.LumaApiStandIn;
import io.lumaharvester.dev.StandIns;
import org.apache.camel.main.Main;
import org.apache.kafka.clients.consumer.ConsumerConfig;
import org.apache.kafka.clients.consumer.ConsumerRecord;
import org.apache.kafka.clients.consumer.KafkaConsumer;
import org.apache.kafka.clients.producer.KafkaProducer;
import org.apache.kafka.clients.producer.ProducerConfig;
import org.apache.kafka.clients.producer.ProducerRecord;
import org.apache.kafka.common.TopicPartition;
import org.apache.kafka.common.serialization.ByteArrayDeserializer;
import org.apache.kafka.common.serialization.ByteArraySerializer;
import org.awaitility.Awaitility;
import org.awaitility.core.ConditionTimeoutException;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.MethodOrderer;
import org.junit.jupiter.api.Order;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.TestMethodOrder;
import software.amazon.awssdk.core.sync.RequestBody;
import software.amazon.awssdk.services.s3.S3Client;

/**
 * Benchmarks, each figure against a baseline measured in the same run: in-flight capacity and cost per poll
 * (against a naive loop + delay route), streaming throughput and memory (against the AWS SDK's own putObject), and
 * event latency. {@code mvn -Pbench verify} runs them at full size ({@code -Dbench.scale=full}) and writes
 * {@code target/bench/results.md}; the suite runs them small ({@code smoke}) so that they keep working. The figures
 * are reported, not asserted; only "it ran and every task ended" is.
 */
@TestMethodOrder(MethodOrderer.OrderAnnotation.class)
class BenchmarksIT {

    private static final long MB = 1024 * 1024;

    /** The sizes of one run. */
    record Scale(String name, int tasks, long generationMs, long intervalMs, int pollConsumers, int naiveConsumers,
            long naiveWindowMs, int streamTasks, long streamBytes, long bigBytes) {
    }

    private static final Scale SCALE = switch (System.getProperty("bench.scale", "smoke")) {
        case "full" -> new Scale("full", 10_000, 60_000, 5_000, 8, 32, 240_000, 20, 200 * MB, 1024 * MB);
        // for profiling: -Dbench.scale=medium -Dbench.harvester-jvm-options=-XX:StartFlightRecording=...
        case "medium" -> new Scale("medium", 2_000, 20_000, 5_000, 8, 32, 60_000, 5, 200 * MB, 400 * MB);
        default -> new Scale("smoke", 40, 5_000, 1_000, 2, 8, 20_000, 2, 20 * MB, 60 * MB);
    };

    private static final List<String[]> ROWS = new ArrayList<>();
    private static final List<String> NOTES = new ArrayList<>();

    @Test
    @Order(1)
    void inFlightCapacityAndCostPerPollAgainstANaiveLoopRoute() throws Exception {
        StandIns standIns = StandIns.shared();
        String run = UUID.randomUUID().toString().substring(0, 6);
        long transferMs = sdkCopyMillisOfOneSmallTask(standIns);

        // the harvester, as shipped, at -Xmx512m
        long harvesterMs;
        Map<String, Long> latencies;
        Sampler sampler;
        double cpuPerPollMicros;
        double pollRate;
        long polls;
        try (FastApiStandIn api = FastApiStandIn.start(standIns.api, SCALE.generationMs(), 10_000)) {
            String prefix = "bench-cap-" + run;
            EmbeddedKafka.createTopics(standIns.kafka.bootstrapServers(), Map.of(
                    prefix + ".tasks", 4, prefix + ".tasks.polling", SCALE.pollConsumers(),
                    prefix + ".tasks.harvest", 4));
            Map<String, String> props = standIns.properties(prefix, Map.of(
                    "luma.api.base-url", api.baseUrl(),
                    "luma.poll.interval-ms", String.valueOf(SCALE.intervalMs()),
                    "luma.poll.consumers", String.valueOf(SCALE.pollConsumers()),
                    "luma.intake.consumers", "4",
                    "luma.media.consumers", "4"));
            try (HarvesterProcess app = startJar(props, "-Xmx512m", "capacity")) {
                String port = props.get("luma.http.port");
                Probes.awaitReady(port);
                sampler = Sampler.start(port);
                List<String> ids = taskIds("cap-" + run, SCALE.tasks());
                EventCollector events = EventCollector.start(standIns, props.get("luma.topics.events"));
                long start = System.currentTimeMillis();
                sendAll(standIns, props.get("luma.topics.tasks"), ids);
                // the measurement window for cost per poll: from two poll intervals in (intake and JIT warm-up
                // mostly done) to just before the first task can complete, the process does nothing but poll
                Thread.sleep(Math.max(0, start + 2 * SCALE.intervalMs() - System.currentTimeMillis()));
                long windowStart = System.currentTimeMillis();
                double pollsBefore = Probes.sample(Probes.scrape(port), "luma_polls_total");
                long cpuBefore = cpuMillis(app.process().pid());
                Thread.sleep(Math.max(0, start + SCALE.generationMs() - 1000 - System.currentTimeMillis()));
                long cpuAfter = cpuMillis(app.process().pid());
                long windowMs = System.currentTimeMillis() - windowStart;
                polls = (long) (Probes.sample(Probes.scrape(port), "luma_polls_total") - pollsBefore);
                cpuPerPollMicros = (cpuAfter - cpuBefore) * 1000.0 / polls;
                pollRate = polls * 1000.0 / windowMs;
                events.awaitAll(ids.size(), Duration.ofMillis(SCALE.generationMs() * 3 + 900_000));
                harvesterMs = events.lastTimestamp() - start;
                sampler.stop();
                events.stop();
                latencies = new HashMap<>();
                for (String id : ids) {
                    latencies.put(id, events.timestamp(id) - api.completedAt(id) - SCALE.intervalMs());
                }
                assertThat(events.statuses()).as("every task completed").containsOnlyKeys("completed");
            }
        }

        // the baseline: loop + delay on the Kafka consumer thread
        long naiveMs;
        int naiveDone;
        try (FastApiStandIn api = FastApiStandIn.start(standIns.api, SCALE.generationMs(), 10_000)) {
            String prefix = "bench-naive-" + run;
            EmbeddedKafka.createTopics(standIns.kafka.bootstrapServers(), Map.of(prefix + ".tasks",
                    SCALE.naiveConsumers(), prefix + ".events", 1));
            Map<String, String> props = new HashMap<>(standIns.properties(prefix, Map.of(
                    "luma.api.base-url", api.baseUrl(),
                    "camel.main.routes-include-pattern", "classpath:bench/naive-loop.camel.yaml",
                    "bench.naive.tasks", prefix + ".tasks",
                    "bench.naive.events", prefix + ".events",
                    "bench.naive.consumers", String.valueOf(SCALE.naiveConsumers()),
                    "bench.naive.interval-ms", String.valueOf(SCALE.intervalMs()),
                    "camel.main.shutdown-timeout", "5")));
            Main main = new Main();
            props.forEach(main::addOverrideProperty);
            main.start();
            try {
                List<String> ids = taskIds("naive-" + run, SCALE.tasks());
                EventCollector events = EventCollector.start(standIns, prefix + ".events");
                long start = System.currentTimeMillis();
                sendAll(standIns, prefix + ".tasks", ids);
                events.awaitAllOrWindow(ids.size(), Duration.ofMillis(SCALE.naiveWindowMs()));
                naiveDone = events.count();
                long elapsed = System.currentTimeMillis() - start;
                naiveMs = naiveDone == ids.size() ? events.lastTimestamp() - start
                        : naiveDone == 0 ? Long.MAX_VALUE : elapsed * ids.size() / naiveDone;
                events.stop();
            } finally {
                main.stop();
            }
        }

        long target = SCALE.generationMs() + 2 * SCALE.intervalMs();
        row("In-flight capacity: " + SCALE.tasks() + " tasks, " + SCALE.generationMs() / 1000 + " s generation, "
                + SCALE.intervalMs() / 1000 + " s poll, -Xmx512m: time to the last event",
                seconds(harvesterMs),
                (naiveDone == SCALE.tasks() ? "" : "projected ") + seconds(naiveMs) + " (naive loop + delay, "
                        + SCALE.naiveConsumers() + " consumers" + (naiveDone == SCALE.tasks() ? ""
                                : "; " + naiveDone + " done in " + SCALE.naiveWindowMs() / 1000 + " s") + ")",
                String.format(Locale.ROOT, "%.1f× faster", (double) naiveMs / harvesterMs),
                "≤ " + seconds(target) + " + media time", harvesterMs <= target + transferMs * SCALE.tasks()
                        / 4 ? "pass" : "miss");
        row("Live threads, peak", String.valueOf(sampler.maxThreads()), "", "", "≤ 64",
                sampler.maxThreads() <= 64 ? "pass" : "miss");
        row("Heap used, peak", mb(sampler.maxHeap()), "", "", "≤ 512 MB",
                sampler.maxHeap() <= 512 * MB ? "pass" : "miss");
        row("CPU per poll cycle (process CPU ÷ " + polls + " polls from " + 2 * SCALE.intervalMs() / 1000 + " s to "
                + (SCALE.generationMs() - 1000) / 1000 + " s, before any media copy)", String.format(Locale.ROOT, "%.0f µs", cpuPerPollMicros), "", "",
                "≤ 300 µs", cpuPerPollMicros <= 300 ? "pass" : "miss");
        row("Poll rate in that window", String.format(Locale.ROOT, "%.0f polls/s", pollRate), "", "",
                SCALE.tasks() * 1000 / SCALE.intervalMs() + " polls/s (every task every interval)",
                pollRate >= 0.95 * SCALE.tasks() * 1000 / SCALE.intervalMs() ? "pass" : "miss");
        List<Long> sorted = latencies.values().stream().sorted().toList();
        long p50 = sorted.get(sorted.size() / 2);
        long p99 = sorted.get(Math.min(sorted.size() - 1, (int) Math.ceil(sorted.size() * 0.99) - 1));
        row("Event latency (event − turned completed − poll interval), p50 / p99", p50 + " ms / " + p99 + " ms",
                transferMs + " ms (SDK copy of one task's 3 files)", "",
                "p99 ≤ " + (transferMs + 1000) + " ms (transfer + 1 s)", p99 <= transferMs + 1000 ? "pass" : "miss");
    }

    @Test
    @Order(2)
    void streamingThroughputAndMemoryAgainstTheSdksPutObject() throws Exception {
        StandIns standIns = StandIns.shared();
        String run = UUID.randomUUID().toString().substring(0, 6);
        StreamingRun small = harvestInFreshProcess(standIns, "streaming", SCALE.streamBytes(),
                taskIds("stream-" + run, SCALE.streamTasks()));
        // one big file, same settings, a fresh process
        StreamingRun big = harvestInFreshProcess(standIns, "streaming-big", SCALE.bigBytes(), List.of("big-" + run));
        // the baseline: the same files, copied with the SDK's streaming putObject (known length), one at a time
        double sdkMbps;
        try (S3Client s3 = standIns.s3.client()) {
            long bytes = 0;
            long start = System.nanoTime();
            for (String id : taskIds("sdk-" + run, SCALE.streamTasks())) {
                bytes += sdkCopyTask(s3, standIns, id, SCALE.streamBytes(), "bench-sdk/");
            }
            sdkMbps = bytes / (double) MB / ((System.nanoTime() - start) / 1e9);
        }
        row("Streaming: " + SCALE.streamTasks() + " tasks × " + mb(SCALE.streamBytes()) + " video, -Xmx256m",
                String.format(Locale.ROOT, "%.0f MB/s", small.mbps()),
                String.format(Locale.ROOT, "%.0f MB/s (SDK putObject)", sdkMbps),
                String.format(Locale.ROOT, "%.2f×", small.mbps() / sdkMbps), "≥ 0.80×",
                small.mbps() >= 0.8 * sdkMbps ? "pass" : "miss");
        row("Heap used, peak: " + mb(SCALE.bigBytes()) + " file against " + mb(SCALE.streamBytes()) + " files",
                mb(big.maxHeap()), mb(small.maxHeap()),
                String.format(Locale.ROOT, "%.2f×", (double) big.maxHeap() / small.maxHeap()),
                "does not grow with file size (≤ 1.25×)", big.maxHeap() <= 1.25 * small.maxHeap() ? "pass" : "miss");
    }

    @AfterAll
    static void report() throws Exception {
        StringBuilder table = new StringBuilder();
        table.append("Scale: ").append(SCALE.name()).append(", ").append(LocalDate.now()).append(", ")
                .append(Runtime.getRuntime().availableProcessors()).append(" cores, Java ")
                .append(System.getProperty("java.version")).append("\n\n");
        table.append("| figure | harvester | baseline | ratio | target | result |\n|---|---|---|---|---|---|\n");
        for (String[] row : ROWS) {
            table.append("| ").append(String.join(" | ", row)).append(" |\n");
        }
        NOTES.forEach(note -> table.append("\n").append(note).append("\n"));
        Path dir = Files.createDirectories(Path.of("target", "bench"));
        Files.writeString(dir.resolve("results-" + SCALE.name() + ".md"), table.toString());
        System.out.println(table);
    }

    private static void row(String... cells) {
        ROWS.add(cells);
    }

    private static String seconds(long ms) {
        return ms == Long.MAX_VALUE ? "∞" : String.format(Locale.ROOT, "%.1f s", ms / 1000.0);
    }

    private static String mb(long bytes) {
        return bytes >= 1024 * MB ? String.format(Locale.ROOT, "%.0f GB", bytes / 1024.0 / MB)
                : String.format(Locale.ROOT, "%.0f MB", bytes / (double) MB);
    }

    private static List<String> taskIds(String prefix, int n) {
        List<String> ids = new ArrayList<>(n);
        for (int i = 0; i < n; i++) {
            ids.add(prefix + "-" + i);
        }
        return ids;
    }

    private static HarvesterProcess startJar(Map<String, String> settings, String xmx, String name) throws Exception {
        // -Dbench.set.NAME=VALUE overrides a harvester setting, for trying a tuning without editing the benchmark
        Map<String, String> props = new HashMap<>(settings);
        System.getProperties().stringPropertyNames().stream().filter(k -> k.startsWith("bench.set."))
                .forEach(k -> props.put(k.substring("bench.set.".length()), System.getProperty(k)));
        Path log = Files.createDirectories(Path.of("target", "bench")).resolve(name + ".log");
        Files.deleteIfExists(log);
        List<String> jvm = new ArrayList<>(List.of(xmx));
        String extra = System.getProperty("bench.harvester-jvm-options", "").strip();
        if (!extra.isEmpty()) {
            jvm.addAll(List.of(extra.replace("{name}", name).split("\\s+")));
        }
        return HarvesterProcess.start(HarvesterProcess.packagedJar(), jvm, props,
                Map.of("AWS_ACCESS_KEY_ID", EmbeddedS3.ACCESS_KEY, "AWS_SECRET_ACCESS_KEY", EmbeddedS3.SECRET_KEY),
                log);
    }

    /** One producer for all task records: the benchmark measures the harvester, not the sender. */
    private static void sendAll(StandIns standIns, String topic, List<String> ids) {
        Properties props = new Properties();
        props.put(ProducerConfig.BOOTSTRAP_SERVERS_CONFIG, standIns.kafka.bootstrapServers());
        props.put(ProducerConfig.KEY_SERIALIZER_CLASS_CONFIG, ByteArraySerializer.class.getName());
        props.put(ProducerConfig.VALUE_SERIALIZER_CLASS_CONFIG, ByteArraySerializer.class.getName());
        props.put(ProducerConfig.LINGER_MS_CONFIG, "5");
        try (KafkaProducer<byte[], byte[]> producer = new KafkaProducer<>(props)) {
            for (String id : ids) {
                byte[] bytes = id.getBytes(StandardCharsets.UTF_8);
                producer.send(new ProducerRecord<>(topic, bytes, bytes));
            }
            producer.flush();
        }
    }

    /** User plus system CPU time of a process, from /proc (Linux). */
    private static long cpuMillis(long pid) throws Exception {
        String stat = Files.readString(Path.of("/proc", String.valueOf(pid), "stat"));
        String[] fields = stat.substring(stat.lastIndexOf(')') + 2).split(" ");
        long ticks = Long.parseLong(fields[11]) + Long.parseLong(fields[12]);
        return ticks * 1000 / 100; // USER_HZ is 100 on Linux
    }

    /** Copies one task's three small files with the SDK ten times; the mean time of one task's copy. */
    private static long sdkCopyMillisOfOneSmallTask(StandIns standIns) throws Exception {
        try (S3Client s3 = standIns.s3.client()) {
            long start = System.nanoTime();
            for (int i = 0; i < 10; i++) {
                sdkCopyTask(s3, standIns, "transfer-" + UUID.randomUUID(), 10_000, "bench-transfer/");
            }
            return Math.max(1, (System.nanoTime() - start) / 10 / 1_000_000);
        }
    }

    /** What one harvester process did with one batch of tasks: throughput from the send, and its heap peak. */
    record StreamingRun(double mbps, long maxHeap) {
    }

    /** Starts the jar at -Xmx256m against a fresh API stand-in, harvests {@code ids} and stops it again. */
    private static StreamingRun harvestInFreshProcess(StandIns standIns, String name, long videoBytes,
            List<String> ids) throws Exception {
        try (FastApiStandIn api = FastApiStandIn.start(standIns.api, 0, videoBytes)) {
            Map<String, String> props = standIns.properties("bench-" + name + "-" + ids.get(0), Map.of(
                    "luma.api.base-url", api.baseUrl(),
                    "luma.poll.interval-ms", "500"));
            try (HarvesterProcess app = startJar(props, "-Xmx256m", name)) {
                String port = props.get("luma.http.port");
                Probes.awaitReady(port);
                EventCollector events = EventCollector.start(standIns, props.get("luma.topics.events"));
                Sampler sampler = Sampler.start(port);
                long start = System.currentTimeMillis();
                sendAll(standIns, props.get("luma.topics.tasks"), ids);
                events.awaitAll(ids.size(), Duration.ofMinutes(30));
                double mbps = events.bytes() / (double) MB / ((events.lastTimestamp() - start) / 1000.0);
                sampler.stop();
                assertThat(events.statuses()).containsOnlyKeys("completed");
                events.stop();
                return new StreamingRun(mbps, sampler.maxHeap());
            }
        }
    }

    /** Copies one task's three media files with the SDK; returns the bytes copied. */
    private static long sdkCopyTask(S3Client s3, StandIns standIns, String id, long videoBytes, String keyPrefix)
            throws Exception {
        long bytes = 0;
        for (String url : standIns.api.completedMedia(id, videoBytes).urlByRole().values()) {
            bytes += sdkCopy(s3, url, keyPrefix + id + "/" + Math.abs(url.hashCode()));
        }
        return bytes;
    }

    private static long sdkCopy(S3Client s3, String url, String key) throws Exception {
        HttpURLConnection connection = (HttpURLConnection) URI.create(url).toURL().openConnection();
        try (InputStream in = connection.getInputStream()) {
            long length = connection.getContentLengthLong();
            s3.putObject(b -> b.bucket(StandIns.BUCKET).key(key).contentLength(length),
                    RequestBody.fromInputStream(in, length));
            return length;
        } finally {
            connection.disconnect();
        }
    }

    /** Peak heap used and live threads of the harvester, from its own metrics endpoint, twice a second. */
    static final class Sampler {
        private final AtomicLong maxHeap = new AtomicLong();
        private final AtomicLong maxThreads = new AtomicLong();
        private final AtomicBoolean running = new AtomicBoolean(true);
        private Thread thread;

        static Sampler start(String port) {
            Sampler sampler = new Sampler();
            sampler.thread = new Thread(() -> {
                while (sampler.running.get()) {
                    try {
                        String scrape = Probes.scrape(port);
                        sampler.maxHeap.accumulateAndGet((long) Probes.sample(scrape, "jvm_memory_used_bytes",
                                "area=heap"), Math::max);
                        sampler.maxThreads.accumulateAndGet((long) Probes.sample(scrape,
                                "jvm_threads_live_threads"), Math::max);
                        Thread.sleep(500);
                    } catch (InterruptedException e) {
                        return;
                    } catch (Exception e) {
                        // a scrape that fails under load is skipped
                    }
                }
            }, "bench-sampler");
            sampler.thread.setDaemon(true);
            sampler.thread.start();
            return sampler;
        }

        void stop() throws InterruptedException {
            running.set(false);
            thread.join(5000);
        }

        long maxHeap() {
            return maxHeap.get();
        }

        long maxThreads() {
            return maxThreads.get();
        }
    }

    /** Reads an event topic from the start as events arrive: first event per key, its timestamp and status. */
    static final class EventCollector {
        private final Map<String, Long> timestamps = new ConcurrentHashMap<>();
        private final Map<String, Integer> statuses = new ConcurrentHashMap<>();
        private final AtomicLong bytes = new AtomicLong();
        private final AtomicLong last = new AtomicLong();
        private final AtomicBoolean running = new AtomicBoolean(true);
        private Thread thread;

        static EventCollector start(StandIns standIns, String topic) {
            EventCollector collector = new EventCollector();
            Properties props = new Properties();
            props.put(ConsumerConfig.BOOTSTRAP_SERVERS_CONFIG, standIns.kafka.bootstrapServers());
            props.put(ConsumerConfig.KEY_DESERIALIZER_CLASS_CONFIG, ByteArrayDeserializer.class.getName());
            props.put(ConsumerConfig.VALUE_DESERIALIZER_CLASS_CONFIG, ByteArrayDeserializer.class.getName());
            collector.thread = new Thread(() -> {
                try (KafkaConsumer<byte[], byte[]> consumer = new KafkaConsumer<>(props)) {
                    List<TopicPartition> partitions = consumer.partitionsFor(topic).stream()
                            .map(p -> new TopicPartition(topic, p.partition())).toList();
                    consumer.assign(partitions);
                    consumer.seekToBeginning(partitions);
                    while (collector.running.get()) {
                        for (ConsumerRecord<byte[], byte[]> record : consumer.poll(Duration.ofMillis(200))) {
                            collector.add(record);
                        }
                    }
                }
            }, "bench-events");
            collector.thread.setDaemon(true);
            collector.thread.start();
            return collector;
        }

        private void add(ConsumerRecord<byte[], byte[]> record) {
            String key = new String(record.key(), StandardCharsets.UTF_8);
            if (timestamps.putIfAbsent(key, record.timestamp()) != null) {
                return;
            }
            last.accumulateAndGet(record.timestamp(), Math::max);
            String value = new String(record.value(), StandardCharsets.UTF_8);
            String status = value;
            if (value.startsWith("{")) {
                try {
                    JsonNode event = Events.JSON.readTree(value);
                    status = event.path("status").asText();
                    for (JsonNode asset : event.path("assets")) {
                        bytes.addAndGet(asset.path("size").asLong());
                    }
                } catch (Exception e) {
                    status = "unreadable";
                }
            }
            statuses.merge(status, 1, Integer::sum);
        }

        void awaitAll(int n, Duration atMost) {
            Awaitility.await().atMost(atMost).pollInterval(Duration.ofMillis(200))
                    .until(() -> timestamps.size() >= n);
        }

        /** Waits for {@code n} events, but no longer than {@code window}: then the count so far is the result. */
        void awaitAllOrWindow(int n, Duration window) {
            try {
                awaitAll(n, window);
            } catch (ConditionTimeoutException windowOver) {
                // the baseline is measured over the window and projected
            }
        }

        int count() {
            return timestamps.size();
        }

        long timestamp(String key) {
            return timestamps.get(key);
        }

        long lastTimestamp() {
            return last.get();
        }

        long bytes() {
            return bytes.get();
        }

        Map<String, Integer> statuses() {
            return Map.copyOf(statuses);
        }

        void stop() throws InterruptedException {
            running.set(false);
            thread.join(5000);
        }
    }
}
