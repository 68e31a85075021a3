package io.lumaharvester.poll;

import java.time.Clock;
import java.time.Duration;

import io.lumaharvester.due.DueGate;
import io.micrometer.core.instrument.Gauge;
import io.micrometer.core.instrument.MeterRegistry;
import io.micrometer.core.instrument.Tags;
import io.micrometer.core.instrument.Timer;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * How fast this instance may call the Luma API: at most {@code luma.api.max-in-flight} requests at once and, when
 * {@code luma.api.max-requests-per-second} is set, its share of the account's budget. The share is the budget times the
 * polling partitions this instance reads over all of them, recomputed on every rebalance, so instances sharing one
 * consumer group stay under the budget together. A 429 halves this instance's rate at once; the rate then grows back by
 * a twentieth of its ceiling per second. Without a budget, a 429 limits the rate to half of what was sent in the last
 * second, and the limit grows by a twentieth of that per second until it is lifted at twice that rate.
 * <p>
 * Due polls leave in due order ({@link io.lumaharvester.due.DueConsumer}); when demand exceeds the budget each is a
 * little later. How late is the {@code luma.poll.lateness} metric, and one WARN line a minute says so.
 */
public class ApiBudget implements DueGate {

    private static final Logger LOG = LoggerFactory.getLogger(ApiBudget.class);
    private static final long MINUTE_MS = 60_000;

    private final int maxInFlight;
    private final double accountRate;
    private final long intervalMs;
    private final Clock clock;
    private final Timer lateness;
    private final String warningPrefix;

    private int inFlight;
    private double share = 1;
    /** The rate allowed now: the ceiling, or less after a 429. Infinite without a budget and without 429s. */
    private double rate;
    private double tokens;
    private long refilledAt;
    /** When a 429 last cut the rate; -1 before the first. */
    private long cutAt = -1;
    private double recovery;
    /** Without a budget: the rate at which the limit a 429 set is lifted again (twice the rate before the 429). */
    private double liftAt;
    private long dispatchedThisSecond;
    private long secondStartedAt;
    private double observedRate;

    /** When a poll last went out, or its answer was read, late enough to count as lagging; -1 before the first. */
    private long laggedAt = -1;

    private long windowStartedAt;
    private long late;
    private long polls;
    private long worstLatenessMs;
    private int throttledInWindow;

    public ApiBudget(int maxInFlight, double accountRate, long intervalMs, Clock clock, MeterRegistry registry) {
        this(maxInFlight, accountRate, intervalMs, clock, registry, null);
    }

    /**
     * One provider's budget ({@link ApiBudgets}): its meters carry the tag {@code provider}, so each provider has its
     * own series of the same meters, and its WARN line names it. Null: no tag.
     */
    public ApiBudget(int maxInFlight, double accountRate, long intervalMs, Clock clock, MeterRegistry registry,
            String provider) {
        Tags tags = provider == null ? Tags.empty() : Tags.of("provider", provider);
        this.warningPrefix = provider == null ? "" : "provider " + provider + ": ";
        this.maxInFlight = Math.max(1, maxInFlight);
        this.accountRate = accountRate;
        this.intervalMs = intervalMs;
        this.clock = clock;
        this.rate = ceiling();
        this.refilledAt = clock.millis();
        this.windowStartedAt = refilledAt;
        this.secondStartedAt = refilledAt;
        this.lateness = Timer.builder("luma.poll.lateness")
                .description("How long after its due time a poll went out")
                .publishPercentileHistogram()
                .maximumExpectedValue(Duration.ofMinutes(10))
                .tags(tags)
                .register(registry);
        Gauge.builder("luma.api.rate.limit", this, ApiBudget::currentRate)
                .description("Requests per second this instance may send to the API now (NaN: no limit)")
                .tags(tags)
                .register(registry);
    }

    private double ceiling() {
        return accountRate > 0 ? accountRate * share : Double.POSITIVE_INFINITY;
    }

    @Override
    public synchronized boolean tryAcquire() {
        if (inFlight >= maxInFlight) {
            return false;
        }
        long now = clock.millis();
        refill(now);
        if (!Double.isInfinite(rate)) {
            if (tokens < 1) {
                return false;
            }
            tokens -= 1;
        }
        inFlight++;
        count(now);
        return true;
    }

    @Override
    public synchronized long millisUntilOpen() {
        if (inFlight >= maxInFlight || Double.isInfinite(rate) || rate <= 0) {
            return 100;
        }
        return (long) Math.ceil((1 - tokens) * 1000 / rate);
    }

    @Override
    public synchronized void release() {
        inFlight--;
    }

