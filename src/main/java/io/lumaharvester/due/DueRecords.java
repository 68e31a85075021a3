package io.lumaharvester.due;

import java.util.Collection;
import java.util.Comparator;
import java.util.HashMap;
import java.util.HashSet;
import java.util.LinkedHashMap;
import java.util.Map;
import java.util.Set;
import java.util.TreeSet;

import org.apache.kafka.clients.consumer.OffsetAndMetadata;
import org.apache.kafka.common.TopicPartition;

/**
 * The records one {@link DueConsumer} holds: waiting for their due time, or in flight through the route. Not thread-safe:
 * the consumer calls it under its own lock.
 * <ul>
 * <li><b>Due order.</b> Waiting records leave in the order they are due, whatever their partition or offset, so a
 * record due later never holds back one due sooner.</li>
 * <li><b>Lanes.</b> Each record is in a lane (a provider), and due order holds within a lane: the consumer may pass
 * over a lane its gate holds back ({@link #next}) and take the due records of the others. The lanes are kept ordered
 * by the due time of their first record, so finding the next record costs a look at the first lane, plus one per lane
 * passed over, whatever the number of records waiting.</li>
 * <li><b>Offsets.</b> A record is done when the route has finished with it (its next step is on Kafka). What may be
 * committed on a partition is the offset of its oldest record not yet done: records finish out of order, and a
 * restart reads again from there.</li>
 * <li><b>One step per task.</b> Records of the same key carry a step number; a record whose number is not above the
 * highest seen for its key is stale (a duplicate left by a crash between a write and its commit) and is done at once.
 * A newer record replaces an older one still waiting. A wake ({@link #wake}) makes the record of its key waiting due
 * now, or, while the key's record is in flight, the key's next record when it comes; the wake is done at once.</li>
 * <li><b>Bytes.</b> Every record held, waiting or in flight, counts its bytes here and in the instance's
 * {@link HeldBytes} until it is done, replaced, or its partition is gone.</li>
 * </ul>
 */
final class DueRecords {

    /** One record held: waiting until {@code dueAt}, or in flight. */
    static final class Held<R> {
        final TopicPartition partition;
        final long offset;
        final String key;
        final long step;
        /** Its lane, {@code ""} for none. */
        final String lane;
        final R record;
        /** Its size as read (key, value, headers). */
        final long bytes;
        long dueAt;
        int failures;
        boolean inFlight;
        boolean orphaned;
        /** Its bytes count as held. */
        boolean counted;
        /** The order in which it was offered: two records otherwise alike still wait as two. */
        long sequence;

        Held(TopicPartition partition, long offset, String key, long step, long dueAt, R record) {
            this(partition, offset, key, step, dueAt, record, 0);
        }

        Held(TopicPartition partition, long offset, String key, long step, long dueAt, R record, long bytes) {
            this(partition, offset, key, step, "", dueAt, record, bytes);
        }

        Held(TopicPartition partition, long offset, String key, long step, String lane, long dueAt, R record,
                long bytes) {
            this.partition = partition;
            this.offset = offset;
            this.key = key;
            this.step = step;
            this.lane = lane == null ? "" : lane;
            this.dueAt = dueAt;
            this.record = record;
            this.bytes = bytes;
        }
    }

    /** What happened to a record offered to {@link #offer}. */
    enum Offered { WAITING, STALE, REPLACED_OLDER }

    /** What a wake did ({@link #wake}). */
    enum Woken { WOKEN, NEXT_RECORD, ALREADY_DUE, NOT_WAITING }

    /** Due order: by due time, then offset, then the order offered. A total order, so a TreeSet holds every record. */
    private static final Comparator<Held<?>> DUE_ORDER = (a, b) -> a.dueAt != b.dueAt
            ? Long.compare(a.dueAt, b.dueAt) : a.offset != b.offset ? Long.compare(a.offset, b.offset)
            : Long.compare(a.sequence, b.sequence);

    /**
     * The records of one lane waiting, in due order. A sorted set rather than a heap: a wake moves a record, and a
     * heap finds it only by scanning.
     */
    private static final class Lane {
        final String name;
        final TreeSet<Held<?>> waiting = new TreeSet<>(DUE_ORDER);

        Lane(String name) {
            this.name = name;
        }
    }

    private final Map<String, Lane> lanes = new HashMap<>();
    /**
     * The lanes with records waiting, by their first record. A lane's first record changes only while the lane is out
     * of this set ({@link #add}, {@link #remove}).
     */
    private final TreeSet<Lane> laneOrder = new TreeSet<>((a, b) -> {
        int byFirst = DUE_ORDER.compare(a.waiting.first(), b.waiting.first());
        return byFirst != 0 ? byFirst : a.name.compareTo(b.name);
    });
    private int waitingCount;
    private long nextSequence;
    private final Map<String, Held<?>> waitingByKey = new HashMap<>();
    private final Set<Held<?>> inFlight = new HashSet<>();
    private final Map<TopicPartition, OpenOffsets> open = new HashMap<>();
    private final Map<TopicPartition, Long> nextOffset = new HashMap<>();
    private final Map<TopicPartition, Long> committed = new HashMap<>();
    /** The highest step seen per key, and the partition it came from. */
    private record Step(long step, TopicPartition partition) {
    }

