package io.lumaharvester.task;

import java.util.Locale;

/**
 * What a step decided for its task: the outcome the route branches on ({@code ${body.outcome} == 'running'}), the
 * task's next ticket, and for {@code failed} why. The poll ({@link GenerationReader}) and the error policy
 * ({@link TaskRecovery}) return one; the {@code fail-task} route turns a failed one into the task's event.
 */
public record TaskStep(Outcome outcome, TaskTicket ticket, Failure failure) {

    /** Written lower-case, as routes compare it and as it tags {@code luma_polls_total}. */
    public enum Outcome {
        /** Still running at the provider (or a back-off after an answer that said nothing): poll again. */
        RUNNING,
        /** The poll had no answer (a time-out, a refused connection, an answer too large): poll again, later. */
        ERROR,
        /** The provider said completed: harvest the media. */
        COMPLETED,
        /** The task ends without its media; {@link #failure} says why. */
        FAILED;

        @Override
        public String toString() {
            return name().toLowerCase(Locale.ROOT);
        }
    }

    public static TaskStep running(TaskTicket next) {
        return new TaskStep(Outcome.RUNNING, next, null);
    }

    public static TaskStep completed(TaskTicket next) {
        return new TaskStep(Outcome.COMPLETED, next, null);
    }

    public static TaskStep failed(TaskTicket ticket, Failure failure) {
        return new TaskStep(Outcome.FAILED, ticket, failure);
    }

}
