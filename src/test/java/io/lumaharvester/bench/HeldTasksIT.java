package io.lumaharvester.bench;


import io.lumaharvester.dev.Probes;

import static org.assertj.core.api.Assertions.assertThat;

import java.io.IOException;
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
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.TimeUnit;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

import io.lumaharvester.dev.FastApiStandIn;
import io.lumaharvester.dev.HarvesterProcess;
import io.lumaharvester.dev.StandIns;
import org.apache.kafka.clients.producer.KafkaProducer;
import org.apache.kafka.clients.producer.ProducerConfig;
import org.apache.kafka.clients.producer.ProducerRecord;
import org.apache.kafka.common.serialization.ByteArraySerializer;
import org.awaitility.Awaitility;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.Assumptions;
import org.junit.jupiter.api.MethodOrderer;
import org.junit.jupiter.api.Order;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.TestMethodOrder;

/**
 * What a held task costs, and whether one instance holds 100,000 (issue 28). A task is held from its admission until
 * its end: its ticket waits in the poll consumer between two polls, and its state is kept by intake. The packaged jar
 * runs in a child process against the API stand-in ({@link FastApiStandIn}), which answers 250 ms after each request.
 * <ul>
 * <li><b>Bytes per held task</b>, for a bare task id and for a task with 4 KB of metadata: the harvester's heap after a
 * full collection with N tasks held (every one first-polled, none completing, polled every 60 s) minus with none,
 * over N: the bytes of the live objects in a class histogram ({@code jmap -histo:live}, itself a full collection), at
 * every N. (The used heap of {@code jcmd GC.heap_info} after {@code GC.run} also counts what the polls allocate
 * between the two, a hundred MB at 1,700 polls a second.) The broker is another process: what counts is the harvester's own copy of each ticket and state.
 * At each N also the CPU per poll (process CPU over the polls the API saw, after one interval at that N; of it the JIT
 * compiler and GC threads, from /proc), live threads and heap used. The histogram per N, minus the one with none, over
 * N, says where the bytes are: {@code target/bench/held-tasks-histo-*.txt}.</li>
 * <li><b>100,000 tasks held</b> (full size only): 100,000 tasks at 60 s interval, 60 s generations, the default
 * first-poll delay, -Xmx512m, to their end.</li>
 * </ul>
 * The figures go to {@code target/bench/held-tasks-SCALE.csv} and {@code .md}; {@link HeldTasksChart} draws the curve
 * from the CSV, into docs/images/held-tasks.png at full size only. {@code mvn verify} runs 1,000 bare tasks and asserts
 * the target: at most 2 KB a bare task.
 */
@TestMethodOrder(MethodOrderer.OrderAnnotation.class)
class HeldTasksIT {

    private static final long MB = 1024 * 1024;
    private static final long INTERVAL_MS = 60_000;
    private static final long API_LATENCY_MS = 250;
    private static final int METADATA_BYTES = 4 * 1024;
    /**
     * The target for a bare task: its ticket and state, with what holds them. Met since the due: consumer keeps
     * of a record only its key, value and copied headers (Kafka's ConsumerRecord, its headers and a TopicPartition each
     * cost some 650 bytes more).
     */
    private static final long MAX_BYTES_PER_BARE_TASK = 2 * 1024;
    /**
     * Held in both counts, with none and with N: the classes, caches and API connections that polling uses are
     * there before the first count, and what the N tasks add is theirs alone.
     */
    private static final int WARM_UP_TASKS = 200;

    /**
     * {@code sizes}: the task counts held, one after the other in one harvester, each measured; {@code withMetadata}:
     * the 4 KB kind as well; {@code windowMs}: the CPU measurement's window at each size; {@code held}: the 100,000 run's
     * task count (0: not run).
     */
    record Scale(String name, int[] sizes, boolean withMetadata, long windowMs, int held, long keepAliveMs) {

