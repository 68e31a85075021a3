package io.lumaharvester.due;

import java.nio.ByteBuffer;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.Arrays;
import java.util.Collection;
import java.util.HashMap;
import java.util.HashSet;
import java.util.List;
import java.util.Map;
import java.util.Properties;
import java.util.Set;

import io.micrometer.core.instrument.Counter;
import io.micrometer.core.instrument.MeterRegistry;
import org.apache.camel.Exchange;
import org.apache.camel.Processor;
import org.apache.camel.component.kafka.KafkaConstants;
import org.apache.camel.component.micrometer.MicrometerConstants;
import org.apache.camel.support.DefaultConsumer;
import org.apache.kafka.clients.consumer.ConsumerConfig;
import org.apache.kafka.clients.consumer.ConsumerRebalanceListener;
import org.apache.kafka.clients.consumer.ConsumerRecord;
import org.apache.kafka.clients.consumer.CooperativeStickyAssignor;
import org.apache.kafka.clients.consumer.KafkaConsumer;
import org.apache.kafka.clients.consumer.OffsetAndMetadata;
import org.apache.kafka.common.TopicPartition;
import org.apache.kafka.common.errors.WakeupException;
import org.apache.kafka.common.header.Header;
import org.apache.kafka.common.serialization.ByteArrayDeserializer;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Reads a topic and keeps many records in flight through the route on one thread, each going in when it is due (see
 * {@link DueRecords}). The route runs asynchronously: the thread hands a record over and goes on, and the record's
 * offset is committed once the route has finished with it and with every older record of its partition. So a
 * record waiting for its due time holds no thread, a slow one holds back no other, and a crash loses nothing: what
 * was not committed is read again.
 * <p>
 * camel-kafka's consumer cannot do this: it routes one record at a time on its polling thread and commits the
 * offsets it has read, in order.
 */
public class DueConsumer extends DefaultConsumer {

    private static final Logger LOG = LoggerFactory.getLogger(DueConsumer.class);
    private static final long MAX_POLL_WAIT_MS = 100;
    /**
     * Offsets go to Kafka at most this often: the loop turns once per finished record under load (thousands a
     * second), and a commit per turn cost more CPU than the records (docs/performance.md). A crash replays at most this
     * much more, and the step numbers skip what was done.
     */
    private static final long COMMIT_EVERY_MS = 100;
    /** How long a commit on giving partitions up (a rebalance, a stop) may take, wakeups included. */
    private static final long COMMIT_TIMEOUT_MS = 5_000;

    private final DueEndpoint endpoint;
    private final DueGate gate;
    private final DueRecords records;
    /** The record headers the route gets (copyHeaders): on the tasks topic, the trace context. */
    private final List<String> copiedHeaders;
    /** The partitions read, by number, and the lanes seen: shared by the records held (see {@link #offer}). */
    private TopicPartition[] partitions = new TopicPartition[0];
    private final Map<String, String> laneNames = new HashMap<>();
    private volatile boolean running;
    private Thread loop;
    private KafkaConsumer<byte[], byte[]> kafka;
    private String lastProblem;
    private long committedAt;
    private int topicPartitions;
    /** Reading stopped for the bytes held: resumes below the low-water mark. */
    private boolean overHeldBytes;
    /** How long a rebalance waits for the records in flight of the partitions it takes away (see {@link Rebalance}). */
    private long handOverMs;
    /** Once the loop stops: when {@link #drain} gives up waiting; the revocation in close waits no longer. */
    private volatile long stopDeadline = Long.MAX_VALUE;
    /**
     * The endpoint's admitWhile as read in this turn of the loop, or null when not read yet: read at most once a turn,
     * not once per record due, since it may count every task the instance holds (TaskAdmission). A turn waits at most
     * 100 ms in Kafka's poll; once the condition turns, a turn lets in at most what the gate lets in flight.
     */
    private Boolean admittingThisTurn;
    /** Wakes that made a record due now, and those with nothing to wake; null without a meter registry. */
    private Counter wakesWoken;
    private Counter wakesIgnored;

