package io.lumaharvester.task;

import java.util.Objects;

/**
 * What a step decided for its task: the outcome the route branches on ({@code ${body.outcome} == 'running'}), the
 * task's next ticket, for {@code failed} why, and whether a running task's provider state is another than at its
 * last poll (pending → processing: the poll route logs that, not every poll). The poll ({@link GenerationReader}) and
 * the error policy ({@link TaskRecovery}) return one; the {@code fail-task} route turns a failed one into the task's
 * event.
 * <p>
 * The outcome is one of five strings, not an enum: Camel compares an enum with a route's literal by looking for a
 * String-to-enum type converter, finds none and does not remember that, so every comparison scanned all converters
 * (a third of a poll's CPU in the benchmark, docs/performance.md).
 */
public record TaskStep(String outcome, TaskTicket ticket, Failure failure, boolean stateChanged, String mediaRequest) {

    /** Still running at the provider (or a back-off after an answer that said nothing): poll again. */
    public static final String RUNNING = "running";
    /** The poll had no answer (a time-out, a refused connection, an answer too large): poll again, later. */
    public static final String ERROR = "error";
    /** The provider said completed: harvest the media. */
    public static final String COMPLETED = "completed";
    /** The task ends without its media; {@link #failure} says why. */
    public static final String FAILED = "failed";
    /**
     * The provider said completed, and its profile reads the media from a second answer: GET {@link #mediaRequest}
     * (docs/providers.md, media-request), then harvest.
     */
    public static final String MEDIA_REQUEST = "media_request";

    public static TaskStep running(TaskTicket next) {
        return new TaskStep(RUNNING, next, null, false, null);
    }

    /** Still running, after a poll that read the provider's state: {@code previous} is the ticket polled. */
    public static TaskStep running(TaskTicket previous, TaskTicket next) {
        return new TaskStep(RUNNING, next, null, !Objects.equals(previous.state(), next.state()), null);
    }

    public static TaskStep error(TaskTicket next) {
        return new TaskStep(ERROR, next, null, false, null);
    }

    public static TaskStep completed(TaskTicket next) {
        return new TaskStep(COMPLETED, next, null, false, null);
    }

    /** Completed at the provider; the media are named by the answer at {@code url}. */
    public static TaskStep mediaRequest(TaskTicket next, String url) {
        return new TaskStep(MEDIA_REQUEST, next, null, false, url);
    }

    public static TaskStep failed(TaskTicket ticket, Failure failure) {
        return new TaskStep(FAILED, ticket, failure, false, null);
    }
}