    private final Map<String, Step> highestStep;
    /** Keys woken while none of their records waited (one in flight): their next record is due at the wake's time. */
    private final Map<String, Long> wokenBeforeNext;
    private final HeldBytes heldBytes;
    private long bytes;

    /** Step numbers are remembered for {@code rememberSteps} keys, the most recently seen. */
    DueRecords(int rememberSteps) {
        this(rememberSteps, new HeldBytes(Long.MAX_VALUE));
    }

    /** As above; the bytes held also count in {@code heldBytes}, shared by the instance's consumers. */
    DueRecords(int rememberSteps, HeldBytes heldBytes) {
        this.heldBytes = heldBytes;
        this.highestStep = new LinkedHashMap<>(16, 0.75f, true) {
            @Override
            protected boolean removeEldestEntry(Map.Entry<String, Step> eldest) {
                return size() > rememberSteps;
            }
        };
        this.wokenBeforeNext = new LinkedHashMap<>(16, 0.75f, false) {
            @Override
            protected boolean removeEldestEntry(Map.Entry<String, Long> eldest) {
                return size() > rememberSteps;
            }
        };
    }

    /** A record read from Kafka. {@code key} may be null and {@code step} negative: no de-duplication then. */
    <R> Offered offer(Held<R> held) {
        open.computeIfAbsent(held.partition, p -> new OpenOffsets()).add(held.offset);
        nextOffset.merge(held.partition, held.offset + 1, Math::max);
        held.sequence = nextSequence++;
        if (held.key == null || held.step < 0) {
            count(held);
            add(held);
            return Offered.WAITING;
        }
        Step highest = highestStep.get(held.key);
        if (highest != null && held.step <= highest.step()) {
            done(held);
            return Offered.STALE;
        }
        highestStep.put(held.key, new Step(held.step, held.partition));
        Long wokenAt = wokenBeforeNext.remove(held.key);
        if (wokenAt != null && held.dueAt > wokenAt) {
            held.dueAt = wokenAt;
        }
        count(held);
        Held<?> older = waitingByKey.put(held.key, held);
        add(held);
        if (older != null) {
            remove(older);
            done(older);
            return Offered.REPLACED_OLDER;
        }
        return Offered.WAITING;
    }

    /**
     * A wake record for {@code key}, read at {@code offset}: the record of that key waiting becomes due {@code now}, if
     * it was due later. The wake is done at once; it is no step of the key and replaces nothing. A key seen here with
     * nothing waiting has its record in flight (a poll whose answer may predate what woke it): the key's next record is
     * due at {@code now} when it comes. An unknown key is ignored.
     */
    Woken wake(TopicPartition partition, long offset, String key, long now) {
        nextOffset.merge(partition, offset + 1, Math::max);
        Held<?> held = key == null ? null : waitingByKey.get(key);
        if (held == null) {
            if (key != null && highestStep.containsKey(key)) {
                wokenBeforeNext.put(key, now);
                return Woken.NEXT_RECORD;
            }
            return Woken.NOT_WAITING;
        }
        if (held.dueAt <= now) {
            return Woken.ALREADY_DUE;
        }
        remove(held);
        held.dueAt = now;
        add(held);
        return Woken.WOKEN;
    }

    /** Millis until the earliest waiting record is due (0 when one is due now), or -1 when none waits. */
    long millisUntilDue(long now) {
        Held<?> first = next(null);
        return first == null ? -1 : Math.max(0, first.dueAt - now);
    }

    /**
     * The first record waiting in due order, due or not, passing over the lanes in {@code passOver} (may be null); null
     * when none waits outside them. It stays waiting until {@link #take}.
     */
    Held<?> next(Set<String> passOver) {
        for (Lane lane : laneOrder) {
            if (passOver == null || !passOver.contains(lane.name)) {
                return lane.waiting.first();
            }
        }
        return null;
    }

    /** A waiting record (from {@link #next}) goes into the route: now in flight. */
    void take(Held<?> held) {
        remove(held);
        if (held.key != null) {
            waitingByKey.remove(held.key, held);
        }
        held.inFlight = true;
        inFlight.add(held);
    }

    /** The earliest waiting record if it is due, now in flight; null otherwise. */
    Held<?> takeDue(long now) {
        Held<?> first = next(null);
        if (first == null || first.dueAt > now) {
            return null;
        }
        take(first);
        return first;
    }

    /** {@code held} waits in its lane, in due order. */
    private void add(Held<?> held) {
        Lane lane = lanes.get(held.lane);
        if (lane == null) {
            lane = new Lane(held.lane);
            lanes.put(held.lane, lane);
        }
        if (lane.waiting.isEmpty()) {
            lane.waiting.add(held);
            laneOrder.add(lane);
        } else if (DUE_ORDER.compare(held, lane.waiting.first()) < 0) {
            laneOrder.remove(lane);
            lane.waiting.add(held);
            laneOrder.add(lane);
        } else {
            lane.waiting.add(held);
        }
        waitingCount++;
    }

