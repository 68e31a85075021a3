package io.lumaharvester.intake;

import io.lumaharvester.dev.HandClock;
import io.lumaharvester.kafka.KafkaClients;
import io.lumaharvester.publish.GenerationEvent;
import io.lumaharvester.task.Failure;
import io.lumaharvester.task.TaskTicket;
import static org.assertj.core.api.Assertions.assertThat;

import java.nio.charset.StandardCharsets;
import java.time.Clock;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.Properties;
import java.util.UUID;
import java.util.concurrent.CompletionStage;

import io.lumaharvester.dev.StandIns;
import io.micrometer.core.instrument.simple.SimpleMeterRegistry;
import org.apache.kafka.clients.consumer.ConsumerRecord;
import org.apache.kafka.clients.consumer.KafkaConsumer;
import org.apache.kafka.clients.producer.ProducerConfig;
import org.apache.kafka.common.TopicPartition;
import org.apache.kafka.common.serialization.ByteArrayDeserializer;
import org.apache.kafka.common.serialization.StringDeserializer;
import org.awaitility.Awaitility;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.parallel.Execution;
import org.junit.jupiter.api.parallel.ExecutionMode;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;

/**
 * The task states on a compacted topic, across a restart (a new instance reads them back), and their retention: an
 * ended state is forgotten once older than it, a running one never. Each test has a states topic of its own: they run
 * side by side.
 */
@Execution(ExecutionMode.CONCURRENT)
class TaskStatesTest {

    private final SimpleMeterRegistry registry = new SimpleMeterRegistry();
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
        TaskStates.Decision first = join(before.decide(ticket(taskId), 1, 42L));
        assertThat(first.decision().tag()).isEqualTo("new");
        assertThat(first.ticket().run()).isEqualTo("1-42");
        before.stop(); // the crash: the intake record was not committed

        TaskStates after = started(topic);
        try {
            TaskStates.Decision replayed = join(after.decide(ticket(taskId), 1, 42L));
            assertThat(replayed.decision().tag()).isEqualTo("replayed");
            assertThat(replayed.ticket().run()).isEqualTo("1-42");

            TaskStates.Decision again = join(after.decide(ticket(taskId), 0, 7L));
            assertThat(again.decision().tag()).isEqualTo("in_flight");
            assertThat(again.runs()).isEqualTo(false);

            join(after.ended(new GenerationEvent(taskId, GenerationEvent.FAILED, "failed", null, 1,
                    "2026-11-25T10:00:00Z", null, null, null, new Failure("not_found", null), "1-42", null), Map.of()));
        } finally {
            after.stop();
        }

        TaskStates restarted = started(topic);
        try {
            assertThat(restarted.state(taskId).running()).isFalse();
            TaskStates.Decision rerun = join(restarted.decide(ticket(taskId), 0, 8L));
            assertThat(rerun.decision().tag()).isEqualTo("rerun");
            assertThat(rerun.runs()).isEqualTo(true);
            TaskStates.Decision replayedAfterEnd = join(restarted.decide(ticket(taskId), 1, 42L));
            assertThat(replayedAfterEnd.decision().tag()).isEqualTo("in_flight");
            assertThat(rerun.ticket().run()).isEqualTo("0-8");
            // the due: consumer skips a ticket whose step is not above the task's highest: the new run starts above
            assertThat(rerun.ticket().step()).isGreaterThan(1_000_000);
            // a replayed step of the failed run publishes nothing new and leaves the new run running
            join(restarted.ended(new GenerationEvent(taskId, GenerationEvent.FAILED, "failed", null, 1,
                    "2026-11-25T10:00:00Z", null, null, null, new Failure("not_found", null), "1-42", null), Map.of()));
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
        return started(topic, clock, Runnable::run);
    }

    /** {@code callbacks}: where a write's acknowledgement goes on. */
    private TaskStates started(String topic, Clock clock, java.util.concurrent.Executor callbacks) {
        TaskStates states = new TaskStates(topic, topic + ".events",
                new KafkaClients(standIns.kafka.bootstrapServers(), Map.of()), registry, clock, RETENTION_MS,
                callbacks);
        states.start();
        return states;
    }

    private static final long RETENTION_MS = 10_000;

    /** Publish's end of a completed task: its event and a header of it. */
    private static void endCompleted(TaskStates states, String taskId, String run) throws Exception {
        join(states.ended(new GenerationEvent(taskId, GenerationEvent.COMPLETED, "completed", null, 1,
                "2026-11-25T10:00:00Z", null, null, List.of(), null, run, null), Map.of("ce_id", "id-" + taskId)));
    }