        /**
         * A little over the API client's keep-alive (luma.api.keep-alive-ms): a connection opened by a burst of first
         * polls and idle since is closed before the heap is counted, so what is counted is what polling the tasks
         * keeps open. Nothing outside the harvester tells an idle connection from one about to be used, so the
         * run waits the keep-alive out.
         */
        long settleMs() {
            return keepAliveMs + 2_000;
        }
    }

    private static final Scale SCALE = switch (System.getProperty("bench.scale", "smoke")) {
        // a window of one interval: every task held is polled once in it
        // the default keep-alive, as the CPU per poll is measured at
        case "full" -> new Scale("full", new int[] {1_000, 10_000, 100_000}, true, INTERVAL_MS, 100_000, 20_000);
        case "medium" -> new Scale("medium", new int[] {1_000, 10_000}, true, INTERVAL_MS, 10_000, 20_000);
        // under about 20 s: one harvester, 1,000 bare tasks, the bytes asserted; no CPU window (a cold JVM's), so the
        // shortest keep-alive (whole seconds), and no wait beyond its connections' closing (awaitSettled)
        default -> new Scale("smoke", new int[] {1_000}, false, 0, 0, 1_000);
    };

    /** One row per kind and size, in the CSV's columns. */
    private static final List<Map<String, String>> ROWS = new ArrayList<>();
    private static final List<String> NOTES = new ArrayList<>();
    private static final List<String> COLUMNS = List.of("kind", "tasks", "bytes_per_task", "heap_after_gc_mb",
            "heap_after_gc_none_mb", "cpu_per_poll_us", "jit_per_poll_us", "gc_per_poll_us",
            "cpu_per_poll_without_jit_us", "cores", "polls_per_s", "live_threads", "heap_used_mb");

    @Test
    @Order(1)
    void aBareHeldTaskCostsAtMostTwoKilobytesOfHeap() throws Exception {
        Map<Integer, Long> perTask = bytesPerHeldTask("bare", 0);
        // the target holds at every size: the most held is the figure that matters
        assertThat(perTask).allSatisfy((n, bytes) -> assertThat(bytes).as("bytes per bare task held, %d held", n)
                .isLessThanOrEqualTo(MAX_BYTES_PER_BARE_TASK));
    }

    @Test
    @Order(2)
    void aTaskWithFourKilobytesOfMetadataCostsItsMetadataMore() throws Exception {
        Assumptions.assumeTrue(SCALE.withMetadata(), "the 4 KB kind at -Dbench.scale=medium or full");
        Map<Integer, Long> perTask = bytesPerHeldTask("metadata-4kb", METADATA_BYTES);
        assertThat(perTask).isNotEmpty();
    }

