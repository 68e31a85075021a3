package io.lumaharvester.due;

import static org.assertj.core.api.Assertions.assertThat;

import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.Set;

import org.apache.kafka.clients.consumer.OffsetAndMetadata;
import org.apache.kafka.common.TopicPartition;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.CsvSource;

class DueRecordsTest {

    private static final TopicPartition P0 = new TopicPartition("polling", 0);
    private static final TopicPartition P1 = new TopicPartition("polling", 1);

    private final DueRecords records = new DueRecords(1000);

    private static DueRecords.Held<String> held(TopicPartition partition, long offset, String key, long step,
            long dueAt) {
        return new DueRecords.Held<>(partition, offset, key, step, dueAt, key + "@" + offset);
    }

    private static long committable(Map<TopicPartition, OffsetAndMetadata> offsets, TopicPartition partition) {
        return offsets.get(partition).offset();
    }

    @Test
    void recordsLeaveInDueOrderWhateverTheirPartitionOrOffset() {
        records.offer(held(P0, 0, "late", 0, 5_000));
        records.offer(held(P0, 1, "soon", 0, 1_000));
        records.offer(held(P1, 0, "middle", 0, 3_000));

        assertThat(records.takeDue(999)).as("nothing due yet").isNull();
        assertThat(records.millisUntilDue(0)).isEqualTo(1_000);
        assertThat(records.takeDue(10_000).key).isEqualTo("soon");
        assertThat(records.takeDue(10_000).key).isEqualTo("middle");
        assertThat(records.takeDue(10_000).key).isEqualTo("late");
        assertThat(records.millisUntilDue(10_000)).isEqualTo(-1);
    }

    @Test
    void aRecordDueLaterNeverHoldsBackOneDueNowButHoldsTheCommitBehindIt() {
        records.offer(held(P0, 0, "backing-off", 0, 300_000));
        records.offer(held(P0, 1, "due", 0, 0));

        DueRecords.Held<?> due = records.takeDue(0);
        assertThat(due.key).isEqualTo("due");
        records.done(due);

        // the record at offset 0 is still waiting: a restart must read it again, so offset 0 is what is committed
        assertThat(committable(records.toCommit(), P0)).isZero();
        records.done(records.takeDue(300_000));
        assertThat(committable(records.toCommit(), P0)).isEqualTo(2);
    }

    @Test
    void offsetsAreCommittedOnlyUpToTheOldestRecordNotDone() {
        for (long offset = 0; offset < 4; offset++) {
            records.offer(held(P0, offset, "task-" + offset, 0, 0));
        }
        List<DueRecords.Held<?>> inFlight = List.of(records.takeDue(0), records.takeDue(0), records.takeDue(0),
                records.takeDue(0));
        records.done(inFlight.get(1));
        records.done(inFlight.get(3));
        assertThat(committable(records.toCommit(), P0)).as("offset 0 is in flight").isZero();

        records.done(inFlight.get(0));
        assertThat(committable(records.toCommit(), P0)).as("offset 2 is in flight").isEqualTo(2);
        records.committed(records.toCommit());
        assertThat(records.toCommit()).as("nothing new to commit").isEmpty();

        records.done(inFlight.get(2));
        assertThat(committable(records.toCommit(), P0)).isEqualTo(4);
    }

    @Test
    void aStaleCopyOfAnOlderStepIsSkippedAndANewerStepReplacesAWaitingOne() {
        assertThat(records.offer(held(P0, 0, "task", 3, 1_000))).isEqualTo(DueRecords.Offered.WAITING);
        // a crash between writing step 4 and committing step 3 left both on the topic
        assertThat(records.offer(held(P0, 1, "task", 4, 2_000))).isEqualTo(DueRecords.Offered.REPLACED_OLDER);
        assertThat(records.offer(held(P0, 2, "task", 4, 2_000))).isEqualTo(DueRecords.Offered.STALE);
        assertThat(records.offer(held(P0, 3, "task", 2, 0))).isEqualTo(DueRecords.Offered.STALE);

        DueRecords.Held<?> only = records.takeDue(10_000);
        assertThat(only.step).isEqualTo(4);
        assertThat(records.takeDue(10_000)).as("one poll for the task, not three").isNull();
        records.done(only);
        assertThat(committable(records.toCommit(), P0)).isEqualTo(4);
    }

