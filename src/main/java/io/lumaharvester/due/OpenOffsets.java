package io.lumaharvester.due;

import java.util.Arrays;

/**
 * The offsets of one partition held and not yet done ({@link DueRecords}): the oldest is what may be committed.
 * Records are read in offset order, so the offsets are kept in a sorted array with a done flag each, 9 bytes an
 * offset, where a {@code TreeSet<Long>} took 56 (its entry and the boxed offset) for each of hundreds of thousands of
 * tasks waiting. An offset added out of order (not seen today: a partition read again starts afresh) is inserted in
 * place.
 */
final class OpenOffsets {

    private long[] offsets = new long[16];
    private boolean[] done = new boolean[16];
    /** The live range is [head, tail); every offset before head is done. */
    private int head;
    private int tail;
    private int open;

    /** Adds an offset held (again: ignored). */
    void add(long offset) {
        if (tail > head && offset <= offsets[tail - 1]) {
            int at = Arrays.binarySearch(offsets, head, tail, offset);
            if (at >= 0) {
                if (done[at]) {
                    done[at] = false;
                    open++;
                }
                return;
            }
            insert(-at - 1, offset);
            return;
        }
        if (tail == offsets.length) {
            room();
        }
        offsets[tail] = offset;
        done[tail] = false;
        tail++;
        open++;
    }

    /** The offset is done (one not held: ignored). */
    void remove(long offset) {
        int at = Arrays.binarySearch(offsets, head, tail, offset);
        if (at < 0 || done[at]) {
            return;
        }
        done[at] = true;
        open--;
        while (head < tail && done[head]) {
            head++;
        }
        if (head == tail) {
            head = 0;
            tail = 0;
        }
    }

    boolean isEmpty() {
        return open == 0;
    }

    /** The oldest offset not done; only when not {@link #isEmpty}. */
    long first() {
        return offsets[head];
    }

    /** Room for one more at the tail: the done prefix dropped, the arrays grown when more than half full. */
    private void room() {
        int live = tail - head;
        long[] toOffsets = live * 2 > offsets.length ? new long[offsets.length * 2] : offsets;
        boolean[] toDone = live * 2 > done.length ? new boolean[done.length * 2] : done;
        System.arraycopy(offsets, head, toOffsets, 0, live);
        System.arraycopy(done, head, toDone, 0, live);
        offsets = toOffsets;
        done = toDone;
        head = 0;
        tail = live;
    }

    private void insert(int at, long offset) {
        if (tail == offsets.length) {
            int shift = head;
            room();
            at -= shift;
        }
        System.arraycopy(offsets, at, offsets, at + 1, tail - at);
        System.arraycopy(done, at, done, at + 1, tail - at);
        offsets[at] = offset;
        done[at] = false;
        tail++;
        open++;
    }
}