    /**
     * One harvester; with none held, then each size of the scale in turn (the tasks added to those held already):
     * the heap after a full collection and the cost of polling them. Returns the bytes per task, by size.
     */
    private static Map<Integer, Long> bytesPerHeldTask(String kind, int metadataBytes) throws Exception {
        StandIns standIns = StandIns.shared();
        String run = UUID.randomUUID().toString().substring(0, 6);
        int most = SCALE.sizes()[SCALE.sizes().length - 1];
        Map<Integer, Long> perTask = new LinkedHashMap<>();
        // never completing: every task stays held
        try (FastApiStandIn api = FastApiStandIn.start(standIns.api, Long.MAX_VALUE / 2, 1000, API_LATENCY_MS)) {
            String prefix = "bench-held-" + kind + "-" + run;
            // every task held: admission, the poll consumer's count and the bytes cap all above the most held (the
            // heap is large enough for the 4 KB kind at the full size; what is measured is what the tasks leave)
            Map<String, String> props = standIns.properties(prefix, Map.of(
                    "luma.api.base-url", api.baseUrl(),
                    "luma.poll.interval-ms", String.valueOf(INTERVAL_MS),
                    "luma.poll.first-delay-ms", "0",
                    "luma.api.keep-alive-ms", String.valueOf(SCALE.keepAliveMs()),
                    "luma.tasks.max-in-flight", String.valueOf(most + 10_000),
                    "luma.tasks.max-held-bytes", String.valueOf(most * (long) (metadataBytes + 2048) * 3),
                    "luma.topics.partitions", "8"));
            String xmx = most * (long) metadataBytes > 100 * MB ? "-Xmx3g" : "-Xmx512m";
            try (HarvesterProcess app = startJar(props, xmx, "held-" + kind)) {
                String port = props.get("luma.http.port");
                Probes.awaitReady(port);
                long pid = app.process().pid();
                // every class a held task uses loaded, every cache they fill filled: a few tasks first, in both
                // counts; their polls every 60 s too
                List<String> warm = taskIds("held-warm-" + run, WARM_UP_TASKS);
                sendAll(standIns, props.get("luma.topics.tasks"), warm, metadataBytes);
                awaitFirstPolled(api, warm.size(), warm.size());
                awaitSettled(api, port);
                Histogram noneHisto = Histogram.of(pid);
                long none = noneHisto.total();
                NOTES.add(String.format(Locale.ROOT, "%s: heap after a full collection with none held (the %d warm-up "
                        + "tasks only): %.1f MB, %s", kind, WARM_UP_TASKS, none / (double) MB, xmx));
                int held = 0;
                for (int n : SCALE.sizes()) {
                    List<String> ids = taskIds("held-" + run + "-" + held, n - held);
                    long sent = System.currentTimeMillis();
                    sendAll(standIns, props.get("luma.topics.tasks"), ids, metadataBytes);
                    awaitFirstPolled(api, warm.size() + n, n);
                    long intakeMs = System.currentTimeMillis() - sent;
                    held = n;
                    // the tickets of the last admitted are back from their first poll, and the connections the
                    // burst of first polls opened beyond what polling keeps busy are closed
                    awaitSettled(api, port);
                    Window window = SCALE.windowMs() > 0 ? Window.measure(app, api, SCALE.windowMs()) : null;
                    Histogram histo = Histogram.of(pid);
                    long after = histo.total();
                    long bytes = (after - none) / n;
                    perTask.put(n, bytes);
                    Path histoFile = Files.createDirectories(Path.of("target", "bench"))
                            .resolve("held-tasks-histo-" + kind + "-" + n + ".txt");
                    Files.writeString(histoFile, histo.perTaskAgainst(noneHisto, n, 25));
                    Map<String, String> row = new LinkedHashMap<>();
                    row.put("kind", kind);
                    row.put("tasks", String.valueOf(n));
                    row.put("bytes_per_task", String.valueOf(bytes));
                    row.put("heap_after_gc_mb", fixed(after / (double) MB));
                    row.put("heap_after_gc_none_mb", fixed(none / (double) MB));
                    if (window != null) {
                        row.putAll(window.columns());
                    }
                    ROWS.add(row);
                    NOTES.add(String.format(Locale.ROOT, "%s, %,d held: intake and first polls took %.1f s "
                            + "(%,.0f ids/s)%s", kind, n, intakeMs / 1000.0, ids.size() * 1000.0 / intakeMs,
                            "; by class: " + histoFile));
                    System.out.printf("HeldTasksIT: %s, %d held: %d bytes a task (%s)%n", kind, n, bytes, row);
                }
            }
        }
        return perTask;
    }

