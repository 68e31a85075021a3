package io.lumaharvester;

import java.time.Clock;

/**
 * When a waiting task is polled next. The poll route waits for the head record of the polling topic only up to
 * {@code maxHeadWaitMs}, so a record that is due later (after a Retry-After, say) goes back to the tail instead of
 * holding the partition.
 */
public class PollSchedule {

    private final long intervalMs;
    private final long maxHeadWaitMs;
    private final long maxBackoffMs;
    private final Clock clock;

    public PollSchedule(long intervalMs, long maxHeadWaitMs, long maxBackoffMs, Clock clock) {
        this.intervalMs = intervalMs;
        this.maxHeadWaitMs = maxHeadWaitMs;
        this.maxBackoffMs = Math.max(maxBackoffMs, intervalMs);
        this.clock = clock;
    }

    /** How long the consumer thread may wait for this record: never more than {@code maxHeadWaitMs}. */
    public long millisUntilDue(TaskTicket ticket) {
        return Math.max(0, Math.min(ticket.nextPollAt() - clock.millis(), maxHeadWaitMs));
    }

    public boolean notDueYet(TaskTicket ticket) {
        return ticket.nextPollAt() > clock.millis();
    }

    /** A task the provider still runs past its deadline; a completed one whose copy is retried never is. */
    public boolean pastDeadline(TaskTicket ticket) {
        return clock.millis() >= ticket.deadlineAt() && !"completed".equals(ticket.state());
    }

    /** The regular next poll of a running task. */
    public TaskTicket nextPoll(TaskTicket ticket) {
        return ticket.dueAt(clock.millis() + intervalMs);
    }

    /** The next poll after a server's Retry-After, never sooner than the regular interval. */
    public TaskTicket notBefore(TaskTicket ticket, long delayMs) {
        return ticket.dueAt(clock.millis() + Math.max(intervalMs, delayMs));
    }

    /** Exponential back-off after the {@code ticket.errors()}-th failure in a row, capped at {@code maxBackoffMs}. */
    public TaskTicket backOff(TaskTicket ticket) {
        int doublings = Math.max(0, Math.min(ticket.errors() - 1, 20));
        long delay = Math.min(maxBackoffMs, intervalMs << doublings);
        return ticket.dueAt(clock.millis() + delay);
    }

    /** The longest back-off at once: for answers that retrying soon cannot fix (401, 403). */
    public TaskTicket backOffHard(TaskTicket ticket) {
        return ticket.dueAt(clock.millis() + maxBackoffMs);
    }

    public long now() {
        return clock.millis();
    }
}
