package io.lumaharvester;

import static org.assertj.core.api.Assertions.assertThat;

import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.UUID;
import java.util.stream.Collectors;

import io.lumaharvester.dev.EmbeddedS3;
import io.lumaharvester.dev.HarvesterProcess;
import io.lumaharvester.dev.LumaApiStandIn;
import io.lumaharvester.dev.StandIns;
import org.apache.kafka.clients.consumer.ConsumerRecord;
import org.awaitility.Awaitility;
import org.junit.jupiter.api.Test;
import software.amazon.awssdk.services.s3.S3Client;

/** kill -9 of the packaged application with 300 tasks in flight: after a restart, every task ends once and right. */
class CrashRecoveryIT {

    private static final int TASKS = 300;

    @Test
    void afterKill9AndARestartEveryTaskHasExactlyOneEventAndIntactObjects() throws Exception {
        StandIns standIns = StandIns.shared();
        Map<String, String> settings = standIns.properties("crash", Map.of(
                "luma.poll.interval-ms", "300"));
        Map<String, String> env = Map.of("AWS_ACCESS_KEY_ID", EmbeddedS3.ACCESS_KEY,
                "AWS_SECRET_ACCESS_KEY", EmbeddedS3.SECRET_KEY);
        Path logs = Files.createDirectories(Path.of("target", "it"));
        String run = UUID.randomUUID().toString().substring(0, 8);
        Map<String, LumaApiStandIn.ServedMedia> served = new HashMap<>();
        for (int i = 0; i < TASKS; i++) {
            String taskId = "crash-" + run + "-" + i;
            List<String> running = new ArrayList<>();
            for (int p = 0; p < i % 7; p++) {
                running.add(p % 2 == 0 ? "pending" : "processing");
            }
            served.put(taskId, standIns.api.completesAfter(taskId, running, 64_000L * (1 + i % 5)));
        }
        String events = settings.get("luma.topics.events");

        int eventsAtKill;
        int tasksWithObjectsButNoEvent;
        try (HarvesterProcess first = HarvesterProcess.start(HarvesterProcess.packagedJar(), List.of("-Xmx256m"),
                settings, env, logs.resolve("crash-first.log"))) {
            for (String taskId : served.keySet()) {
                standIns.kafka.send(settings.get("luma.topics.tasks"), taskId);
            }
            Awaitility.await().atMost(Duration.ofMinutes(3)).pollInterval(Duration.ofMillis(100))
                    .until(() -> Events.records(standIns, events).size() >= TASKS / 3);
            first.kill();
            eventsAtKill = Events.records(standIns, events).size();
            tasksWithObjectsButNoEvent = midDownload(standIns, run, events);
        }
        assertThat(eventsAtKill).as("tasks were still in flight when the application was killed").isLessThan(TASKS);

        try (HarvesterProcess second = HarvesterProcess.start(HarvesterProcess.packagedJar(), List.of("-Xmx256m"),
                settings, env, logs.resolve("crash-second.log"))) {
            Awaitility.await().atMost(Duration.ofMinutes(4)).pollInterval(Duration.ofMillis(500))
                    .until(() -> eventsByTask(standIns, events).keySet().containsAll(served.keySet()));
            Events.awaitDrained(standIns, settings.get("luma.kafka.group-id"), settings.get("luma.topics.tasks"),
                    settings.get("luma.topics.polling"), settings.get("luma.topics.harvest"));
        }

        Map<String, List<ConsumerRecord<byte[], byte[]>>> byTask = eventsByTask(standIns, events);
        long duplicates = byTask.values().stream().mapToLong(l -> l.size() - 1).sum();
        int objects = 0;
        for (var entry : served.entrySet()) {
            var event = Events.value(byTask.get(entry.getKey()).get(0));
            assertThat(event.get("status").asText()).isEqualTo("completed");
            for (var file : event.get("media")) {
                String role = file.get("roles").get(0).asText();
                assertThat(Events.sha256OfObject(standIns.s3, StandIns.BUCKET, file.get("key").asText()))
                        .as("object %s", file.get("key").asText())
                        .isEqualTo(entry.getValue().byRole().get(role).sha256());
                objects++;
            }
        }
        String figures = "tasks=" + TASKS + " eventsAtKill=" + eventsAtKill + " tasksWithObjectsButNoEventAtKill="
                + tasksWithObjectsButNoEvent + " eventsAfterRestart=" + byTask.values().stream().mapToInt(List::size)
                .sum() + " duplicates=" + duplicates + " objectsVerified=" + objects;
        Files.writeString(logs.resolve("crash-recovery.txt"), figures + "\n");
        System.out.println("crash recovery: " + figures);
        assertThat(duplicates).as(figures).isZero();
        assertThat(objects).isEqualTo(3 * TASKS);
    }