    /**
     * 100,000 tasks, every 60 s, the API answering after 250 ms, each generation done 60 s after its first poll, at the
     * default first-poll delay, at -Xmx512m: the gap between two polls of a task, every task's event, live threads and
     * heap at their peak, and no poll before the delay (from each record's produce time to its first poll at the
     * stand-in). The settings it needs for that many: admission, the bytes cap.
     */
    @Test
    @Order(3)
    void aHundredThousandTasksHeldArePolledEveryIntervalAndAllComplete() throws Exception {
        Assumptions.assumeTrue(SCALE.held() > 0, "a full-size run (-Dbench.scale=full or medium)");
        StandIns standIns = StandIns.shared();
        String run = UUID.randomUUID().toString().substring(0, 6);
        int tasks = SCALE.held();
        long firstDelayMs = Long.parseLong(defaultSetting("luma.poll.first-delay-ms"));
        try (FastApiStandIn api = FastApiStandIn.start(standIns.api, INTERVAL_MS, 1000, API_LATENCY_MS)) {
            String prefix = "bench-held-run-" + run;
            Map<String, String> props = new HashMap<>(standIns.properties(prefix, Map.of(
                    "luma.api.base-url", api.baseUrl(),
                    "luma.poll.interval-ms", String.valueOf(INTERVAL_MS),
                    "luma.poll.first-delay-ms", String.valueOf(firstDelayMs),
                    "luma.tasks.max-in-flight", String.valueOf(tasks + 10_000),
                    // intake reads below half of it: every ticket held, and room for intake's own
                    "luma.tasks.max-held-bytes", String.valueOf(128 * MB),
                    // thousands of tasks polled: a burst of completions copies one task at a time while polls lag
                    "luma.harvest.max-copies-in-flight-while-polls-lag", "1",
                    "luma.topics.partitions", "8")));
            // exiting on OutOfMemoryError, as the image runs it: a heap over 512 MB ends the run there
            try (HarvesterProcess app = startJar(props, "-Xmx512m -XX:+ExitOnOutOfMemoryError", "held-run")) {
                String port = props.get("luma.http.port");
                Probes.awaitReady(port);
                BenchmarksIT.EventCollector events = BenchmarksIT.EventCollector.start(standIns,
                        props.get("luma.topics.events"));
                BenchmarksIT.Sampler sampler = BenchmarksIT.Sampler.start(port);
                List<String> ids = taskIds("held-run-" + run, tasks);
                long start = System.currentTimeMillis();
                Map<String, Long> producedAt = sendAll(standIns, props.get("luma.topics.tasks"), ids, 0);
                // at 100 ids a second intake takes 1,000 s; the generations and the media some minutes more
                Awaitility.await().atMost(Duration.ofMillis(firstDelayMs + tasks * 10L + 600_000))
                        .pollInterval(Duration.ofSeconds(1))
                        .until(() -> api.tasksPolled() >= tasks || !app.process().isAlive());
                long firstPolledMs = System.currentTimeMillis() - start;
                Awaitility.await().atMost(Duration.ofMillis(INTERVAL_MS * 3 + 1_800_000))
                        .pollInterval(Duration.ofSeconds(1))
                        .until(() -> events.count() >= tasks || !app.process().isAlive());
                assertThat(app.process().isAlive()).as("the harvester still runs (no OutOfMemoryError)").isTrue();
                long lastEventMs = events.lastTimestamp() - start;
                sampler.stop();
                events.stop();
                List<Long> gaps = new ArrayList<>();
                List<Long> sinceProduce = new ArrayList<>();
                long lastAdmitted = 0;
                for (String id : ids) {
                    List<Long> times = api.pollTimes(id);
                    for (int i = 1; i < times.size(); i++) {
                        gaps.add(times.get(i) - times.get(i - 1));
                    }
                    sinceProduce.add(times.get(0) - producedAt.get(id));
                    lastAdmitted = Math.max(lastAdmitted, times.get(0) - firstDelayMs);
                }
                gaps.sort(Comparator.naturalOrder());
                sinceProduce.sort(Comparator.naturalOrder());
                long gapP99 = BenchmarksIT.percentile(gaps, 0.99);
                long earliest = sinceProduce.get(0);
                long intakeMs = lastAdmitted - start;
                String result = String.format(Locale.ROOT, "%,d tasks, %d s interval, %d ms API, %d s generations, "
                        + "first-poll delay %d ms, -Xmx512m: gap between two polls p50 / p99 / max %d / %d / %d ms "
                        + "(target p99 ≤ %d); events %,d of %,d, statuses %s, last %.1f s after the send; every task "
                        + "first-polled by %.1f s; intake (send → last admission, its first poll less the delay) "
                        + "%.1f s, %,.0f ids/s; first poll − produce, least %d ms (target ≥ %d); live threads / heap "
                        + "used, peak %d / %d MB (targets ≤ 64 / ≤ 512 MB)", tasks, INTERVAL_MS / 1000,
                        API_LATENCY_MS, INTERVAL_MS / 1000, firstDelayMs, BenchmarksIT.percentile(gaps, 0.5), gapP99,
                        gaps.get(gaps.size() - 1), INTERVAL_MS * 3 / 2, events.count(), tasks, events.statuses(),
                        lastEventMs / 1000.0, firstPolledMs / 1000.0, intakeMs / 1000.0, tasks * 1000.0 / intakeMs,
                        earliest, firstDelayMs, sampler.maxThreads(), sampler.maxHeap() / MB);
                NOTES.add(result);
                System.out.println("HeldTasksIT: " + result);
                assertThat(events.statuses()).as("every task completed").isEqualTo(Map.of("completed", tasks));
                assertThat(earliest).as("least time from a task's produce to its first poll")
                        .isGreaterThanOrEqualTo(firstDelayMs);
                assertThat(gapP99).as("gap between two polls, p99").isLessThanOrEqualTo(INTERVAL_MS * 3 / 2);
                assertThat(sampler.maxThreads()).as("live threads, peak").isLessThanOrEqualTo(64);
                assertThat(sampler.maxHeap()).as("heap used, peak").isLessThanOrEqualTo(512 * MB);
            }
        }
    }

