package io.lumaharvester.task;

/**
 * What a step decided for its task: the outcome the route branches on ({@code ${body.outcome} == 'running'}), the
 * task's next ticket, and for {@code failed} why. The poll ({@link GenerationReader}) and the error policy
 * ({@link TaskRecovery}) return one; the {@code fail-task} route turns a failed one into the task's event.
 * <p>
 * The outcome is one of four strings, not an enum: Camel compares an enum with a route's literal by looking for a
 * String-to-enum type converter, finds none and does not remember that, so every comparison scanned all converters
 * (a third of a poll's CPU in the benchmark, docs/performance.md).
 */
public record TaskStep(String outcome, TaskTicket ticket, Failure failure) {

    /** Still running at the provider (or a back-off after an answer that said nothing): poll again. */
    public static final String RUNNING = "running";
    /** The poll had no answer (a time-out, a refused connection, an answer too large): poll again, later. */
    public static final String ERROR = "error";
    /** The provider said completed: harvest the media. */
    public static final String COMPLETED = "completed";
    /** The task ends without its media; {@link #failure} says why. */
    public static final String FAILED = "failed";

    public static TaskStep running(TaskTicket next) {
        return new TaskStep(RUNNING, next, null);
    }

    public static TaskStep error(TaskTicket next) {
        return new TaskStep(ERROR, next, null);
    }

    public static TaskStep completed(TaskTicket next) {
        return new TaskStep(COMPLETED, next, null);
    }

    public static TaskStep failed(TaskTicket ticket, Failure failure) {
        return new TaskStep(FAILED, ticket, failure);
    }
}
