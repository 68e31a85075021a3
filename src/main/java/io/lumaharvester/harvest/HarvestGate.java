package io.lumaharvester.harvest;

import java.util.function.BooleanSupplier;

import io.lumaharvester.due.DueGate;

/**
 * The harvest consumer's gate: at most {@code luma.harvest.max-copies-in-flight} harvests in flight (tasks copying
 * their media), and at most {@code luma.harvest.max-copies-in-flight-while-polls-lag} while polls lag. Polls are on
 * the clock: a late one delays every task it finds done; copies are throughput. In a burst of completions (thousands
 * of tasks done within seconds) every copy thread wants the CPU, each with the same share as a poll thread, and polls
 * fall behind; their work then bunches up and they fall further behind. Held back, the media wait on Kafka and go on
 * at full width as soon as polling keeps its schedule again.
 */
public final class HarvestGate {

    private HarvestGate() {
    }

    /** {@code max} tasks at once; {@code whilePollsLag} (at most {@code max}) while {@code pollsLag} says so. */
    public static DueGate of(int max, int whilePollsLag, BooleanSupplier pollsLag) {
        int narrow = Math.min(max, whilePollsLag);
        return DueGate.inFlight(() -> narrow < max && pollsLag.getAsBoolean() ? narrow : max);
    }
}
