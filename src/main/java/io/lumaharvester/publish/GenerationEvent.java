package io.lumaharvester.publish;

import io.lumaharvester.task.LogSafe;
import io.lumaharvester.task.StoredMedia;
import io.lumaharvester.task.Failure;
import java.nio.charset.StandardCharsets;
import java.util.List;
import java.util.UUID;

import com.fasterxml.jackson.annotation.JsonIgnore;
import com.fasterxml.jackson.annotation.JsonInclude;
import com.fasterxml.jackson.annotation.JsonProperty;
import com.fasterxml.jackson.databind.node.ObjectNode;

/**
 * The one event a task ends with, on {@code luma.events}. Its JSON Schema is
 * {@code schema/generation-event.schema.json}.
 */
@JsonInclude(JsonInclude.Include.NON_NULL)
public record GenerationEvent(
        @JsonProperty("task_id") String taskId,
        @JsonProperty("status") String status,
        @JsonProperty("state") @JsonInclude(JsonInclude.Include.ALWAYS) String state,
        @JsonProperty("metadata") ObjectNode metadata,
        @JsonProperty("polls") int polls,
        @JsonProperty("finished_at") String finishedAt,
        @JsonProperty("prompt") String prompt,
        @JsonProperty("aspect_ratio") String aspectRatio,
        @JsonProperty("media") List<StoredMedia> media,
        @JsonProperty("failure") Failure failure,
        @JsonProperty("run") String run,
        @JsonProperty("provider") String provider) {

    public static final String COMPLETED = "completed";
    public static final String FAILED = "failed";

    /** Consistent with equals and cheap, for the same reason as {@link io.lumaharvester.task.TaskTicket#hashCode}. */
    @Override
    public int hashCode() {
        return java.util.Objects.hash(taskId, status, run);
    }

    /** The failure's reason code, or {@code none} for a completed task: a log field and a metric tag. */
    @JsonIgnore
    public String reason() {
        return failure == null ? "none" : failure.reason();
    }

    /**
     * What the event is recognised by, in ce_id and in the publish route's dedup key: the task id and its run
     * (docs/how-it-works.md, Re-submission), or the task id alone for a ticket from before runs.
     */
    @JsonIgnore
    public String dedupKey() {
        return run == null ? taskId : taskId + "/" + run;
    }

    /**
     * The CloudEvents {@code ce_id}: derived from {@link #dedupKey} and the status, so a consumer recognises a
     * repeated event (the same task, run and end) by its id.
     */
    @JsonIgnore
    public String cloudEventId() {
        return UUID.nameUUIDFromBytes((dedupKey() + "/" + status).getBytes(StandardCharsets.UTF_8)).toString();
    }

    /** ": " and the failure's detail as a log line may carry it (see {@link LogSafe}), or nothing. */
    @JsonIgnore
    public String detailForLog() {
        return failure == null || failure.detail() == null ? "" : ": " + LogSafe.text(failure.detail());
    }
}
