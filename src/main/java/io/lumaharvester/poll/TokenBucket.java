package io.lumaharvester.poll;

/**
 * Requests under a rate: tokens accrue at the rate given, a burst is at most a twentieth of a second's worth (at least
 * one). Not thread-safe: {@link ApiGate} holds its lock around every call.
 */
final class TokenBucket {

    private double tokens;
    private long refilledAt;

    TokenBucket(long now) {
        this.refilledAt = now;
    }

    /** The milliseconds since the last refill, which is now. */
    long sinceLastRefill(long now) {
        long elapsed = Math.max(0, now - refilledAt);
        refilledAt = now;
        return elapsed;
    }

    /** {@code elapsedMs} of tokens at {@code rate}; nothing when the rate is infinite. */
    void add(double rate, long elapsedMs) {
        if (!Double.isInfinite(rate)) {
            tokens = Math.min(Math.max(1, rate / 20), tokens + rate * elapsedMs / 1000.0);
        }
    }

    /** Takes a token: false when there is none. */
    boolean take() {
        if (tokens < 1) {
            return false;
        }
        tokens -= 1;
        return true;
    }

    /** When the next token is there at {@code rate} (above 0). */
    long millisUntilToken(double rate) {
        return (long) Math.ceil((1 - tokens) * 1000 / rate);
    }

    /** After a 429: no burst beyond one request. */
    void atMostOne() {
        tokens = Math.min(tokens, 1);
    }
}
