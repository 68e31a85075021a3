package io.lumaharvester.task;

import java.util.List;
import java.util.regex.Pattern;

import com.fasterxml.jackson.annotation.JsonIgnore;
import com.fasterxml.jackson.annotation.JsonIgnoreProperties;
import com.fasterxml.jackson.annotation.JsonInclude;
import com.fasterxml.jackson.annotation.JsonProperty;
import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.node.ObjectNode;

/**
 * A task's whole state between two steps: this record is the value on the polling and harvest topics, so a restart
 * resumes every task from Kafka instead of from a sleeping thread. Times are epoch milliseconds. {@code generation}
 * and {@code stored} are set only while the media of a completed generation are being copied. {@code step} grows with
 * every ticket written for the task, so a stale copy of an older ticket (left by a crash between writing the next one
 * and committing) is recognised and skipped. {@code completed_at} is when the provider first said {@code completed}:
 * the media phase's own deadline counts from it ({@link PollSchedule#mediaDeadlinePassed}); 0 on a ticket written
 * before it existed, whose clock then starts when it is read. {@code run} names the intake record that started the
 * task's current run (docs/how-it-works.md, Re-submission). {@code provider} names the profile its answers are read
 * with (docs/providers.md). {@code trace} is the task record's W3C trace context, set on its event ({@link TraceContext}).
 * Fields this version does not know are ignored, so versions
 * can be rolled either way.
 */