    public DueConsumer(DueEndpoint endpoint, Processor processor) {
        super(endpoint, processor);
        this.endpoint = endpoint;
        this.gate = endpoint.getGate() != null ? endpoint.getGate() : DueGate.inFlight(endpoint.getMaxInFlight());
        this.records = new DueRecords(endpoint.getRememberSteps(), endpoint.getComponent().getHeldBytes());
        this.copiedHeaders = endpoint.copiedHeaders();
    }

    @Override
    protected void doStart() throws Exception {
        super.doStart();
        Properties props = endpoint.getComponent().getClients().client();
        props.put(ConsumerConfig.GROUP_ID_CONFIG, endpoint.getComponent().getGroupId());
        props.put(ConsumerConfig.KEY_DESERIALIZER_CLASS_CONFIG, ByteArrayDeserializer.class.getName());
        props.put(ConsumerConfig.VALUE_DESERIALIZER_CLASS_CONFIG, ByteArrayDeserializer.class.getName());
        props.put(ConsumerConfig.ENABLE_AUTO_COMMIT_CONFIG, "false");
        props.put(ConsumerConfig.AUTO_OFFSET_RESET_CONFIG, "earliest");
        props.put(ConsumerConfig.FETCH_MAX_WAIT_MS_CONFIG, String.valueOf(endpoint.getComponent().getFetchWaitMaxMs()));
        // a process killed outright keeps its partitions until this passes: 10 s, not Kafka's 45 s (a
        // kafka.client.session.timeout.ms setting wins)
        props.putIfAbsent(ConsumerConfig.SESSION_TIMEOUT_MS_CONFIG, "10000");
        // the due: consumers of an instance share its group, one topic each: a consumer joining waits until every
        // member has heard of the rebalance, at its next heartbeat, so with Kafka's 3 s each stage started after the
        // first read nothing for up to 3 s (a kafka.client.heartbeat.interval.ms setting wins)
        props.putIfAbsent(ConsumerConfig.HEARTBEAT_INTERVAL_MS_CONFIG, "500");
        // a rebalance (an instance joins or leaves) takes away only the partitions that move, and the others go on
        // working through it; Kafka's default list starts with the eager RangeAssignor, which takes every partition
        // from every member first. A kafka.client.partition.assignment.strategy setting wins.
        props.putIfAbsent(ConsumerConfig.PARTITION_ASSIGNMENT_STRATEGY_CONFIG,
                CooperativeStickyAssignor.class.getName());
        // the wait in a rebalance holds the loop thread inside poll: half of max.poll.interval.ms at most, or the
        // group would drop this member in the middle of the hand-over
        long maxPollIntervalMs = Long.parseLong(String.valueOf(props.getOrDefault(
                ConsumerConfig.MAX_POLL_INTERVAL_MS_CONFIG, ConsumerConfig.configDef().defaultValues()
                        .get(ConsumerConfig.MAX_POLL_INTERVAL_MS_CONFIG))).strip());
        handOverMs = Math.min(endpoint.getShutdownTimeoutMs(), maxPollIntervalMs / 2);
        MeterRegistry registry = endpoint.getCamelContext().getRegistry()
                .lookupByNameAndType(MicrometerConstants.METRICS_REGISTRY_NAME, MeterRegistry.class);
        if (registry != null && endpoint.isDueHeaders()) {
            wakesWoken = wakes(registry, "woken");
            wakesIgnored = wakes(registry, "ignored");
        }
        kafka = connect(props);
        running = true;
        loop = new Thread(this::run, "due-" + endpoint.getTopic());
        loop.start();
    }

    private static Counter wakes(MeterRegistry registry, String outcome) {
        return Counter.builder("luma.due.wakes")
                .description("Wake records read: woken (a record waiting became due now, or the next record of a "
                        + "key in flight will be), ignored (an unknown key, or a record due already)")
                .tag("outcome", outcome)
                .register(registry);
    }

    /** The Kafka consumer for these settings. */
    KafkaConsumer<byte[], byte[]> connect(Properties props) {
        return new KafkaConsumer<>(props);
    }

