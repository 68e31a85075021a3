package io.lumaharvester;

import static org.assertj.core.api.Assertions.assertThat;

import java.time.Clock;
import java.time.Duration;
import java.util.List;
import java.util.Map;
import java.util.UUID;

import io.lumaharvester.dev.StandIns;
import io.micrometer.core.instrument.simple.SimpleMeterRegistry;
import org.apache.camel.Exchange;
import org.apache.camel.component.kafka.KafkaConstants;
import org.apache.camel.impl.DefaultCamelContext;
import org.apache.camel.support.DefaultExchange;
import org.awaitility.Awaitility;
import org.junit.jupiter.api.Test;

/**
 * The task states on a compacted topic, across a restart (a new instance reads them back), and their retention: an
 * ended state is forgotten once older than it, a running one never.
 */
class TaskStatesTest {

    private final SimpleMeterRegistry registry = new SimpleMeterRegistry();
    private final DefaultCamelContext camel = new DefaultCamelContext();
    private final StandIns standIns;

    TaskStatesTest() throws Exception {
        standIns = StandIns.shared();
    }

    /** A states topic of this test's own, and its events topic. */
    private String freshTopic() throws Exception {
        String topic = "states-" + UUID.randomUUID();
        standIns.kafka.createTopics(List.of(topic, topic + ".events"), 2);
        return topic;
    }

    @Test
    void aReplayedIntakeRecordAfterARestartContinuesItsRunAndAFailedTaskIsRerunAfterARestart() throws Exception {
        String topic = freshTopic();
        String taskId = "t-" + UUID.randomUUID();

        TaskStates before = started(topic);
        Exchange first = intakeRecord(taskId, 1, 42);
        before.decide(first);
        assertThat(first.getProperty(TaskStates.DECISION)).isEqualTo("new");
        assertThat(first.getMessage().getBody(TaskTicket.class).run()).isEqualTo("1-42");
        before.stop(); // the crash: the intake record was not committed

        TaskStates after = started(topic);
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

        TaskStates restarted = started(topic);
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

    private TaskStates started(String topic) {
        return started(topic, Clock.systemUTC());
    }

    private TaskStates started(String topic, Clock clock) {
        TaskStates states = new TaskStates(topic, topic + ".events",
                new KafkaClients(standIns.kafka.bootstrapServers(), Map.of()), registry, clock, RETENTION_MS);
        states.start();
        return states;
    }

    private static final long RETENTION_MS = 10_000;

    private Exchange completed(String taskId, String run) {
        Exchange publish = new DefaultExchange(camel);
        publish.setProperty("lumaEvent", new GenerationEvent(taskId, GenerationEvent.COMPLETED, "completed", null, 1,
                "2026-11-25T10:00:00Z", null, null, List.of(), null, run));
        publish.getMessage().setHeader("ce_id", "id-" + taskId);
        return publish;
    }

    private String decided(TaskStates states, String taskId, int partition, long offset) throws Exception {
        Exchange exchange = intakeRecord(taskId, partition, offset);
        states.decide(exchange);
        return exchange.getProperty(TaskStates.DECISION, String.class);
    }

    /**
     * A completed task sent again within the retention gets its event again; once its state is older than the
     * retention (by the clock), the id is a new task, whose steps start above the forgotten run's.
     */
    @Test
    void anEndedStateIsKeptUntilTheRetentionAndAnIdSentAfterItIsANewTask() throws Exception {
        String topic = freshTopic();
        HandClock clock = new HandClock(System.currentTimeMillis());
        String taskId = "t-" + UUID.randomUUID();
        TaskStates states = started(topic, clock);
        try {
            Exchange first = intakeRecord(taskId, 0, 1);
            states.decide(first);
            long firstStep = first.getMessage().getBody(TaskTicket.class).step();
            clock.advance(1_000);
            states.ended(completed(taskId, "0-1"));

            clock.advance(RETENTION_MS);
            assertThat(states.state(taskId)).as("kept for the retention").isNotNull();
            assertThat(decided(states, taskId, 0, 2)).isEqualTo("republished");

            clock.advance(1);
            assertThat(states.state(taskId)).as("forgotten after it").isNull();
            Exchange again = intakeRecord(taskId, 0, 3);
            states.decide(again);
            assertThat(again.getProperty(TaskStates.DECISION)).isEqualTo("new");
            assertThat(again.getMessage().getBody(TaskTicket.class).run()).isEqualTo("0-3");
            assertThat(again.getMessage().getBody(TaskTicket.class).step()).isGreaterThan(firstStep);
        } finally {
            states.stop();
        }
    }

    /** A running state is never forgotten: a task that runs past the retention is still in flight. */
    @Test
    void aRunningStateIsNeverForgottenHoweverOld() throws Exception {
        String topic = freshTopic();
        HandClock clock = new HandClock(System.currentTimeMillis());
        String taskId = "t-" + UUID.randomUUID();
        TaskStates before = started(topic, clock);
        try {
            assertThat(decided(before, taskId, 1, 5)).isEqualTo("new");
            clock.advance(100 * RETENTION_MS);
            assertThat(before.state(taskId).running()).isTrue();
            assertThat(decided(before, taskId, 1, 6)).isEqualTo("in_flight");
        } finally {
            before.stop();
        }
        TaskStates after = started(topic, clock);
        try {
            assertThat(after.state(taskId).running()).as("read back after a restart").isTrue();
            assertThat(decided(after, taskId, 1, 7)).isEqualTo("in_flight");
        } finally {
            after.stop();
        }
    }

    /**
     * Memory does not grow with every id ever sent: the ended states are swept out once older than the retention,
     * without being asked for, and a restart does not read them back; the running one stays.
     */
    @Test
    void endedStatesOlderThanTheRetentionLeaveMemoryAndAreNotReadBackAfterARestart() throws Exception {
        String topic = freshTopic();
        HandClock clock = new HandClock(System.currentTimeMillis());
        TaskStates states = started(topic, clock);
        try {
            for (int i = 0; i < 5; i++) {
                String taskId = "ended-" + i + "-" + UUID.randomUUID();
                states.decide(intakeRecord(taskId, 0, i));
                states.ended(completed(taskId, "0-" + i));
            }
            states.decide(intakeRecord("running-" + UUID.randomUUID(), 0, 99));
            assertThat(states.held()).isEqualTo(6);

            // past the retention, and past the sweep's minute
            clock.advance(RETENTION_MS + 60_000);
            Awaitility.await().atMost(Duration.ofSeconds(10)).until(() -> states.held() == 1);
        } finally {
            states.stop();
        }
        TaskStates restarted = started(topic, clock);
        try {
            assertThat(restarted.held()).as("only the running state is read back").isEqualTo(1);
        } finally {
            restarted.stop();
        }
    }

    private Exchange intakeRecord(String taskId, int partition, long offset) {
        Exchange exchange = new DefaultExchange(camel);
        exchange.getMessage().setBody(TaskTicket.accepted(taskId, null, 0, 1000, 0));
        exchange.getMessage().setHeader(KafkaConstants.PARTITION, partition);
        exchange.getMessage().setHeader(KafkaConstants.OFFSET, offset);
        return exchange;
    }
}