    /** The CSV and a table of the figures; the curve at full size. */
    @AfterAll
    static void report() throws Exception {
        Path dir = Files.createDirectories(Path.of("target", "bench"));
        StringBuilder csv = new StringBuilder(String.join(",", COLUMNS)).append('\n');
        StringBuilder table = new StringBuilder("Scale: ").append(SCALE.name()).append(", ").append(LocalDate.now())
                .append(", ").append(Runtime.getRuntime().availableProcessors()).append(" cores, the harvester on Java ")
                .append(HarvesterProcess.javaVersion()).append(". Tasks polled every ").append(INTERVAL_MS / 1000)
                .append(" s, API 250 ms, none completing. Heap after a full collection: the live objects' bytes in"
                        + " jmap -histo:live. CPU per poll: process CPU (/proc) ÷ the polls the"
                        + " API saw, over ").append(SCALE.windowMs() / 1000).append(" s at each size.\n\n| ")
                .append(String.join(" | ", COLUMNS)).append(" |\n|").append("---|".repeat(COLUMNS.size()))
                .append('\n');
        Path csvFile = dir.resolve("held-tasks-" + SCALE.name() + ".csv");
        List<Map<String, String>> rows = new ArrayList<>(ROWS);
        // a run of one kind (-Dit.test=HeldTasksIT#...) keeps the other kind's rows of the last run at this size
        if (Files.exists(csvFile)) {
            List<String> kept = Files.readAllLines(csvFile);
            List<String> header = List.of(kept.get(0).split(","));
            for (String line : kept.subList(1, kept.size())) {
                String[] cells = line.split(",", -1);
                if (header.equals(COLUMNS) && ROWS.stream().noneMatch(r -> r.get("kind").equals(cells[0]))) {
                    Map<String, String> row = new LinkedHashMap<>();
                    for (int i = 0; i < COLUMNS.size(); i++) {
                        row.put(COLUMNS.get(i), cells[i]);
                    }
                    rows.add(row);
                }
            }
        }
        for (Map<String, String> row : rows) {
            csv.append(String.join(",", COLUMNS.stream().map(c -> row.getOrDefault(c, "")).toList())).append('\n');
            table.append("| ").append(String.join(" | ", COLUMNS.stream().map(c -> row.getOrDefault(c, ""))
                    .toList())).append(" |\n");
        }
        NOTES.forEach(note -> table.append('\n').append(note).append('\n'));
        System.out.println(table);
        if (ROWS.isEmpty()) {
            // the 100,000 run alone: its figures, the curve's rows untouched
            Files.writeString(dir.resolve("held-tasks-" + SCALE.name() + "-run.md"), table);
        } else {
            Files.writeString(csvFile, csv);
            Files.writeString(dir.resolve("held-tasks-" + SCALE.name() + ".md"), table);
            // the committed picture comes from a full run only; other sizes draw theirs under target/bench
            Path png = "full".equals(SCALE.name()) ? Path.of("docs", "images", "held-tasks.png")
                    : dir.resolve("held-tasks-" + SCALE.name() + ".png");
            HeldTasksChart.draw(csvFile, png);
        }
    }