    /** Tokens accrue at the current rate; a burst is at most a twentieth of a second's worth. */
    private void refill(long now) {
        long elapsed = Math.max(0, now - refilledAt);
        refilledAt = now;
        double ceiling = ceiling();
        if (rate < ceiling) {
            rate = Math.min(ceiling, rate + recovery * elapsed / 1000.0);
            if (Double.isInfinite(ceiling) && rate >= liftAt) {
                rate = ceiling;
            }
        }
        if (!Double.isInfinite(rate)) {
            tokens = Math.min(Math.max(1, rate / 20), tokens + rate * elapsed / 1000.0);
        }
    }

    private void count(long now) {
        if (now - secondStartedAt >= 1000) {
            observedRate = dispatchedThisSecond * 1000.0 / (now - secondStartedAt);
            dispatchedThisSecond = 0;
            secondStartedAt = now;
        }
        dispatchedThisSecond++;
    }

    /** The API answered 429: the whole instance slows down, not only that task. At most one cut per second. */
    public synchronized void throttled() {
        long now = clock.millis();
        throttledInWindow++;
        if (cutAt >= 0 && now - cutAt < 1000) {
            return;
        }
        refill(now);
        double current = Double.isInfinite(rate) ? Math.max(1, observedRate) : rate;
        rate = Math.max(0.5, current / 2);
        recovery = Double.isInfinite(ceiling()) ? current / 20 : ceiling() / 20;
        liftAt = Double.isInfinite(ceiling()) ? 2 * current : liftAt;
        tokens = Math.min(tokens, 1);
        cutAt = now;
    }

    @Override
    public synchronized void assigned(int partitions, int ofPartitions) {
        share = ofPartitions <= 0 ? 1 : (double) partitions / ofPartitions;
        rate = Math.min(rate, ceiling());
        if (cutAt < 0) {
            rate = ceiling();
        }
    }

    @Override
    public void dispatched(long latenessMs) {
        lateness.record(Duration.ofMillis(Math.max(0, latenessMs)));
        String warning;
        synchronized (this) {
            polls++;
            // under a request rate (a budget, a 429) polls go out late by design: that lag is the budget's
            if (countLate(latenessMs) && Double.isInfinite(rate)) {
                laggedAt = clock.millis();
            }
            warning = endedMinute();
        }
        if (warning != null) {
            LOG.warn(warning);
        }
    }

    /**
     * Writes the WARN line for a minute in which polls went out late once that minute is over, as the next dispatch
     * does: called from a timer (every few seconds, see {@link ApiBudgetBeans}), so that the last minute before polling
     * stops is reported too.
     */
    public void reportLag() {
        String warning;
        synchronized (this) {
            warning = endedMinute();
        }
        if (warning != null) {
            LOG.warn(warning);
        }
    }

    /** Once a minute has passed: starts the next, and returns the WARN line if polls went out late in it. */
    private String endedMinute() {
        long now = clock.millis();
        if (now - windowStartedAt < MINUTE_MS) {
            return null;
        }
        String warning = late == 0 ? null : warningPrefix + String.format("polling lags its interval (%d ms): %d "
                + "of %d polls in the last minute went out late, up to %d ms; limits: luma.api.max-in-flight=%d, this "
                + "instance's share of luma.api.max-requests-per-second %s, %d answers 429", intervalMs, late, polls,
                worstLatenessMs, maxInFlight, Double.isInfinite(rate) ? "unlimited" : String.format("%.1f/s", rate),
                throttledInWindow);
        windowStartedAt = now;
        late = 0;
        polls = 0;
        worstLatenessMs = 0;
        throttledInWindow = 0;
        return warning;
    }

    /**
     * A poll's answer was read {@code latenessMs} after the task's next poll was due (a slow answer, or answers waiting
     * on a busy instance): that next poll goes out at least this late, though its dispatch then looks punctual.
     */
    public void answeredLate(long latenessMs) {
        if (latenessMs <= 0) {
            return;
        }
        lateness.record(Duration.ofMillis(latenessMs));
        synchronized (this) {
            if (countLate(latenessMs)) {
                laggedAt = clock.millis();
            }
        }
    }

    /**
     * Polls lagged within the last second, not for a request rate: a poll went out late with no rate in force (the CPU
     * busy, or every {@code luma.api.max-in-flight} slot taken), or an answer was read late (the budget delays requests,
     * not the reading of their answers).
     */
    public synchronized boolean pollsLag() {
        return laggedAt >= 0 && clock.millis() - laggedAt < 1000;
    }

    /**
     * Later than a tenth of the interval counts as lagging: the gap between two polls grows by as much. True when this
     * one did.
     */
    private boolean countLate(long latenessMs) {
        if (latenessMs <= intervalMs / 10) {
            return false;
        }
        late++;
        worstLatenessMs = Math.max(worstLatenessMs, latenessMs);
        return true;
    }

    /** Requests per second allowed now; NaN when unlimited. */
    public synchronized double currentRate() {
        refill(clock.millis());
        return Double.isInfinite(rate) ? Double.NaN : rate;
    }
}