    /**
     * A crash between writing a task's next ticket and committing the one before leaves both on the topic. Without
     * step numbers the task would then run in two poll loops for ever; with them the stale copy is skipped.
     */
    @Test
    void afterKill9NoTaskIsPolledMoreOftenThanItsInterval() throws Exception {
        StandIns standIns = StandIns.shared();
        long intervalMs = 500;
        Map<String, String> settings = standIns.properties("crash-steps", Map.of(
                "luma.poll.interval-ms", String.valueOf(intervalMs)));
        Map<String, String> env = Map.of("AWS_ACCESS_KEY_ID", EmbeddedS3.ACCESS_KEY,
                "AWS_SECRET_ACCESS_KEY", EmbeddedS3.SECRET_KEY);
        Path logs = Files.createDirectories(Path.of("target", "it"));
        String run = UUID.randomUUID().toString().substring(0, 8);
        List<String> tasks = new ArrayList<>();
        for (int i = 0; i < 60; i++) {
            String taskId = "steps-" + run + "-" + i;
            standIns.api.answer(taskId, List.of(LumaApiStandIn.json(LumaApiStandIn.runningBody(taskId, "dreaming"))));
            tasks.add(taskId);
        }
        try (HarvesterProcess first = HarvesterProcess.start(HarvesterProcess.packagedJar(), List.of("-Xmx256m"),
                settings, env, logs.resolve("crash-steps-first.log"))) {
            for (String taskId : tasks) {
                standIns.kafka.send(settings.get("luma.topics.tasks"), taskId);
            }
            Awaitility.await().atMost(Duration.ofMinutes(2)).pollInterval(Duration.ofMillis(100))
                    .until(() -> tasks.stream().allMatch(t -> standIns.api.requestsFor(t).size() >= 4));
            first.kill();
        }
        try (HarvesterProcess second = HarvesterProcess.start(HarvesterProcess.packagedJar(), List.of("-Xmx256m"),
                settings, env, logs.resolve("crash-steps-second.log"))) {
            long restarted = System.currentTimeMillis();
            // the dead instance holds the partitions until its session times out; then every task is polled again
            Awaitility.await().atMost(Duration.ofSeconds(60)).pollInterval(Duration.ofMillis(200))
                    .until(() -> tasks.stream().allMatch(t -> standIns.api.requestsFor(t).stream()
                            .anyMatch(r -> r.getLoggedDate().getTime() > restarted)));
            // the replayed records are read within the first seconds; count the polls of the ten seconds after
            long from = System.currentTimeMillis() + 3_000;
            long windowMs = 10_000;
            Awaitility.await().atMost(Duration.ofSeconds(30)).until(() -> System.currentTimeMillis() > from + windowMs);
            Map<String, Long> pollsInWindow = new HashMap<>();
            for (String taskId : tasks) {
                pollsInWindow.put(taskId, standIns.api.requestsFor(taskId).stream()
                        .map(r -> r.getLoggedDate().getTime()).filter(t -> t >= from && t < from + windowMs).count());
            }
            long intervals = windowMs / intervalMs;
            String figures = "polls per task in " + windowMs + " ms (interval " + intervalMs + " ms): min "
                    + pollsInWindow.values().stream().mapToLong(Long::longValue).min().orElseThrow() + ", max "
                    + pollsInWindow.values().stream().mapToLong(Long::longValue).max().orElseThrow();
            Files.writeString(logs.resolve("crash-steps.txt"), figures + "\n");
            System.out.println("crash steps: " + figures);
            // one poll loop per task: at most one poll an interval (a doubled loop would poll twice as often),
            // and no task lost
            assertThat(pollsInWindow.values()).as(figures).allSatisfy(polls -> assertThat(polls)
                    .isBetween(intervals / 2, intervals + 1));
        }
    }

    private static Map<String, List<ConsumerRecord<byte[], byte[]>>> eventsByTask(StandIns standIns, String topic) {
        return Events.records(standIns, topic).stream()
                .collect(Collectors.groupingBy(r -> new String(r.key(), StandardCharsets.UTF_8)));
    }

    /** Tasks with some objects in S3 but no event yet: caught mid-harvest. */
    private static int midDownload(StandIns standIns, String run, String events) {
        var done = eventsByTask(standIns, events).keySet();
        try (S3Client s3 = standIns.s3.client()) {
            return (int) s3.listObjectsV2Paginator(b -> b.bucket(StandIns.BUCKET).prefix("luma/crash-" + run + "-"))
                    .contents().stream()
                    .map(o -> o.key().split("/")[1])
                    .distinct()
                    .filter(id -> !done.contains(id))
                    .count();
        }
    }
}
