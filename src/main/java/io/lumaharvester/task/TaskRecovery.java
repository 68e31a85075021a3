package io.lumaharvester.task;

import com.fasterxml.jackson.databind.ObjectMapper;
import io.lumaharvester.due.DueEndpoint;
import org.apache.camel.Exchange;
import org.apache.camel.ExchangeProperty;
import org.apache.kafka.common.KafkaException;
import org.apache.kafka.common.errors.RecordBatchTooLargeException;
import org.apache.kafka.common.errors.RecordTooLargeException;
import org.apache.kafka.common.errors.SerializationException;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * What a task does after an error in its poll or harvest step (the route configuration's catch-all): it goes back
 * to the poll loop with a back-off, which also brings fresh media URLs, until its media attempts (the CDN's files
 * failed) or its storage rejections (S3 or the spool disk refused them) run out: a {@link TaskStep} that is
 * {@code running} or {@code failed}. Kafka failing is never the task's doing:
 * {@link #retriesTask} leaves such errors unhandled, so the due: consumer keeps the record and sends it again. A record
 * Kafka refuses as too large would be refused again on every try: the task fails {@code record_too_large} at once; a
 * next ticket that cannot be written as JSON, likewise, {@code record_unwritable}.
 */
public class TaskRecovery {

    private static final Logger LOG = LoggerFactory.getLogger(TaskRecovery.class);
    private static final ObjectMapper JSON = new ObjectMapper();

    private final PollSchedule schedule;
    private final int maxMediaAttempts;
    private final int maxStorageRejections;
    private final String recordLimits;

    /**
     * {@code maxRequestSize}, {@code maxResponseBytes} and {@code maxTaskRecordBytes}: kafka.client.max.request.size,
     * luma.api.max-response-bytes and luma.tasks.max-record-bytes, which a too-large record's failure names.
     */
    public TaskRecovery(PollSchedule schedule, int maxMediaAttempts, int maxStorageRejections, int maxRequestSize,
            long maxResponseBytes, int maxTaskRecordBytes) {
        this.schedule = schedule;
        this.maxMediaAttempts = maxMediaAttempts;
        this.maxStorageRejections = maxStorageRejections;
        this.recordLimits = "Kafka takes a record up to kafka.client.max.request.size (" + maxRequestSize
                + ") and the topic's max.message.bytes; it carries the completed generation (up to "
                + "luma.api.max-response-bytes=" + maxResponseBytes + ") and the task's metadata (up to "
                + "luma.tasks.max-record-bytes=" + maxTaskRecordBytes + ")";
    }

    /**
     * Whether the catch-all takes this error: a task is in hand and the error is not Kafka's. A failed write of the
     * next ticket or of the event (broker away, a time-out, not enough in-sync replicas) would otherwise cost the task
     * a media attempt, and end a task whose files are all stored with {@code media_unavailable}; unhandled, the
     * record is not committed and the due: consumer sends it again after its own back-off. A record Kafka refuses
     * for what it is (too large, not serialisable) would be refused again forever, so that stays the task's error.
     */
    public boolean retriesTask(@ExchangeProperty(TaskExchange.TICKET) TaskTicket ticket,
            @ExchangeProperty(Exchange.EXCEPTION_CAUGHT) Exception caught) {
        return ticket != null && !kafkaFailed(caught);
    }

    /**
     * Whether the task ends now: Kafka failed its step on the record's last try (a {@code due:} consumer's
     * {@link DueEndpoint#LAST_ATTEMPT}, after luma.kafka.max-record-attempts tries over at least
     * luma.kafka.min-record-retry-ms), so its record would otherwise pin its partition's commit for ever.
     */
    public boolean givesUp(@ExchangeProperty(TaskExchange.TICKET) TaskTicket ticket,
            @ExchangeProperty(Exchange.EXCEPTION_CAUGHT) Exception caught,
            @ExchangeProperty(DueEndpoint.LAST_ATTEMPT) Boolean lastAttempt) {
        return ticket != null && Boolean.TRUE.equals(lastAttempt) && kafkaFailed(caught);
    }

    /** The task's failure after {@link #givesUp}: {@code record_unwritable}, naming the tries and Kafka's error. */
    public TaskStep afterLastAttempt(@ExchangeProperty(TaskExchange.TICKET) TaskTicket ticket,
            @ExchangeProperty(Exchange.EXCEPTION_CAUGHT) Exception caught,
            @ExchangeProperty(DueEndpoint.ATTEMPT) Integer attempt) {
        String detail = "Kafka failed the task's step on every try (" + attempt + " tries, "
                + "luma.kafka.max-record-attempts and luma.kafka.min-record-retry-ms): "
                + caught.getClass().getSimpleName() + ": " + caught.getMessage();
        LOG.error("task {}: {}; the task fails", ticket.taskId(), LogSafe.text(detail));
        return TaskStep.failed(ticket, new Failure(Failure.RECORD_UNWRITABLE, detail));
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

    /**
     * {@code written} is the ticket that was being written when the error came (the {@code write-ticket} routes keep
     * it), {@code failedEndpoint} where the error came from: both name a record Kafka refused as too large.
     */
    public TaskStep afterError(@ExchangeProperty(TaskExchange.TICKET) TaskTicket ticket,
            @ExchangeProperty(TaskExchange.NEXT_TICKET) TaskTicket written,
            @ExchangeProperty(Exchange.EXCEPTION_CAUGHT) Exception caught,
            @ExchangeProperty(Exchange.FAILURE_ENDPOINT) String failedEndpoint) {
        Throwable cause = named(caught);
        String why = cause == null ? "unknown error" : cause.getClass().getSimpleName() + ": " + cause.getMessage();
        // an exception's message can quote the provider's URL or answer
        String whyForLog = LogSafe.text(why);
        boolean harvesting = ticket.generation() != null;
        Throwable tooLarge = tooLarge(caught);
        if (tooLarge != null) {
            return recordTooLarge(ticket, written, failedEndpoint, tooLarge);
        }
        Throwable unwritable = unwritable(caught);
        if (unwritable != null) {
            // the same ticket would fail the same way on every try
            String detail = "the task's next ticket could not be written as JSON ("
                    + unwritable.getClass().getSimpleName() + ": " + unwritable.getMessage() + ")";
            LOG.error("task {}: {}; the task fails", ticket.taskId(), LogSafe.text(detail));
            return TaskStep.failed(ticket, new Failure(Failure.RECORD_UNWRITABLE, detail));
        }
        if (cause instanceof MediaRejectedException) {
            LOG.warn("task {}: {}", ticket.taskId(), LogSafe.text(cause.getMessage()));
            return TaskStep.failed(ticket, new Failure(Failure.MEDIA_REJECTED, cause.getMessage()));
        }
        // every retry of a completed task (media again, storage back-off, a re-poll for fresh URLs) stops at the
        // media deadline; storage failing for now has no attempt limit of its own
        ticket = schedule.mediaClock(ticket);
        if (schedule.mediaDeadlinePassed(ticket)) {
            LOG.warn("task {}: media deadline passed (luma.harvest.deadline-ms), giving up: {}", ticket.taskId(),
                    whyForLog);
            return TaskStep.failed(harvesting ? ticket.mediaFailed() : ticket.pollFailed(false),
                    schedule.mediaDeadlineFailure(ticket, why));
        }
        if (harvesting && cause instanceof StorageUnavailableException) {
            // the cause says whose: S3, or the spool disk with its cap held by other copies
            LOG.error("task {}: storage failed for now ({}); retrying after a back-off, the task is kept",
                    ticket.taskId(), whyForLog);
            return TaskStep.running(schedule.backOff(ticket.storageFailed()));
        }
        if (harvesting && cause instanceof StorageRejectedException) {
            TaskTicket next = ticket.storageRejected();
            if (next.storageRejections() >= maxStorageRejections) {
                LOG.error("task {}: storage refused the media {} times, giving up: {}", ticket.taskId(),
                        next.storageRejections(), cause.getMessage());
                return TaskStep.failed(next, new Failure(Failure.STORAGE_REJECTED, cause.getMessage()));
            }
            // a refusal can pass (an IAM or bucket policy change being rolled out): a few tries, then the task ends
            LOG.error("task {}: {} (refusal {} of {}); retrying after a back-off", ticket.taskId(), cause.getMessage(),
                    next.storageRejections(), maxStorageRejections);
            return TaskStep.running(schedule.backOff(next));
        }
        TaskTicket next = harvesting ? ticket.mediaFailed() : ticket.pollFailed(false);
        if (harvesting && next.mediaAttempts() >= maxMediaAttempts) {
            LOG.warn("task {}: media copy failed {} times, giving up: {}", ticket.taskId(), next.mediaAttempts(),
                    whyForLog);
            return TaskStep.failed(next, new Failure(Failure.MEDIA_UNAVAILABLE, why));
        }
        LOG.warn("task {}: {} failed ({}); retrying after a back-off", ticket.taskId(),
                harvesting ? "media copy" : "poll", whyForLog);
        return TaskStep.running(schedule.backOff(next));
    }

    /**
     * Kafka refused the task's next ticket (or its event) for its size: the same record would be refused on every try,
     * so the task ends, with a detail naming the record, its size when known, the limits and the settings.
     */
    private TaskStep recordTooLarge(TaskTicket ticket, TaskTicket next, String failedEndpoint, Throwable tooLarge) {
        String topic = topic(failedEndpoint);
        String record = (next == null ? "record" : "next ticket") + (topic == null ? "" : " on " + topic)
                + (next == null ? "" : " (" + size(next) + " bytes)");
        String detail = "Kafka refused the task's " + record + " as too large ("
                + tooLarge.getClass().getSimpleName() + ": " + tooLarge.getMessage() + "): " + recordLimits;
        LOG.error("task {}: {}; the task fails", ticket.taskId(), LogSafe.text(detail));
        // the ticket that was refused, when known: its poll count and the provider's state go into the event
        return TaskStep.failed(next != null ? next : ticket, new Failure(Failure.RECORD_TOO_LARGE, detail));
    }

    private static Throwable tooLarge(Throwable caught) {
        for (Throwable t = caught; t != null; t = t.getCause() == t ? null : t.getCause()) {
            if (t instanceof RecordTooLargeException || t instanceof RecordBatchTooLargeException) {
                return t;
            }
        }
        return null;
    }

    /**
     * A JSON error with a task in hand: its ticket was read (a ticket that cannot be read is a dead letter), so it is
     * a record of the task that cannot be written (nested too deep, not serialisable).
     */
    private static Throwable unwritable(Throwable caught) {
        for (Throwable t = caught; t != null; t = t.getCause() == t ? null : t.getCause()) {
            if (t instanceof com.fasterxml.jackson.core.JsonProcessingException) {
                return t;
            }
        }
        return null;
    }

    /** {@code kafka://luma.tasks.harvest?…}: the topic; null for any other endpoint. */
    static String topic(String endpoint) {
        if (endpoint == null || !endpoint.startsWith("kafka:")) {
            return null;
        }
        String topic = endpoint.substring("kafka:".length()).replaceFirst("^//", "");
        int query = topic.indexOf('?');
        return query < 0 ? topic : topic.substring(0, query);
    }

    private static int size(TaskTicket ticket) {
        try {
            return JSON.writeValueAsBytes(ticket).length;
        } catch (java.io.IOException e) {
            return -1;
        }
    }

    /** The harvester's own exception in the chain (a parallel copy wraps the file's in Camel's), else the top one. */
    private static Throwable named(Throwable caught) {
        for (Throwable t = caught; t != null && t.getCause() != t; t = t.getCause()) {
            if (t instanceof MediaRejectedException || t instanceof MediaUnavailableException
                    || t instanceof StorageUnavailableException || t instanceof StorageRejectedException) {
                return t;
            }
        }
        return caught;
    }
}