    /**
     * CPU, polls, threads and heap over {@code windowMs} while the tasks held are polled: the process's CPU from
     * /proc, of it the JIT compiler threads and the collector's, over the polls the API saw meanwhile.
     */
    record Window(long cpuMillis, long jitMillis, long gcMillis, long polls, long wallMs, long threads, long heapUsed) {

        static Window measure(HarvesterProcess app, FastApiStandIn api, long windowMs) throws Exception {
            long pid = app.process().pid();
            long cpu = BenchmarksIT.cpuMillis(Path.of("/proc", String.valueOf(pid), "stat"));
            long jit = BenchmarksIT.jitCpuMillis(pid);
            long gc = BenchmarksIT.gcCpuMillis(pid);
            long polls = api.polls();
            long start = System.currentTimeMillis();
            Thread.sleep(windowMs);
            long wall = System.currentTimeMillis() - start;
            Window window = new Window(BenchmarksIT.cpuMillis(Path.of("/proc", String.valueOf(pid), "stat")) - cpu,
                    BenchmarksIT.jitCpuMillis(pid) - jit,
                    BenchmarksIT.gcCpuMillis(pid) - gc,
                    api.polls() - polls, wall, 0, 0);
            String scrape = Probes.scrape(portOf(app));
            return new Window(window.cpuMillis, window.jitMillis, window.gcMillis, window.polls, window.wallMs,
                    (long) Probes.sample(scrape, "jvm_threads_live_threads"),
                    (long) Probes.sample(scrape, "jvm_memory_used_bytes", "area=heap"));
        }

        Map<String, String> columns() {
            double polls = Math.max(1, this.polls);
            Map<String, String> columns = new LinkedHashMap<>();
            columns.put("cpu_per_poll_us", fixed(cpuMillis * 1000.0 / polls));
            columns.put("jit_per_poll_us", fixed(jitMillis * 1000.0 / polls));
            columns.put("gc_per_poll_us", fixed(gcMillis * 1000.0 / polls));
            columns.put("cpu_per_poll_without_jit_us", fixed((cpuMillis - jitMillis) * 1000.0 / polls));
            columns.put("cores", String.format(Locale.ROOT, "%.3f", cpuMillis / (double) wallMs));
            columns.put("polls_per_s", fixed(this.polls * 1000.0 / wallMs));
            columns.put("live_threads", String.valueOf(threads));
            columns.put("heap_used_mb", fixed(heapUsed / (double) MB));
            return columns;
        }
    }

    /** The harvester's management port, as its settings gave it (kept per process by {@link #startJar}). */
    private static final Map<Long, String> PORTS = new ConcurrentHashMap<>();

    private static String portOf(HarvesterProcess app) {
        return PORTS.get(app.process().pid());
    }

    /** A class histogram of the live objects ({@code jmap -histo:live}, itself a full collection): bytes by class. */
    record Histogram(Map<String, long[]> byClass) {

        private static final Pattern LINE = Pattern.compile("^\\s*\\d+:\\s+(\\d+)\\s+(\\d+)\\s+(\\S+).*$");

