package io.lumaharvester.bench;

import io.lumaharvester.dev.Events;
import io.lumaharvester.dev.Probes;

import static org.assertj.core.api.Assertions.assertThat;

import java.io.IOException;
import java.io.InputStream;
import java.io.UncheckedIOException;
import java.net.HttpURLConnection;
import java.net.URI;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.time.LocalDate;
import java.util.ArrayList;
import java.util.Comparator;
import java.util.HashMap;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.Properties;
import java.util.UUID;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CompletionException;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
import java.util.concurrent.atomic.AtomicBoolean;
import java.util.concurrent.atomic.AtomicLong;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import java.util.stream.LongStream;
import java.util.stream.Stream;

import com.fasterxml.jackson.databind.JsonNode;
import io.lumaharvester.bench.FloorPoller;
import io.lumaharvester.dev.CdnStandIn;
import io.lumaharvester.dev.EmbeddedKafka;
import io.lumaharvester.dev.EmbeddedS3;
import io.lumaharvester.dev.FastApiStandIn;
import io.lumaharvester.dev.HarvesterProcess;
import io.lumaharvester.dev.LumaApiStandIn;
import io.lumaharvester.dev.StandIns;
import io.lumaharvester.harvest.HashingInputStream;
import org.apache.camel.main.Main;
import org.apache.hc.client5.http.classic.methods.HttpGet;
import org.apache.hc.client5.http.impl.classic.CloseableHttpClient;
import org.apache.hc.client5.http.impl.classic.HttpClients;
import org.apache.hc.client5.http.impl.io.PoolingHttpClientConnectionManagerBuilder;
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
import org.junit.jupiter.api.Assumptions;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.MethodOrderer;
import org.junit.jupiter.api.Order;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.TestMethodOrder;
import software.amazon.awssdk.core.sync.RequestBody;
import software.amazon.awssdk.services.s3.S3Client;
import software.amazon.awssdk.services.s3.model.ChecksumAlgorithm;

/**
 * Benchmarks, each figure against a baseline measured in the same run, on stand-ins that model the network: the API
 * answers {@code apiLatencyMs} after each request (250 ms, an internet API), the CDN sends its first byte after
 * 100 ms and then 20 MB/s per connection. {@code mvn -Pbench verify} runs them at full size
 * ({@code -Dbench.scale=full}) and writes {@code target/bench/results-full.md}; {@code mvn verify} runs them small
 * ({@code smoke}). Figures are reported, not asserted, except what a serial poller cannot reach: at smoke size, the
 * API must see many requests open at once, every task must end, and the budget must hold.
 */
@TestMethodOrder(MethodOrderer.OrderAnnotation.class)
class BenchmarksIT {

    private static final long MB = 1024 * 1024;
    /** The harvester's s3.checksum-algorithm: the baseline's uploads send the same checksum. */
    private static final boolean SHA256_CHECKSUM = "SHA256".equals(defaultSetting("s3.checksum-algorithm"));

    /** The sizes of one run. */
    /**
     * The sizes of one run. {@code warmUpTasks}: a batch run to its end before the capacity run is measured, so that
     * the figures are the steady state of a running service, not its JIT warm-up (none at smoke size).
     */
    record Scale(String name, int tasks, long generationMs, long intervalMs, long apiLatencyMs, int naiveConsumers,
            long naiveWindowMs, int budgetTasks, int budgetRps, int steadyRate, int steadySeconds, int streamTasks,
            long streamBytes, long bigBytes, int warmUpTasks) {
    }

    private static final Scale SCALE = switch (System.getProperty("bench.scale", "smoke")) {
        case "full" -> new Scale("full", 10_000, 60_000, 5_000, 250, 32, 240_000, 10_000, 100, 50, 60, 20, 200 * MB,
                1024 * MB, 2_000);
        // for profiling: -Dbench.scale=medium -Dbench.harvester-jvm-options=-XX:StartFlightRecording=...
        case "medium" -> new Scale("medium", 2_000, 20_000, 5_000, 250, 32, 60_000, 1_000, 50, 50, 20, 5, 200 * MB,
                400 * MB, 500);
        // what a serial poller cannot do, checked small: 300 tasks at 250 ms still keep 75 requests open; every other
        // figure is reported, not asserted, and at this size measures a cold JVM. Generations of 3 s: a naive
        // consumer ends its first task within about four polls (5 s), so its 6 s window projects a finite time.
        // No warm-up batches, files of a few MB
        default -> new Scale("smoke", 300, 3_000, 1_000, 250, 8, 6_000, 40, 20, 20, 1, 2, 4 * MB, 12 * MB, 0);
    };

    private static final List<String[]> ROWS = new ArrayList<>();
    private static final List<String> NOTES = new ArrayList<>();

