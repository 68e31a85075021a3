package io.lumaharvester;

import io.lumaharvester.dev.Events;
import io.lumaharvester.dev.ProviderStandIn;

import static org.assertj.core.api.Assertions.assertThat;

import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.TreeMap;
import java.util.UUID;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
import java.util.function.Supplier;
import java.util.stream.Collectors;

import io.lumaharvester.dev.CdnStandIn;
import io.lumaharvester.dev.EmbeddedS3;
import io.lumaharvester.dev.HarvesterProcess;
import io.lumaharvester.dev.LumaApiStandIn;
import io.lumaharvester.dev.StandIns;
import io.lumaharvester.provider.Provider;
import io.lumaharvester.provider.ProviderSettings;
import org.apache.kafka.clients.consumer.ConsumerRecord;
import org.awaitility.Awaitility;
import org.junit.jupiter.api.Tag;
import org.junit.jupiter.api.Test;
import software.amazon.awssdk.services.s3.S3Client;

/**
 * kill -9 of the packaged application with 360 tasks in flight: after a restart, every task ends once and right, in
 * one poll loop. The tasks are split across three providers in the same process: luma-aggregator (the API stand-in),
 * luma-official and fal (two requests: status, then the result at response_url), each answering its documented shape.
 */
// in the second IT group: two JVMs side by side, after the benchmarks (pom.xml, profile its-side-by-side)
@Tag("side-by-side")
class CrashRecoveryIT {

    private static final int TASKS = 300;
    /** Tasks still running at the kill, whose poll loops are counted after the restart. */
    private static final int POLLING = 60;
    private static final String TOKEN = "provider-token-c7a1";
    private static final ProviderStandIn STAND_IN = ProviderStandIn.startForTheRun();
    /** The providers the tasks are split across, in turn. */
    private static final List<String> PROVIDERS = List.of("luma-aggregator", "luma-official", "fal");

    /** One task as served: its provider, its files by source URL, its status GETs so far and how many it needs. */
    private record Served(String provider, Map<String, CdnStandIn.MediaFile> filesByUrl, Supplier<Integer> statusGets,
            int statusGetsNeeded, Supplier<Integer> mediaGets, Supplier<List<Long>> pollTimes) {
    }

    private static String providerBaseUrl(String name) {
        return STAND_IN.baseUrl() + ("fal".equals(name) ? "/fal-ai/kling-video" : "");
    }

    private static Provider provider(String name) {
        return ProviderStandIn.builtIn(name, new ProviderSettings(providerBaseUrl(name), TOKEN, Map.of()));
    }

    /** The stand-ins' settings, and each provider's base URL (the provider stand-in) and token. */
    private static Map<String, String> settings(StandIns standIns, String prefix, String intervalMs) throws Exception {
        Map<String, String> overrides = new LinkedHashMap<>(Map.of("luma.poll.interval-ms", intervalMs));
        // the killed instance holds its partitions until its session times out: after the least the broker allows
        // (group.min.session.timeout.ms, 6 s), not the harvester's 10 s
        overrides.put("kafka.client.session.timeout.ms", "6000");
        for (String name : PROVIDERS.subList(1, PROVIDERS.size())) {
            overrides.put("luma.providers." + name + ".base-url", providerBaseUrl(name));
            overrides.put("luma.providers." + name + ".token", TOKEN);
        }
        return standIns.properties(prefix, overrides);
    }

    /** Task {@code i} of a run: luma-official's ids are UUIDs; each provider's ids share a prefix (for S3 listings). */
    private static String taskId(String provider, String prefix, String run, int i) {
        return "luma-official".equals(provider) ? run + "-0000-4000-8000-" + String.format("%012x", i)
                : prefix + "-" + run + "-" + i;
    }

    private static String record(String provider, String taskId) {
        return "luma-aggregator".equals(provider) ? taskId
                : "{\"task_id\":\"" + taskId + "\",\"provider\":\"" + provider + "\"}";
    }