        static Histogram of(long pid) throws Exception {
            Map<String, long[]> byClass = new HashMap<>();
            for (String line : run("jmap", "-histo:live", String.valueOf(pid)).split("\n")) {
                Matcher m = LINE.matcher(line);
                if (m.matches()) {
                    byClass.put(m.group(3), new long[] {Long.parseLong(m.group(1)), Long.parseLong(m.group(2))});
                }
            }
            return new Histogram(byClass);
        }

        /** The bytes of every live object. */
        long total() {
            return byClass.values().stream().mapToLong(counts -> counts[1]).sum();
        }

        /** The {@code top} classes that grew most from {@code before}, in instances and bytes per task. */
        String perTaskAgainst(Histogram before, int tasks, int top) {
            record Growth(String name, double instances, double bytes) {
            }
            List<Growth> growths = new ArrayList<>();
            byClass.forEach((name, now) -> {
                long[] was = before.byClass.getOrDefault(name, new long[2]);
                growths.add(new Growth(name, (now[0] - was[0]) / (double) tasks, (now[1] - was[1]) / (double) tasks));
            });
            growths.sort(Comparator.comparingDouble(Growth::bytes).reversed());
            StringBuilder text = new StringBuilder(String.format(Locale.ROOT, "jmap -histo:live, %,d tasks held, "
                    + "against none: per task%n%12s %12s  %s%n", tasks, "instances", "bytes", "class"));
            double total = growths.stream().mapToDouble(Growth::bytes).sum();
            growths.stream().limit(top).forEach(g -> text.append(String.format(Locale.ROOT, "%12.2f %12.1f  %s%n",
                    g.instances(), g.bytes(), g.name())));
            text.append(String.format(Locale.ROOT, "%12s %12.1f  (all classes)%n", "", total));
            return text.toString();
        }
    }

    /** A JDK tool's output; it must succeed. */
    private static String run(String tool, String... args) throws Exception {
        List<String> command = new ArrayList<>();
        command.add(Path.of(System.getProperty("java.home"), "bin", tool).toString());
        command.addAll(List.of(args));
        Process process = new ProcessBuilder(command).redirectErrorStream(true).start();
        String out = new String(process.getInputStream().readAllBytes(), StandardCharsets.UTF_8);
        assertThat(process.waitFor(5, TimeUnit.MINUTES)).as(tool).isTrue();
        assertThat(process.exitValue()).as(String.join(" ", command) + ": " + out).isZero();
        return out;
    }

    /**
     * Until what a count of the heap must not see is gone: the tickets of the last admitted back from their first
     * poll, and the API connections that the burst of first polls opened closed by the client's keep-alive. At the
     * sizes that measure CPU, polling goes on meanwhile and keeps some of them busy: the keep-alive and a margin,
     * waited out. At smoke size nothing is polled again within the run (60 s interval), so the condition itself: no
     * request open at the API, no exchange in flight in the harvester's routes (a poll's exchange ends when its
     * ticket is written), and no connection to the API established.
     */
    private static void awaitSettled(FastApiStandIn api, String port) throws Exception {
        if (!SCALE.name().equals("smoke")) {
            Thread.sleep(SCALE.settleMs());
            return;
        }
        int apiPort = Integer.parseInt(api.baseUrl().substring(api.baseUrl().lastIndexOf(':') + 1));
        Awaitility.await("no poll in flight and the API's connections closed")
                .atMost(Duration.ofMillis(SCALE.settleMs() + 30_000)).pollInterval(Duration.ofMillis(100))
                .ignoreExceptions()
                .until(() -> api.openRequests() == 0 && exchangesInFlight(port) == 0 && establishedTo(apiPort) == 0);
    }

    /** The harvester's exchanges in flight, all routes together (Camel's camel_exchanges_inflight, per route). */
    private static double exchangesInFlight(String port) throws Exception {
        return Probes.sample(Probes.scrape(port), "camel_exchanges_inflight");
    }