    /** {@code held}, waiting, waits no longer. */
    private void remove(Held<?> held) {
        Lane lane = lanes.get(held.lane);
        if (lane.waiting.first() == held) {
            laneOrder.remove(lane);
            lane.waiting.remove(held);
            if (!lane.waiting.isEmpty()) {
                laneOrder.add(lane);
            }
        } else {
            lane.waiting.remove(held);
        }
        waitingCount--;
    }

    /** The route has finished with the record: its offset may be committed once every older one is done too. */
    void done(Held<?> held) {
        held.inFlight = false;
        inFlight.remove(held);
        uncount(held);
        if (held.orphaned) {
            return;
        }
        OpenOffsets offsets = open.get(held.partition);
        if (offsets != null) {
            offsets.remove(held.offset);
        }
    }

    /** The route failed with the record and did not handle it: it waits again until {@code dueAt}. */
    void retry(Held<?> held, long dueAt) {
        held.inFlight = false;
        inFlight.remove(held);
        if (held.orphaned) {
            uncount(held);
            return;
        }
        if (held.key != null && waitingByKey.containsKey(held.key)) {
            // a newer step of the same task has arrived meanwhile
            done(held);
            return;
        }
        held.dueAt = dueAt;
        add(held);
        if (held.key != null) {
            waitingByKey.put(held.key, held);
        }
    }

    /**
     * The partitions went to another consumer: forget their records, and their keys' steps (when the partitions come
     * back, their records are read again from the last commit and must not look stale); those in flight finish
     * without counting.
     */
    void release(Collection<TopicPartition> partitions) {
        Set<TopicPartition> gone = new HashSet<>(partitions);
        highestStep.values().removeIf(step -> gone.contains(step.partition()));
        for (Lane lane : lanes.values()) {
            if (lane.waiting.isEmpty()) {
                continue;
            }
            laneOrder.remove(lane);
            lane.waiting.removeIf(held -> {
                if (gone.contains(held.partition)) {
                    uncount(held);
                    if (held.key != null) {
                        waitingByKey.remove(held.key, held);
                    }
                    waitingCount--;
                    return true;
                }
                return false;
            });
            if (!lane.waiting.isEmpty()) {
                laneOrder.add(lane);
            }
        }
        inFlight.stream().filter(held -> gone.contains(held.partition)).forEach(held -> held.orphaned = true);
        gone.forEach(partition -> {
            open.remove(partition);
            nextOffset.remove(partition);
            committed.remove(partition);
        });
    }

    /** Per partition, the offset to commit when it has moved on since the last commit. */
    Map<TopicPartition, OffsetAndMetadata> toCommit() {
        Map<TopicPartition, OffsetAndMetadata> offsets = new HashMap<>();
        nextOffset.forEach((partition, next) -> {
            long commit = committable(partition, next);
            if (commit > committed.getOrDefault(partition, -1L)) {
                offsets.put(partition, new OffsetAndMetadata(commit));
            }
        });
        return offsets;
    }

    void committed(Map<TopicPartition, OffsetAndMetadata> offsets) {
        offsets.forEach((partition, offset) -> {
            if (nextOffset.containsKey(partition)) {
                committed.merge(partition, offset.offset(), Math::max);
            }
        });
    }

    /** Offsets to commit for these partitions, whether or not they moved on. */
    Map<TopicPartition, OffsetAndMetadata> commitFor(Collection<TopicPartition> partitions) {
        Map<TopicPartition, OffsetAndMetadata> offsets = new HashMap<>();
        for (TopicPartition partition : partitions) {
            Long next = nextOffset.get(partition);
            if (next != null) {
                offsets.put(partition, new OffsetAndMetadata(committable(partition, next)));
            }
        }
        return offsets;
    }

    /** The oldest offset of the partition not yet done, or the next one to read when all are done. */
    private long committable(TopicPartition partition, long next) {
        OpenOffsets pending = open.get(partition);
        return pending == null || pending.isEmpty() ? next : pending.first();
    }

    private void count(Held<?> held) {
        if (!held.counted) {
            held.counted = true;
            bytes += held.bytes;
            heldBytes.add(held.bytes);
        }
    }

    private void uncount(Held<?> held) {
        if (held.counted) {
            held.counted = false;
            bytes -= held.bytes;
            heldBytes.add(-held.bytes);
        }
    }

    /** The bytes of the records held here, waiting or in flight. */
    long heldBytes() {
        return bytes;
    }

    int waitingCount() {
        return waitingCount;
    }

    int inFlightCount() {
        return inFlight.size();
    }

    /** Records of these partitions in flight through the route (orphaned ones, of partitions already gone, not). */
    int inFlightIn(Collection<TopicPartition> partitions) {
        Set<TopicPartition> of = new HashSet<>(partitions);
        return (int) inFlight.stream().filter(held -> !held.orphaned && of.contains(held.partition)).count();
    }
}
