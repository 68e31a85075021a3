package io.lumaharvester.poll;

/**
 * Requests sent per second, over the last whole second: what a 429 halves when no rate is set. Not thread-safe:
 * {@link ApiGate} holds its lock around every call.
 */
final class SentRate {

    private long thisSecond;
    private long secondStartedAt;
    private double perSecond;

    SentRate(long now) {
        this.secondStartedAt = now;
    }

    void sent(long now) {
        if (now - secondStartedAt >= 1000) {
            perSecond = thisSecond * 1000.0 / (now - secondStartedAt);
            thisSecond = 0;
            secondStartedAt = now;
        }
        thisSecond++;
    }

    double perSecond() {
        return perSecond;
    }
}
