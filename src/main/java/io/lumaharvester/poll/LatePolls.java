package io.lumaharvester.poll;

/**
 * Which polls count as late (later than a tenth of the interval: the gap between two polls grows by as much), and the
 * WARN line of a minute in which some were. Not thread-safe: {@link ApiGate} holds its lock around every call.
 */
final class LatePolls {

    private static final long MINUTE_MS = 60_000;

    private final long intervalMs;
    private final int maxInFlight;
    private final String warningPrefix;

    private long minuteStartedAt;
    private long late;
    private long polls;
    private long worstLatenessMs;
    private int throttled;

    LatePolls(long intervalMs, int maxInFlight, String warningPrefix, long now) {
        this.intervalMs = intervalMs;
        this.maxInFlight = maxInFlight;
        this.warningPrefix = warningPrefix;
        this.minuteStartedAt = now;
    }

    void polled() {
        polls++;
    }

    void throttled() {
        throttled++;
    }

    /** Counts the lateness if late: true when it is. */
    boolean late(long latenessMs) {
        if (latenessMs <= intervalMs / 10) {
            return false;
        }
        late++;
        worstLatenessMs = Math.max(worstLatenessMs, latenessMs);
        return true;
    }

    /**
     * Once a minute has passed: starts the next, and returns the WARN line if polls went out late in it, naming the
     * rate in force ({@code rate}, infinite: unlimited).
     */
    String endedMinute(long now, double rate) {
        if (now - minuteStartedAt < MINUTE_MS) {
            return null;
        }
        String warning = late == 0 ? null : warningPrefix + String.format("polling lags its interval (%d ms): %d "
                + "of %d polls in the last minute went out late, up to %d ms; limits: luma.api.max-in-flight=%d, this "
                + "instance's share of luma.api.max-requests-per-second %s, %d answers 429", intervalMs, late, polls,
                worstLatenessMs, maxInFlight, Double.isInfinite(rate) ? "unlimited" : String.format("%.1f/s", rate),
                throttled);
        minuteStartedAt = now;
        late = 0;
        polls = 0;
        worstLatenessMs = 0;
        throttled = 0;
        return warning;
    }
}
