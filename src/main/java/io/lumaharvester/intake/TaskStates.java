package io.lumaharvester.intake;

import io.lumaharvester.publish.GenerationEvent;
import io.lumaharvester.task.TaskExchange;
import io.lumaharvester.kafka.KafkaClients;
import io.lumaharvester.kafka.TopicFollower;
import io.lumaharvester.task.TaskTicket;
import io.lumaharvester.task.TraceContext;
import java.nio.charset.StandardCharsets;
import java.time.Clock;
import java.time.Duration;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Properties;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CompletionStage;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.Executor;

import com.fasterxml.jackson.databind.ObjectMapper;
import io.micrometer.core.instrument.Counter;
import io.micrometer.core.instrument.MeterRegistry;
import org.apache.camel.Body;
import org.apache.camel.ExchangeProperty;
import org.apache.camel.Header;
import org.apache.camel.Headers;
import org.apache.camel.component.kafka.KafkaConstants;
import org.apache.kafka.clients.consumer.ConsumerConfig;
import org.apache.kafka.clients.consumer.ConsumerRecord;
import org.apache.kafka.clients.consumer.KafkaConsumer;
import org.apache.kafka.clients.producer.KafkaProducer;
import org.apache.kafka.clients.producer.ProducerConfig;
import org.apache.kafka.clients.producer.ProducerRecord;
import org.apache.kafka.clients.producer.RecordMetadata;
import org.apache.kafka.common.TopicPartition;
import org.apache.kafka.common.serialization.ByteArrayDeserializer;
import org.apache.kafka.common.serialization.ByteArraySerializer;
import org.apache.kafka.common.serialization.StringDeserializer;
import org.apache.kafka.common.serialization.StringSerializer;
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
 * CompletionStage without blocking). Intake waited for each write on its consumer thread, one task at a time.
 * <p>
 * Not a Camel service: the bean processors of the routes that call it would start it as a route starts and stop it
 * as one stops, and the next call would then have to read the topic again on a consumer's thread. It is started once
 * before the routes ({@link #start}) and stopped with the context.
 */
public class TaskStates {

    private static final Logger TASKS = LoggerFactory.getLogger("io.lumaharvester.tasks");
    private static final Logger LOG = LoggerFactory.getLogger(TaskStates.class);
    private static final ObjectMapper JSON = new ObjectMapper();
    /**
     * A write Kafka has not acknowledged after this long fails, with Kafka's own TimeoutException: the JDK's would
     * reach the task's error policy as the task's error, and cost a harvesting task a media attempt
     * (TaskRecovery#retriesTask). A kafka.client.delivery.timeout.ms setting wins.
     */
    static final int WRITE_TIMEOUT_MS = 30_000;
    /**
     * Each wait of the start for Kafka, and of a re-submission for its state's record, unless
     * kafka.client.default.api.timeout.ms is set.
     */
    static final int START_TIMEOUT_MS = 30_000;
    /** How long a state write waits for others to share its request (producer linger.ms), unless set. */
    static final int LINGER_MS = 2;
    /** How often (by the clock) the whole map is swept for expired states; a lookup never sees one anyway. */
    private static final long SWEEP_EVERY_MS = 60_000;

    /**
     * A state, the time of its record (the record's timestamp), from which its retention counts, and where the record
     * is on the topic. The follower reads a record late, after this instance wrote newer ones for the same id; the
     * place tells it that it is older, so it does not undo them. A {@code null} state stands for a record that removes
     * the id (a tombstone, an expired or unreadable state).
     * <p>
     * A state written here is in memory before Kafka has placed it ({@link #WRITING}): it is newer than what was
     * read before, but a record of another instance (or this one's {@code ended}) may land after it. The newest
     * such record is kept beside it ({@code later}) and weighed once the write's place is known.
     */
    private record Kept(TaskState state, long at, int partition, long offset, Kept later) {

        /** Written here, not yet acknowledged. */
        static final long WRITING = Long.MAX_VALUE;
        /** Written here, but Kafka did not take it: any record read wins. */
        static final long NOT_WRITTEN = -1;

        static Kept at(TaskState state, long at, int partition, long offset) {
            return new Kept(state, at, partition, offset, null);
        }

        static Kept writing(TaskState state, long at) {
            return at(state, at, -1, WRITING);
        }

        /** What to hold once the record {@code read} (of the same id) is known: this, {@code read}, or both. */
        Kept then(Kept read) {
            if (offset == WRITING) {
                return new Kept(state, at, partition, offset, later == null || read.offset > later.offset ? read
                        : later);
            }
            return partition == read.partition && offset > read.offset ? this : read;
        }

        /** This write's state at its place (or {@link #NOT_WRITTEN}), unless a record known meanwhile is newer. */
        Kept placed(int partition, long offset) {
            Kept placed = at(state, at, partition, offset);
            return later == null ? placed : placed.then(later);
        }

        /** The entry to hold: {@code null} removes the id. */
        Kept orRemoved() {
            return state == null ? null : this;
        }
    }

    private final String topic;
    private final String eventsTopic;
    private final KafkaClients clients;
    private final MeterRegistry registry;
    private final Clock clock;
    private final long retentionMs;
    private final Executor callbacks;
    private final Map<String, Kept> states = new ConcurrentHashMap<>();
    private final Object[] locks = new Object[64];
    private volatile long sweptAt;
    private volatile boolean started;

    private KafkaConsumer<String, byte[]> consumer;
    private KafkaProducer<String, byte[]> producer;
    private TopicFollower<String, byte[]> follower;
    private StateRecords records;

    /**
     * {@code retentionMs}: how long an ended state is kept after its record was written. {@code callbacks}: where the
     * route goes on once a write is acknowledged (not the producer's own network thread, which sends every write).
     */
    public TaskStates(String topic, String eventsTopic, KafkaClients clients, MeterRegistry registry, Clock clock,
            long retentionMs, Executor callbacks) {
        this.topic = topic;
        this.callbacks = callbacks;
        this.eventsTopic = eventsTopic;
        this.clients = clients;
        this.registry = registry;
        this.clock = clock;
        this.retentionMs = retentionMs;
        this.sweptAt = clock.millis();
        for (int i = 0; i < locks.length; i++) {
            locks[i] = new Object();
        }
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
        Kept kept = kept(taskId);
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

    /** The task's state as held, or null (never recorded, or ended longer ago than the retention). */
    private Kept kept(String taskId) {
        Kept kept = states.get(taskId);
        return kept == null || expired(kept, clock.millis()) || kept.state() == null ? null : kept;
    }

    /** How many states are held in memory. */
    int held() {
        return states.size();
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
        Kept kept;
        TaskState recorded;
        Resubmission decision;
        long firstStep = 0;
        CompletableFuture<RecordMetadata> written = null;
        // intake handles records side by side: two records of one id must not both find it new. The running state is
        // in memory from here on; its record may still fail, and then the intake record is read again, REPLAYED, and
        // the state written again.
        synchronized (locks[Math.floorMod(ticket.taskId().hashCode(), locks.length)]) {
            kept = kept(ticket.taskId());
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
                states.put(ticket.taskId(), Kept.writing(running, at));
                try {
                    written = write(ticket.taskId(), running, at)
                            .whenComplete((metadata, error) -> place(ticket.taskId(), running, metadata));
                } catch (Exception e) {
                    place(ticket.taskId(), running, null);
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
    private CompletionStage<Decision> stored(TaskTicket ticket, String run, Kept kept) {
        String taskId = ticket.taskId();
        return records.read(taskId, kept.partition(), kept.offset()).thenCompose(value -> {
            TaskState stored = value == null ? null : parsed(value);
            try {
                if (stored != null && stored.event() != null && kept.state().run().equals(stored.run())) {
                    return admitted(ticket, run, Resubmission.REPUBLISHED, stored, 0, null);
                }
                LOG.warn("task {}: the record of its completed run {} is no longer on {} (partition {}, offset {}): "
                        + "forgotten, as after the retention", taskId, kept.state().run(), topic, kept.partition(),
                        kept.offset());
                // unless a newer state was held meanwhile
                states.remove(taskId, kept);
                return decide(ticket, run);
            } catch (Exception e) {
                return CompletableFuture.failedFuture(e);
            }
        });
    }

    /** Logs and counts the decision; the decision once the running state written (if any) is acknowledged. */
    private CompletionStage<Decision> admitted(TaskTicket ticket, String run, Resubmission decision,
            TaskState recorded, long firstStep, CompletableFuture<RecordMetadata> written) {
        switch (decision) {
            case NEW -> TASKS.info("task {} (run {}): accepted", ticket.taskId(), run);
            case REPLAYED -> TASKS.info("task {}: its intake record was read again (a restart), run {} goes on",
                    ticket.taskId(), run);
            case REPLAYED_ENDED -> TASKS.info("task {}: its intake record was read again (a restart) after run {} "
                    + "ended, nothing to do", ticket.taskId(), run);
            case IN_FLIGHT -> TASKS.info("task {}: sent again while run {} is in flight, ignored", ticket.taskId(),
                    recorded.run());
            case REPUBLISHED -> TASKS.info("task {}: sent again after it completed (run {}), its event is published "
                    + "again", ticket.taskId(), recorded.run());
            case RERUN -> TASKS.info("task {}: sent again after it failed (run {}), new run {}", ticket.taskId(),
                    recorded.run(), run);
        }
        if (decision != Resubmission.NEW) {
            Counter.builder("luma.tasks.duplicate")
                    .description("Task records for a task id already accepted, by what intake did with them")
                    .tag("decision", decision.tag())
                    .register(registry)
                    .increment();
        }
        Decision decided = new Decision(decision, decision.runs() ? ticket.withRun(run, firstStep) : ticket,
                recorded);
        return written == null ? CompletableFuture.completedFuture(decided)
                : written.thenApply(acknowledged -> decided);
    }

    /**
     * The {@code running} state written in {@link #decide}, if still held as written, at its place on the topic, or
     * as not written ({@code metadata} null).
     */
    private void place(String taskId, TaskState running, RecordMetadata metadata) {
        states.computeIfPresent(taskId, (id, kept) -> kept.offset() != Kept.WRITING || kept.state() != running ? kept
                : (metadata == null ? kept.placed(-1, Kept.NOT_WRITTEN)
                        : kept.placed(metadata.partition(), metadata.offset())).orRemoved());
    }

    /** Intake, for a completed task sent again: its stored event goes out again, unchanged (same ce_id). */
    public CompletionStage<Void> republish(@Body Decision decided) throws Exception {
        started();
        String taskId = decided.ticket().taskId();
        // the state as decided on: it may have expired since
        TaskState recorded = decided.recorded();
        ProducerRecord<String, byte[]> record = new ProducerRecord<>(eventsTopic, taskId,
                JSON.writeValueAsBytes(recorded.event()));
        recorded.headers().forEach((name, value) -> record.headers().add(name, value.getBytes(StandardCharsets.UTF_8)));
        return send(record, metadata -> null);
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
        TaskState ended = TaskState.ended(event.run(), event.status(), completed ? JSON.valueToTree(event) : null,
                headers);
        long at = clock.millis();
        // in memory once Kafka has it (and its place, where a re-submission reads the event back): a write that fails
        // leaves the task running, so the replayed step writes it again
        return write(event.taskId(), ended, at).thenAccept(metadata -> remember(event.taskId(),
                Kept.at(ended.held(), at, metadata.partition(), metadata.offset())));
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

    /** The record's timestamp is {@code at}, the clock's: the retention counts from it, here and on Kafka. */
    private CompletableFuture<RecordMetadata> write(String taskId, TaskState state, long at) throws Exception {
        return send(new ProducerRecord<>(topic, null, at, taskId, JSON.writeValueAsBytes(state)), metadata -> metadata);
    }

    /**
     * Completes on the callbacks executor once Kafka has acknowledged the record (with {@code result} of where it
     * is), or with Kafka's own exception once it has given up on it.
     */
    private <T> CompletableFuture<T> send(ProducerRecord<String, byte[]> record,
            java.util.function.Function<RecordMetadata, T> result) {
        CompletableFuture<T> sent = new CompletableFuture<>();
        producer.send(record, (metadata, error) -> callbacks.execute(() -> {
            if (error == null) {
                sent.complete(result.apply(metadata));
            } else {
                sent.completeExceptionally(error);
            }
        }));
        return sent;
    }

    private boolean expired(Kept kept, long now) {
        return kept.state() != null && !kept.state().running() && now - kept.at() > retentionMs;
    }

    /** Forgets the expired states, at most once per {@link #SWEEP_EVERY_MS}: what bounds the memory held. */
    private void sweep() {
        long now = clock.millis();
        if (now - sweptAt < SWEEP_EVERY_MS) {
            return;
        }
        sweptAt = now;
        // removes an entry only if it is still the one tested: a state written meanwhile stays
        int before = states.size();
        states.entrySet().removeIf(entry -> expired(entry.getValue(), now));
        LOG.debug("forgot {} task states ended more than {} ms ago", before - states.size(), retentionMs);
    }

    /** The producer's settings: the shared Kafka client settings, acknowledged by all replicas, given up in time. */
    static Properties producerConfig(KafkaClients clients) {
        Properties props = clients.producer();
        props.put(ProducerConfig.KEY_SERIALIZER_CLASS_CONFIG, StringSerializer.class.getName());
        props.put(ProducerConfig.VALUE_SERIALIZER_CLASS_CONFIG, ByteArraySerializer.class.getName());
        props.put(ProducerConfig.ACKS_CONFIG, "all");
        props.put(ProducerConfig.ENABLE_IDEMPOTENCE_CONFIG, "true");
        // a burst of task records writes a state each: waiting 2 ms, as the routes' producers do
        // (camel.component.kafka.linger-ms), puts several in one request instead of one request each, which cost the
        // producer's network thread and the broker CPU per write. A kafka.client.linger.ms setting wins.
        props.putIfAbsent(ProducerConfig.LINGER_MS_CONFIG, String.valueOf(LINGER_MS));
        // Kafka refuses a delivery time-out below linger.ms + request.timeout.ms: unless set, the client's default
        // request.timeout.ms
        long floor = producerSetting(props, ProducerConfig.LINGER_MS_CONFIG)
                + producerSetting(props, ProducerConfig.REQUEST_TIMEOUT_MS_CONFIG);
        props.putIfAbsent(ProducerConfig.DELIVERY_TIMEOUT_MS_CONFIG, String.valueOf(Math.max(WRITE_TIMEOUT_MS, floor)));
        return props;
    }

    private static long producerSetting(Properties props, String name) {
        Object value = props.getProperty(name);
        if (value == null) {
            value = ProducerConfig.configDef().defaultValues().get(name);
        }
        return Long.parseLong(String.valueOf(value).strip());
    }

    /**
     * The consumer's settings. {@code default.api.timeout.ms} bounds each wait of the start for Kafka (the topic's
     * partitions, its ends, the positions read to): 30 s, unless a kafka.client.default.api.timeout.ms setting is set.
     */
    static Properties consumerConfig(KafkaClients clients) {
        Properties props = clients.client();
        props.put(ConsumerConfig.KEY_DESERIALIZER_CLASS_CONFIG, StringDeserializer.class.getName());
        props.put(ConsumerConfig.VALUE_DESERIALIZER_CLASS_CONFIG, ByteArrayDeserializer.class.getName());
        props.put(ConsumerConfig.ENABLE_AUTO_COMMIT_CONFIG, "false");
        props.putIfAbsent(ConsumerConfig.DEFAULT_API_TIMEOUT_MS_CONFIG, String.valueOf(START_TIMEOUT_MS));
        return props;
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
            producer = new KafkaProducer<>(producerConfig(clients));
            consumer = new KafkaConsumer<>(consumerConfig(clients));
            List<TopicPartition> partitions = consumer.partitionsFor(topic).stream()
                    .map(p -> new TopicPartition(topic, p.partition())).toList();
            if (partitions.isEmpty()) {
                throw new IllegalStateException("the topic " + topic + " has no partitions: create it (docs/kafka.md, "
                        + "Topics)");
            }
            consumer.assign(partitions);
            consumer.seekToBeginning(partitions);
            follower = new TopicFollower<>(consumer, topic, this::remember);
            follower.readTo(partitions, consumer.endOffsets(partitions), Duration.ofSeconds(120), "the task states");
            LOG.info("{} task states read from {}", states.size(), topic);
            follower.follow("task-states-" + topic);
            Properties readConfig = consumerConfig(clients);
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

    /** The follower's records, in the topic's order, but maybe after this instance wrote newer ones. */
    void remember(Iterable<ConsumerRecord<String, byte[]>> records) {
        for (ConsumerRecord<String, byte[]> record : records) {
            if (record.key() != null && !heldAt(record)) {
                remember(record.key(), read(record));
            }
        }
        sweep();
    }

    /**
     * Whether the state held for the record's id is the record: this instance's own write, acknowledged, which the
     * follower reads back. Parsing it again would change nothing; it was a parse per task admitted.
     */
    private boolean heldAt(ConsumerRecord<String, byte[]> record) {
        Kept kept = states.get(record.key());
        return kept != null && kept.offset() == record.offset() && kept.partition() == record.partition();
    }

    /** A state at its place on the topic, unless a newer one of the id is held. */
    private void remember(String taskId, Kept read) {
        states.compute(taskId, (id, kept) -> (kept == null ? read : kept.then(read)).orRemoved());
    }

    /** The state a record holds; a null state for a tombstone, an expired state or not a state. */
    private Kept read(ConsumerRecord<String, byte[]> record) {
        TaskState state = record.value() == null ? null : parsed(record.value());
        if (state != null) {
            state = state.held();
        }
        Kept kept = Kept.at(state, record.timestamp(), record.partition(), record.offset());
        // expired: read back at start-up, or written by an instance whose clock is late: already forgotten
        return expired(kept, clock.millis()) ? Kept.at(null, kept.at(), kept.partition(), kept.offset()) : kept;
    }

    /** The state a record's value holds, or null. */
    private static TaskState parsed(byte[] value) {
        try {
            return JSON.readValue(value, TaskState.class);
        } catch (java.io.IOException e) {
            // a record of the old idempotent repository (its value is the id) or of a newer version: no state
            return null;
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
            if (follower != null) {
                follower.stop();
            } else if (consumer != null) {
                consumer.close(Duration.ofSeconds(5));
            }
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
        } finally {
            follower = null;
            consumer = null;
            if (records != null) {
                try {
                    records.close();
                } catch (InterruptedException e) {
                    Thread.currentThread().interrupt();
                }
                records = null;
            }
            if (producer != null) {
                producer.close(Duration.ofSeconds(5));
                producer = null;
            }
        }
    }
}
