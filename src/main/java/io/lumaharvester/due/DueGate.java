package io.lumaharvester.due;

import java.util.function.IntSupplier;

/**
 * Decides when the next due record may go into the route: a cap on records in flight, a request budget, or both.
 * {@link DueConsumer} asks it once per record and gives the permit back when the route has finished with it.
 * <p>
 * The consumer asks with the record's lane (the endpoint's {@code laneHeader}; {@code ""} without one). A gate that
 * decides per lane overrides the lane methods; the others act on the whole consumer, as the lane methods' defaults
 * do.
 */
public interface DueGate {

    /** True when one more record may go into the route now; the caller then holds a permit until {@link #release}. */
    boolean tryAcquire();

    void release();

    /** When {@link #tryAcquire} said no: about how long until it may say yes (a released permit also wakes the caller). */
    default long millisUntilOpen() {
        return 100;
    }

    /** A record went into the route {@code latenessMs} after it was due. */
    default void dispatched(long latenessMs) {
    }

    /** {@link #tryAcquire()} for a record of {@code lane}: false holds back that lane only. */
    default boolean tryAcquire(String lane) {
        return tryAcquire();
    }

    default void release(String lane) {
        release();
    }

    default long millisUntilOpen(String lane) {
        return millisUntilOpen();
    }

    default void dispatched(String lane, long latenessMs) {
        dispatched(latenessMs);
    }

    /** The consumer now reads {@code partitions} of the topic's {@code ofPartitions}. */
    default void assigned(int partitions, int ofPartitions) {
    }

    /** At most {@code max} records in flight. */
    static DueGate inFlight(int max) {
        return inFlight(() -> max);
    }

    /** At most as many records in flight as {@code max} says at the moment of asking (at least one). */
    static DueGate inFlight(IntSupplier max) {
        return new InFlightGate(max);
    }

    /** The plain cap on records in flight. */
    final class InFlightGate implements DueGate {

        private final IntSupplier max;
        private int inFlight;

        InFlightGate(IntSupplier max) {
            this.max = max;
        }

        @Override
        public synchronized boolean tryAcquire() {
            if (inFlight >= Math.max(1, max.getAsInt())) {
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
}
