package io.lumaharvester;

import java.util.ArrayList;
import java.util.List;

import com.fasterxml.jackson.annotation.JsonInclude;
import com.fasterxml.jackson.annotation.JsonProperty;
import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.node.ObjectNode;

/**
 * A task's whole state between two steps: this record is the value on the polling and harvest topics, so a restart
 * resumes every task from Kafka instead of from a sleeping thread. Times are epoch milliseconds. {@code generation}
 * and {@code stored} are set only while the media of a completed generation are being copied.
 */
@JsonInclude(JsonInclude.Include.NON_EMPTY)
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
        @JsonProperty("state") String state,
        @JsonProperty("generation") JsonNode generation,
        @JsonProperty("stored") List<StoredAsset> stored) {

    public TaskTicket {
        stored = stored == null ? List.of() : List.copyOf(stored);
    }

    public static TaskTicket accepted(String taskId, ObjectNode metadata, long now, long timeoutMs) {
        return new TaskTicket(taskId, metadata, now, now + timeoutMs, now, 0, 0, 0, 0, null, null, null);
    }

    /** One more poll, answered with {@code newState}; a streak of errors or 404s ends with it. */
    public TaskTicket polled(String newState, JsonNode completedGeneration) {
        return new TaskTicket(taskId, metadata, acceptedAt, deadlineAt, nextPollAt, polls + 1, 0, 0, mediaAttempts,
                newState, completedGeneration, null);
    }

    /** One more poll without a usable answer; {@code notFoundAnswer} counts 404s in a row. */
    public TaskTicket pollFailed(boolean notFoundAnswer) {
        return new TaskTicket(taskId, metadata, acceptedAt, deadlineAt, nextPollAt, polls + 1, errors + 1,
                notFoundAnswer ? notFound + 1 : 0, mediaAttempts, state, null, null);
    }

    /** The media could not be copied; the task goes back to polling, which brings fresh media URLs. */
    public TaskTicket mediaFailed() {
        return new TaskTicket(taskId, metadata, acceptedAt, deadlineAt, nextPollAt, polls, errors + 1, notFound,
                mediaAttempts + 1, state, null, null);
    }

    /** S3 failed: the task goes back to polling without using up its media attempts. */
    public TaskTicket storageFailed() {
        return new TaskTicket(taskId, metadata, acceptedAt, deadlineAt, nextPollAt, polls, errors + 1, notFound,
                mediaAttempts, state, null, null);
    }

    /** One more media file is in S3. */
    public TaskTicket withStored(StoredAsset asset) {
        List<StoredAsset> more = new ArrayList<>(stored);
        more.add(asset);
        return new TaskTicket(taskId, metadata, acceptedAt, deadlineAt, nextPollAt, polls, errors, notFound,
                mediaAttempts, state, generation, more);
    }

    public TaskTicket dueAt(long when) {
        return new TaskTicket(taskId, metadata, acceptedAt, deadlineAt, when, polls, errors, notFound, mediaAttempts,
                state, generation, stored);
    }
}