    @Test
    @Order(1)
    void pollingCapacityAtRealNetworkLatencyAgainstANaiveLoopRoute() throws Exception {
        StandIns standIns = StandIns.shared();
        String run = UUID.randomUUID().toString().substring(0, 6);
        CompletableFuture<NaiveRun> naiveBeside = null;

        long harvesterMs;
        long lastDetectedMs;
        long lastIntakeMs;
        Sampler sampler;
        double cpuPerPollMicros;
        JvmCpu jvm;
        double pollRate;
        long polls;
        int mostOpen;
        List<Long> gaps = new ArrayList<>();
        List<Long> detections = new ArrayList<>();
        try (Harvester harvester = harvester("capacity", "cap-", SCALE.generationMs(), 10_000, SCALE.apiLatencyMs(),
                api -> pollingSettings(standIns, "bench-cap-" + run, api), "-Xmx512m")) {
            FastApiStandIn api = harvester.api();
            Map<String, String> props = harvester.props();
            HarvesterProcess app = harvester.app();
            String port = props.get("luma.http.port");
            if (SHARED) {
                // at smoke size the baseline, whose figures are not asserted there, runs beside the harvester's run (a
                // start of Camel and a window of mostly waiting: 13 s after it); at the other sizes after it, alone
                naiveBeside = CompletableFuture.supplyAsync(() -> {
                    try {
                        return naiveRun(standIns, run);
                    } catch (Exception e) {
                        throw new CompletionException(e);
                    }
                }, task -> new Thread(task, "bench-naive-baseline").start());
            }
            EventCollector events = EventCollector.start(standIns, props.get("luma.topics.events"), "cap-");
            // a service that has run for a while: a smaller batch through every stage first, to its end
            List<String> warmUp = taskIds("cap-warm-" + run, SCALE.warmUpTasks());
            api.run("cap-warm-", SCALE.generationMs() / 4, 10_000);
            sendAll(standIns, props.get("luma.topics.tasks"), warmUp);
            events.awaitAll(warmUp.size(), Duration.ofMinutes(10));
            sampler = Sampler.start(port);
            List<String> ids = taskIds("cap-" + run, SCALE.tasks());
            long start = System.currentTimeMillis();
            sendAll(standIns, props.get("luma.topics.tasks"), ids);
            // the measurement window for cost per poll: from one interval after every task had its first poll
            // (intake done) to just before the first task can complete: the process does nothing but poll. An
            // intake slower than a smoke-size generation only shortens that window, whose figure is not asserted
            Awaitility.await().atMost(Duration.ofMillis(Math.max(SCALE.generationMs(), 30_000)))
                    .pollInterval(Duration.ofMillis(50))
                    .until(() -> api.tasksPolled() >= warmUp.size() + ids.size());
            lastIntakeMs = System.currentTimeMillis() - start;
            long windowEnd = start + SCALE.generationMs() - 1000;
            Thread.sleep(Math.max(0, Math.min(windowEnd - 5000, System.currentTimeMillis() + SCALE.intervalMs())
                    - System.currentTimeMillis()));
            long windowStart = System.currentTimeMillis();
            double pollsBefore = Probes.sample(Probes.scrape(port), "luma_polls_total");
            long cpuBefore = cpuMillis(app.process().pid());
            JvmCpu jvmBefore = JvmCpu.of(app.process().pid());
            Thread.sleep(Math.max(0, windowEnd - System.currentTimeMillis()));
            long cpuAfter = cpuMillis(app.process().pid());
            jvm = JvmCpu.of(app.process().pid()).since(jvmBefore);
            long windowMs = System.currentTimeMillis() - windowStart;
            polls = (long) (Probes.sample(Probes.scrape(port), "luma_polls_total") - pollsBefore);
            cpuPerPollMicros = (cpuAfter - cpuBefore) * 1000.0 / Math.max(1, polls);
            pollRate = polls * 1000.0 / windowMs;
            events.awaitAll(warmUp.size() + ids.size(), Duration.ofMillis(SCALE.generationMs() * 3 + 900_000));
            harvesterMs = events.lastTimestamp() - start;
            sampler.stop();
            events.stop();
            mostOpen = api.mostOpenRequests();
            long lastDetected = 0;
            for (String id : ids) {
                List<Long> times = api.pollTimes(id);
                for (int i = 1; i < times.size(); i++) {
                    gaps.add(times.get(i) - times.get(i - 1));
                }
                // the poll that found the task completed: from then on, it is the media's time
                long completedAt = api.completedAt(id);
                long detected = times.stream().filter(t -> t >= completedAt).findFirst().orElseThrow();
                detections.add(detected - completedAt);
                lastDetected = Math.max(lastDetected, detected + SCALE.apiLatencyMs());
            }
            lastDetectedMs = lastDetected - start;
            assertThat(events.statuses()).as("every task completed").containsOnlyKeys("completed");
        }
        // a serial poller has one request open at a time per consumer thread
        assertThat(mostOpen).as("API requests open at once").isGreaterThanOrEqualTo(50);

        NaiveRun naive = naiveBeside != null ? naiveBeside.join() : naiveRun(standIns, run);
        long naiveMs = naive.ms();
        int naiveDone = naive.done();
        int naiveOpen = naive.mostOpen();

        long target = SCALE.generationMs() + 2 * SCALE.intervalMs();
        List<Long> sortedGaps = gaps.stream().sorted().toList();
        List<Long> sortedDetections = detections.stream().sorted().toList();
        long gapP50 = percentile(sortedGaps, 0.5);
        long gapP99 = percentile(sortedGaps, 0.99);
        row(SCALE.tasks() + " tasks, " + SCALE.intervalMs() / 1000 + " s interval, " + SCALE.apiLatencyMs()
                + " ms API, " + SCALE.generationMs() / 1000 + " s generations: gap between two polls of a task, "
                + "p50 / p99", gapP50 + " ms / " + gapP99 + " ms", "", "",
                "p99 ≤ " + SCALE.intervalMs() * 3 / 2 + " ms (1.5 × interval)",
                gapP99 <= SCALE.intervalMs() * 3 / 2 ? "pass" : "miss");
        // the media time is what the harvest stage took after the last completion was seen; the rest is intake,
        // the generations and how soon polling saw each end
        row("same run: time to the last event = last completion seen + media time", seconds(harvesterMs) + " = "
                + seconds(lastDetectedMs) + " + " + seconds(harvesterMs - lastDetectedMs) + " (every task polled "
                + "once by " + seconds(lastIntakeMs) + "; completion seen after p50 / p99 "
                + percentile(sortedDetections, 0.5) + " / " + percentile(sortedDetections, 0.99) + " ms)",
                (naiveDone == SCALE.tasks() ? "" : "projected ") + seconds(naiveMs) + " (naive loop + delay, "
                        + SCALE.naiveConsumers() + " consumers, same API latency" + (naiveDone == SCALE.tasks() ? ""
                                : "; " + naiveDone + " done in " + SCALE.naiveWindowMs() / 1000 + " s") + ")",
                naiveMs == Long.MAX_VALUE ? "∞" : String.format(Locale.ROOT, "%.1f× faster",
                        (double) naiveMs / harvesterMs),
                "≤ " + seconds(target) + " + media time", lastDetectedMs <= target ? "pass" : "miss");
        row("same run: API requests open at once, most", String.valueOf(mostOpen), naiveOpen + " (naive loop)", "",
                "many (a serial poller: 1 per thread)", mostOpen >= 50 ? "pass" : "miss");
        row("same run: live threads, peak / heap used, peak", sampler.maxThreads() + " / " + mb(sampler.maxHeap()),
                "", "", "≤ 64 / ≤ 512 MB", sampler.maxThreads() <= 64 && sampler.maxHeap() <= 512 * MB ? "pass"
                        : "miss");
        row("CPU per poll (process CPU ÷ " + polls + " polls, steady state: after the warm-up batch and the intake, "
                + "before any media copy); of it the JIT; the GC",
                String.format(Locale.ROOT, "%.0f µs; %s", cpuPerPollMicros, jvm.perPoll(polls)), "", "", "≤ 300 µs",
                cpuPerPollMicros <= 300 ? "pass" : "miss");
        row("Poll rate in that window", String.format(Locale.ROOT, "%.0f polls/s", pollRate), "", "",
                SCALE.tasks() * 1000 / SCALE.intervalMs() + " polls/s (every task every interval)",
                pollRate >= 0.95 * SCALE.tasks() * 1000 / SCALE.intervalMs() ? "pass" : "miss");
    }

    /** What the naive baseline did in its window: its time (projected if not all done), tasks done, requests open. */
    record NaiveRun(long ms, int done, int mostOpen) {
    }

