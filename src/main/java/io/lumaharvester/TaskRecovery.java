package io.lumaharvester;

import org.apache.camel.Exchange;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * What a task does after an error in its poll or harvest step (the route configuration's catch-all): it goes back
 * to the poll loop with a back-off, which also brings fresh media URLs, until its media attempts run out. Sets
 * {@value GenerationReader#OUTCOME} to {@code running} or {@code failed}.
 */
public class TaskRecovery {

    private static final Logger LOG = LoggerFactory.getLogger(TaskRecovery.class);

    private final PollSchedule schedule;
    private final int maxMediaAttempts;

    public TaskRecovery(PollSchedule schedule, int maxMediaAttempts) {
        this.schedule = schedule;
        this.maxMediaAttempts = maxMediaAttempts;
    }

    public TaskTicket afterError(Exchange exchange) {
        TaskTicket ticket = exchange.getProperty(GenerationReader.TICKET, TaskTicket.class);
        Throwable cause = named(exchange.getProperty(Exchange.EXCEPTION_CAUGHT, Exception.class));
        String why = cause == null ? "unknown error" : cause.getClass().getSimpleName() + ": " + cause.getMessage();
        // an exception's message can quote the provider's URL or answer
        String whyForLog = LogSafe.text(why);
        boolean harvesting = ticket.generation() != null;
        if (cause instanceof MediaRejectedException) {
            LOG.warn("task {}: {}", ticket.taskId(), LogSafe.text(cause.getMessage()));
            return failed(exchange, ticket, new Failure(Failure.MEDIA_REJECTED, cause.getMessage()));
        }
        if (harvesting && cause instanceof StorageFailedException) {
            LOG.error("task {}: S3 failed ({}); retrying after a back-off, the task is kept", ticket.taskId(),
                    whyForLog);
            exchange.getMessage().setHeader(GenerationReader.OUTCOME, "running");
            return schedule.backOff(ticket.storageFailed());
        }
        TaskTicket next = harvesting ? ticket.mediaFailed() : ticket.pollFailed(false);
        if (harvesting && next.mediaAttempts() >= maxMediaAttempts) {
            LOG.warn("task {}: media copy failed {} times, giving up: {}", ticket.taskId(), next.mediaAttempts(),
                    whyForLog);
            return failed(exchange, next, new Failure(Failure.MEDIA_UNAVAILABLE, why));
        }
        LOG.warn("task {}: {} failed ({}); retrying after a back-off", ticket.taskId(),
                harvesting ? "media copy" : "poll", whyForLog);
        exchange.getMessage().setHeader(GenerationReader.OUTCOME, "running");
        return schedule.backOff(next);
    }

    /** The harvester's own exception in the chain (a parallel copy wraps the file's in Camel's), else the top one. */
    private static Throwable named(Throwable caught) {
        for (Throwable t = caught; t != null && t.getCause() != t; t = t.getCause()) {
            if (t instanceof MediaRejectedException || t instanceof MediaUnavailableException
                    || t instanceof StorageFailedException) {
                return t;
            }
        }
        return caught;
    }

    private static TaskTicket failed(Exchange exchange, TaskTicket ticket, Failure failure) {
        exchange.getMessage().setHeader(GenerationReader.OUTCOME, "failed");
        exchange.setProperty(GenerationReader.FAILURE, failure);
        return ticket;
    }
}
