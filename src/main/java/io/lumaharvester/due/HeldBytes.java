package io.lumaharvester.due;

import java.util.concurrent.atomic.AtomicLong;

/**
 * The bytes (key, value and headers, as read from Kafka) of the records all {@code due:} consumers of the instance
 * hold, waiting or in flight, against one cap ({@code luma.tasks.max-held-bytes}). Each consumer adds what it takes
 * and subtracts what it lets go; each decides from the total whether to read on ({@link DueConsumer}).
 */
public final class HeldBytes {

    /** The share of the heap held records may take when no cap is set: see {@link #ofHeap}. */
    static final int HEAP_PERCENT = 5;

    private final long max;
    private final AtomicLong held = new AtomicLong();

    public HeldBytes(long max) {
        if (max <= 0) {
            throw new IllegalArgumentException("max must be above 0: " + max);
        }
        this.max = max;
    }

    /**
     * {@code max} when above 0, else 5 % of the heap ({@code Runtime.maxMemory()}, -Xmx): a record in flight is also
     * parsed into objects and written as the next one, so the records held cost up to about four times their bytes.
     */
    public static HeldBytes ofHeap(long max, long maxMemory) {
        return new HeldBytes(max > 0 ? max : Math.max(1, maxMemory / 100 * HEAP_PERCENT));
    }

    public long max() {
        return max;
    }

    public long held() {
        return held.get();
    }

    void add(long bytes) {
        held.addAndGet(bytes);
    }
}