    /**
     * The baseline: loop + delay + blocking HTTP on the Kafka consumer thread, same API, same latency; the capacity
     * run's tasks, in a Camel Main of this JVM, over {@link Scale#naiveWindowMs} at most.
     */
    private static NaiveRun naiveRun(StandIns standIns, String run) throws Exception {
        try (FastApiStandIn api = FastApiStandIn.start(standIns.api, SCALE.generationMs(), 10_000,
                SCALE.apiLatencyMs())) {
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
                    "camel.main.shutdown-timeout", "1")));
            Main main = new Main();
            props.forEach(main::addOverrideProperty);
            main.start();
            try {
                List<String> ids = taskIds("naive-" + run, SCALE.tasks());
                EventCollector events = EventCollector.start(standIns, prefix + ".events");
                long start = System.currentTimeMillis();
                sendAll(standIns, prefix + ".tasks", ids);
                events.awaitAllOrWindow(ids.size(), Duration.ofMillis(SCALE.naiveWindowMs()));
                int done = events.count();
                long elapsed = System.currentTimeMillis() - start;
                long ms = done == ids.size() ? events.lastTimestamp() - start
                        : done == 0 ? Long.MAX_VALUE : elapsed * ids.size() / done;
                int open = api.mostOpenRequests();
                events.stop();
                return new NaiveRun(ms, done, open);
            } finally {
                main.stop();
            }
        }
    }

    /**
     * The cost of a poll when polling is all there is: the capacity run's tasks, none of which ever completes, polled
     * every interval; measured, once every task has been polled, after a warm-up of as long as the generations take
     * in the capacity run, over half as long again. The process's CPU time over the polls the API saw, and how much of
     * it the JIT compilers took. Then
     * the same for the floor ({@link FloorPoller}: the same I/O by hand, no Camel), in a JVM with the same flags, on
     * the same API and broker, with tasks, interval, warm-up and window the same: the harvester's cost as a ratio to
     * it, the JIT's time taken out of both.
     */
    @Test
    @Order(2)
    void steadyPollingCostsLittleCpuPerPoll() throws Exception {
        // at smoke size (5 s of warm-up) it measures the JIT compilers, not a poll
        Assumptions.assumeTrue(SCALE.warmUpTasks() > 0, "a figure only after a warm-up (-Dbench.scale=medium or full)");
        StandIns standIns = StandIns.shared();
        String run = UUID.randomUUID().toString().substring(0, 6);
        PollingCost harvester;
        PollingCost floor;
        try (FastApiStandIn api = FastApiStandIn.start(standIns.api, Long.MAX_VALUE / 2, 10_000,
                SCALE.apiLatencyMs())) {
            Map<String, String> props = pollingSettings(standIns, "bench-steady-polling-" + run, api);
            try (HarvesterProcess app = startJar(props, "-Xmx512m", "steady-polling")) {
                Probes.awaitReady(props.get("luma.http.port"));
                List<String> ids = taskIds("polling-" + run, SCALE.tasks());
                long sentAt = System.currentTimeMillis();
                sendAll(standIns, props.get("luma.topics.tasks"), ids);
                harvester = PollingCost.measure(app.process().pid(), api, ids, sentAt);
            }
            Map<String, String> floorProps = pollingSettings(standIns, "bench-steady-floor-" + run, api);
            try (Floor poller = Floor.start(floorProps, "-Xmx512m", "steady-polling-floor")) {
                List<String> ids = taskIds("floor-" + run, SCALE.tasks());
                long sentAt = System.currentTimeMillis();
                sendAll(standIns, floorProps.get("luma.topics.tasks"), ids);
                floor = PollingCost.measure(poller.process().pid(), api, ids, sentAt);
            }
        }
        double ratio = harvester.netMicros() / floor.netMicros();
        row("Steady polling, " + SCALE.tasks() + " tasks every " + SCALE.intervalMs() / 1000 + " s at "
                + SCALE.apiLatencyMs() + " ms, none completing, after " + SCALE.generationMs() / 1000
                + " s of the same once every task was polled; baseline: the floor (FloorPoller, same I/O by hand). CPU per poll without the "
                + "JIT (process CPU less the JIT's, ÷ polls); the process's; of it in the kernel; the JIT; the GC; "
                + "polls; polls/s; gap p99; load average at the window's end; when every task had been polled",
                harvester.toString(), floor.toString(), String.format(Locale.ROOT, "%.2f×", ratio),
                "≤ 1.5× (and ≤ 300 µs)", ratio <= 1.5 && harvester.micros() <= 300 ? "pass" : "miss");
        System.out.printf(Locale.ROOT, "steady polling: harvester %s | floor %s | ratio %.2f×%n", harvester, floor,
                ratio);
    }

    /**
     * One process's steady polling of {@code ids}, sent at {@code sentAt}: once every task has been polled (its intake
     * is over: {@code admittedMs} after the send) and then for {@link Scale#generationMs}, over half as long again, its
     * CPU time ({@code cpu}, JIT and GC included; their share in {@code jvm}; the kernel's in {@code kernelCpu}) and
     * the polls the API saw.
     */
    private record PollingCost(long admittedMs, long cpu, long kernelCpu, JvmCpu jvm, long polls, long windowMs,
            long gapP99Ms, String load) {

        static PollingCost measure(long pid, FastApiStandIn api, List<String> ids, long sentAt) throws Exception {
            // intake is not polling: on a loaded machine 10,000 tasks take a minute to admit
            Awaitility.await().atMost(Duration.ofMinutes(10)).pollInterval(Duration.ofSeconds(1))
                    .until(() -> ids.stream().noneMatch(id -> api.pollTimes(id).isEmpty()));
            long admittedMs = System.currentTimeMillis() - sentAt;
            Thread.sleep(SCALE.generationMs());
            long cpuBefore = cpuMillis(pid);
            long kernelBefore = kernelCpuMillis(pid);
            JvmCpu jvmBefore = JvmCpu.of(pid);
            long pollsBefore = api.polls();
            long windowStart = System.currentTimeMillis();
            Thread.sleep(SCALE.generationMs() / 2);
            long cpu = cpuMillis(pid) - cpuBefore;
            long kernelCpu = kernelCpuMillis(pid) - kernelBefore;
            JvmCpu jvm = JvmCpu.of(pid).since(jvmBefore);
            long polls = api.polls() - pollsBefore;
            long windowEnd = System.currentTimeMillis();
            List<Long> gaps = new ArrayList<>();
            for (String id : ids) {
                List<Long> times = api.pollTimes(id);
                for (int i = 1; i < times.size(); i++) {
                    if (times.get(i) >= windowStart && times.get(i) <= windowEnd) {
                        gaps.add(times.get(i) - times.get(i - 1));
                    }
                }
            }
            String load = Files.readString(Path.of("/proc/loadavg")).split(" ")[0];
            return new PollingCost(admittedMs, cpu, kernelCpu, jvm, polls, windowEnd - windowStart,
                    percentile(gaps.stream().sorted().toList(), 0.99), load);
        }

        /** CPU per poll, the JIT's time taken out (it still compiles now and then, more in one JVM than another). */
        double netMicros() {
            return (cpu - jvm.jitMillis()) * 1000.0 / Math.max(1, polls);
        }

        double micros() {
            return cpu * 1000.0 / Math.max(1, polls);
        }

        @Override
        public String toString() {
            return String.format(Locale.ROOT, "%.0f µs; %.0f µs; %.0f µs; %s; %d polls; %.0f/s; %d ms; load %s; all "
                    + "polled %.0f s after the send", netMicros(), micros(), kernelCpu * 1000.0 / Math.max(1, polls),
                    jvm.perPoll(polls), polls,
                    polls * 1000.0 / windowMs, gapP99Ms, load, admittedMs / 1000.0);
        }
    }

    /** {@link FloorPoller} in a JVM of its own, with the harvester child's flags; {@code settings} as the harvester's. */
    private record Floor(Process process) implements AutoCloseable {

        static Floor start(Map<String, String> settings, String xmx, String name) throws Exception {
            Path dir = Files.createDirectories(Path.of("target", "bench"));
            Properties props = new Properties();
            props.putAll(settings);
            // -Dbench.set.NAME=VALUE, as the harvester gets it (startJar)
            System.getProperties().stringPropertyNames().stream().filter(k -> k.startsWith("bench.set."))
                    .forEach(k -> props.put(k.substring("bench.set.".length()), System.getProperty(k)));
            Path file = dir.resolve(name + ".properties");
            try (var out = Files.newBufferedWriter(file)) {
                props.store(out, "the floor's settings, by the harvester's names");
            }
            Path log = dir.resolve(name + ".log");
            Files.deleteIfExists(log);
            List<String> command = new ArrayList<>(List.of(Path.of(System.getProperty("java.home"), "bin", "java")
                    .toString()));
            command.addAll(harvesterJvmOptions(xmx, name));
            command.addAll(List.of("-cp", System.getProperty("java.class.path"), FloorPoller.class.getName(),
                    file.toString()));
            Floor floor = new Floor(new ProcessBuilder(command).redirectErrorStream(true)
                    .redirectOutput(ProcessBuilder.Redirect.appendTo(log.toFile())).start());
            try {
                Awaitility.await().atMost(Duration.ofMinutes(2)).until(() -> {
                    assertThat(floor.process.isAlive()).as("the floor ended; see %s", log).isTrue();
                    return Files.readString(log).contains("floor ready");
                });
            } catch (RuntimeException | Error e) {
                floor.close();
                throw e;
            }
            return floor;
        }

        @Override
        public void close() throws InterruptedException {
            process.destroy();
            if (!process.waitFor(30, java.util.concurrent.TimeUnit.SECONDS)) {
                process.destroyForcibly().waitFor();
            }
        }
    }

    @Test
    @Order(3)
    void theApiSeesNoMoreThanTheRequestBudget() throws Exception {
        StandIns standIns = StandIns.shared();
        String run = UUID.randomUUID().toString().substring(0, 6);
        try (Harvester harvester = harvester("budget", "budget-", SCALE.generationMs(), 10_000,
                SCALE.apiLatencyMs(), api -> budgetSettings(standIns, "bench-budget-" + run, api), "-Xmx512m")) {
            FastApiStandIn api = harvester.api();
            Map<String, String> props = harvester.props();
            List<String> ids = taskIds("budget-" + run, SCALE.budgetTasks());
            EventCollector events = EventCollector.start(standIns, props.get("luma.topics.events"), "budget-");
            long start = System.currentTimeMillis();
            sendAll(standIns, props.get("luma.topics.tasks"), ids);
            // demand (every task every interval) is above the budget from the start
            Thread.sleep(2_000);
            long polls0 = api.polls();
            long t0 = System.currentTimeMillis();
            Thread.sleep(Math.max(3_000, SCALE.generationMs() - 3_000));
            double rate = (api.polls() - polls0) * 1000.0 / (System.currentTimeMillis() - t0);
            events.awaitAll(ids.size(), Duration.ofMinutes(30));
            long tookMs = events.lastTimestamp() - start;
            assertThat(events.statuses()).as("every task completed").containsOnlyKeys("completed");
            events.stop();
            row("luma.api.max-requests-per-second=" + SCALE.budgetRps() + ", " + SCALE.budgetTasks()
                    + " tasks: requests per second the API saw", String.format(Locale.ROOT, "%.1f/s", rate),
                    "", "", SCALE.budgetRps() + " ± 5%; every task completes (" + seconds(tookMs) + ")",
                    Math.abs(rate - SCALE.budgetRps()) <= 0.05 * SCALE.budgetRps() ? "pass" : "miss");
            assertThat(rate).as("requests per second").isLessThanOrEqualTo(SCALE.budgetRps() * 1.1);
        }
    }

    @Test
    @Order(4)
    void eventLatencyWhileTasksFinishAtASteadyRateThroughARateLimitedCdn() throws Exception {
        StandIns standIns = StandIns.shared();
        String run = UUID.randomUUID().toString().substring(0, 6);
        long transferMs;
        standIns.cdn.throttle(100, 20 * MB);
        try {
            transferMs = sdkCopyMillisOfOneTask(standIns, 2 * MB);
            try (Harvester harvester = harvester("steady", "steady-", 0, 2 * MB, SCALE.apiLatencyMs(),
                    api -> standIns.properties("bench-steady-" + run, Map.of(
                            "luma.api.base-url", api.baseUrl(),
                            "luma.poll.interval-ms", String.valueOf(SCALE.intervalMs()),
                            "luma.poll.first-delay-ms", "0")), "-Xmx512m")) {
                Map<String, String> props = harvester.props();
                EventCollector events = EventCollector.start(standIns, props.get("luma.topics.events"), "steady-");
                // a service runs for days: the JIT's warm-up (tens of seconds of a core at first) is not its steady
                // state. The same load first (not at smoke size), for as long as is measured, until all of it is
                // done; those tasks are not counted.
                List<String> warmUp = taskIds("steady-warm-" + run,
                        SCALE.warmUpTasks() > 0 ? SCALE.steadyRate() * SCALE.steadySeconds() : 0);
                sendSteadily(standIns, props.get("luma.topics.tasks"), warmUp, SCALE.steadyRate());
                events.awaitAll(warmUp.size(), Duration.ofMinutes(10));
                // then the rate, and twice the rate in the same harvester, warm from the first
                for (int rate : List.of(SCALE.steadyRate(), 2 * SCALE.steadyRate())) {
                    List<String> ids = taskIds("steady-" + rate + "-" + run, rate * SCALE.steadySeconds());
                    SteadyRun steady = SteadyRun.measure(standIns, harvester, events, ids, rate);
                    row(rate + " tasks/s finishing, each a 2 MB video and two images, CDN 100 ms to first "
                            + "byte and 20 MB/s" + (rate == SCALE.steadyRate() ? "" : ", in the same harvester after "
                            + "the row above") + ": event latency (event − completed answer), p50 / p99; CPU a task, "
                            + "harvester / test JVM (broker, stand-ins, sender); cores busy, both processes; tasks "
                            + "sent a second; events a second", steady.toString(),
                            transferMs + " ms (SDK copy of one task's files, one at a time)",
                            "", "p99 ≤ " + (transferMs + 1000) + " ms (transfer + 1 s)",
                            steady.p99Ms() <= transferMs + 1000 ? "pass" : "miss");
                    System.out.println("steady completions at " + rate + "/s: " + steady);
                }
                events.stop();
            }
        } finally {
            standIns.cdn.throttle(0, 0);
        }
    }

    /**
     * {@code ids} sent at {@code rate} a second (one at a time, each acknowledged: on a busy machine the sender falls
     * behind, and the rate sent says so) until the last one's event: the latencies of their events from the answer
     * that said completed; the CPU the harvester and this JVM (the broker, the stand-ins, the sender) took from the
     * send's start until the last event was seen; and the rate of the events, first to last (their record times).
     */
    private record SteadyRun(long p50Ms, long p99Ms, double harvesterCpuMsATask, double testCpuMsATask, double cores,
            double sentPerSecond, double eventsPerSecond) {

        static SteadyRun measure(StandIns standIns, Harvester harvester, EventCollector events, List<String> ids,
                int rate) throws Exception {
            long pid = harvester.app().process().pid();
            long harvesterBefore = cpuMillis(pid);
            long testBefore = cpuMillis(ProcessHandle.current().pid());
            long start = System.currentTimeMillis();
            int before = events.count();
            sendSteadily(standIns, harvester.props().get("luma.topics.tasks"), ids, rate);
            long sentMs = System.currentTimeMillis() - start;
            events.awaitAll(before + ids.size(), Duration.ofMinutes(20));
            long windowMs = System.currentTimeMillis() - start;
            long harvesterCpu = cpuMillis(pid) - harvesterBefore;
            long testCpu = cpuMillis(ProcessHandle.current().pid()) - testBefore;
            assertThat(events.statuses()).as("every task completed").containsOnlyKeys("completed");
            // from the answer that said completed (its first poll, answered after the API latency)
            FastApiStandIn api = harvester.api();
            List<Long> latencies = ids.stream()
                    .map(id -> events.timestamp(id) - api.completedAt(id) - SCALE.apiLatencyMs()).sorted().toList();
            List<Long> eventTimes = ids.stream().map(events::timestamp).sorted().toList();
            long eventsMs = Math.max(1, eventTimes.get(eventTimes.size() - 1) - eventTimes.get(0));
            return new SteadyRun(percentile(latencies, 0.5), percentile(latencies, 0.99),
                    harvesterCpu / (double) ids.size(), testCpu / (double) ids.size(),
                    (harvesterCpu + testCpu) / (double) windowMs, ids.size() * 1000.0 / Math.max(1, sentMs),
                    (ids.size() - 1) * 1000.0 / eventsMs);
        }

        @Override
        public String toString() {
            return String.format(Locale.ROOT, "%d ms / %d ms; %.1f / %.1f ms; %.2f cores; %.1f/s sent, %.1f/s "
                    + "events", p50Ms, p99Ms, harvesterCpuMsATask, testCpuMsATask, cores, sentPerSecond,
                    eventsPerSecond);
        }
    }

    @Test
    @Order(5)
    void streamingThroughputAndMemoryAgainstTheSdksPutObject() throws Exception {
        StandIns standIns = StandIns.shared();
        String run = UUID.randomUUID().toString().substring(0, 6);
        // the same load first (not at smoke size), not counted, as in the event-latency run: with two warm-up files,
        // the JIT compiler threads took a third of the harvester's CPU over the whole run (async-profiler)
        StreamingRun small = harvestBatch(standIns, "streaming", "stream-", SCALE.streamBytes(),
                taskIds("stream-warm-" + run, SCALE.warmUpTasks() > 0 ? SCALE.streamTasks() : 0),
                taskIds("stream-" + run, SCALE.streamTasks()));
        // one big file, same settings, a fresh process (at smoke size, the shared one)
        StreamingRun big = harvestBatch(standIns, "streaming-big", "big-", SCALE.bigBytes(), List.of(),
                List.of("big-" + run));
        // the baseline: the same files, copied with the SDK's streaming putObject (known length), at the
        // harvester's concurrency
        double sdkMbps;
        int concurrency = Integer.parseInt(defaultSetting("luma.harvest.max-copies-in-flight"));
        try (S3Client s3 = standIns.s3.tls().client()) {
            List<String> urls = mediaUrls(standIns, taskIds("sdk-" + run, SCALE.streamTasks()), SCALE.streamBytes());
            sdkMbps = copyAll(urls, concurrency, "bench-sdk/", (url, key) -> sdkCopy(s3, url, key));
        }
        // where the gap goes: the same copy in a JVM of its own, as the baseline does it and as the harvester's
        // copy does it without Camel and Kafka (HttpClient 5, the bytes counted, the SDK's checksum as their SHA-256)
        // (warmed up on two tasks' files, not at smoke size)
        Map<String, Double> ownJvm = sdkCopyInOwnJvm(standIns,
                taskIds("sdkp-warm-" + run, SCALE.warmUpTasks() > 0 ? 2 : 0),
                taskIds("sdkp-" + run, SCALE.streamTasks()), concurrency);
        NOTES.add(String.format(Locale.ROOT, "Streaming in a JVM of its own at -Xmx256m, %d at once: the SDK's copy "
                + "%.0f MB/s; with HttpClient 5 and the bytes counted, as the harvester copies, %.0f MB/s; the "
                + "harvester %.0f MB/s (%.2f× of that)", concurrency, ownJvm.get("sdk"), ownJvm.get("harvester-copy"),
                small.mbps(), small.mbps() / ownJvm.get("harvester-copy")));
        row("Streaming: " + SCALE.streamTasks() + " tasks × " + mb(SCALE.streamBytes()) + " video, -Xmx256m, CDN "
                + "not throttled, from the first download to the last event",
                String.format(Locale.ROOT, "%.0f MB/s (%.0f MB/s from the send)", small.mbps(), small.mbpsFromSend()),
                String.format(Locale.ROOT, "%.0f MB/s (SDK putObject, %d at once)", sdkMbps, concurrency),
                String.format(Locale.ROOT, "%.2f×", small.mbps() / sdkMbps), "≥ 0.90×",
                small.mbps() >= 0.9 * sdkMbps ? "pass" : "miss");
        row("Heap used, peak: " + mb(SCALE.bigBytes()) + " file against " + mb(SCALE.streamBytes()) + " files",
                mb(big.maxHeap()), mb(small.maxHeap()),
                String.format(Locale.ROOT, "%.2f×", (double) big.maxHeap() / small.maxHeap()),
                "does not grow with file size (≤ 1.25×)", big.maxHeap() <= 1.25 * small.maxHeap() ? "pass" : "miss");
    }

    /** A full run copies gigabytes into the S3 stand-in's directory; nothing measured reads them again. */
    @AfterEach
    void dropTheCopiedMedia() throws Exception {
        Path bucket = StandIns.shared().s3.dir().resolve(StandIns.BUCKET);
        for (String prefix : List.of("luma", "bench-sdk", "bench-transfer")) {
            Path dir = bucket.resolve(prefix);
            if (Files.isDirectory(dir)) {
                try (var paths = Files.walk(dir)) {
                    for (Path path : paths.sorted(Comparator.reverseOrder()).toList()) {
                        Files.deleteIfExists(path);
                    }
                }
            }
        }
    }

    @AfterAll
    static void report() throws Exception {
        StringBuilder table = new StringBuilder();
        table.append("Scale: ").append(SCALE.name()).append(", ").append(LocalDate.now()).append(", ")
                .append(Runtime.getRuntime().availableProcessors()).append(" cores, Java ")
                .append(System.getProperty("java.version")).append(", the harvester on Java ")
                .append(HarvesterProcess.javaVersion()).append("\n\n");
        table.append("| figure | harvester | baseline | ratio | target | result |\n|---|---|---|---|---|---|\n");
        for (String[] row : ROWS) {
            table.append("| ").append(String.join(" | ", row)).append(" |\n");
        }
        NOTES.forEach(note -> table.append("\n").append(note).append("\n"));
        Path dir = Files.createDirectories(Path.of("target", "bench"));
        Files.writeString(dir.resolve("results-" + SCALE.name() + ".md"), table.toString());
        System.out.println(table);
    }

    /** The budget run's settings: the run's interval, at most {@link Scale#budgetRps} requests a second. */
    private static Map<String, String> budgetSettings(StandIns standIns, String prefix, FastApiStandIn api)
            throws Exception {
        return standIns.properties(prefix, Map.of(
                "luma.api.base-url", api.baseUrl(),
                "luma.poll.interval-ms", String.valueOf(SCALE.intervalMs()),
                "luma.poll.first-delay-ms", "0",
                "luma.api.max-requests-per-second", String.valueOf(SCALE.budgetRps())));
    }

    /**
     * The shared smoke harvester's: the capacity run's, but copies are not held back to one while polls lag. On a cold
     * JVM at that size polls always lag, and the capacity run's 300 completions would be copied one task at a time
     * (13 s of a 20 s run); the event-latency and streaming runs that share it have the default at the other sizes.
     */
    private static Map<String, String> smokeSettings(StandIns standIns, String prefix, FastApiStandIn api)
            throws Exception {
        Map<String, String> settings = new HashMap<>(pollingSettings(standIns, prefix, api));
        settings.remove("luma.harvest.max-copies-in-flight-while-polls-lag");
        return settings;
    }

    /** The capacity and steady-polling runs' settings: the run's interval, eight polling partitions. */
    private static Map<String, String> pollingSettings(StandIns standIns, String prefix, FastApiStandIn api)
            throws Exception {
        return standIns.properties(prefix, Map.of(
                "luma.api.base-url", api.baseUrl(),
                "luma.poll.interval-ms", String.valueOf(SCALE.intervalMs()),
                // every task is polled every interval from the start: these runs measure polling
                "luma.poll.first-delay-ms", "0",
                // thousands of tasks polled: a burst of completions copies one task at a time while polls lag
                "luma.harvest.max-copies-in-flight-while-polls-lag", "1",
                "luma.topics.partitions", "8"));
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

    /**
     * At smoke size the capacity, event-latency and streaming runs share one harvester, started with the capacity
     * run's settings at -Xmx512m (but for its copies while polls lag: {@link #smokeSettings}), and the API stand-in
     * it polls; each run has task ids of its own, with its own
     * generation time and video size, and reads only its own events. The budget run, whose setting would hold the
     * others back, has a harvester of its own, started at the same time. A start takes some 5 s, and at that
     * size the runs prove their code paths and assertions, not figures. At the other sizes each run starts its own
     * when it begins, as measured.
     */
    private static final boolean SHARED = SCALE.name().equals("smoke");
    /** At smoke size: "budget" and "shared", once the first run has started them. */
    private static final Map<String, Harvester> SMOKE = new HashMap<>();

    /** A harvester child, its settings and the API stand-in it polls, for one run. */
    record Harvester(HarvesterProcess app, Map<String, String> props, FastApiStandIn api, boolean isShared)
            implements AutoCloseable {

        /** Stops the harvester and its API, unless they are the shared ones. */
        @Override
        public void close() throws Exception {
            if (!isShared) {
                try (api) {
                    app.close();
                }
            }
        }
    }

    /**
     * The harvester for run {@code name}, ready: at smoke size the shared one, its API told that tasks whose ids start
     * with {@code idPrefix} take {@code generationMs} and come with a video of {@code videoBytes}; otherwise a fresh
     * API stand-in ({@code generationMs}, {@code videoBytes}, answering after {@code latencyMs}) and a harvester
     * started on {@code settings} of it at {@code xmx}.
     */
    private static Harvester harvester(String name, String idPrefix, long generationMs, long videoBytes,
            long latencyMs, SettingsOf settings, String xmx) throws Exception {
        if (SHARED) {
            if (SMOKE.isEmpty()) {
                String run = UUID.randomUUID().toString().substring(0, 6);
                StandIns standIns = StandIns.shared();
                try {
                    SMOKE.put("shared", launch("smoke", SCALE.generationMs(), 10_000, SCALE.apiLatencyMs(),
                            api -> smokeSettings(standIns, "bench-smoke-" + run, api), "-Xmx512m", true));
                    SMOKE.put("budget", launch("budget", SCALE.generationMs(), 10_000, SCALE.apiLatencyMs(),
                            api -> budgetSettings(standIns, "bench-budget-" + run, api), "-Xmx512m", true));
                    for (Harvester harvester : SMOKE.values()) {
                        Probes.awaitReady(harvester.props().get("luma.http.port"));
                    }
                } catch (Exception | Error e) {
                    stopTheSmokeHarvesters();
                    throw e;
                }
            }
            Harvester harvester = SMOKE.getOrDefault(name, SMOKE.get("shared"));
            harvester.api().run(idPrefix, generationMs, videoBytes);
            return harvester;
        }
        Harvester harvester = launch(name, generationMs, videoBytes, latencyMs, settings, xmx, false);
        try {
            Probes.awaitReady(harvester.props().get("luma.http.port"));
            return harvester;
        } catch (Exception | Error e) {
            try (FastApiStandIn api = harvester.api()) {
                harvester.app().close();
            }
            throw e;
        }
    }

    /** A fresh API stand-in and a harvester started on {@code settings} of it, not yet ready. */
    private static Harvester launch(String name, long generationMs, long videoBytes, long latencyMs,
            SettingsOf settings, String xmx, boolean isShared) throws Exception {
        FastApiStandIn api = FastApiStandIn.start(StandIns.shared().api, generationMs, videoBytes, latencyMs);
        try {
            Map<String, String> props = settings.of(api);
            return new Harvester(startJar(props, xmx, name), props, api, isShared);
        } catch (Exception | Error e) {
            api.close();
            throw e;
        }
    }

    /** A run's harvester settings, which name its API stand-in. */
    @FunctionalInterface
    interface SettingsOf {
        Map<String, String> of(FastApiStandIn api) throws Exception;
    }

    @AfterAll
    static void stopTheSmokeHarvesters() throws Exception {
        // both stop at once
        SMOKE.values().forEach(harvester -> harvester.app().process().destroy());
        for (Harvester harvester : SMOKE.values()) {
            try (FastApiStandIn api = harvester.api()) {
                harvester.app().close();
            }
        }
        SMOKE.clear();
    }

    static HarvesterProcess startJar(Map<String, String> settings, String xmx, String name) throws Exception {
        // -Dbench.set.NAME=VALUE overrides a harvester setting, for trying a tuning without editing the benchmark
        Map<String, String> props = new HashMap<>(settings);
        // S3 over HTTPS, as AWS S3 is reached: the SDK sends an upload's chunks unsigned there
        EmbeddedS3.Tls s3 = StandIns.shared().s3.tls();
        props.put("s3.endpoint", s3.endpoint());
        System.getProperties().stringPropertyNames().stream().filter(k -> k.startsWith("bench.set."))
                .forEach(k -> props.put(k.substring("bench.set.".length()), System.getProperty(k)));
        Path log = Files.createDirectories(Path.of("target", "bench")).resolve(name + ".log");
        Files.deleteIfExists(log);
        return HarvesterProcess.start(HarvesterProcess.packagedJar(), harvesterJvmOptions(xmx, name), props,
                Map.of("AWS_ACCESS_KEY_ID", EmbeddedS3.ACCESS_KEY, "AWS_SECRET_ACCESS_KEY", EmbeddedS3.SECRET_KEY),
                log);
    }

    /**
     * The harvester child's JVM options (HarvesterProcess adds its class archive, and the client compiler only when no
     * compiler flag is given): {@code memory}, the heap flags, space-separated; both compilers, as in production, since
     * the figures are CPU, throughput and latency; the S3 stand-in's trust; and -Dbench.harvester-jvm-options ({name}:
     * the run's name). At smoke size, where no figure of CPU or time is asserted, the client compiler only, as the
     * other ITs' harvesters (HarvesterProcess): on 2 cores C2's compiles of a cold JVM cost more CPU than a run of
     * seconds wins back.
     */
    static List<String> harvesterJvmOptions(String memory, String name) throws Exception {
        List<String> jvm = benchJvmOptions(memory, name);
        jvm.addAll(StandIns.shared().s3.tls().jvmOptions());
        return jvm;
    }

    /** The heap flags, the compilers for the scale and -Dbench.harvester-jvm-options: every benchmark's harvester. */
    static List<String> benchJvmOptions(String memory, String name) {
        List<String> jvm = new ArrayList<>(List.of(memory.split(" ")));
        if (!SCALE.name().equals("smoke")) {
            jvm.add("-XX:TieredStopAtLevel=4");
        }
        String extra = System.getProperty("bench.harvester-jvm-options", "").strip();
        if (!extra.isEmpty()) {
            jvm.addAll(List.of(extra.replace("{name}", name).split("\\s+")));
        }
        return jvm;
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

    /**
     * User plus system CPU time of the process's threads that HotSpot names {@code C1/C2 CompilerThre…} (the JIT) or
     * {@code GC Thread#…}, {@code G1 …} and {@code VM Thread} (the collector and its safepoints), from /proc (Linux).
     * A thread that ended takes its time with it.
     */
    private record JvmCpu(long jitMillis, long gcMillis) {

        static JvmCpu of(long pid) throws Exception {
            return new JvmCpu(jitCpuMillis(pid), gcCpuMillis(pid));
        }

        JvmCpu since(JvmCpu before) {
            return new JvmCpu(jitMillis - before.jitMillis, gcMillis - before.gcMillis);
        }

        /** "J µs; G µs": each per poll. */
        String perPoll(long polls) {
            return String.format(Locale.ROOT, "%.0f µs; %.0f µs", jitMillis * 1000.0 / Math.max(1, polls),
                    gcMillis * 1000.0 / Math.max(1, polls));
        }
    }

    /** CPU time of the process's JIT compiler threads ({@code C1/C2 CompilerThre…}), from /proc (Linux). */
    static long jitCpuMillis(long pid) throws Exception {
        return threadsCpuMillis(pid, name -> name.contains("CompilerThre"));
    }

    /**
     * CPU time of the process's collector threads ({@code GC Thread#…}, {@code G1 …}) and its safepoints
     * ({@code VM Thread}), from /proc (Linux).
     */
    static long gcCpuMillis(long pid) throws Exception {
        return threadsCpuMillis(pid, name -> name.startsWith("GC Thread") || name.startsWith("G1 ")
                || name.startsWith("VM Thread"));
    }

    /** CPU time of the process's threads whose name passes {@code named} (/proc, Linux). */
    static long threadsCpuMillis(long pid, java.util.function.Predicate<String> named) throws Exception {
        long millis = 0;
        try (var threads = Files.list(Path.of("/proc", String.valueOf(pid), "task"))) {
            for (Path thread : threads.toList()) {
                try {
                    if (named.test(Files.readString(thread.resolve("comm")).strip())) {
                        millis += cpuMillis(thread.resolve("stat"));
                    }
                } catch (java.nio.file.NoSuchFileException ended) {
                    // a thread that ended meanwhile
                }
            }
        }
        return millis;
    }

    /** User plus system CPU time of a process, from /proc (Linux). */
    private static long cpuMillis(long pid) throws Exception {
        return cpuMillis(Path.of("/proc", String.valueOf(pid), "stat"));
    }

    /** System CPU time of a process (in the kernel: system calls, thread wake-ups), from /proc (Linux). */
    private static long kernelCpuMillis(long pid) throws Exception {
        return millis(statFields(Path.of("/proc", String.valueOf(pid), "stat"))[12]);
    }

    /** User plus system CPU time in a /proc stat file (of a process or of one of its threads). */
    static long cpuMillis(Path statFile) throws IOException {
        String[] fields = statFields(statFile);
        return millis(fields[11]) + millis(fields[12]);
    }

    /** A /proc stat file's fields after the command name (which may hold spaces): [11] user time, [12] system time. */
    private static String[] statFields(Path statFile) throws IOException {
        String stat = Files.readString(statFile);
        return stat.substring(stat.lastIndexOf(')') + 2).split(" ");
    }

    /** Clock ticks as milliseconds: USER_HZ is 100 on Linux. */
    private static long millis(String ticks) {
        return Long.parseLong(ticks) * 1000 / 100;
    }

    /**
     * Copies one task's three files with the SDK, one after the other, five times (once at smoke size); the mean time
     * of one task.
     */
    private static long sdkCopyMillisOfOneTask(StandIns standIns, long videoBytes) throws Exception {
        int times = SCALE.warmUpTasks() > 0 ? 5 : 1;
        try (S3Client s3 = standIns.s3.tls().client()) {
            long start = System.nanoTime();
            for (int i = 0; i < times; i++) {
                sdkCopyTask(s3, standIns, "transfer-" + UUID.randomUUID(), videoBytes, "bench-transfer/");
            }
            return Math.max(1, (System.nanoTime() - start) / times / 1_000_000);
        }
    }

    /** The value at {@code p} (0.99: p99) of a sorted list, 0 for an empty one; the bench classes' one definition. */
    static long percentile(List<Long> sorted, double p) {
        return sorted.isEmpty() ? 0 : sorted.get(Math.min(sorted.size() - 1, (int) Math.ceil(sorted.size() * p) - 1));
    }

    /** A setting's shipped default, from application.properties (or -Dbench.set.NAME). */
    private static String defaultSetting(String name) {
        Properties defaults = new Properties();
        try (var in = Files.newBufferedReader(Path.of("application.properties"))) {
            defaults.load(in);
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
        return System.getProperty("bench.set." + name, defaults.getProperty(name));
    }

    /** Sends the task records at {@code perSecond}, as tasks finishing one after another would arrive. */
    private static void sendSteadily(StandIns standIns, String topic, List<String> ids, int perSecond)
            throws Exception {
        Properties props = new Properties();
        props.put(ProducerConfig.BOOTSTRAP_SERVERS_CONFIG, standIns.kafka.bootstrapServers());
        props.put(ProducerConfig.KEY_SERIALIZER_CLASS_CONFIG, ByteArraySerializer.class.getName());
        props.put(ProducerConfig.VALUE_SERIALIZER_CLASS_CONFIG, ByteArraySerializer.class.getName());
        try (KafkaProducer<byte[], byte[]> producer = new KafkaProducer<>(props)) {
            long start = System.nanoTime();
            for (int i = 0; i < ids.size(); i++) {
                long due = start + i * 1_000_000_000L / perSecond;
                long wait = due - System.nanoTime();
                if (wait > 0) {
                    Thread.sleep(wait / 1_000_000, (int) (wait % 1_000_000));
                }
                byte[] bytes = ids.get(i).getBytes(StandardCharsets.UTF_8);
                producer.send(new ProducerRecord<>(topic, bytes, bytes));
                producer.flush();
            }
        }
    }

    /**
     * What one harvester process did with one batch of tasks: throughput from its first download and from the send to
     * the last event, and its heap peak.
     */
    record StreamingRun(double mbps, double mbpsFromSend, long maxHeap) {
    }

    /**
     * Starts the jar at -Xmx256m against a fresh API stand-in (at smoke size: the shared harvester), harvests
     * {@code warmUp} (not measured, to its end: the SDK's baseline runs in a JVM that has long been warm), then
     * {@code ids}, all starting with {@code idPrefix}, and stops it again (at full size; the shared one stays).
     */
    private static StreamingRun harvestBatch(StandIns standIns, String name, String idPrefix, long videoBytes,
            List<String> warmUp, List<String> ids) throws Exception {
        try (Harvester harvester = harvester(name, idPrefix, 0, videoBytes, 0,
                api -> standIns.properties("bench-" + name + "-" + ids.get(0), Map.of(
                        "luma.api.base-url", api.baseUrl(),
                        "luma.poll.interval-ms", "500")), "-Xmx256m")) {
            Map<String, String> props = harvester.props();
            String port = props.get("luma.http.port");
            EventCollector events = EventCollector.start(standIns, props.get("luma.topics.events"), idPrefix);
            sendAll(standIns, props.get("luma.topics.tasks"), warmUp);
            events.awaitAll(warmUp.size(), Duration.ofMinutes(30));
            long warmUpBytes = events.bytes();
            Sampler sampler = Sampler.start(port);
            long start = System.currentTimeMillis();
            sendAll(standIns, props.get("luma.topics.tasks"), ids);
            events.awaitAll(warmUp.size() + ids.size(), Duration.ofMinutes(30));
            double mb = (events.bytes() - warmUpBytes) / (double) MB;
            // the baseline's clock starts at its first download; the harvester's copies start once intake and
            // the first poll have run, which the figure from the send also counts
            long firstDownload = requestedAt(standIns, mediaUrls(standIns, ids, videoBytes).stream())
                    .min().orElseThrow();
            // the tasks reach their copies one by one, through intake and the first poll
            long lastVideoStarted = requestedAt(standIns, ids.stream()
                    .map(id -> standIns.api.completedMedia(id, videoBytes).urlByRole().get("video")))
                    .max().orElseThrow();
            NOTES.add(String.format(Locale.ROOT, "%s: the last of the %d videos started downloading %d ms after "
                    + "the first; the last event came %d ms after it", name, ids.size(),
                    lastVideoStarted - firstDownload, events.lastTimestamp() - firstDownload));
            sampler.stop();
            assertThat(events.statuses()).containsOnlyKeys("completed");
            events.stop();
            return new StreamingRun(mb / ((events.lastTimestamp() - firstDownload) / 1000.0),
                    mb / ((events.lastTimestamp() - start) / 1000.0), sampler.maxHeap());
        }
    }

    /** When the CDN stand-in received each request for these URLs (wall clock). */
    private static LongStream requestedAt(StandIns standIns, Stream<String> urls) {
        return urls.flatMap(url -> standIns.cdn.sendings(URI.create(url).getRawPath()).stream())
                .mapToLong(CdnStandIn.Sending::requestedAtMillis);
    }

    /**
     * The baseline's copy in a JVM of its own at -Xmx256m, as the harvester runs ({@link SdkCopyMain}): {@code warmUp}'s
     * files first, not timed, then {@code ids}' at {@code concurrency}, once per way of copying; MB/s by way.
     */
    private static Map<String, Double> sdkCopyInOwnJvm(StandIns standIns, List<String> warmUp, List<String> ids,
            int concurrency) throws Exception {
        EmbeddedS3.Tls s3 = standIns.s3.tls();
        List<String> command = new ArrayList<>(List.of(Path.of(System.getProperty("java.home"), "bin", "java")
                .toString(), "-Xmx256m"));
        command.addAll(s3.jvmOptions());
        command.addAll(List.of("-cp", System.getProperty("java.class.path"), SdkCopyMain.class.getName(),
                s3.endpoint(), String.valueOf(concurrency), String.valueOf(warmUp.size() * 3)));
        command.addAll(mediaUrls(standIns, Stream.concat(warmUp.stream(), ids.stream()).toList(), SCALE.streamBytes()));
        Process child = new ProcessBuilder(command).redirectErrorStream(true).start();
        String out = new String(child.getInputStream().readAllBytes(), StandardCharsets.UTF_8);
        assertThat(child.waitFor()).as(out).isZero();
        Map<String, Double> mbps = new HashMap<>();
        Matcher copied = Pattern.compile("(\\S+) copied at (\\S+) MB/s").matcher(out);
        while (copied.find()) {
            mbps.put(copied.group(1), Double.parseDouble(copied.group(2)));
        }
        assertThat(mbps).as(out).containsOnlyKeys("sdk", "harvester-copy");
        return mbps;
    }

    /**
     * The child of {@link #sdkCopyInOwnJvm}: arguments endpoint, concurrency, how many of the URLs warm up, the URLs.
     * Copies them with the SDK's putObject, downloading with {@code HttpURLConnection} (the baseline's way) and then
     * with HttpClient 5 through a {@link HashingInputStream}, which hashes only when the SDK sends no SHA-256 (the
     * harvester's).
     */
    static final class SdkCopyMain {
        public static void main(String[] args) throws Exception {
            int concurrency = Integer.parseInt(args[1]);
            int warm = Integer.parseInt(args[2]);
            List<String> urls = List.of(args).subList(3, args.length);
            try (S3Client s3 = EmbeddedS3.client(args[0]);
                    CloseableHttpClient http = HttpClients.custom().setConnectionManager(
                            PoolingHttpClientConnectionManagerBuilder.create().setMaxConnTotal(2 * concurrency)
                                    .setMaxConnPerRoute(2 * concurrency).build()).build()) {
                Map<String, Copy> ways = new LinkedHashMap<>();
                ways.put("sdk", (url, key) -> sdkCopy(s3, url, key));
                ways.put("harvester-copy", (url, key) -> http.execute(new HttpGet(url), response -> {
                    long length = response.getEntity().getContentLength();
                    return put(s3, key, new HashingInputStream(response.getEntity().getContent(), length,
                            !SHA256_CHECKSUM), length);
                }));
                for (Map.Entry<String, Copy> way : ways.entrySet()) {
                    for (String url : urls.subList(0, warm)) {
                        way.getValue().copy(url, "bench-sdk/warm-" + Math.abs(url.hashCode()));
                    }
                    System.out.println(way.getKey() + " copied at " + copyAll(urls.subList(warm, urls.size()),
                            concurrency, "bench-sdk/" + way.getKey() + "/", way.getValue()) + " MB/s");
                }
            }
        }
    }

    /** One file from {@code url} to {@code key}; the bytes copied. */
    @FunctionalInterface
    interface Copy {
        long copy(String url, String key) throws Exception;
    }

    /** Copies {@code urls}, {@code concurrency} at once, each to {@code keyPrefix} and a name of its own; MB/s. */
    private static double copyAll(List<String> urls, int concurrency, String keyPrefix, Copy copy) throws Exception {
        ExecutorService pool = Executors.newFixedThreadPool(concurrency);
        try {
            List<Future<Long>> copies = new ArrayList<>();
            long start = System.nanoTime();
            for (String url : urls) {
                copies.add(pool.submit(() -> copy.copy(url, keyPrefix + Math.abs(url.hashCode()))));
            }
            long bytes = 0;
            for (Future<Long> done : copies) {
                bytes += done.get();
            }
            return bytes / (double) MB / ((System.nanoTime() - start) / 1e9);
        } finally {
            pool.shutdown();
        }
    }

    /** The media URLs of these tasks' completed answers (videos of {@code videoBytes}), in task order. */
    private static List<String> mediaUrls(StandIns standIns, List<String> ids, long videoBytes) {
        return ids.stream()
                .flatMap(id -> standIns.api.completedMedia(id, videoBytes).urlByRole().values().stream())
                .toList();
    }

    /** Copies one task's three media files with the SDK; returns the bytes copied. */
    private static long sdkCopyTask(S3Client s3, StandIns standIns, String id, long videoBytes, String keyPrefix)
            throws Exception {
        long bytes = 0;
        for (String url : mediaUrls(standIns, List.of(id), videoBytes)) {
            bytes += sdkCopy(s3, url, keyPrefix + id + "/" + Math.abs(url.hashCode()));
        }
        return bytes;
    }

    /**
     * The baseline's copy of one file: the SDK's streaming putObject with the checksum the harvester sends (its
     * s3.checksum-algorithm; the SDK's default would be a CRC32, less work for both ends than the SHA-256).
     */
    private static long sdkCopy(S3Client s3, String url, String key) throws Exception {
        HttpURLConnection connection = (HttpURLConnection) URI.create(url).toURL().openConnection();
        try (InputStream in = connection.getInputStream()) {
            return put(s3, key, in, connection.getContentLengthLong());
        } finally {
            connection.disconnect();
        }
    }

    /** The SDK's streaming putObject of a body of known length, with the harvester's checksum. */
    private static long put(S3Client s3, String key, InputStream body, long length) {
        s3.putObject(b -> b.bucket(StandIns.BUCKET).key(key).contentLength(length)
                .checksumAlgorithm(SHA256_CHECKSUM ? ChecksumAlgorithm.SHA256 : null),
                RequestBody.fromInputStream(body, length));
        return length;
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
            return start(standIns, topic, "");
        }

        /** Only the events of the tasks whose ids start with {@code idPrefix}: a run's, on a shared harvester. */
        static EventCollector start(StandIns standIns, String topic, String idPrefix) {
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
                            collector.add(record, idPrefix);
                        }
                    }
                }
            }, "bench-events");
            collector.thread.setDaemon(true);
            collector.thread.start();
            return collector;
        }

        private void add(ConsumerRecord<byte[], byte[]> record, String idPrefix) {
            String key = new String(record.key(), StandardCharsets.UTF_8);
            if (!key.startsWith(idPrefix) || timestamps.putIfAbsent(key, record.timestamp()) != null) {
                return;
            }
            last.accumulateAndGet(record.timestamp(), Math::max);
            String value = new String(record.value(), StandardCharsets.UTF_8);
            String status = value;
            if (value.startsWith("{")) {
                try {
                    JsonNode event = Events.JSON.readTree(value);
                    status = event.path("status").asText();
                    for (JsonNode file : event.path("media")) {
                        bytes.addAndGet(file.path("size").asLong());
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
