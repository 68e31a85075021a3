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
public class HarvestGate implements DueGate {

    private final int max;
    private final int whilePollsLag;
    private final BooleanSupplier pollsLag;
    private int inFlight;

    public HarvestGate(int max, BooleanSupplier pollsLag) {
        this.max = Math.max(1, max);
        this.whilePollsLag = Math.max(1, this.max / 4);
        this.pollsLag = pollsLag;
    }

    @Override
    public synchronized boolean tryAcquire() {
        if (inFlight >= (pollsLag.getAsBoolean() ? whilePollsLag : max)) {
            return false;
        }
        inFlight++;
        return true;
    }

    @Override
    public synchronized void release() {
        inFlight--;
    }
}
