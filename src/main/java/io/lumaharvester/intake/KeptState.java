package io.lumaharvester.intake;

/**
 * A state as {@link StateStore} holds it: the state, the time of its record (the record's timestamp), from which its
 * retention counts, and where the record is on the topic. The follower reads a record late, after this instance wrote
 * newer ones for the same id; the place tells it that it is older, so it does not undo them. A {@code null} state
 * stands for a record that removes the id (a tombstone, an expired or unreadable state).
 * <p>
 * A state written here is in memory before Kafka has placed it ({@link #WRITING}): it is newer than what was read
 * before, but a record of another instance (or this one's {@code ended}) may land after it. The newest such record is
 * kept beside it ({@code later}) and weighed once the write's place is known.
 */
record KeptState(TaskState state, long at, int partition, long offset, KeptState later) {

    /** Written here, not yet acknowledged. */
    static final long WRITING = Long.MAX_VALUE;
    /** Written here, but Kafka did not take it: any record read wins. */
    static final long NOT_WRITTEN = -1;

    static KeptState at(TaskState state, long at, int partition, long offset) {
        return new KeptState(state, at, partition, offset, null);
    }

    static KeptState writing(TaskState state, long at) {
        return at(state, at, -1, WRITING);
    }

    /** What to hold once the record {@code read} (of the same id) is known: this, {@code read}, or both. */
    KeptState then(KeptState read) {
        if (offset == WRITING) {
            return new KeptState(state, at, partition, offset, later == null || read.offset > later.offset ? read
                    : later);
        }
        return partition == read.partition && offset > read.offset ? this : read;
    }

    /** This write's state at its place (or {@link #NOT_WRITTEN}), unless a record known meanwhile is newer. */
    KeptState placed(int partition, long offset) {
        KeptState placed = at(state, at, partition, offset);
        return later == null ? placed : placed.then(later);
    }

    /** The entry to hold: {@code null} removes the id. */
    KeptState orRemoved() {
        return state == null ? null : this;
    }
}
