package io.lumaharvester.harvest;

import java.util.function.BooleanSupplier;

import io.lumaharvester.due.DueGate;

/**
 * The harvest consumer's gate: at most {@code luma.harvest.max-concurrent-copies} tasks copying their media at once,
 * and a quarter of that while poll answers are read late. Polls are on the clock: a late one delays every task it
 * finds done. Copies are throughput. A burst of completions (thousands of tasks done within seconds) would otherwise
 * take the CPU from the polls of the tasks still running; the media wait on Kafka instead, and go on at full width as
 * soon as polling keeps its schedule again.
 */
public final class HarvestGate {

    private HarvestGate() {
    }

    /** {@code max} tasks at once; a quarter of them (at least one) while {@code pollsLag} says so. */
    public static DueGate of(int max, BooleanSupplier pollsLag) {
        int whilePollsLag = Math.max(1, max / 4);
        return DueGate.inFlight(() -> pollsLag.getAsBoolean() ? whilePollsLag : max);
    }
}
