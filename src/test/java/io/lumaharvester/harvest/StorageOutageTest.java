package io.lumaharvester.harvest;

import io.lumaharvester.dev.Events;
import io.lumaharvester.dev.LogCapture;
import io.lumaharvester.dev.Probes;
import static org.assertj.core.api.Assertions.assertThat;

import java.time.Duration;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.UUID;

import com.fasterxml.jackson.databind.JsonNode;
import io.lumaharvester.dev.HarvesterApp;
import io.lumaharvester.dev.LumaApiStandIn;
import io.lumaharvester.dev.StandIns;
import org.awaitility.Awaitility;
import org.junit.jupiter.api.Test;
import software.amazon.awssdk.services.s3.S3Client;

/**
 * S3 is down mid-run for ten times the longest back-off (3 s): uploads back off and retry, nothing is lost, no
 * partial object remains. A quarter of the videos go up in two parts (6 MiB at 5 MiB parts), so the outage catches
 * multipart uploads too.
 */
class StorageOutageTest {

    private static final long MB = 1024 * 1024;
    private static final long MAX_BACKOFF_MS = 300;
    private static final Duration OUTAGE = Duration.ofMillis(10 * MAX_BACKOFF_MS);

    @Test
    void tasksCaughtByAnS3OutageOfTenLongestBackOffsAllCompleteAfterIt() throws Exception {
        StandIns standIns = StandIns.shared();
        Map<String, String> props = standIns.properties("outage", Map.of(
                "luma.poll.interval-ms", "200",
                "luma.poll.max-backoff-ms", String.valueOf(MAX_BACKOFF_MS),
                "luma.harvest.max-attempts", "2",
                "s3.multipart.part-size-bytes", String.valueOf(5 * MB),
                "s3.multipart.threshold-bytes", String.valueOf(5 * MB)));
        String run = UUID.randomUUID().toString().substring(0, 8);
        Map<String, LumaApiStandIn.ServedMedia> served = new LinkedHashMap<>();
        for (int i = 0; i < 30; i++) {
            String taskId = "outage-" + run + "-" + i;
            List<String> running = new ArrayList<>();
            for (int p = 0; p < 1 + i % 3; p++) {
                running.add("processing");
            }
            served.put(taskId, standIns.api.completesAfter(taskId, running, (i % 4 == 0 ? 6 : 1) * MB));
        }
        List<String> ids = List.copyOf(served.keySet());
        String events = props.get("luma.topics.events");

        try (LogCapture logs = new LogCapture(); HarvesterApp app = HarvesterApp.start(props)) {
            for (String taskId : ids.subList(0, 20)) {
                standIns.kafka.send(props.get("luma.topics.tasks"), taskId);
            }
            Awaitility.await().atMost(Duration.ofSeconds(60))
                    .until(() -> Events.records(standIns, events).size() >= 3);
            String port = props.get("luma.http.port");
            assertThat(Probes.readiness(port).statusCode()).isEqualTo(200);
            standIns.s3.stop();
            long down = System.nanoTime();
            try {
                Probes.awaitNotReady(port, "s3-access");
                for (String taskId : ids.subList(20, 30)) {
                    standIns.kafka.send(props.get("luma.topics.tasks"), taskId);
                }
                Awaitility.await().atMost(Duration.ofSeconds(30)).until(() -> logs.text().contains("S3 failed"));
                // the outage itself: S3 stays away for OUTAGE whatever happens meanwhile
                Thread.sleep(Math.max(0, OUTAGE.toMillis()
                        - Duration.ofNanos(System.nanoTime() - down).toMillis()));
            } finally {
                standIns.s3.restart();
            }
            Probes.awaitReady(port);
            Awaitility.await().atMost(Duration.ofSeconds(90)).pollInterval(Duration.ofMillis(200))
                    .until(() -> ids.stream().allMatch(id -> !Events.forKey(Events.records(standIns, events), id)
                            .isEmpty()));
            Events.awaitDrained(standIns, props.get("luma.kafka.group-id"), props.get("luma.topics.tasks"),
                    props.get("luma.topics.polling"), props.get("luma.topics.harvest"));
        }

        var records = Events.records(standIns, events);
        try (S3Client s3 = standIns.s3.client()) {
            for (String taskId : ids) {
                var mine = Events.forKey(records, taskId);
                assertThat(mine).as(taskId).hasSize(1);
                JsonNode event = Events.value(mine.get(0));
                assertThat(event.get("status").asText()).as("%s: %s", taskId, event).isEqualTo("completed");
                assertThat(Events.sha256OfObject(standIns.s3, StandIns.BUCKET, "luma/" + taskId + "/video.mp4"))
                        .isEqualTo(served.get(taskId).byRole().get("video").sha256());
            }
            assertThat(s3.listMultipartUploads(b -> b.bucket(StandIns.BUCKET).prefix("luma/outage-" + run))
                    .uploads()).as("multipart uploads left open").isEmpty();
            assertThat(s3.listObjectsV2(b -> b.bucket(StandIns.BUCKET).prefix("luma/outage-" + run)).keyCount())
                    .isEqualTo(3 * ids.size());
        }
    }
}