    /**
     * TCP connections established to this port, from any process on the machine (Linux: /proc/net/tcp, and tcp6,
     * where a Java socket's connection to 127.0.0.1 is listed as ::ffff:127.0.0.1). The API stand-in's port is one
     * of the machine's ephemeral ports, which no other server listens on meanwhile.
     */
    static long establishedTo(int port) throws IOException {
        String remotePort = String.format(Locale.ROOT, ":%04X", port);
        long established = 0;
        for (String table : List.of("/proc/net/tcp", "/proc/net/tcp6")) {
            // sl local_address rem_address st ...; state 01 is ESTABLISHED
            established += Files.readAllLines(Path.of(table)).stream().skip(1).map(String::trim)
                    .map(line -> line.split("\\s+"))
                    .filter(fields -> fields[2].endsWith(remotePort) && fields[3].equals("01")).count();
        }
        return established;
    }

    /** Until the API has seen {@code total} tasks: at 100 ids a second of intake, and more for a slow start. */
    private static void awaitFirstPolled(FastApiStandIn api, int total, int added) {
        Awaitility.await().atMost(Duration.ofMillis(120_000 + added * 10L)).pollInterval(Duration.ofMillis(200))
                .until(() -> api.tasksPolled() >= total);
    }

    /** BenchmarksIT's harvester (S3 over HTTPS, -Dbench.set.*, its JVM flags), its port noted for the scrapes. */
    private static HarvesterProcess startJar(Map<String, String> settings, String xmx, String name) throws Exception {
        HarvesterProcess app = BenchmarksIT.startJar(settings, xmx, name);
        PORTS.put(app.process().pid(), settings.get("luma.http.port"));
        return app;
    }

    /**
     * One producer for all task records: a bare id, or {"task_id": ..., "metadata": {...}} with {@code metadataBytes}
     * of metadata in fields of 116 characters, as structured metadata is. Returns when each was produced (the
     * record's timestamp), by id.
     */
    private static Map<String, Long> sendAll(StandIns standIns, String topic, List<String> ids, int metadataBytes) {
        Properties props = new Properties();
        props.put(ProducerConfig.BOOTSTRAP_SERVERS_CONFIG, standIns.kafka.bootstrapServers());
        props.put(ProducerConfig.KEY_SERIALIZER_CLASS_CONFIG, ByteArraySerializer.class.getName());
        props.put(ProducerConfig.VALUE_SERIALIZER_CLASS_CONFIG, ByteArraySerializer.class.getName());
        props.put(ProducerConfig.LINGER_MS_CONFIG, "5");
        String metadataJson = HeapBoundIT.structuredMetadata(metadataBytes);
        Map<String, Long> producedAt = new ConcurrentHashMap<>();
        try (KafkaProducer<byte[], byte[]> producer = new KafkaProducer<>(props)) {
            for (String id : ids) {
                String record = metadataBytes == 0 ? id
                        : "{\"task_id\":\"" + id + "\",\"metadata\":" + metadataJson + "}";
                byte[] value = record.getBytes(StandardCharsets.UTF_8);
                producer.send(new ProducerRecord<>(topic, id.getBytes(StandardCharsets.UTF_8), value),
                        (metadata, e) -> {
                            if (metadata != null) {
                                producedAt.put(id, metadata.timestamp());
                            }
                        });
            }
            producer.flush();
        }
        assertThat(producedAt).as("task records produced").hasSize(ids.size());
        return producedAt;
    }

    private static List<String> taskIds(String prefix, int n) {
        List<String> ids = new ArrayList<>(n);
        for (int i = 0; i < n; i++) {
            ids.add(prefix + "-" + i);
        }
        return ids;
    }

    private static String fixed(double value) {
        return String.format(Locale.ROOT, "%.1f", value);
    }

    /** A setting's shipped default, from application.properties (or -Dbench.set.NAME). */
    private static String defaultSetting(String name) throws IOException {
        Properties defaults = new Properties();
        try (var in = Files.newBufferedReader(Path.of("application.properties"))) {
            defaults.load(in);
        }
        return System.getProperty("bench.set." + name, defaults.getProperty(name));
    }
}
