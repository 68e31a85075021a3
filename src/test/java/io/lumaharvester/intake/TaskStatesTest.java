package io.lumaharvester.intake;

import io.lumaharvester.kafka.KafkaClients;
import io.lumaharvester.publish.GenerationEvent;
import io.lumaharvester.task.Failure;
import io.lumaharvester.task.TaskTicket;
import static org.assertj.core.api.Assertions.assertThat;

import java.util.List;
import java.util.Map;
import java.util.UUID;

import io.lumaharvester.dev.StandIns;
import io.micrometer.core.instrument.simple.SimpleMeterRegistry;
import org.junit.jupiter.api.Test;

/** The task states on a compacted topic, across a restart (a new instance reads them back). */
class TaskStatesTest {

    private final SimpleMeterRegistry registry = new SimpleMeterRegistry();

    @Test
    void aReplayedIntakeRecordAfterARestartContinuesItsRunAndAFailedTaskIsRerunAfterARestart() throws Exception {
        StandIns standIns = StandIns.shared();
        String topic = "states-" + UUID.randomUUID();
        standIns.kafka.createTopics(List.of(topic, topic + ".events"), 2);
        String taskId = "t-" + UUID.randomUUID();

        TaskStates before = started(standIns, topic);
        TaskStates.Admission first = before.decide(intakeRecord(taskId), 1, 42L);
        assertThat(first.decision().tag()).isEqualTo("new");
        assertThat(first.ticket().run()).isEqualTo("1-42");
        before.stop(); // the crash: the intake record was not committed

        TaskStates after = started(standIns, topic);
        try {
            TaskStates.Admission replayed = after.decide(intakeRecord(taskId), 1, 42L);
            assertThat(replayed.decision().tag()).isEqualTo("replayed");
            assertThat(replayed.ticket().run()).isEqualTo("1-42");

            TaskStates.Admission again = after.decide(intakeRecord(taskId), 0, 7L);
            assertThat(again.decision().tag()).isEqualTo("in_flight");
            assertThat(again.runs()).isEqualTo(false);

            after.ended(new GenerationEvent(taskId, GenerationEvent.FAILED, "failed", null, 1,
                    "2026-11-25T10:00:00Z", null, null, null, new Failure("not_found", null), "1-42"), Map.of());
        } finally {
            after.stop();
        }

        TaskStates restarted = started(standIns, topic);
        try {
            assertThat(restarted.state(taskId).running()).isFalse();
            TaskStates.Admission rerun = restarted.decide(intakeRecord(taskId), 0, 8L);
            assertThat(rerun.decision().tag()).isEqualTo("rerun");
            assertThat(rerun.runs()).isEqualTo(true);
            TaskStates.Admission replayedAfterEnd = restarted.decide(intakeRecord(taskId), 1, 42L);
            assertThat(replayedAfterEnd.decision().tag()).isEqualTo("in_flight");
            assertThat(rerun.ticket().run()).isEqualTo("0-8");
            // the due: consumer skips a ticket whose step is not above the task's highest: the new run starts above
            assertThat(rerun.ticket().step()).isGreaterThan(1_000_000);
            // a replayed step of the failed run publishes nothing new and leaves the new run running
            restarted.ended(new GenerationEvent(taskId, GenerationEvent.FAILED, "failed", null, 1,
                    "2026-11-25T10:00:00Z", null, null, null, new Failure("not_found", null), "1-42"), Map.of());
            assertThat(restarted.state(taskId).running()).isTrue();
            assertThat(restarted.state(taskId).run()).isEqualTo("0-8");
            assertThat(registry.counter("luma.tasks.duplicate", "decision", "rerun").count()).isEqualTo(1);
            assertThat(registry.counter("luma.tasks.duplicate", "decision", "in_flight").count()).isEqualTo(2);
            assertThat(registry.counter("luma.tasks.duplicate", "decision", "replayed").count()).isEqualTo(1);
        } finally {
            restarted.stop();
        }
    }

    private TaskStates started(StandIns standIns, String topic) {
        TaskStates states = new TaskStates(topic, topic + ".events",
                new KafkaClients(standIns.kafka.bootstrapServers(), Map.of()), registry);
        states.start();
        return states;
    }

    private static TaskTicket intakeRecord(String taskId) {
        return TaskTicket.accepted(taskId, null, 0, 1000, 0);
    }
}
