package io.lumaharvester.intake;

import java.util.Map;

import com.fasterxml.jackson.annotation.JsonIgnore;
import com.fasterxml.jackson.annotation.JsonIgnoreProperties;
import com.fasterxml.jackson.annotation.JsonInclude;
import com.fasterxml.jackson.annotation.JsonProperty;
import com.fasterxml.jackson.databind.JsonNode;

/**
 * A task's value on the compacted {@code luma.tasks.accepted} topic (key: task id), so compaction keeps one record
 * per id: {@code running} with its run, or {@code ended} with the run, the event's status and, for a completed task,
 * the event and its headers (what a re-submission publishes again).
 */
@JsonInclude(JsonInclude.Include.NON_NULL)
@JsonIgnoreProperties(ignoreUnknown = true)
public record TaskState(
        @JsonProperty("state") String state,
        @JsonProperty("run") String run,
        @JsonProperty("first_step") long firstStep,
        @JsonProperty("status") String status,
        @JsonProperty("event") JsonNode event,
        @JsonProperty("headers") Map<String, String> headers) {

    public static final String RUNNING = "running";
    public static final String ENDED = "ended";

    /** {@code firstStep}: the step number of the run's first ticket (a replayed intake record starts there too). */
    public static TaskState running(String run, long firstStep) {
        return new TaskState(RUNNING, run, firstStep, null, null, null);
    }

    public static TaskState ended(String run, String status, JsonNode event, Map<String, String> headers) {
        return new TaskState(ENDED, run, 0, status, event, headers);
    }

    /** Consistent with equals and cheap, for the same reason as {@link io.lumaharvester.task.TaskTicket#hashCode}. */
    @Override
    public int hashCode() {
        return java.util.Objects.hash(state, run, firstStep);
    }

    @JsonIgnore
    public boolean running() {
        return RUNNING.equals(state);
    }
}