    @Test
    void aStepThatArrivesWhileTheOlderOneIsInFlightWaitsItsTurn() {
        records.offer(held(P0, 0, "task", 1, 0));
        DueRecords.Held<?> first = records.takeDue(0);
        records.offer(held(P0, 1, "task", 2, 0));

        records.done(first);
        assertThat(records.takeDue(0).step).isEqualTo(2);
    }

    @Test
    void aRecordTheRouteFailedWaitsAgainUnlessANewerStepArrived() {
        records.offer(held(P0, 0, "task", 1, 0));
        DueRecords.Held<?> failing = records.takeDue(0);
        records.retry(failing, 5_000);
        assertThat(records.takeDue(4_999)).isNull();
        assertThat(records.takeDue(5_000)).isSameAs(failing);
        assertThat(committable(records.toCommit(), P0)).isZero();

        records.offer(held(P0, 1, "task", 2, 0));
        records.retry(failing, 9_000);
        assertThat(records.takeDue(0).step).isEqualTo(2);
        assertThat(records.takeDue(100_000)).as("the failed older step is dropped").isNull();
    }

    @Test
    void partitionsGivenAwayAreForgottenAndTheirRecordsInFlightNoLongerCount() {
        records.offer(held(P0, 0, "stays", 1, 0));
        records.offer(held(P1, 0, "moves", 1, 0));
        records.offer(held(P1, 1, "moves-later", 1, 60_000));
        DueRecords.Held<?> first = records.takeDue(0);
        DueRecords.Held<?> second = records.takeDue(0);
        DueRecords.Held<?> moving = first.partition.equals(P1) ? first : second;

        records.release(List.of(P1));
        records.done(moving);

        assertThat(records.toCommit()).containsOnlyKeys(P0);
        assertThat(records.takeDue(120_000)).as("the record of P1 that waited is gone").isNull();
        assertThat(records.inFlightCount()).isEqualTo(1);
    }

    /** What a rebalance waits for before it hands a partition over: its records in flight, and no other. */
    @Test
    void theRecordsInFlightOfAPartitionAreCountedUntilDoneOrGivenAway() {
        records.offer(held(P0, 0, "stays", 1, 0));
        records.offer(held(P1, 0, "moves", 1, 0));
        records.offer(held(P1, 1, "moves-later", 1, 60_000));
        DueRecords.Held<?> first = records.takeDue(0);
        DueRecords.Held<?> second = records.takeDue(0);
        DueRecords.Held<?> moving = first.partition.equals(P1) ? first : second;

        assertThat(records.inFlightIn(List.of(P1))).as("a waiting record is not in flight").isEqualTo(1);
        assertThat(records.inFlightIn(List.of(P0, P1))).isEqualTo(2);
        records.done(moving);
        assertThat(records.inFlightIn(List.of(P1))).isZero();
        assertThat(committable(records.commitFor(List.of(P1)), P1)).as("the waiting one is read again").isEqualTo(1);

        DueRecords.Held<?> staying = first == moving ? second : first;
        records.release(List.of(P0));
        assertThat(records.inFlightIn(List.of(P0))).as("given away: it finishes without counting").isZero();
        assertThat(records.inFlightCount()).isEqualTo(1);
        records.done(staying);
    }

    @Test
    void recordsReadAgainAfterTheirPartitionCameBackAreNotStale() {
        records.offer(held(P0, 0, "task", 1, 0));
        records.done(records.takeDue(0));
        records.offer(held(P0, 1, "task", 2, 60_000));
        // a rebalance takes P0 away and gives it back: Kafka sends again from the last commit
        records.release(List.of(P0));
        assertThat(records.offer(held(P0, 1, "task", 2, 60_000))).isEqualTo(DueRecords.Offered.WAITING);
        assertThat(records.takeDue(60_000).step).isEqualTo(2);
    }

    private static DueRecords.Held<String> inLane(String lane, TopicPartition partition, long offset, long dueAt) {
        return new DueRecords.Held<>(partition, offset, lane + "-" + dueAt, 1, lane, dueAt, lane + "@" + dueAt, 0);
    }

