package io.lumaharvester.poll;

import java.time.Clock;
import java.time.Duration;
import java.util.concurrent.TimeUnit;

import io.lumaharvester.due.DueGate;
import io.micrometer.core.instrument.Gauge;
import io.micrometer.core.instrument.MeterRegistry;
import io.micrometer.core.instrument.Tags;
import io.micrometer.core.instrument.Timer;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * The API gate: lets a poll into the route only while the account's budget allows it, that is at most
 * {@code luma.api.max-in-flight} requests in flight and, when {@code luma.api.max-requests-per-second} is set, this
 * instance's share of the account's requests per second. The share is that rate times the polling partitions this
 * instance reads over all of them, recomputed on every rebalance, so instances sharing one consumer group stay under
 * the budget together. A 429 halves this instance's rate at once; the rate then grows back by a twentieth of its
 * ceiling per second. Without a budget, a 429 limits the rate to half of what was sent in the last second, and the
 * limit grows by a twentieth of that per second until it is lifted at twice that rate.
 * <p>
 * Due polls leave in due order ({@link io.lumaharvester.due.DueConsumer}); when demand exceeds the budget each is a
 * little later. How late is the {@code luma.poll.lateness} metric, and one WARN line a minute says so.
 * <p>
 * This class is the gate (the in-flight cap) and its lock; the rate ({@link RateLimit}), its tokens
 * ({@link TokenBucket}), the rate sent ({@link SentRate}) and the late polls with their WARN line ({@link LatePolls})
 * are each a class of their own, called under that lock.
 */
public class ApiGate implements DueGate {

    private static final Logger LOG = LoggerFactory.getLogger(ApiGate.class);

    private final int maxInFlight;
    private final Clock clock;
    private final Timer lateness;
    private final RateLimit limit;
    private final TokenBucket tokens;
    private final SentRate sent;
    private final LatePolls latePolls;

    private int inFlight;
    /** When a poll last went out, or its answer was read, late enough to count as lagging; -1 before the first. */
    private long laggedAt = -1;

    public ApiGate(int maxInFlight, double accountRate, long intervalMs, Clock clock, MeterRegistry registry) {
        this(maxInFlight, accountRate, intervalMs, clock, registry, null);
    }

    /**
     * One provider's gate ({@link ApiGates}): its meters carry the tag {@code provider}, so each provider has its
     * own series of the same meters, and its WARN line names it. Null: no tag.
     */
    public ApiGate(int maxInFlight, double accountRate, long intervalMs, Clock clock, MeterRegistry registry,
            String provider) {
        Tags tags = provider == null ? Tags.empty() : Tags.of("provider", provider);
        this.maxInFlight = Math.max(1, maxInFlight);
        this.clock = clock;
        long now = clock.millis();
        this.limit = new RateLimit(accountRate);
        this.tokens = new TokenBucket(now);
        this.sent = new SentRate(now);
        this.latePolls = new LatePolls(intervalMs, this.maxInFlight,
                provider == null ? "" : "provider " + provider + ": ", now);
        this.lateness = Timer.builder("luma.poll.lateness")
                .description("How long after its due time a poll went out")
                .publishPercentileHistogram()
                .maximumExpectedValue(Duration.ofMinutes(10))
                .tags(tags)
                .register(registry);
        Gauge.builder("luma.api.rate.limit", this, ApiGate::currentRate)
                .description("Requests per second this instance may send to the API now (NaN: no limit)")
                .tags(tags)
                .register(registry);
    }

    @Override
    public synchronized boolean tryAcquire() {
        if (inFlight >= maxInFlight) {
            return false;
        }
        long now = clock.millis();
        refill(now);
        if (!limit.unlimited() && !tokens.take()) {
            return false;
        }
        inFlight++;
        sent.sent(now);
        return true;
    }

    @Override
    public synchronized long millisUntilOpen() {
        if (inFlight >= maxInFlight || limit.unlimited() || limit.rate() <= 0) {
            return 100;
        }
        return tokens.millisUntilToken(limit.rate());
    }

    @Override
    public synchronized void release() {
        inFlight--;
    }

    /** The rate grows back and tokens accrue at it for the time since the last refill. */
    private void refill(long now) {
        long elapsed = tokens.sinceLastRefill(now);
        limit.recover(elapsed);
        tokens.add(limit.rate(), elapsed);
    }

    /** The API answered 429: the whole instance slows down, not only that task. At most one cut per second. */
    public synchronized void throttled() {
        long now = clock.millis();
        latePolls.throttled();
        if (limit.cutLately(now)) {
            return;
        }
        refill(now);
        limit.cut(now, sent.perSecond());
        tokens.atMostOne();
    }

    @Override
    public synchronized void assigned(int partitions, int ofPartitions) {
        limit.assigned(partitions, ofPartitions);
    }

    @Override
    public void dispatched(long latenessMs) {
        lateness.record(Math.max(0, latenessMs), TimeUnit.MILLISECONDS);
        String warning;
        synchronized (this) {
            latePolls.polled();
            // under a request rate (a budget, a 429) polls go out late by design: that lag is the budget's
            if (latePolls.late(latenessMs) && limit.unlimited()) {
                laggedAt = clock.millis();
            }
            warning = latePolls.endedMinute(clock.millis(), limit.rate());
        }
        if (warning != null) {
            LOG.warn(warning);
        }
    }

    /**
     * Writes the WARN line for a minute in which polls went out late once that minute is over, as the next dispatch
     * does: called from a timer (every few seconds, see {@link GateBeans}), so that the last minute before polling
     * stops is reported too.
     */
    public void reportLag() {
        String warning;
        synchronized (this) {
            warning = latePolls.endedMinute(clock.millis(), limit.rate());
        }
        if (warning != null) {
            LOG.warn(warning);
        }
    }

    /**
     * A poll's answer was read {@code latenessMs} after the task's next poll was due (a slow answer, or answers waiting
     * on a busy instance): that next poll goes out at least this late, though its dispatch then looks punctual.
     */
    public void answeredLate(long latenessMs) {
        if (latenessMs <= 0) {
            return;
        }
        lateness.record(latenessMs, TimeUnit.MILLISECONDS);
        synchronized (this) {
            if (latePolls.late(latenessMs)) {
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

    /** Requests per second allowed now; NaN when unlimited. */
    public synchronized double currentRate() {
        refill(clock.millis());
        return limit.unlimited() ? Double.NaN : limit.rate();
    }
}