    @Override
    protected void doStop() throws Exception {
        running = false;
        if (kafka != null) {
            kafka.wakeup();
        }
        if (loop != null) {
            loop.join(endpoint.getShutdownTimeoutMs() + 10_000L);
        }
        super.doStop();
    }

    private void run() {
        try {
            topicPartitions = kafka.partitionsFor(endpoint.getTopic()).size();
            kafka.subscribe(List.of(endpoint.getTopic()), new Rebalance());
            long wait = MAX_POLL_WAIT_MS;
            while (running) {
                try {
                    offer(kafka.poll(Duration.ofMillis(wait)));
                    admittingThisTurn = null;
                    wait = dispatchDue();
                    commit();
                    pauseOrResume();
                    lastProblem = null;
                } catch (WakeupException woken) {
                    // a permit came free (or the consumer stops): dispatch now, not after another full wait in poll
                    wait = 0;
                } catch (RuntimeException e) {
                    problem(e);
                }
            }
            drain();
        } finally {
            kafka.close(Duration.ofSeconds(5));
        }
    }

    /**
     * Records read go to {@link DueRecords}. Their due headers (due time, step, lane, wake) count only on topics the
     * harvester alone writes ({@code dueHeaders}): on the tasks topic, the senders' headers would decide when a task
     * runs, or that it never does.
     */
    private void offer(Iterable<ConsumerRecord<byte[], byte[]>> polled) {
        long now = System.currentTimeMillis();
        boolean dueHeaders = endpoint.isDueHeaders();
        String laneHeader = dueHeaders ? endpoint.getLaneHeader() : null;
        synchronized (records) {
            for (ConsumerRecord<byte[], byte[]> record : polled) {
                String key = record.key() == null ? null : new String(record.key(), StandardCharsets.UTF_8);
                TopicPartition partition = partition(record);
                if (dueHeaders && record.headers().lastHeader(DueHeaders.WAKE) != null) {
                    wake(partition, record.offset(), key, now);
                    continue;
                }
                // what is held is only what the route gets: a task waiting between polls is held for minutes
                records.offer(new DueRecords.Held<>(partition, record.offset(), key,
                        dueHeaders ? number(record, DueHeaders.STEP, -1) : -1,
                        laneHeader == null ? "" : lane(text(record, laneHeader)),
                        dueHeaders ? number(record, DueHeaders.DUE_AT, now) : now,
                        HeldRecord.of(record, copiedHeaders), bytes(record)));
            }
        }
    }

    /** One TopicPartition per partition read, not one per record held. */
    private TopicPartition partition(ConsumerRecord<byte[], byte[]> record) {
        int number = record.partition();
        if (number >= partitions.length) {
            partitions = Arrays.copyOf(partitions, number + 1);
        }
        TopicPartition partition = partitions[number];
        if (partition == null || !partition.topic().equals(record.topic())) {
            partition = new TopicPartition(record.topic(), number);
            partitions[number] = partition;
        }
        return partition;
    }

    /** One String per lane (a provider's name), not one per record held. */
    private String lane(String name) {
        String known = laneNames.putIfAbsent(name, name);
        return known == null ? name : known;
    }

    /** A wake record: the record of its key waiting becomes due now; the wake itself is done. */
    private void wake(TopicPartition partition, long offset, String key, long now) {
        DueRecords.Woken woken = records.wake(partition, offset, key, now);
        if (woken == DueRecords.Woken.WOKEN || woken == DueRecords.Woken.NEXT_RECORD) {
            if (wakesWoken != null) {
                wakesWoken.increment();
            }
            return;
        }
        if (wakesIgnored != null) {
            wakesIgnored.increment();
        }
        LOG.debug("{}: wake for {} ignored: {}", endpoint.getTopic(), key,
                woken == DueRecords.Woken.ALREADY_DUE ? "its record is due already" : "no record of it known");
    }

    /** A record's size as read: key, value, and each header's name and value. */
    static long bytes(ConsumerRecord<byte[], byte[]> record) {
        long bytes = Math.max(0, record.serializedKeySize()) + Math.max(0, record.serializedValueSize());
        for (Header header : record.headers()) {
            bytes += header.key().length() + (header.value() == null ? 0 : header.value().length);
        }
        return bytes;
    }

