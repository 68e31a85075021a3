package io.lumaharvester.poll;

/**
 * The requests per second one provider's API gate allows now: its ceiling (this instance's share of the account's rate,
 * by polling partitions; infinite without a rate), cut by half on a 429 and grown back by a twentieth of the ceiling
 * per second. Without a rate, a 429 limits the rate to half of what was sent in the last second, and the limit grows
 * by a twentieth of that per second until it is lifted at twice that rate. Not thread-safe: {@link ApiGate} holds
 * its lock around every call.
 */
final class RateLimit {

    private final double accountRate;
    private double share = 1;
    /** The rate allowed now: the ceiling, or less after a 429. Infinite without a rate and without 429s. */
    private double rate;
    /** When a 429 last cut the rate; -1 before the first. */
    private long cutAt = -1;
    private double recovery;
    /** Without a rate: the rate at which the limit a 429 set is lifted again (twice the rate before the 429). */
    private double liftAt;

    RateLimit(double accountRate) {
        this.accountRate = accountRate;
        this.rate = ceiling();
    }

    private double ceiling() {
        return accountRate > 0 ? accountRate * share : Double.POSITIVE_INFINITY;
    }

    double rate() {
        return rate;
    }

    boolean unlimited() {
        return Double.isInfinite(rate);
    }

    /** {@code elapsedMs} later: the rate grows back towards the ceiling. */
    void recover(long elapsedMs) {
        double ceiling = ceiling();
        if (rate < ceiling) {
            rate = Math.min(ceiling, rate + recovery * elapsedMs / 1000.0);
            if (Double.isInfinite(ceiling) && rate >= liftAt) {
                rate = ceiling;
            }
        }
    }

    /** At most one cut per second: true within a second of the last. */
    boolean cutLately(long now) {
        return cutAt >= 0 && now - cutAt < 1000;
    }

    /** A 429: half the rate, or without one half of {@code sentPerSecond}. */
    void cut(long now, double sentPerSecond) {
        double current = Double.isInfinite(rate) ? Math.max(1, sentPerSecond) : rate;
        rate = Math.max(0.5, current / 2);
        recovery = Double.isInfinite(ceiling()) ? current / 20 : ceiling() / 20;
        liftAt = Double.isInfinite(ceiling()) ? 2 * current : liftAt;
        cutAt = now;
    }

    /** This instance reads {@code partitions} of {@code ofPartitions} polling partitions. */
    void assigned(int partitions, int ofPartitions) {
        share = ofPartitions <= 0 ? 1 : (double) partitions / ofPartitions;
        rate = Math.min(rate, ceiling());
        if (cutAt < 0) {
            rate = ceiling();
        }
    }
}
