package io.lumaharvester.bench;

import static org.assertj.core.api.Assertions.assertThat;

import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.Properties;
import java.util.UUID;
import java.util.concurrent.ConcurrentHashMap;

import io.lumaharvester.dev.Probes;
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
 * How fast the door opens: a burst of task ids produced at once to {@code luma.tasks}, with
 * {@code luma.poll.first-delay-ms=0}, and the time from each id's produce (its acknowledgement by Kafka) to its first
 * poll at the API stand-in, which answers at once. {@code mvn -Pbench verify} runs it at full size (10,000 ids, after
 * a warm-up burst of 8,000 that is not counted and once the JIT is quiet: the burst of a service that has run a while,
 * not of a JVM seconds old) and writes {@code target/bench/intake-full.md}; {@code mvn verify} runs it small, without
 * a warm-up, and asserts only that every id got its first poll.
 */
class IntakeBurstIT {

    record Scale(String name, int ids, int warmUpIds) {
    }

    // the warm-up's tasks stay held: with the burst's, 18,000, below luma.tasks.max-in-flight (20,000)
    private static final Scale SCALE = switch (System.getProperty("bench.scale", "smoke")) {
        case "full" -> new Scale("full", 10_000, 8_000);
        case "medium" -> new Scale("medium", 2_000, 500);
        default -> new Scale("smoke", 300, 0);
    };

    @Test
    void aBurstOfTaskIdsIsAdmittedAndFirstPolled() throws Exception {
        StandIns standIns = StandIns.shared();
        String run = UUID.randomUUID().toString().substring(0, 6);
        // tasks run far longer than the measurement and are polled again only after it: the API sees first polls
        try (FastApiStandIn api = FastApiStandIn.start(standIns.api, 3_600_000, 10_000, 0)) {
            // short, so that the names of the due: consumers' threads (due-<topic>), cut to 15 characters in /proc,
            // tell intake's (due-ixxx.tasks) from the poll stage's (due-ixxx.tasks.)
            String prefix = "i" + run.substring(0, 3);
            Map<String, String> props = standIns.properties(prefix, Map.of(
                    "luma.api.base-url", api.baseUrl(),
                    "luma.poll.first-delay-ms", "0",
                    "luma.poll.interval-ms", "600000",
                    "luma.topics.partitions", "8"));
            try (HarvesterProcess app = startJar(props, "-Xmx512m", "intake-burst")) {
                Probes.awaitReady(props.get("luma.http.port"));
                String topic = props.get("luma.topics.tasks");
                long pid = app.process().pid();
                long jitQuietMs = 0;
                if (SCALE.warmUpIds() > 0) {
                    Burst warmUp = Burst.send(standIns, topic, taskIds("intake-warm-" + run, SCALE.warmUpIds()));
                    awaitFirstPolls(api, warmUp.ids().size());
                    jitQuietMs = awaitJitQuiet(pid);
                }
                List<String> ids = taskIds("intake-" + run, SCALE.ids());
                Map<String, Long> threadsBefore = threadCpuMillis(pid);
                long cpuBefore = BenchmarksIT.cpuMillis(Path.of("/proc", String.valueOf(pid), "stat"));
                Burst burst = Burst.send(standIns, topic, ids);
                awaitFirstPolls(api, SCALE.warmUpIds() + ids.size());
                long cpuMs = BenchmarksIT.cpuMillis(Path.of("/proc", String.valueOf(pid), "stat")) - cpuBefore;
                Map<String, Long> threadsAfter = threadCpuMillis(pid);

                List<Long> latencies = new ArrayList<>(ids.size());
                long lastFirstPoll = 0;
                for (String id : ids) {
                    List<Long> polls = api.pollTimes(id);
                    assertThat(polls).as("polls of " + id).isNotEmpty();
                    long firstPoll = polls.get(0);
                    latencies.add(firstPoll - burst.acked().get(id));
                    lastFirstPoll = Math.max(lastFirstPoll, firstPoll);
                }
                String last = ids.get(ids.size() - 1);
                long lastIdMs = api.pollTimes(last).get(0) - burst.acked().get(last);
                long admittedMs = Math.max(1, lastFirstPoll - burst.startedAt());
                long producedMs = burst.lastAck() - burst.startedAt();
                List<Long> sorted = latencies.stream().sorted().toList();
                String line = String.format(Locale.ROOT, "%s: %d ids produced in %d ms; all first-polled %d ms after "
                        + "the first produce: %.0f ids/s; produce → first poll p50 %d ms, p99 %d ms, max %d ms; the "
                        + "last id produced: %d ms; harvester CPU %.0f µs an id (%.2f cores meanwhile), of it by "
                        + "thread: %s; the JIT quiet %d ms after the warm-up's last first poll; settings overridden: "
                        + "%s",
                        SCALE.name(), ids.size(), producedMs, admittedMs, ids.size() * 1000.0 / admittedMs,
                        BenchmarksIT.percentile(sorted, 0.5), BenchmarksIT.percentile(sorted, 0.99),
                        sorted.get(sorted.size() - 1), lastIdMs,
                        cpuMs * 1000.0 / ids.size(), (double) cpuMs / admittedMs,
                        byThread(threadsBefore, threadsAfter, ids.size()), jitQuietMs, overrides());
                System.out.println("intake burst " + line);
                Path out = Files.createDirectories(Path.of("target", "bench")).resolve("intake-" + SCALE.name()
                        + ".md");
                Files.writeString(out, line + "\n");
            }
        }
    }

    /** Every id sent, with when Kafka acknowledged it: the time a user's system knows its task is submitted. */
    record Burst(List<String> ids, long startedAt, Map<String, Long> acked) {

