package io.lumaharvester.poll;

import io.lumaharvester.dev.Events;
import static org.assertj.core.api.Assertions.assertThat;

import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.UUID;

import com.fasterxml.jackson.databind.JsonNode;
import io.lumaharvester.dev.HarvesterApp;
import io.lumaharvester.dev.LumaApiStandIn;
import io.lumaharvester.dev.StandIns;
import org.awaitility.Awaitility;
import org.junit.jupiter.api.Test;

/** The poll loop lives on Kafka: stopping the application mid-wait loses nothing and repeats nothing. */
class PollLoopRestartTest {

    @Test
    void aTaskWaitingInThePollLoopCompletesExactlyOnceAfterARestart() throws Exception {
        StandIns standIns = StandIns.shared();
        Map<String, String> props = standIns.properties("restart", Map.of("luma.poll.interval-ms", "150"));
        String taskId = "restart-" + UUID.randomUUID();
        List<String> running = new ArrayList<>();
        // 3.6 s of running answers: the stop comes after the third poll, long before the task completes
        for (int i = 0; i < 24; i++) {
            running.add(i % 2 == 0 ? "queued" : "dreaming");
        }
        LumaApiStandIn.ServedMedia media = standIns.api.completesAfter(taskId, running, 500_000);

        try (HarvesterApp first = HarvesterApp.start(props)) {
            standIns.kafka.send(props.get("luma.topics.tasks"), taskId);
            Awaitility.await().atMost(Duration.ofSeconds(30))
                    .until(() -> standIns.api.requestsFor(taskId).size() >= 3);
        }
        int pollsBeforeRestart = standIns.api.requestsFor(taskId).size();
        assertThat(pollsBeforeRestart).as("the task was still waiting when the application stopped")
                .isLessThan(running.size() + 1);
        assertThat(Events.forKey(Events.records(standIns, props.get("luma.topics.events")), taskId)).isEmpty();

        try (HarvesterApp second = HarvesterApp.start(props)) {
            Events.awaitEvents(standIns, props.get("luma.topics.events"), taskId, Duration.ofSeconds(40));
            Events.awaitDrained(standIns, props.get("luma.kafka.group-id"), props.get("luma.topics.tasks"),
                    props.get("luma.topics.polling"), props.get("luma.topics.harvest"));
        }
        var events = Events.forKey(Events.records(standIns, props.get("luma.topics.events")), taskId);
        assertThat(events).hasSize(1);
        JsonNode event = Events.value(events.get(0));
        Events.assertValidEvent(event);
        assertThat(event.get("status").asText()).isEqualTo("completed");
        assertThat(event.get("polls").asInt()).isEqualTo(running.size() + 1);
        assertThat(Events.sha256OfObject(standIns.s3, StandIns.BUCKET, "luma/" + taskId + "/video.mp4"))
                .isEqualTo(media.byRole().get("video").sha256());
    }
}
