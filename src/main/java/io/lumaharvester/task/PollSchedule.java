package io.lumaharvester.task;

import io.lumaharvester.task.Failure;
import io.lumaharvester.task.TaskTicket;
import java.time.Clock;

/**
 * When a waiting task is polled next. The ticket carries the time; the poll consumer sends each ticket into the route
 * when it is due, so nothing here waits.
 */
public class PollSchedule {

    private final long intervalMs;
    private final long maxBackoffMs;
    private final long mediaDeadlineMs;
    private final Clock clock;

    public PollSchedule(long intervalMs, long maxBackoffMs, Clock clock) {
        this(intervalMs, maxBackoffMs, DEFAULT_MEDIA_DEADLINE_MS, clock);
    }

    public PollSchedule(long intervalMs, long maxBackoffMs, long mediaDeadlineMs, Clock clock) {
        this.intervalMs = intervalMs;
        this.maxBackoffMs = Math.max(maxBackoffMs, intervalMs);
        this.mediaDeadlineMs = mediaDeadlineMs;
        this.clock = clock;
    }

    /** luma.harvest.deadline-ms's default (application.properties): an hour. */
    public static final long DEFAULT_MEDIA_DEADLINE_MS = 3_600_000;

    /** luma.poll.interval-ms, for what else paces itself on it (the API gate, the in-flight gauge). */
    public long intervalMs() {
        return intervalMs;
    }

    /** A ticket in the media phase with its clock running: one written before completed_at existed starts it now. */
    public TaskTicket mediaClock(TaskTicket ticket) {
        return ticket.inMediaPhase() ? ticket.mediaSince(clock.millis()) : ticket;
    }

    /**
     * The ticket of a task its provider has just completed: media clock running, and its copy due now. A poll made
     * due early by a callback's wake keeps the later time it was due at, and the copy would wait for that.
     */
    public TaskTicket harvestNow(TaskTicket ticket) {
        return mediaClock(ticket).dueAt(clock.millis());
    }

    /**
     * The media phase has its own limit, counted from the provider's first {@code completed}: media retries, re-polls
     * for fresh URLs and storage back-off would otherwise go on for ever (S3 failing for now, an API answering 5xx).
     */
    public boolean mediaDeadlinePassed(TaskTicket ticket) {
        return ticket.completedAt() > 0 && clock.millis() - ticket.completedAt() >= mediaDeadlineMs;
    }

    /** The failure of a task whose media deadline has passed, with the setting that sets it. */
    public Failure mediaDeadlineFailure(TaskTicket ticket, String lastError) {
        return new Failure(Failure.MEDIA_UNAVAILABLE, "the media deadline passed: the media were not stored within "
                + mediaDeadlineMs + " ms (luma.harvest.deadline-ms) of the provider's completed answer"
                + (lastError == null ? "" : "; last error: " + lastError));
    }

    /** The task's deadline has passed: this poll is its last unless the provider says it is done. */
    public boolean pastDeadline(TaskTicket ticket) {
        return clock.millis() >= ticket.deadlineAt();
    }

    /**
     * The regular next poll of a running task: one interval after this poll was due, so the API's answer time does not
     * stretch the interval; at once if that moment has passed (a poll that went out late).
     */
    public TaskTicket nextPoll(TaskTicket ticket) {
        return nextPoll(ticket, 0);
    }

    /** {@link #nextPoll(TaskTicket)} at a provider's own interval ({@code intervalMs}; 0: luma.poll.interval-ms). */
    public TaskTicket nextPoll(TaskTicket ticket, long intervalMs) {
        return ticket.dueAt(Math.max(clock.millis(), ticket.nextPollAt() + (intervalMs > 0 ? intervalMs : this.intervalMs)));
    }

    /**
     * How late the regular next poll already is when this poll's answer is read: the answer came (or was read, on a
     * busy instance) after the next poll was due. The ticket then falls due at once, so its dispatch looks punctual.
     */
    public long lateBy(TaskTicket ticket) {
        return lateBy(ticket, 0);
    }

    /** {@link #lateBy(TaskTicket)} at a provider's own interval ({@code intervalMs}; 0: luma.poll.interval-ms). */
    public long lateBy(TaskTicket ticket, long intervalMs) {
        return Math.max(0, clock.millis() - ticket.nextPollAt() - (intervalMs > 0 ? intervalMs : this.intervalMs));
    }

    /** One interval after this poll was due. */
    private long regularNextAt(TaskTicket ticket) {
        return ticket.nextPollAt() + intervalMs;
    }

    /** The next poll after a server's Retry-After: never sooner than the interval, never later than the longest back-off. */
    public TaskTicket notBefore(TaskTicket ticket, long delayMs) {
        return ticket.dueAt(clock.millis() + Math.min(maxBackoffMs, Math.max(intervalMs, delayMs)));
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

    /** The Retry-After date's distance from now, on this schedule's clock. */
    public long millisUntil(long epochMillis) {
        return epochMillis - clock.millis();
    }
}