    /**
     * Due records go into the route, earliest first, while the gate lets them. A lane the gate holds back is passed
     * over until the next call, and the due records of the other lanes go on. Returns how long the loop may wait in
     * Kafka's poll before something more could go: until the next record is due, or a lane held back may open again.
     */
    private long dispatchDue() {
        Set<String> heldBack = null;
        long untilOpen = MAX_POLL_WAIT_MS;
        while (running) {
            DueRecords.Held<?> held;
            long now = System.currentTimeMillis();
            synchronized (records) {
                while (true) {
                    held = records.next(heldBack);
                    if (held == null) {
                        return untilOpen;
                    }
                    if (held.dueAt > now) {
                        return Math.min(held.dueAt - now, untilOpen);
                    }
                    if (!admitting()) {
                        return MAX_POLL_WAIT_MS;
                    }
                    if (gate.tryAcquire(held.lane)) {
                        break;
                    }
                    if (heldBack == null) {
                        heldBack = new HashSet<>();
                    }
                    heldBack.add(held.lane);
                    untilOpen = Math.max(1, Math.min(gate.millisUntilOpen(held.lane), untilOpen));
                }
                records.take(held);
            }
            gate.dispatched(held.lane, now - held.dueAt);
            send(held);
        }
        return 0;
    }

    private void send(DueRecords.Held<?> held) {
        HeldRecord record = (HeldRecord) held.record;
        Exchange exchange = createExchange(false);
        exchange.getMessage().setBody(record.value());
        exchange.getMessage().setHeader(KafkaConstants.KEY, record.key());
        exchange.getMessage().setHeader(KafkaConstants.TOPIC, held.partition.topic());
        exchange.getMessage().setHeader(KafkaConstants.PARTITION, held.partition.partition());
        exchange.getMessage().setHeader(KafkaConstants.OFFSET, held.offset);
        String[] copied = record.copiedHeaders();
        for (int i = 0; copied != null && i < copied.length; i++) {
            if (copied[i] != null) {
                exchange.getMessage().setHeader(copiedHeaders.get(i), copied[i]);
            }
        }
        exchange.setProperty(DueEndpoint.ATTEMPT, held.failures + 1);
        exchange.setProperty(DueEndpoint.LAST_ATTEMPT, endpoint.lastAttempt(held.failures));
        getAsyncProcessor().process(exchange, doneSync -> finished(held, exchange));
    }

    private void finished(DueRecords.Held<?> held, Exchange exchange) {
        Exception failure = exchange.getException();
        boolean dueWaiting;
        synchronized (records) {
            if (failure == null) {
                records.done(held);
            } else {
                // not handled by the route (Kafka failing, say): the record is kept and tried again later. On its
                // last try the route could not even end it (its dead letter or its task's event not written): kept
                // all the same, so that nothing is lost, and tried again at the longest back-off, again as a last try
                boolean last = exchange.getProperty(DueEndpoint.LAST_ATTEMPT, false, Boolean.class);
                held.failures++;
                long delay = last ? endpoint.getMaxRetryDelayMs() : endpoint.retryDelayMs(held.failures);
                if (last) {
                    LOG.error("{} record {}-{}@{} failed on its last try ({}), and neither its dead letter nor its "
                            + "task's event could be written; trying again in {} ms", endpoint.getTopic(),
                            held.partition.topic(), held.partition.partition(), held.offset, failure.toString(), delay);
                } else {
                    LOG.warn("{} record {}-{}@{} failed ({}); trying again in {} ms", endpoint.getTopic(),
                            held.partition.topic(), held.partition.partition(), held.offset, failure.toString(), delay);
                }
                records.retry(held, System.currentTimeMillis() + delay);
            }
            dueWaiting = records.millisUntilDue(System.currentTimeMillis()) == 0;
        }
        gate.release(held.lane);
        releaseExchange(exchange, false);
        if (dueWaiting && running) {
            kafka.wakeup();
        }
    }

