package io.lumaharvester.intake;

import io.lumaharvester.publish.GenerationEvent;
import java.util.Map;

import com.fasterxml.jackson.annotation.JsonIgnore;
import com.fasterxml.jackson.annotation.JsonIgnoreProperties;
import com.fasterxml.jackson.annotation.JsonInclude;
import com.fasterxml.jackson.annotation.JsonProperty;
import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.node.MissingNode;

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

    /**
     * The states' wire form: one mapper for what {@link StateWrites} writes and what the follower and a re-submission
     * read back.
     */
    static final ObjectMapper JSON = new ObjectMapper();

    public static final String RUNNING = "running";
    public static final String ENDED = "ended";
    /**
     * The event of a state held in memory ({@link #held}): it is on the state's record, not here. Shared by every
     * such state; never written.
     */
    public static final JsonNode EVENT_ON_RECORD = MissingNode.getInstance();

    /** {@code firstStep}: the step number of the run's first ticket (a replayed intake record starts there too). */
    public static TaskState running(String run, long firstStep) {
        return new TaskState(RUNNING, run, firstStep, null, null, null);
    }

    /** The state a record's value holds, or null. */
    static TaskState parsed(byte[] value) {
        try {
            return JSON.readValue(value, TaskState.class);
        } catch (java.io.IOException e) {
            // a record of the old idempotent repository (its value is the id) or of a newer version: no state
            return null;
        }
    }

    public static TaskState ended(String run, String status, JsonNode event, Map<String, String> headers) {
        return new TaskState(ENDED, run, 0, status, event, headers);
    }

    /**
     * This state as {@link TaskStates} holds it in memory: without the event and its headers (as large as the task's
     * metadata), which a re-submission reads back from the state's record; {@link #EVENT_ON_RECORD} says there is
     * one. Its words are the constants, so a state read from a record keeps no copies of them.
     */
    public TaskState held() {
        String heldState = RUNNING.equals(state) ? RUNNING : ENDED.equals(state) ? ENDED : state;
        String heldStatus = GenerationEvent.COMPLETED.equals(status)
                ? GenerationEvent.COMPLETED
                : GenerationEvent.FAILED.equals(status)
                        ? GenerationEvent.FAILED : status;
        return new TaskState(heldState, run, firstStep, heldStatus, event == null ? null : EVENT_ON_RECORD, null);
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
