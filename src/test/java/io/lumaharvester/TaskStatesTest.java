package io.lumaharvester;

import static org.assertj.core.api.Assertions.assertThat;

import java.util.List;
import java.util.Map;
import java.util.UUID;

import io.lumaharvester.dev.StandIns;
import io.micrometer.core.instrument.simple.SimpleMeterRegistry;
import org.apache.camel.Exchange;
import org.apache.camel.component.kafka.KafkaConstants;
import org.apache.camel.impl.DefaultCamelContext;
import org.apache.camel.support.DefaultExchange;
import org.junit.jupiter.api.Test;

/** The task states on a compacted topic, across a restart (a new instance reads them back). */
class TaskStatesTest {

    private final SimpleMeterRegistry registry = new SimpleMeterRegistry();
    private final DefaultCamelContext camel = new DefaultCamelContext();

    @Test
    void aReplayedIntakeRecordAfterARestartContinuesItsRunAndAFailedTaskIsRerunAfterARestart() throws Exception {
        StandIns standIns = StandIns.shared();
        String topic = "states-" + UUID.randomUUID();
        standIns.kafka.createTopics(List.of(topic, topic + ".events"), 2);
        String taskId = "t-" + UUID.randomUUID();

        TaskStates before = started(standIns, topic);
        Exchange first = intakeRecord(taskId, 1, 42);
        before.decide(first);
        assertThat(first.getProperty(TaskStates.DECISION)).isEqualTo("new");
        assertThat(first.getMessage().getBody(TaskTicket.class).run()).isEqualTo("1-42");
        before.stop(); // the crash: the intake record was not committed

        TaskStates after = started(standIns, topic);
        try {
            Exchange replayed = intakeRecord(taskId, 1, 42);
            after.decide(replayed);
            assertThat(replayed.getProperty(TaskStates.DECISION)).isEqualTo("replayed");
            assertThat(replayed.getMessage().getBody(TaskTicket.class).run()).isEqualTo("1-42");

            Exchange again = intakeRecord(taskId, 0, 7);
            after.decide(again);
            assertThat(again.getProperty(TaskStates.DECISION)).isEqualTo("in_flight");
            assertThat(again.getProperty(TaskStates.RUNS)).isEqualTo(false);

            Exchange publish = new DefaultExchange(camel);
            publish.setProperty("lumaEvent", new GenerationEvent(taskId, GenerationEvent.FAILED, "failed", null, 1,
                    "2026-11-25T10:00:00Z", null, null, null, new Failure("not_found", null), "1-42"));
            after.ended(publish);
        } finally {
            after.stop();
        }

        TaskStates restarted = started(standIns, topic);
        try {
            assertThat(restarted.state(taskId).running()).isFalse();
            Exchange rerun = intakeRecord(taskId, 0, 8);
            restarted.decide(rerun);
            assertThat(rerun.getProperty(TaskStates.DECISION)).isEqualTo("rerun");
            assertThat(rerun.getProperty(TaskStates.RUNS)).isEqualTo(true);
            Exchange replayedAfterEnd = intakeRecord(taskId, 1, 42);
            restarted.decide(replayedAfterEnd);
            assertThat(replayedAfterEnd.getProperty(TaskStates.DECISION)).isEqualTo("in_flight");
            assertThat(rerun.getMessage().getBody(TaskTicket.class).run()).isEqualTo("0-8");
            // the due: consumer skips a ticket whose step is not above the task's highest: the new run starts above
            assertThat(rerun.getMessage().getBody(TaskTicket.class).step()).isGreaterThan(1_000_000);
            // a replayed step of the failed run publishes nothing new and leaves the new run running
            Exchange stale = new DefaultExchange(camel);
            stale.setProperty("lumaEvent", new GenerationEvent(taskId, GenerationEvent.FAILED, "failed", null, 1,
                    "2026-11-25T10:00:00Z", null, null, null, new Failure("not_found", null), "1-42"));
            restarted.ended(stale);
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

    private Exchange intakeRecord(String taskId, int partition, long offset) {
        Exchange exchange = new DefaultExchange(camel);
        exchange.getMessage().setBody(TaskTicket.accepted(taskId, null, 0, 1000, 0));
        exchange.getMessage().setHeader(KafkaConstants.PARTITION, partition);
        exchange.getMessage().setHeader(KafkaConstants.OFFSET, offset);
        return exchange;
    }
}