    /** Takes the due records, passing over {@code heldBack}, until none is due: their keys in the order taken. */
    private List<String> takeAllDue(long now, Set<String> heldBack) {
        List<String> taken = new ArrayList<>();
        for (DueRecords.Held<?> next = records.next(heldBack); next != null && next.dueAt <= now;
                next = records.next(heldBack)) {
            records.take(next);
            taken.add(next.key);
        }
        return taken;
    }

    /** Two lanes on two partitions; the gate holds one back (or none): the others' due records go, in due order. */
    @ParameterizedTest(name = "{0}")
    @CsvSource(delimiter = '|', value = {
            "runway held back: kling's go        | runway | kling-500 kling-2000 kling-4000",
            "kling held back: runway's go        | kling  | runway-1000 runway-3000",
            "none held back: one due order       | none   | kling-500 runway-1000 kling-2000 runway-3000 kling-4000"})
    void aLaneHeldBackHoldsBackNoOtherAndEachLaneLeavesInDueOrder(String row, String heldBack, String expected) {
        records.offer(inLane("runway", P0, 0, 1_000));
        records.offer(inLane("kling", P0, 1, 4_000));
        records.offer(inLane("runway", P1, 0, 3_000));
        records.offer(inLane("kling", P1, 1, 500));
        records.offer(inLane("kling", P0, 2, 2_000));
        records.offer(inLane("runway", P1, 2, 60_000));

        assertThat(takeAllDue(10_000, heldBack.equals("none") ? null : Set.of(heldBack)))
                .as(row).containsExactly(expected.split(" "));
        assertThat(records.millisUntilDue(10_000)).as("%s: the rest still wait", row)
                .isEqualTo(heldBack.equals("none") ? 50_000 : 0);
    }

    /**
     * A callback can arrive while its task's poll is in flight, with an answer that predates it: the poll's next ticket
     * (due an interval later) is due at the wake's time instead. Only the key's next record: a later one, and another
     * key, keep their due times.
     */
    @Test
    void aWakeWhileItsKeysRecordIsInFlightMakesTheKeysNextRecordDueAtTheWakesTime() {
        records.offer(held(P0, 0, "task", 1, 0));
        DueRecords.Held<?> polling = records.takeDue(0);

        assertThat(records.wake(P0, 1, "task", 1_000)).isEqualTo(DueRecords.Woken.NEXT_RECORD);
        records.offer(held(P0, 2, "other", 1, 61_000));
        records.offer(held(P0, 3, "task", 2, 61_000));
        records.done(polling);

        DueRecords.Held<?> next = records.takeDue(1_000);
        assertThat(next.key).isEqualTo("task");
        assertThat(next.dueAt).isEqualTo(1_000);
        assertThat(records.takeDue(1_000)).as("the other key keeps its time").isNull();
        records.done(next);
        records.offer(held(P0, 4, "task", 3, 61_000));
        assertThat(records.millisUntilDue(1_000)).as("the step after keeps its time").isEqualTo(60_000);
    }