    private void commit() {
        long now = System.currentTimeMillis();
        if (now - committedAt < COMMIT_EVERY_MS) {
            return;
        }
        committedAt = now;
        Map<TopicPartition, OffsetAndMetadata> offsets;
        synchronized (records) {
            offsets = records.toCommit();
        }
        if (!offsets.isEmpty()) {
            kafka.commitAsync(offsets, (committed, e) -> {
                if (e == null) {
                    synchronized (records) {
                        records.committed(committed);
                    }
                } else {
                    LOG.debug("commit on {} failed, the next one covers it: {}", endpoint.getTopic(), e.toString());
                }
            });
        }
    }

    private boolean admitting() {
        if (endpoint.getAdmitWhile() == null) {
            return true;
        }
        if (admittingThisTurn == null) {
            admittingThisTurn = endpoint.getAdmitWhile().getAsBoolean();
        }
        return admittingThisTurn;
    }

    /**
     * Stop reading while too much is held, or while the endpoint's condition says no; go on when that passes. Every
     * partition is paused, newly assigned ones too; the loop goes on polling, so the records held still go into the
     * route when due, and free what they hold when done.
     */
    private void pauseOrResume() {
        boolean full;
        long mine;
        synchronized (records) {
            full = records.waitingCount() + records.inFlightCount() >= endpoint.getMaxHeld();
            mine = records.heldBytes();
        }
        boolean overBytes = overHeldBytes(mine);
        boolean hold = full || overBytes || !admitting();
        if (hold) {
            Set<TopicPartition> reading = new HashSet<>(kafka.assignment());
            reading.removeAll(kafka.paused());
            if (!reading.isEmpty()) {
                kafka.pause(reading);
            }
        } else if (!kafka.paused().isEmpty()) {
            kafka.resume(kafka.paused());
        }
    }

    /**
     * Whether the instance's consumers together hold too many bytes for this one to read on: at or above its share of
     * the cap ({@code maxHeldBytesPercent}), until they hold less than three quarters of that share. A consumer that
     * holds nothing reads on (one poll's records at most): it frees what it reads as it finishes it, and a stage that
     * ends tasks must not wait for bytes held by another stage whose tasks wait for it.
     */
    private boolean overHeldBytes(long mine) {
        HeldBytes held = endpoint.getComponent().getHeldBytes();
        long share = held.max() / 100 * endpoint.getMaxHeldBytesPercent();
        long total = held.held();
        if (mine == 0) {
            overHeldBytes = false;
        } else if (!overHeldBytes) {
            overHeldBytes = total >= share;
        } else {
            overHeldBytes = total > share / 4 * 3;
        }
        return overHeldBytes;
    }

    /**
     * On stop, before the consumer leaves the group: let what is in flight finish (within the shutdown timeout), then
     * commit what is done, so the instance that takes the partitions over starts after it and does not do it again.
     */
    private void drain() {
        long deadline = System.currentTimeMillis() + endpoint.getShutdownTimeoutMs();
        stopDeadline = deadline;
        try {
            int left = awaitFinished(null, deadline);
            Map<TopicPartition, OffsetAndMetadata> offsets;
            synchronized (records) {
                offsets = records.toCommit();
            }
            LOG.info("{}: stopping; {} records still in flight after waiting up to {} ms, committing {}",
                    endpoint.getTopic(), left, endpoint.getShutdownTimeoutMs(), offsets);
            commitNow(offsets);
        } catch (RuntimeException e) {
            LOG.warn("{}: last commit failed ({}); what was not committed is read again", endpoint.getTopic(),
                    e.toString());
        }
    }

