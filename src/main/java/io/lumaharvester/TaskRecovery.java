package io.lumaharvester;

import org.apache.camel.Exchange;
import org.apache.kafka.common.KafkaException;
import org.apache.kafka.common.errors.RecordBatchTooLargeException;
import org.apache.kafka.common.errors.RecordTooLargeException;
import org.apache.kafka.common.errors.SerializationException;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * What a task does after an error in its poll or harvest step (the route configuration's catch-all): it goes back
 * to the poll loop with a back-off, which also brings fresh media URLs, until its media attempts (the CDN's files
 * failed) or its storage rejections (S3 or the spool disk refused them) run out. Sets
 * {@value GenerationReader#OUTCOME} to {@code running} or {@code failed}. Kafka failing is never the task's doing:
 * {@link #retriesTask} leaves such errors unhandled, so the due: consumer keeps the record and sends it again.
 */
public class TaskRecovery {

    private static final Logger LOG = LoggerFactory.getLogger(TaskRecovery.class);

    private final PollSchedule schedule;
    private final int maxMediaAttempts;
    private final int maxStorageRejections;

    public TaskRecovery(PollSchedule schedule, int maxMediaAttempts, int maxStorageRejections) {
        this.schedule = schedule;
        this.maxMediaAttempts = maxMediaAttempts;
        this.maxStorageRejections = maxStorageRejections;
    }

    /**
     * Whether the catch-all takes this error: a task is in hand and the error is not Kafka's. A failed write of the
     * next ticket or of the event (broker away, a time-out, not enough in-sync replicas) would otherwise cost the task
     * a media attempt, and end a task whose files are all stored with {@code media_unavailable}; unhandled, the
     * record is not committed and the due: consumer sends it again after its own back-off. A record Kafka refuses
     * for what it is (too large, not serialisable) would be refused again forever, so that stays the task's error.
     */
    public boolean retriesTask(Exchange exchange) {
        return exchange.getProperty(GenerationReader.TICKET) != null
                && !kafkaFailed(exchange.getProperty(Exchange.EXCEPTION_CAUGHT, Exception.class));
    }

    static boolean kafkaFailed(Throwable error) {
        for (Throwable t = error; t != null; t = t.getCause() == t ? null : t.getCause()) {
            if (t instanceof RecordTooLargeException || t instanceof RecordBatchTooLargeException
                    || t instanceof SerializationException) {
                return false;
            }
            if (t instanceof KafkaException) {
                return true;
            }
        }
        return false;
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
        // every retry of a completed task (media again, storage back-off, a re-poll for fresh URLs) stops at the
        // media deadline; storage failing for now has no attempt limit of its own
        ticket = schedule.mediaClock(ticket);
        if (schedule.mediaDeadlinePassed(ticket)) {
            LOG.warn("task {}: media deadline passed (luma.media.deadline-ms), giving up: {}", ticket.taskId(),
                    whyForLog);
            return failed(exchange, harvesting ? ticket.mediaFailed() : ticket.pollFailed(false),
                    schedule.mediaDeadlineFailure(ticket, why));
        }
        if (harvesting && cause instanceof StorageFailedException) {
            // the cause says whose: S3, or the spool disk with its cap held by other copies
            LOG.error("task {}: storage failed for now ({}); retrying after a back-off, the task is kept",
                    ticket.taskId(), whyForLog);
            exchange.getMessage().setHeader(GenerationReader.OUTCOME, "running");
            return schedule.backOff(ticket.storageFailed());
        }
        if (harvesting && cause instanceof StorageRejectedException) {
            TaskTicket next = ticket.storageRejected();
            if (next.storageRejections() >= maxStorageRejections) {
                LOG.error("task {}: storage refused the media {} times, giving up: {}", ticket.taskId(),
                        next.storageRejections(), cause.getMessage());
                return failed(exchange, next, new Failure(Failure.STORAGE_REJECTED, cause.getMessage()));
            }
            // a refusal can pass (an IAM or bucket policy change being rolled out): a few tries, then the task ends
            LOG.error("task {}: {} (refusal {} of {}); retrying after a back-off", ticket.taskId(), cause.getMessage(),
                    next.storageRejections(), maxStorageRejections);
            exchange.getMessage().setHeader(GenerationReader.OUTCOME, "running");
            return schedule.backOff(next);
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
                    || t instanceof StorageFailedException || t instanceof StorageRejectedException) {
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
