package io.lumaharvester.intake;

import java.time.Clock;
import java.util.Map;
import java.util.concurrent.ConcurrentHashMap;

import org.apache.kafka.clients.producer.RecordMetadata;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * The task states in memory, by task id, each at its place on the topic ({@link KeptState}), and the locks that keep
 * two decisions on one id apart. An ended state is forgotten {@code retentionMs} after its record was written (by the
 * injected clock): a lookup never sees it, and {@link #sweep} removes it, which bounds the memory held. A running state
 * is never forgotten here.
 */
final class StateStore {

    /** Logs as {@link TaskStates}, whose logger the operators' settings name. */
    private static final Logger LOG = LoggerFactory.getLogger(TaskStates.class);
    /** How often (by the clock) the whole map is swept for expired states; a lookup never sees one anyway. */
    private static final long SWEEP_EVERY_MS = 60_000;

    private final Clock clock;
    private final long retentionMs;
    private final Map<String, KeptState> states = new ConcurrentHashMap<>();
    private final Object[] locks = new Object[64];
    private volatile long sweptAt;

    /** {@code retentionMs}: how long an ended state is kept after its record was written. */
    StateStore(Clock clock, long retentionMs) {
        this.clock = clock;
        this.retentionMs = retentionMs;
        this.sweptAt = clock.millis();
        for (int i = 0; i < locks.length; i++) {
            locks[i] = new Object();
        }
    }

    /** The lock of the task id's stripe: who holds it decides on the id alone. */
    Object lock(String taskId) {
        return locks[Math.floorMod(taskId.hashCode(), locks.length)];
    }

    /** The task's state as held, or null (never recorded, or ended longer ago than the retention). */
    KeptState kept(String taskId) {
        KeptState kept = states.get(taskId);
        return kept == null || expired(kept, clock.millis()) || kept.state() == null ? null : kept;
    }

    /** The entry held for the id, as it is (expired or not), or null. */
    KeptState entry(String taskId) {
        return states.get(taskId);
    }

    /** How many states are held in memory. */
    int size() {
        return states.size();
    }

    /** Holds a state written here, before Kafka has placed it. */
    void writing(String taskId, KeptState writing) {
        states.put(taskId, writing);
    }

    /**
     * The {@code running} state written by a decision, if still held as written, at its place on the topic, or as not
     * written ({@code metadata} null).
     */
    void place(String taskId, TaskState running, RecordMetadata metadata) {
        states.computeIfPresent(taskId, (id, kept) -> kept.offset() != KeptState.WRITING || kept.state() != running
                ? kept
                : (metadata == null ? kept.placed(-1, KeptState.NOT_WRITTEN)
                        : kept.placed(metadata.partition(), metadata.offset())).orRemoved());
    }

    /** A state at its place on the topic, unless a newer one of the id is held. */
    void remember(String taskId, KeptState read) {
        states.compute(taskId, (id, kept) -> (kept == null ? read : kept.then(read)).orRemoved());
    }

    /** Forgets the id, unless a newer state was held meanwhile. */
    void forget(String taskId, KeptState kept) {
        states.remove(taskId, kept);
    }

    boolean expired(KeptState kept, long now) {
        return kept.state() != null && !kept.state().running() && now - kept.at() > retentionMs;
    }

    /** Forgets the expired states, at most once per {@link #SWEEP_EVERY_MS}: what bounds the memory held. */
    void sweep() {
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
}