    /**
     * A wake for a key: its record waiting due later becomes due now; one due already, in flight or unknown is left as
     * it is (in flight: its next record will be due at once, below). Either way the wake is done at once (its offset
     * committable) and is no step of the key.
     */
    @ParameterizedTest(name = "{0}")
    @CsvSource(delimiter = '|', value = {
            "waiting, due in a minute | task    | 60000 | false | WOKEN",
            "waiting, due already     | task    | 0     | false | ALREADY_DUE",
            "in flight                | task    | 0     | true  | NEXT_RECORD",
            "unknown key              | nothing | 60000 | false | NOT_WAITING"})
    void aWakeMakesTheRecordOfItsKeyWaitingDueNowAndIsDoneAtOnce(String row, String wakeKey, long dueAt,
            boolean inFlight, DueRecords.Woken outcome) {
        records.offer(new DueRecords.Held<>(P1, 0, "task", 3, "runway", dueAt, "task@0", 0));
        DueRecords.Held<?> taken = inFlight ? records.takeDue(dueAt) : null;
        records.offer(held(P0, 0, "other", 1, 120_000));

        assertThat(records.wake(P0, 1, wakeKey, 1_000)).as(row).isEqualTo(outcome);

        DueRecords.Held<?> next = records.takeDue(1_000);
        if (outcome == DueRecords.Woken.NOT_WAITING || outcome == DueRecords.Woken.NEXT_RECORD) {
            assertThat(next == null ? null : next.key).as("%s: nothing woken", row).isNull();
        } else {
            assertThat(next.key).as(row).isEqualTo("task");
            assertThat(next.dueAt).as("%s: due when woken, or as before", row).isEqualTo(Math.min(dueAt, 1_000));
        }
        // the record of P0 at offset 0 still waits; the wake at offset 1 is done
        assertThat(committable(records.commitFor(List.of(P0)), P0)).as(row).isZero();
        for (DueRecords.Held<?> due = records.takeDue(120_000); due != null; due = records.takeDue(120_000)) {
            records.done(due);
        }
        assertThat(committable(records.toCommit(), P0)).as("%s: the wake is done", row).isEqualTo(2);
        assertThat(records.offer(held(P1, 1, "task", 3, 0))).as("%s: the wake was no step of the key", row)
                .isEqualTo(DueRecords.Offered.STALE);
        assertThat(records.waitingCount()).as(row).isZero();
        if (taken != null) {
            records.done(taken);
        }
    }

    private static DueRecords.Held<String> sized(TopicPartition partition, long offset, String key, long step,
            long bytes) {
        return new DueRecords.Held<>(partition, offset, key, step, 0, key + "@" + offset, bytes);
    }

    @Test
    void theBytesOfEveryRecordHeldWaitingOrInFlightCountForTheInstanceUntilItIsDoneReplacedOrItsPartitionGone() {
        HeldBytes instance = new HeldBytes(1_000_000);
        DueRecords poll = new DueRecords(1000, instance);
        DueRecords harvest = new DueRecords(1000, instance);

        poll.offer(sized(P0, 0, "a", 1, 100));
        poll.offer(sized(P0, 1, "b", 1, 200));
        poll.offer(sized(P1, 0, "c", 1, 400));
        harvest.offer(sized(new TopicPartition("harvest", 0), 0, "d", 1, 1000));
        assertThat(poll.heldBytes()).isEqualTo(700);
        assertThat(instance.held()).as("both consumers together").isEqualTo(1700);

        // a stale copy is done at once and never counts; a newer step replaces the one waiting
        poll.offer(sized(P0, 2, "a", 1, 100));
        assertThat(poll.heldBytes()).isEqualTo(700);
        poll.offer(sized(P0, 3, "a", 2, 150));
        assertThat(poll.heldBytes()).isEqualTo(750);

        // in flight still counts, done does not
        DueRecords.Held<?> first = poll.takeDue(0);
        assertThat(poll.heldBytes()).isEqualTo(750);
        poll.done(first);
        assertThat(poll.heldBytes()).isEqualTo(750 - first.bytes);

        // a partition gone: its waiting records go at once, its records in flight when they finish
        DueRecords.Held<?> inFlight = poll.takeDue(0);
        poll.release(List.of(P0, P1));
        assertThat(poll.heldBytes()).isEqualTo(inFlight.bytes);
        poll.retry(inFlight, 0);
        assertThat(poll.heldBytes()).isZero();
        assertThat(instance.held()).isEqualTo(1000);

        // a failed record waiting to be tried again still counts
        DueRecords.Held<?> failing = harvest.takeDue(0);
        harvest.retry(failing, 5_000);
        assertThat(instance.held()).isEqualTo(1000);
        harvest.done(harvest.takeDue(5_000));
        assertThat(instance.held()).isZero();
    }

    @Test
    void withoutACapTheHeldRecordsTakeFivePercentOfTheHeapAndASetCapWins() {
        assertThat(HeldBytes.ofHeap(0, 256L << 20).max()).isEqualTo((256L << 20) / 100 * 5);
        assertThat(HeldBytes.ofHeap(5_000_000, 256L << 20).max()).isEqualTo(5_000_000);
    }
}