@JsonInclude(JsonInclude.Include.NON_EMPTY)
@JsonIgnoreProperties(ignoreUnknown = true)
public record TaskTicket(
        @JsonProperty("task_id") String taskId,
        @JsonProperty("metadata") @JsonInclude(JsonInclude.Include.ALWAYS) ObjectNode metadata,
        @JsonProperty("accepted_at") long acceptedAt,
        @JsonProperty("deadline_at") long deadlineAt,
        @JsonProperty("next_poll_at") long nextPollAt,
        @JsonProperty("polls") int polls,
        @JsonProperty("errors") int errors,
        @JsonProperty("not_found") int notFound,
        @JsonProperty("media_attempts") int mediaAttempts,
        @JsonProperty("storage_rejections") int storageRejections,
        @JsonProperty("state") String state,
        @JsonProperty("generation") JsonNode generation,
        @JsonProperty("stored") List<StoredMedia> stored,
        @JsonProperty("step") @JsonInclude(JsonInclude.Include.ALWAYS) long step,
        @JsonProperty("completed_at") long completedAt,
        @JsonProperty("run") String run,
        @JsonProperty("provider") String provider,
        @JsonProperty("trace") TraceContext trace) {

    public TaskTicket {
        stored = stored == null ? List.of() : List.copyOf(stored);
    }

    /** A new task, first polled {@code firstDelayMs} from now; its deadline counts from now. */
    public static TaskTicket accepted(String taskId, ObjectNode metadata, long now, long deadlineMs, long firstDelayMs) {
        return new TaskTicket(taskId, metadata, now, now + deadlineMs, now + firstDelayMs, 0, 0, 0, 0, 0, null, null,
                null, 0, 0, null, null, null);
    }

    /** One more poll, answered with {@code newState}; a streak of errors or 404s ends with it. */
    public TaskTicket polled(String newState, JsonNode completedGeneration) {
        return new TaskTicket(taskId, metadata, acceptedAt, deadlineAt, nextPollAt, polls + 1, 0, 0, mediaAttempts,
                storageRejections, newState, completedGeneration, null, step + 1, completedAt, run, provider, trace);
    }

    /** The completed generation, read by a second request after the poll that said completed (no poll more). */
    public TaskTicket withGeneration(JsonNode completedGeneration) {
        return new TaskTicket(taskId, metadata, acceptedAt, deadlineAt, nextPollAt, polls, errors, notFound,
                mediaAttempts, storageRejections, state, completedGeneration, stored, step, completedAt, run, provider, trace);
    }

    /** One more poll without a usable answer; {@code notFoundAnswer} counts 404s in a row. */
    public TaskTicket pollFailed(boolean notFoundAnswer) {
        return new TaskTicket(taskId, metadata, acceptedAt, deadlineAt, nextPollAt, polls + 1, errors + 1,
                notFoundAnswer ? notFound + 1 : 0, mediaAttempts, storageRejections, state, null, null, step + 1, completedAt, run, provider, trace);
    }

    /** The media could not be copied; the task goes back to polling, which brings fresh media URLs. */
    public TaskTicket mediaFailed() {
        return new TaskTicket(taskId, metadata, acceptedAt, deadlineAt, nextPollAt, polls, errors + 1, notFound,
                mediaAttempts + 1, storageRejections, state, null, null, step + 1, completedAt, run, provider, trace);
    }

    /** S3 failed for now: the task goes back to polling without using up its media attempts. */
    public TaskTicket storageFailed() {
        return new TaskTicket(taskId, metadata, acceptedAt, deadlineAt, nextPollAt, polls, errors + 1, notFound,
                mediaAttempts, storageRejections, state, null, null, step + 1, completedAt, run, provider, trace);
    }

    /** S3 or the spool disk refused the copy; counted apart from the media attempts (the files were fine). */
    public TaskTicket storageRejected() {
        return new TaskTicket(taskId, metadata, acceptedAt, deadlineAt, nextPollAt, polls, errors + 1, notFound,
                mediaAttempts, storageRejections + 1, state, null, null, step + 1, completedAt, run, provider, trace);
    }

    /** Every media file is in S3. */
    public TaskTicket withStored(List<StoredMedia> files) {
        return new TaskTicket(taskId, metadata, acceptedAt, deadlineAt, nextPollAt, polls, errors, notFound,
                mediaAttempts, storageRejections, state, generation, files, step + 1, completedAt, run, provider, trace);
    }

    /** In the media phase since {@code when}, unless its clock already runs (a re-poll keeps the first instant). */
    public TaskTicket mediaSince(long when) {
        return completedAt > 0 ? this : new TaskTicket(taskId, metadata, acceptedAt, deadlineAt, nextPollAt, polls,
                errors, notFound, mediaAttempts, storageRejections, state, generation, stored, step, when, run, provider, trace);
    }

    /**
     * The provider has said {@code completed}: the media are being copied, or the task went back to polling for fresh
     * URLs after a failed copy.
     */
    @JsonIgnore
    public boolean inMediaPhase() {
        return completedAt > 0 || generation != null || "completed".equals(state);
    }

    /**
     * The first ticket of a run (docs/how-it-works.md, Re-submission), named after its intake record. A new run after a
     * failure starts its steps above every step of the runs before it, or the due: consumer would skip its tickets as
     * stale.
     */
    public TaskTicket withRun(String newRun, long firstStep) {
        return new TaskTicket(taskId, metadata, acceptedAt, deadlineAt, nextPollAt, polls, errors, notFound,
                mediaAttempts, storageRejections, state, generation, stored, firstStep, completedAt, newRun, provider, trace);
    }

    /** The provider's state as a log line may carry it (see {@link LogSafe}). */
    @JsonIgnore
    public String stateForLog() {
        return LogSafe.text(state);
    }

    /**
     * Consistent with the record's equals, but cheap: Camel's bean language (every {@code ${body.state}} in a route)
     * hashes the body to look up how to call it, and the record's own hash walked the whole generation and metadata.
     */
    @Override
    public int hashCode() {
        return 31 * java.util.Objects.hashCode(taskId) + Long.hashCode(step);
    }

    /** The provider of a ticket written before tickets named theirs. */
    public static final String FIRST_PROVIDER = "luma-aggregator";

    /**
     * Every task id, whatever its profile's task-id: 1-128 characters, letters, digits, '-' and '_', with '.' and '/'
     * only between two of those (Veo's operation names are paths). A task id names the path of its S3 keys, so it
     * never starts with '/', and holds no empty, '.' or '..' segment: a key cannot leave s3.key-prefix.
     */
    public static final Pattern TASK_ID = Pattern.compile(
            "(?=.{1,128}$)[A-Za-z0-9_-]+(?:\\.[A-Za-z0-9_-]+)*(?:/[A-Za-z0-9_-]+(?:\\.[A-Za-z0-9_-]+)*)*");

    /** The name of the profile the task's answers are read with. */
    @JsonIgnore
    public String providerName() {
        return provider == null ? FIRST_PROVIDER : provider;
    }

    /** The task's provider (a profile's name); null on a ticket written before providers: luma-aggregator. */
    public TaskTicket withProvider(String name) {
        return new TaskTicket(taskId, metadata, acceptedAt, deadlineAt, nextPollAt, polls, errors, notFound,
                mediaAttempts, storageRejections, state, generation, stored, step, completedAt, run, name, trace);
    }

    /** The task record's trace context (null: none, or none valid). */
    public TaskTicket withTrace(TraceContext context) {
        return new TaskTicket(taskId, metadata, acceptedAt, deadlineAt, nextPollAt, polls, errors, notFound,
                mediaAttempts, storageRejections, state, generation, stored, step, completedAt, run, provider, context);
    }

    /**
     * The trace id of the task's trace context, for the MDC (lumaTraceId); empty without one, not null: camel-mdc puts
     * only the properties an exchange has, so an absent one would leave the trace id of a task routed before on the
     * same thread in this task's lines.
     */
    @JsonIgnore
    public String traceId() {
        return trace == null ? "" : trace.traceId();
    }

    public TaskTicket dueAt(long when) {
        return new TaskTicket(taskId, metadata, acceptedAt, deadlineAt, when, polls, errors, notFound, mediaAttempts,
                storageRejections, state, generation, stored, step, completedAt, run, provider, trace);
    }
}
