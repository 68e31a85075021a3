package io.lumaharvester.intake;

import io.lumaharvester.publish.GenerationEvent;
import io.lumaharvester.task.TaskExchange;
import io.lumaharvester.kafka.KafkaClients;
import io.lumaharvester.task.TaskTicket;
import io.lumaharvester.task.TraceContext;
import java.time.Clock;
import java.util.LinkedHashMap;
import java.util.Map;
import java.util.Properties;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CompletionStage;
import java.util.concurrent.Executor;

import io.micrometer.core.instrument.MeterRegistry;
import org.apache.camel.Body;
import org.apache.camel.ExchangeProperty;
import org.apache.camel.Header;
import org.apache.camel.Headers;
import org.apache.camel.component.kafka.KafkaConstants;
import org.apache.kafka.clients.consumer.ConsumerConfig;
import org.apache.kafka.clients.consumer.ConsumerRecord;
import org.apache.kafka.clients.producer.RecordMetadata;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Every task's state, kept on the compacted topic {@code luma.tasks.accepted} (key: task id, value: {@link TaskState})
 * and in memory: read whole at start-up, then followed, so the states written by other instances are known too.
 * Intake asks {@link #decide} what a task record means (docs/how-it-works.md, Re-submission) and records a new run as
 * running; publishing records the end. One record per id survives compaction, so the topic holds one small record per task
 * (plus the event of a completed one) instead of every submission.
 * <p>
 * An ended state is kept for {@code luma.tasks.state-retention-ms} after its record was written, then forgotten: in
 * memory (by the injected clock), when read back at start-up, and on Kafka ({@link #topicConfigs}), so that neither
 * the heap nor the topic grows with every task id ever sent. An id sent again after that is a new task. A running
 * state is never forgotten here; on Kafka it outlives its run, since SettingsCheck keeps the retention longer than a
 * run's two deadlines.
 * <p>
 * In memory a state is held without its event ({@link TaskState#held}): a few hundred bytes, whatever the task's
 * metadata. A completed task sent again reads its state's record back from its place on the topic
 * ({@link StateRecords}) before it is decided republished; a record no longer there (compacted away behind a newer
 * record of the id, or deleted by retention) leaves the id forgotten, as after the retention: a new task.
 * <p>
 * Writes do not hold a thread: {@link #decide}, {@link #republish} and {@link #ended} return a stage that completes
 * when Kafka has acknowledged the write, and the route goes on then (Camel's bean component waits for a returned
 * CompletionStage without blocking), so intake's consumer thread does not wait for each write, one task at a time.
 * <p>
 * This class is the bean the routes call ({@code taskStates}); it decides and orders the writes, and its parts each
 * hold one role: {@link StateStore} the states in memory, their locks and their retention, {@link StateFollower} the
 * read-back and the following (its own consumer), {@link StateWrites} the producer, {@link StateRecords} the reads of
 * a completed task's record, {@link DecisionLog} the log line and meter of each decision.
 * <p>
 * Not a Camel service: the bean processors of the routes that call it would start it as a route starts and stop it
 * as one stops, and the next call would then have to read the topic again on a consumer's thread. It is started once
 * before the routes ({@link #start}) and stopped with the context.
 */
public class TaskStates {

    private static final Logger LOG = LoggerFactory.getLogger(TaskStates.class);

    private final String topic;
    private final KafkaClients clients;
    private final Clock clock;
    private final Executor callbacks;
    private final StateStore store;
    private final StateFollower follower;
    private final StateWrites writes;
    private final DecisionLog log;
    private volatile boolean started;

    private StateRecords records;

    /**
     * {@code retentionMs}: how long an ended state is kept after its record was written. {@code callbacks}: where the
     * route goes on once a write is acknowledged (not the producer's own network thread, which sends every write).
     */
    public TaskStates(String topic, String eventsTopic, KafkaClients clients, MeterRegistry registry, Clock clock,
            long retentionMs, Executor callbacks) {
        this.topic = topic;
        this.callbacks = callbacks;
        this.clients = clients;
        this.clock = clock;
        this.store = new StateStore(clock, retentionMs);
        this.follower = new StateFollower(topic, clients, store, clock);
        this.writes = new StateWrites(topic, eventsTopic, callbacks);
        this.log = new DecisionLog(registry);
    }

    /**
     * The configs of the states topic: compacted to one record per task id, and whole segments deleted once their
     * records are older than the retention. Kafka deletes a segment only when its newest record has expired, so each
     * segment spans a seventh of the retention (a day for 7 days) rather than Kafka's default of 7 days.
     */
    public static Map<String, String> topicConfigs(long retentionMs) {
        Map<String, String> configs = new LinkedHashMap<>();
        configs.put("cleanup.policy", "compact,delete");
        configs.put("retention.ms", String.valueOf(retentionMs));
        configs.put("segment.ms", String.valueOf(Math.max(1, retentionMs / 7)));
        return configs;
    }

    /** The task's recorded state, or null (never recorded, or ended longer ago than the retention). */
    public TaskState state(String taskId) {
        KeptState kept = store.kept(taskId);
        return kept == null ? null : kept.state();
    }

    /**
     * Whether the ticket's run has ended here or on another instance (its event is out): a step read again after that
     * (a record that a rebalance or a restart replays, though its step was done) has nothing left to do, and copying
     * the media again would only cost the CDN and S3 the same bytes twice.
     */
    public boolean runEnded(@ExchangeProperty(TaskExchange.TICKET) TaskTicket ticket) {
        started();
        TaskState state = state(ticket.taskId());
        return state != null && TaskState.ENDED.equals(state.state()) && ticket.run() != null
                && ticket.run().equals(state.run());
    }

    /** How many states are held in memory. */
    int held() {
        return store.size();
    }

    /** Takes records as the follower reads them (a test hands them here as read late). */
    void remember(Iterable<ConsumerRecord<String, byte[]>> records) {
        follower.remember(records);
    }

    /**
     * What intake does with a task record: its decision, the ticket (carrying its run when the task runs), and the
     * task's state the decision was made on (null for a new task).
     */
    public record Decision(Resubmission decision, TaskTicket ticket, TaskState recorded) {

        /** A new run, or the replayed record of a run that goes on: the task's poll loop starts. */
        public boolean runs() {
            return decision.runs();
        }

        /** The task completed before: its event is published again (a boolean: see {@link io.lumaharvester.task.TaskStep}). */
        public boolean republishes() {
            return decision == Resubmission.REPUBLISHED;
        }
    }

    /**
     * Intake: decides what the task record ({@link TaskTicket}, read from the task topic at {@code partition} and
     * {@code offset}) means, records a new run as running, and logs and counts the decision.
     */
    public CompletionStage<Decision> decide(@Body TaskTicket ticket,
            @Header(KafkaConstants.PARTITION) Object partition, @Header(KafkaConstants.OFFSET) Object offset)
            throws Exception {
        started();
        return decide(ticket, runOf(partition, offset));
    }

    private CompletionStage<Decision> decide(TaskTicket ticket, String run) throws Exception {
        KeptState kept;
        TaskState recorded;
        Resubmission decision;
        long firstStep = 0;
        CompletableFuture<RecordMetadata> written = null;
        // intake handles records side by side: two records of one id must not both find it new. The running state is
        // in memory from here on; its record may still fail, and then the intake record is read again, REPLAYED, and
        // the state written again.
        synchronized (store.lock(ticket.taskId())) {
            kept = store.kept(ticket.taskId());
            recorded = kept == null ? null : kept.state();
            decision = Resubmission.decide(recorded, run);
            if (decision == Resubmission.NEW || decision == Resubmission.RERUN) {
                // above every step of the runs before, also of a run whose state was forgotten, which the due:
                // consumer may still remember (a run takes far fewer than 1000 steps a millisecond)
                firstStep = clock.millis() * 1000;
            } else if (decision == Resubmission.REPLAYED) {
                firstStep = recorded.firstStep();
            }
            if (decision.runs()) {
                TaskState running = TaskState.running(run, firstStep);
                long at = clock.millis();
                store.writing(ticket.taskId(), KeptState.writing(running, at));
                try {
                    written = writes.write(ticket.taskId(), running, at)
                            .whenComplete((metadata, error) -> store.place(ticket.taskId(), running, metadata));
                } catch (Exception e) {
                    store.place(ticket.taskId(), running, null);
                    throw e;
                }
            }
        }
        if (decision == Resubmission.REPUBLISHED) {
            return stored(ticket, run, kept);
        }
        return admitted(ticket, run, decision, recorded, firstStep, written);
    }

    /**
     * A completed task sent again: republished with its state read back from its record (the event is not held in
     * memory); if that record is no longer there, the id is forgotten and decided again: a new task.
     */
    private CompletionStage<Decision> stored(TaskTicket ticket, String run, KeptState kept) {
        String taskId = ticket.taskId();
        return records.read(taskId, kept.partition(), kept.offset()).thenCompose(value -> {
            TaskState stored = value == null ? null : TaskState.parsed(value);
            try {
                if (stored != null && stored.event() != null && kept.state().run().equals(stored.run())) {
                    return admitted(ticket, run, Resubmission.REPUBLISHED, stored, 0, null);
                }
                LOG.warn("task {}: the record of its completed run {} is no longer on {} (partition {}, offset {}): "
                        + "forgotten, as after the retention", taskId, kept.state().run(), topic, kept.partition(),
                        kept.offset());
                // unless a newer state was held meanwhile
                store.forget(taskId, kept);
                return decide(ticket, run);
            } catch (Exception e) {
                return CompletableFuture.failedFuture(e);
            }
        });
    }

    /** Logs and counts the decision; the decision once the running state written (if any) is acknowledged. */
    private CompletionStage<Decision> admitted(TaskTicket ticket, String run, Resubmission decision,
            TaskState recorded, long firstStep, CompletableFuture<RecordMetadata> written) {
        log.decided(ticket, run, decision, recorded);
        Decision decided = new Decision(decision, decision.runs() ? ticket.withRun(run, firstStep) : ticket,
                recorded);
        return written == null ? CompletableFuture.completedFuture(decided)
                : written.thenApply(acknowledged -> decided);
    }

    /** Intake, for a completed task sent again: its stored event goes out again, unchanged (same ce_id). */
    public CompletionStage<Void> republish(@Body Decision decided) throws Exception {
        started();
        String taskId = decided.ticket().taskId();
        // the state as decided on: it may have expired since
        TaskState recorded = decided.recorded();
        return writes.republish(taskId, recorded);
    }

    /**
     * Publish, after the event was sent (or found sent before): records the task's end, with the event and its
     * headers when it completed. Also after a replayed step, so a crash between the event and this write is repaired.
     */
    public CompletionStage<Void> ended(@ExchangeProperty(TaskExchange.EVENT) GenerationEvent event,
            @Headers Map<String, Object> eventHeaders) throws Exception {
        started();
        if (event == null || event.run() == null) {
            return CompletableFuture.completedFuture(null); // a ticket from before runs existed
        }
        TaskState now = state(event.taskId());
        if (now != null && (!event.run().equals(now.run()) || !now.running())) {
            // recorded already, or a replayed step of an earlier run: the newer run's state stays
            return CompletableFuture.completedFuture(null);
        }
        boolean completed = GenerationEvent.COMPLETED.equals(event.status());
        Map<String, String> headers = null;
        if (completed) {
            headers = new LinkedHashMap<>();
            for (Map.Entry<String, Object> header : eventHeaders.entrySet()) {
                String name = header.getKey();
                if ((name.startsWith("ce_") || name.equals("content-type") || name.equals(TraceContext.TRACEPARENT)
                        || name.equals(TraceContext.TRACESTATE)) && header.getValue() != null) {
                    headers.put(name, header.getValue().toString());
                }
            }
        }
        TaskState ended = TaskState.ended(event.run(), event.status(),
                completed ? TaskState.JSON.valueToTree(event) : null, headers);
        long at = clock.millis();
        // in memory once Kafka has it (and its place, where a re-submission reads the event back): a write that fails
        // leaves the task running, so the replayed step writes it again
        return writes.write(event.taskId(), ended, at).thenAccept(metadata -> store.remember(event.taskId(),
                KeptState.at(ended.held(), at, metadata.partition(), metadata.offset())));
    }

    /** The states are read back at start-up, never on a route's thread ({@link #start}). */
    private void started() {
        if (!isStarted()) {
            throw new IllegalStateException("the task states of " + topic + " are not read: TaskStates is not started");
        }
    }

    static String runOf(Object partition, Object offset) {
        return partition == null || offset == null ? "local-" + System.nanoTime() : partition + "-" + offset;
    }

    public boolean isStarted() {
        return started;
    }

    /**
     * Reads the topic back, then follows it; once. Called at start-up, before any route consumes
     * ({@link io.lumaharvester.ops.KafkaStartup#then}): on a route's thread the read would hold the intake consumer
     * past max.poll.interval.ms. A start that fails closes every client it made, and says which topic it could not
     * read.
     */
    public synchronized void start() {
        if (started) {
            return;
        }
        try {
            writes.open(clients);
            follower.start();
            Properties readConfig = StateFollower.consumerConfig(clients);
            records = new StateRecords(topic, readConfig, callbacks,
                    Long.parseLong(readConfig.getProperty(ConsumerConfig.DEFAULT_API_TIMEOUT_MS_CONFIG)));
            started = true;
        } catch (Exception e) {
            if (e instanceof InterruptedException) {
                Thread.currentThread().interrupt();
            }
            closeClients();
            throw new IllegalStateException("the task states could not be read from " + topic + " ("
                    + clients.brokers() + "): " + e, e);
        }
    }

    /** Stops following the topic and closes the clients (with the context: the bean's destroy method). */
    public synchronized void stop() {
        started = false;
        closeClients();
    }

    /** Closes the clients made so far, each once; once it follows, the follower closes the consumer on its thread. */
    private void closeClients() {
        try {
            follower.stop();
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
        } finally {
            if (records != null) {
                try {
                    records.close();
                } catch (InterruptedException e) {
                    Thread.currentThread().interrupt();
                }
                records = null;
            }
            writes.close();
        }
    }
}