    private static String decided(TaskStates states, String taskId, int partition, long offset) throws Exception {
        return join(states.decide(ticket(taskId), partition, offset)).decision().tag();
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
            TaskStates.Decision first = join(states.decide(ticket(taskId), 0, 1L));
            long firstStep = first.ticket().step();
            clock.advance(1_000);
            endCompleted(states, taskId, "0-1");

            clock.advance(RETENTION_MS);
            assertThat(states.state(taskId)).as("kept for the retention").isNotNull();
            assertThat(decided(states, taskId, 0, 2)).isEqualTo("republished");

            clock.advance(1);
            assertThat(states.state(taskId)).as("forgotten after it").isNull();
            TaskStates.Decision again = join(states.decide(ticket(taskId), 0, 3L));
            assertThat(again.decision().tag()).isEqualTo("new");
            assertThat(again.ticket().run()).isEqualTo("0-3");
            assertThat(again.ticket().step()).isGreaterThan(firstStep);
        } finally {
            states.stop();
        }
    }

    /**
     * A harvest record read again after its run ended, here or on another instance (a partition that moved, a restart),
     * is known as done; a running run's, or another run's, is not.
     */
    @Test
    void aRunEndedOnAnotherInstanceIsKnownHereAndARunningOrNewerRunIsNot() throws Exception {
        String topic = freshTopic();
        String taskId = "t-" + UUID.randomUUID();
        TaskStates here = started(topic, new HandClock(System.currentTimeMillis()));
        TaskStates other = started(topic, new HandClock(System.currentTimeMillis()));
        try {
            TaskTicket running = join(other.decide(ticket(taskId), 0, 5L)).ticket();
            Awaitility.await().atMost(Duration.ofSeconds(10)).until(() -> here.state(taskId) != null);
            assertThat(here.runEnded(running)).as("still running").isFalse();

            endCompleted(other, taskId, running.run());

            Awaitility.await().atMost(Duration.ofSeconds(10)).until(() -> here.runEnded(running));
            assertThat(other.runEnded(running)).isTrue();
            assertThat(here.runEnded(TaskTicket.accepted(taskId, null, 0, 1, 0))).as("a ticket of no run").isFalse();
        } finally {
            here.stop();
            other.stop();
        }
    }

    /**
     * The follower reads the states topic on a thread of its own, and may read a task's running record only after
     * this instance ended the task: that late record does not make the task run again. A state another instance
     * writes after it is still taken. (Seen once in CI: a completed task read back as running.)
     */
    @Test
    void aStateRecordReadLateDoesNotUndoANewerStateAndAnotherInstancesNewerStateIsTaken() throws Exception {
        String topic = freshTopic();
        String taskId = "t-" + UUID.randomUUID();
        HandClock clock = new HandClock(System.currentTimeMillis());
        TaskStates states = started(topic, clock);
        TaskStates other = started(topic, clock);
        try {
            join(states.decide(ticket(taskId), 0, 1L));
            // another instance ends the task (its partition moved there): this one follows
            Awaitility.await().atMost(Duration.ofSeconds(10)).until(() -> other.state(taskId) != null);
            endCompleted(other, taskId, "0-1");
            Awaitility.await().atMost(Duration.ofSeconds(10)).until(() -> !states.state(taskId).running());

            List<ConsumerRecord<String, byte[]>> written = recordsOf(topic, taskId, 2);
            assertThat(new String(written.get(0).value(), StandardCharsets.UTF_8)).contains("\"running\"");
            other.remember(written.subList(0, 1));
            assertThat(other.state(taskId).running()).as("the running record read late").isFalse();
            states.remember(written);
            assertThat(states.state(taskId).running()).as("both records read again").isFalse();
            assertThat(decided(states, taskId, 0, 2)).isEqualTo("republished");
        } finally {
            other.stop();
            states.stop();
        }
    }

    /**
     * A running state is in memory before Kafka acknowledges it. A record read meanwhile that Kafka placed before it
     * does not replace it; one placed after it (here: another instance ended the run) wins once the write's place is
     * known.
     */
    @Test
    void aStateWrittenAfterAnUnacknowledgedOneWinsOnceItsPlaceIsKnown() throws Exception {
        String topic = freshTopic();
        String taskId = "t-" + UUID.randomUUID();
        HandClock clock = new HandClock(System.currentTimeMillis());
        List<Runnable> acknowledgements = new java.util.concurrent.CopyOnWriteArrayList<>();
        TaskStates states = started(topic, clock, acknowledgements::add);
        TaskStates other = started(topic, clock);
        try {
            // an ended state of an earlier run, then a new run whose acknowledgement is held back
            join(other.decide(ticket(taskId), 0, 1L));
            join(other.ended(new GenerationEvent(taskId, GenerationEvent.FAILED, "failed", null, 1,
                    "2026-11-25T10:00:00Z", null, null, null, new Failure("not_found", null), "0-1", null), Map.of()));
            Awaitility.await().atMost(Duration.ofSeconds(10)).until(() -> states.state(taskId) != null
                    && !states.state(taskId).running());
            CompletionStage<TaskStates.Decision> rerun = states.decide(ticket(taskId), 0, 2L);
            assertThat(states.state(taskId).run()).isEqualTo("0-2");

            List<ConsumerRecord<String, byte[]>> before = recordsOf(topic, taskId, 3);
            states.remember(before);
            assertThat(states.state(taskId).run()).as("the earlier run's records read meanwhile").isEqualTo("0-2");
            assertThat(states.state(taskId).running()).isTrue();

            // the other instance ends the new run after it was written
            Awaitility.await().atMost(Duration.ofSeconds(10)).until(() -> "0-2".equals(other.state(taskId).run()));
            endCompleted(other, taskId, "0-2");
            states.remember(recordsOf(topic, taskId, 4));
            assertThat(states.state(taskId).running()).as("before the acknowledgement").isTrue();

            Awaitility.await().atMost(Duration.ofSeconds(10)).until(() -> !acknowledgements.isEmpty());
            acknowledgements.forEach(Runnable::run);
            assertThat(join(rerun).decision().tag()).isEqualTo("rerun");
            assertThat(states.state(taskId).running()).as("after it").isFalse();
            assertThat(states.state(taskId).run()).isEqualTo("0-2");
        } finally {
            other.stop();
            states.stop();
        }
    }

    /**
     * The follower reads this instance's own writes back: a record at the place of the state held is that state, and
     * is not parsed again (a value there that is no state would otherwise leave the id forgotten). A record at
     * another place is read.
     */
    @Test
    void theFollowerTakesItsOwnAcknowledgedWriteAsHeldWithoutReadingItAgain() throws Exception {
        String topic = freshTopic();
        String taskId = "t-" + UUID.randomUUID();
        TaskStates states = started(topic);
        try {
            join(states.decide(ticket(taskId), 0, 1L));
            ConsumerRecord<String, byte[]> written = recordsOf(topic, taskId, 1).get(0);
            byte[] notAState = "not a state".getBytes(StandardCharsets.UTF_8);
            states.remember(List.of(new ConsumerRecord<>(topic, written.partition(), written.offset(), taskId,
                    notAState)));
            assertThat(states.state(taskId)).as("its own write, not read again").isNotNull();
            assertThat(states.state(taskId).run()).isEqualTo("0-1");
            states.remember(List.of(new ConsumerRecord<>(topic, written.partition(), written.offset() + 1, taskId,
                    notAState)));
            assertThat(states.state(taskId)).as("a later record, read").isNull();
        } finally {
            states.stop();
        }
    }

    /** The records of {@code taskId} on the states topic, once there are {@code count}, in the topic's order. */
    private List<ConsumerRecord<String, byte[]>> recordsOf(String topic, String taskId, int count) {
        Properties props = new KafkaClients(standIns.kafka.bootstrapServers(), Map.of()).client();
        try (KafkaConsumer<String, byte[]> consumer = new KafkaConsumer<>(props, new StringDeserializer(),
                new ByteArrayDeserializer())) {
            List<TopicPartition> partitions = consumer.partitionsFor(topic).stream()
                    .map(p -> new TopicPartition(topic, p.partition())).toList();
            consumer.assign(partitions);
            consumer.seekToBeginning(partitions);
            List<ConsumerRecord<String, byte[]>> found = new ArrayList<>();
            Awaitility.await().atMost(Duration.ofSeconds(10)).pollInSameThread().until(() -> {
                consumer.poll(Duration.ofMillis(200)).forEach(r -> {
                    if (taskId.equals(r.key())) {
                        found.add(r);
                    }
                });
                return found.size() >= count;
            });
            return found;
        }
    }

    /**
     * A completed state is held without its event: a re-submission reads the state's record back from its place. A
     * record no longer there (deleted by retention: its offset is before the log's start, here past its end; or
     * compacted away: another id's record, or none, is at its offset) leaves the id forgotten, as after the retention:
     * a new task.
     */
    @ParameterizedTest
    @ValueSource(strings = {"deleted", "compacted"})
    void aCompletedTaskWhoseStateRecordIsGoneIsANewTask(String gone) throws Exception {
        String topic = freshTopic();
        String taskId = "t-" + UUID.randomUUID();
        TaskStates states = started(topic);
        try {
            int partition = 0;
            long offset = 1_000;
            if (gone.equals("compacted")) {
                String other = "other-" + UUID.randomUUID();
                join(states.decide(ticket(other), 0, 1L));
                ConsumerRecord<String, byte[]> there = recordsOf(topic, other, 1).get(0);
                partition = there.partition();
                offset = there.offset();
            }
            com.fasterxml.jackson.databind.ObjectMapper json = new com.fasterxml.jackson.databind.ObjectMapper();
            byte[] completed = json.writeValueAsBytes(TaskState.ended("0-1", GenerationEvent.COMPLETED,
                    json.createObjectNode().put("task_id", taskId), Map.of("ce_id", "id-" + taskId)));
            states.remember(List.of(new ConsumerRecord<>(topic, partition, offset, System.currentTimeMillis(),
                    org.apache.kafka.common.record.TimestampType.CREATE_TIME, -1, completed.length, taskId, completed,
                    new org.apache.kafka.common.header.internals.RecordHeaders(), java.util.Optional.empty())));
            assertThat(states.state(taskId).running()).isFalse();

            TaskStates.Decision again = join(states.decide(ticket(taskId), 0, 9L));
            assertThat(again.decision().tag()).isEqualTo("new");
            assertThat(again.ticket().run()).isEqualTo("0-9");
            assertThat(states.state(taskId).running()).isTrue();
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
                join(states.decide(ticket(taskId), 0, (long) i));
                endCompleted(states, taskId, "0-" + i);
            }
            join(states.decide(ticket("running-" + UUID.randomUUID()), 0, 99L));
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

    /**
     * A state write Kafka does not acknowledge fails within 30 s (and the 2 ms it waits for others, linger.ms) with
     * Kafka's own TimeoutException (which the error policy leaves to redelivery, TaskRecoveryTest), also with a longer
     * request time-out set: Kafka requires the delivery time-out to cover both.
     */
    @Test
    void aStateWriteKafkaDoesNotAcknowledgeFailsWithinThirtySecondsAsKafkaFailing() {
        Properties defaults = StateWrites.producerConfig(new KafkaClients("localhost:9092", Map.of()));
        assertThat(defaults.getProperty(ProducerConfig.DELIVERY_TIMEOUT_MS_CONFIG)).isEqualTo("30002");
        Properties slow = StateWrites.producerConfig(new KafkaClients("localhost:9092",
                Map.of("request.timeout.ms", "45000")));
        assertThat(slow.getProperty(ProducerConfig.DELIVERY_TIMEOUT_MS_CONFIG)).isEqualTo("45002");
        new ProducerConfig(slow); // Kafka accepts it
    }

    /**
     * A burst's state writes share Kafka requests: each waits 2 ms for others (linger.ms), as the routes' records do,
     * instead of a request per write; a kafka.client.linger.ms setting wins, and Kafka accepts both.
     */
    @Test
    void stateWritesWaitTwoMillisecondsToShareARequestUnlessLingerIsSet() {
        Properties defaults = StateWrites.producerConfig(new KafkaClients("localhost:9092", Map.of()));
        assertThat(defaults.getProperty(ProducerConfig.LINGER_MS_CONFIG)).isEqualTo("2");
        Properties set = StateWrites.producerConfig(new KafkaClients("localhost:9092", Map.of("linger.ms", "0")));
        assertThat(set.getProperty(ProducerConfig.LINGER_MS_CONFIG)).isEqualTo("0");
        new ProducerConfig(defaults);
        new ProducerConfig(set);
    }

    /** Waits for the write a step made, as the route does without blocking. */
    private static <T> T join(CompletionStage<T> written) {
        return written.toCompletableFuture().join();
    }

    /** A task record as intake reads it. */
    private static TaskTicket ticket(String taskId) {
        return TaskTicket.accepted(taskId, null, 0, 1000, 0);
    }
}