        /** One producer for all of them: the benchmark measures the harvester, not the sender. */
        static Burst send(StandIns standIns, String topic, List<String> ids) {
            Properties props = new Properties();
            props.put(ProducerConfig.BOOTSTRAP_SERVERS_CONFIG, standIns.kafka.bootstrapServers());
            props.put(ProducerConfig.KEY_SERIALIZER_CLASS_CONFIG, ByteArraySerializer.class.getName());
            props.put(ProducerConfig.VALUE_SERIALIZER_CLASS_CONFIG, ByteArraySerializer.class.getName());
            props.put(ProducerConfig.LINGER_MS_CONFIG, "5");
            Map<String, Long> acked = new ConcurrentHashMap<>();
            long startedAt;
            try (KafkaProducer<byte[], byte[]> producer = new KafkaProducer<>(props)) {
                producer.partitionsFor(topic);
                startedAt = System.currentTimeMillis();
                for (String id : ids) {
                    byte[] bytes = id.getBytes(StandardCharsets.UTF_8);
                    producer.send(new ProducerRecord<>(topic, bytes, bytes), (metadata, error) -> {
                        if (error == null) {
                            acked.put(id, System.currentTimeMillis());
                        }
                    });
                }
                producer.flush();
            }
            assertThat(acked).as("ids acknowledged by Kafka").hasSize(ids.size());
            return new Burst(ids, startedAt, acked);
        }

        long lastAck() {
            return acked.values().stream().mapToLong(Long::longValue).max().orElse(startedAt);
        }
    }

    /**
     * Until the harvester's JIT compiler threads have used less than 20 ms of CPU in a second: a service that has run
     * for a while has compiled what its load runs, while a JVM a few seconds old still compiles what the warm-up
     * burst queued (a quarter of the burst's CPU without this wait). How long that took.
     */
    private static long awaitJitQuiet(long pid) {
        long start = System.currentTimeMillis();
        long[] last = {-1};
        Awaitility.await("the JIT quiet").atMost(Duration.ofMinutes(3)).pollInterval(Duration.ofSeconds(1))
                .until(() -> {
                    long jit = BenchmarksIT.jitCpuMillis(pid);
                    boolean quiet = last[0] >= 0 && jit - last[0] < 20;
                    last[0] = jit;
                    return quiet;
                });
        return System.currentTimeMillis() - start;
    }

    private static void awaitFirstPolls(FastApiStandIn api, int ids) {
        Awaitility.await("every id's first poll").atMost(Duration.ofMinutes(5)).pollInterval(Duration.ofMillis(20))
                .until(() -> api.tasksPolled() >= ids);
    }

    private static List<String> taskIds(String prefix, int n) {
        List<String> ids = new ArrayList<>(n);
        for (int i = 0; i < n; i++) {
            ids.add(prefix + "-" + i);
        }
        return ids;
    }

    /**
     * CPU time of the process's threads by name, numbers folded ({@code C2 CompilerThre#}), from /proc: Linux keeps
     * 15 characters of a name, so the due: consumers of all stages are one {@code due-bench-intak}. A thread that
     * ended takes its time with it.
     */
    private static Map<String, Long> threadCpuMillis(long pid) throws Exception {
        Map<String, Long> byName = new HashMap<>();
        try (var threads = Files.list(Path.of("/proc", String.valueOf(pid), "task"))) {
            for (Path thread : threads.toList()) {
                try {
                    String name = Files.readString(thread.resolve("comm")).strip().replaceAll("[0-9]+", "#");
                    byName.merge(name, BenchmarksIT.cpuMillis(thread.resolve("stat")), Long::sum);
                } catch (java.nio.file.NoSuchFileException ended) {
                    // a thread that ended meanwhile
                }
            }
        }
        return byName;
    }

    /** "name N µs, ..." per id, the most first, for the thread names that took at least 10 µs an id. */
    private static String byThread(Map<String, Long> before, Map<String, Long> after, int ids) {
        return after.entrySet().stream()
                .map(e -> Map.entry(e.getKey(), e.getValue() - before.getOrDefault(e.getKey(), 0L)))
                .filter(e -> e.getValue() * 1000.0 / ids >= 10)
                .sorted(Map.Entry.<String, Long>comparingByValue().reversed())
                .map(e -> String.format(Locale.ROOT, "%s %.0f µs", e.getKey(), e.getValue() * 1000.0 / ids))
                .collect(java.util.stream.Collectors.joining(", "));
    }

    private static String overrides() {
        List<String> set = System.getProperties().stringPropertyNames().stream()
                .filter(k -> k.startsWith("bench.set.")).sorted()
                .map(k -> k.substring("bench.set.".length()) + "=" + System.getProperty(k)).toList();
        return set.isEmpty() ? "none" : String.join(", ", set);
    }

    /**
     * The packaged harvester as BenchmarksIT starts it: both compilers, but at smoke size (which asserts no figure) the
     * client compiler only; -Dbench.set.NAME=VALUE overrides a setting.
     */
    private static HarvesterProcess startJar(Map<String, String> settings, String xmx, String name) throws Exception {
        Map<String, String> props = new HashMap<>(settings);
        System.getProperties().stringPropertyNames().stream().filter(k -> k.startsWith("bench.set."))
                .forEach(k -> props.put(k.substring("bench.set.".length()), System.getProperty(k)));
        Path log = Files.createDirectories(Path.of("target", "bench")).resolve(name + ".log");
        Files.deleteIfExists(log);
        return HarvesterProcess.start(HarvesterProcess.packagedJar(), BenchmarksIT.benchJvmOptions(xmx, name), props,
                Map.of("AWS_ACCESS_KEY_ID", EmbeddedS3.ACCESS_KEY, "AWS_SECRET_ACCESS_KEY", EmbeddedS3.SECRET_KEY),
                log);
    }
}