    /**
     * One kill -9 mid-run and a restart prove both. Every task ends once and right: {@value #TASKS} tasks that complete
     * after a few polls, a third of them done at the kill. One poll loop per task: a crash between writing a task's
     * next ticket and committing the one before leaves both on the topic; without step numbers the task would then run
     * in two poll loops for ever, with them the stale copy is skipped. {@value #POLLING} tasks still running at the
     * kill show it: after the restart each is polled at most once an interval. The tasks are split across
     * luma-aggregator, luma-official and fal.
     */
    @Test
    void afterKill9AndARestartEveryTaskOfEveryProviderHasExactlyOneEventIntactObjectsAndOnePollLoop()
            throws Exception {
        StandIns standIns = StandIns.shared();
        long intervalMs = 500;
        Map<String, String> settings = settings(standIns, "crash", String.valueOf(intervalMs));
        Map<String, String> env = Map.of("AWS_ACCESS_KEY_ID", EmbeddedS3.ACCESS_KEY,
                "AWS_SECRET_ACCESS_KEY", EmbeddedS3.SECRET_KEY);
        Path logs = Files.createDirectories(Path.of("target", "it"));
        String run = UUID.randomUUID().toString().substring(0, 8);
        // luma-official's ids of the two kinds of task must differ
        String stepsRun = UUID.randomUUID().toString().substring(0, 8);
        // the tasks that complete, and those that run until the poll loops are counted
        Map<String, Served> served = new LinkedHashMap<>();
        Map<String, Served> polling = new LinkedHashMap<>();
        Map<String, String> records = new LinkedHashMap<>();
        for (int i = 0; i < TASKS; i++) {
            String name = PROVIDERS.get(i % PROVIDERS.size());
            String taskId = taskId(name, "crash", run, i);
            records.put(taskId, record(name, taskId));
            if ("luma-aggregator".equals(name)) {
                List<String> running = new ArrayList<>();
                for (int p = 0; p < i % 7; p++) {
                    running.add(p % 2 == 0 ? "pending" : "processing");
                }
                LumaApiStandIn.ServedMedia media = standIns.api.completesAfter(taskId, running,
                        64_000L * (1 + i % 5));
                Map<String, CdnStandIn.MediaFile> files = new LinkedHashMap<>();
                media.urlByRole().forEach((role, url) -> files.put(url, media.byRole().get(role)));
                served.put(taskId, new Served(name, files, () -> standIns.api.requestsFor(taskId).size(),
                        running.size() + 1, () -> 0, null));
            } else {
                // running, running, then succeeded (fal: 202 while running, then its result at response_url)
                ProviderStandIn.ServedTask task = STAND_IN.completes(provider(name),
                        new ProviderSettings(providerBaseUrl(name), TOKEN, Map.of()), taskId, null,
                        "fal".equals(name) ? 202 : 200);
                served.put(taskId, new Served(name, task.filesByUrl(), () -> STAND_IN.hits(task.statusPath()), 3,
                        () -> task.mediaPath() == null ? 0 : STAND_IN.hits(task.mediaPath()), null));
            }
        }
        for (int i = 0; i < POLLING; i++) {
            String name = PROVIDERS.get(i % PROVIDERS.size());
            String taskId = taskId(name, "steps", stepsRun, i);
            records.put(taskId, record(name, taskId));
            if ("luma-aggregator".equals(name)) {
                standIns.api.answer(taskId, List.of(LumaApiStandIn.json(LumaApiStandIn.runningBody(taskId,
                        "dreaming"))));
                polling.put(taskId, new Served(name, Map.of(), () -> standIns.api.requestsFor(taskId).size(), 0,
                        () -> 0, () -> standIns.api.requestsFor(taskId).stream()
                                .map(r -> r.getLoggedDate().getTime()).toList()));
            } else {
                ProviderStandIn.ServedTask task = STAND_IN.runs(provider(name),
                        new ProviderSettings(providerBaseUrl(name), TOKEN, Map.of()), taskId, null,
                        "fal".equals(name) ? 202 : 200);
                polling.put(taskId, new Served(name, Map.of(), () -> STAND_IN.hits(task.statusPath()), 0, () -> 0,
                        () -> STAND_IN.requestTimes(task.statusPath())));
            }
        }
        String events = settings.get("luma.topics.events");

        int eventsAtKill;
        int tasksWithObjectsButNoEvent;
        try (HarvesterProcess first = HarvesterProcess.start(HarvesterProcess.packagedJar(), List.of("-Xmx256m"),
                settings, env, logs.resolve("crash-first.log"))) {
            for (String record : records.values()) {
                standIns.kafka.send(settings.get("luma.topics.tasks"), record);
            }
            // a third of the tasks done, and every running task a few polls into its loop
            Awaitility.await().atMost(Duration.ofMinutes(3)).pollInterval(Duration.ofMillis(100))
                    .until(() -> Events.records(standIns, events).size() >= TASKS / 3
                            && polling.values().stream().allMatch(t -> t.statusGets().get() >= 4));
            first.kill();
            eventsAtKill = Events.records(standIns, events).size();
            tasksWithObjectsButNoEvent = midDownload(standIns, served.keySet(), run, events);
        }
        assertThat(eventsAtKill).as("tasks were still in flight when the application was killed").isLessThan(TASKS);

        String pollFigures;
        Map<String, Long> pollsInWindow = new HashMap<>();
        long intervals;
        try (HarvesterProcess second = HarvesterProcess.start(HarvesterProcess.packagedJar(), List.of("-Xmx256m"),
                settings, env, logs.resolve("crash-second.log"))) {
            long restarted = System.currentTimeMillis();
            // the dead instance holds the partitions until its session times out; then every task is polled again
            Awaitility.await().atMost(Duration.ofMinutes(4)).pollInterval(Duration.ofMillis(500))
                    .until(() -> eventsByTask(standIns, events).keySet().containsAll(served.keySet())
                            && polling.values().stream().allMatch(t -> t.pollTimes().get().stream()
                                    .anyMatch(time -> time > restarted)));
            // the replayed records are read within the first seconds after the first poll of the restarted instance
            // (some have passed while the other tasks completed); count the polls of the twelve intervals after (a
            // doubled loop polls 24 times)
            long firstPoll = polling.values().stream().flatMap(t -> t.pollTimes().get().stream())
                    .filter(time -> time > restarted).mapToLong(Long::longValue).min().orElseThrow();
            long from = Math.max(System.currentTimeMillis(), firstPoll + 3_000);
            long windowMs = 12 * intervalMs;
            Awaitility.await().atMost(Duration.ofSeconds(30)).until(() -> System.currentTimeMillis() > from + windowMs);
            polling.forEach((taskId, task) -> pollsInWindow.put(taskId, task.pollTimes().get().stream()
                    .filter(t -> t >= from && t < from + windowMs).count()));
            intervals = windowMs / intervalMs;
            Map<String, String> byProvider = new TreeMap<>();
            for (String name : PROVIDERS) {
                var polls = polling.entrySet().stream().filter(e -> e.getValue().provider().equals(name))
                        .map(e -> pollsInWindow.get(e.getKey())).collect(Collectors.summarizingLong(Long::longValue));
                byProvider.put(name, "min " + polls.getMin() + ", max " + polls.getMax());
            }
            pollFigures = "polls per task in " + windowMs + " ms (interval " + intervalMs + " ms): " + byProvider;
            Files.writeString(logs.resolve("crash-steps.txt"), pollFigures + "\n");
            System.out.println("crash steps: " + pollFigures);

            // the running tasks complete now, so that the harvester ends with nothing in flight
            for (var entry : polling.entrySet()) {
                String name = entry.getValue().provider();
                if ("luma-aggregator".equals(name)) {
                    standIns.api.completesAfter(entry.getKey(), List.of(), 64_000L);
                } else {
                    STAND_IN.completes(provider(name), new ProviderSettings(providerBaseUrl(name), TOKEN, Map.of()),
                            entry.getKey(), null, "fal".equals(name) ? 202 : 200);
                }
            }
            Awaitility.await().atMost(Duration.ofMinutes(2)).pollInterval(Duration.ofMillis(500))
                    .until(() -> eventsByTask(standIns, events).keySet().containsAll(polling.keySet()));
            Events.awaitDrained(standIns, settings.get("luma.kafka.group-id"), settings.get("luma.topics.tasks"),
                    settings.get("luma.topics.polling"), settings.get("luma.topics.harvest"));
        }
        // one poll loop per task: at most one poll an interval (a doubled loop would poll twice as often), and no
        // task lost
        assertThat(pollsInWindow.values()).as(pollFigures).allSatisfy(polls -> assertThat(polls)
                .isBetween(intervals / 2, intervals + 1));

        Map<String, List<ConsumerRecord<byte[], byte[]>>> byTask = eventsByTask(standIns, events);
        long duplicates = byTask.values().stream().mapToLong(l -> l.size() - 1).sum();
        for (String taskId : polling.keySet()) {
            var event = Events.value(byTask.get(taskId).get(0));
            assertThat(event.get("status").asText()).as("task %s, running at the kill: %s", taskId, event)
                    .isEqualTo("completed");
        }
        Map<String, Integer> objects = new TreeMap<>();
        Map<String, Integer> extraStatusGets = new TreeMap<>();
        Map<String, Integer> mediaGets = new TreeMap<>();
        // one S3 client for the 700 objects: building a client costs more than reading an object; read four at a
        // time, as the S3 server answers each on a thread of its own
        ExecutorService readers = Executors.newFixedThreadPool(4);
        try (S3Client s3 = standIns.s3.client()) {
            Map<String, Future<String[]>> digests = new LinkedHashMap<>();
            for (var entry : served.entrySet()) {
                Served task = entry.getValue();
                var event = Events.value(byTask.get(entry.getKey()).get(0));
                assertThat(event.get("status").asText()).as("%s", event).isEqualTo("completed");
                assertThat(event.get("media")).as("%s", event).hasSize(task.filesByUrl().size());
                for (var file : event.get("media")) {
                    CdnStandIn.MediaFile source = task.filesByUrl().get(file.get("source_url").asText());
                    assertThat(source).as("a file %s's answer named: %s", task.provider(), file).isNotNull();
                    String key = file.get("key").asText();
                    digests.put(key, readers.submit(() -> new String[] {
                            Events.sha256OfObject(s3, StandIns.BUCKET, key), source.sha256()}));
                    objects.merge(task.provider(), 1, Integer::sum);
                }
                extraStatusGets.merge(task.provider(), task.statusGets().get() - task.statusGetsNeeded(), Math::max);
                mediaGets.merge(task.provider(), task.mediaGets().get(), Math::max);
            }
            for (var digest : digests.entrySet()) {
                String[] stored = digest.getValue().get();
                assertThat(stored[0]).as("object %s", digest.getKey()).isEqualTo(stored[1]);
            }
        } finally {
            readers.shutdownNow();
        }
        String figures = "tasks=" + TASKS + " eventsAtKill=" + eventsAtKill + " tasksWithObjectsButNoEventAtKill="
                + tasksWithObjectsButNoEvent + " eventsAfterRestart=" + byTask.values().stream().mapToInt(List::size)
                .sum() + " (with the " + POLLING + " running at the kill) duplicates=" + duplicates
                + " objectsVerified=" + objects + " mostStatusGetsBeyondTheSequence=" + extraStatusGets
                + " mostMediaGets=" + mediaGets;
        Files.writeString(logs.resolve("crash-recovery.txt"), figures + "\n");
        System.out.println("crash recovery: " + figures);
        assertThat(byTask.keySet()).as(figures).containsAll(polling.keySet());
        assertThat(duplicates).as(figures).isZero();
        assertThat(objects.values().stream().mapToInt(Integer::intValue).sum()).isEqualTo(served.values().stream()
                .mapToInt(t -> t.filesByUrl().size()).sum());
        // one poll loop per task: at most one status GET more than its answers need (a poll in flight at the kill is
        // sent again), never a second loop's; fal's result is fetched once, again only for that poll
        for (var entry : served.entrySet()) {
            Served task = entry.getValue();
            assertThat(task.statusGets().get()).as("status GETs of %s task %s (%s)", task.provider(), entry.getKey(),
                    figures).isBetween(task.statusGetsNeeded(), task.statusGetsNeeded() + 1);
            if ("fal".equals(task.provider())) {
                assertThat(task.mediaGets().get()).as("result GETs of fal task %s", entry.getKey()).isBetween(1, 2);
            }
        }
    }

    private static Map<String, List<ConsumerRecord<byte[], byte[]>>> eventsByTask(StandIns standIns, String topic) {
        return Events.records(standIns, topic).stream()
                .collect(Collectors.groupingBy(r -> new String(r.key(), StandardCharsets.UTF_8)));
    }

    /** Tasks with some objects in S3 but no event yet: caught mid-harvest. */
    private static int midDownload(StandIns standIns, java.util.Set<String> tasks, String run, String events) {
        var done = eventsByTask(standIns, events).keySet();
        try (S3Client s3 = standIns.s3.client()) {
            return (int) List.of("luma/crash-" + run + "-", "luma/" + run + "-").stream()
                    .flatMap(prefix -> s3.listObjectsV2Paginator(b -> b.bucket(StandIns.BUCKET).prefix(prefix))
                            .contents().stream())
                    .map(o -> o.key().split("/")[1])
                    .distinct()
                    .filter(id -> tasks.contains(id) && !done.contains(id))
                    .count();
        }
    }
}