    /**
     * Waits until no record of {@code partitions} (null: of any partition) is in flight, or until {@code deadline}.
     * Records finish on the route's threads; this thread only looks. Returns how many are still in flight.
     */
    private int awaitFinished(Collection<TopicPartition> partitions, long deadline) {
        while (true) {
            int left;
            synchronized (records) {
                left = partitions == null ? records.inFlightCount() : records.inFlightIn(partitions);
            }
            if (left == 0 || System.currentTimeMillis() >= deadline) {
                return left;
            }
            try {
                Thread.sleep(10);
            } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
                return left;
            }
        }
    }

    /**
     * A commit that a wakeup does not skip. {@link #finished} wakes the consumer whenever a due record waits, and a
     * wakeup is kept until the consumer's next blocking call: landing inside commitSync, it throws there. The commit is
     * then sent again, within the same time.
     */
    private void commitNow(Map<TopicPartition, OffsetAndMetadata> offsets) {
        if (offsets.isEmpty()) {
            return;
        }
        long deadline = System.currentTimeMillis() + COMMIT_TIMEOUT_MS;
        while (true) {
            try {
                kafka.commitSync(offsets, Duration.ofMillis(Math.max(1, deadline - System.currentTimeMillis())));
                synchronized (records) {
                    records.committed(offsets);
                }
                return;
            } catch (WakeupException woken) {
                if (System.currentTimeMillis() >= deadline) {
                    throw woken;
                }
            }
        }
    }

    private void problem(RuntimeException e) {
        String what = e.getClass().getSimpleName() + ": " + e.getMessage();
        if (!what.equals(lastProblem)) {
            LOG.warn("reading {} failed ({}); trying again", endpoint.getTopic(), what);
            lastProblem = what;
        }
        try {
            Thread.sleep(1000);
        } catch (InterruptedException interrupted) {
            Thread.currentThread().interrupt();
            running = false;
        }
    }

    /** A header's value as text ({@code ""} when absent). */
    static String text(ConsumerRecord<byte[], byte[]> record, String name) {
        Header header = record.headers().lastHeader(name);
        return header == null || header.value() == null ? "" : new String(header.value(), StandardCharsets.UTF_8);
    }

    /** A long header written as decimal text (as the routes write it) or as 8 bytes; {@code otherwise} when absent. */
    static long number(ConsumerRecord<byte[], byte[]> record, String name, long otherwise) {
        Header header = record.headers().lastHeader(name);
        if (header == null || header.value() == null || header.value().length == 0) {
            return otherwise;
        }
        byte[] value = header.value();
        try {
            return Long.parseLong(new String(value, StandardCharsets.US_ASCII).strip());
        } catch (NumberFormatException notText) {
            return value.length == Long.BYTES ? ByteBuffer.wrap(value).getLong() : otherwise;
        }
    }

    /**
     * Called on the loop thread, inside poll. Partitions are handed over, not dropped: the records in flight of the
     * partitions taken away finish first (within {@link #handOverMs}), their offsets are committed, and only then
     * does the rebalance go on and the next owner read them, from there. So no record is in flight on two instances
     * at once (two copies of the same files, two events), unless it outlasts the wait. With the cooperative assignor
     * only the partitions that move are taken away; the records of the others go on through the route meanwhile
     * (this thread sends no new one in until the wait ends).
     */
    private final class Rebalance implements ConsumerRebalanceListener {

        @Override
        public void onPartitionsRevoked(Collection<TopicPartition> partitions) {
            // on stop, drain has waited already: the revocation in close waits no longer than it
            long started = System.currentTimeMillis();
            int left = awaitFinished(partitions, Math.min(stopDeadline, started + handOverMs));
            Map<TopicPartition, OffsetAndMetadata> offsets;
            synchronized (records) {
                offsets = records.commitFor(partitions);
            }
            LOG.info("{}: giving up {} after {} ms, {} records still in flight; committing {}", endpoint.getTopic(),
                    partitions, System.currentTimeMillis() - started, left, offsets);
            try {
                commitNow(offsets);
            } catch (RuntimeException e) {
                LOG.info("{}: commit on giving up partitions failed ({}); the next owner reads again from the last "
                        + "commit", endpoint.getTopic(), e.toString());
            }
            lose(partitions);
        }

        @Override
        public void onPartitionsLost(Collection<TopicPartition> partitions) {
            lose(partitions);
        }

        @Override
        public void onPartitionsAssigned(Collection<TopicPartition> partitions) {
            assigned();
        }

        private void lose(Collection<TopicPartition> partitions) {
            synchronized (records) {
                records.release(partitions);
            }
            assigned();
        }

        private void assigned() {
            gate.assigned(kafka.assignment().size(), topicPartitions);
        }
    }
}
