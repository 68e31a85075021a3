package io.lumaharvester.intake;

import io.lumaharvester.publish.GenerationEvent;

/**
 * What intake does with a task id, given what {@code luma.tasks.accepted} says about it (docs/how-it-works.md,
 * Re-submission). A run is named after the intake record that started it ({@code partition-offset} on the task topic),
 * so the same record read again after a crash is the same run.
 */
public enum Resubmission {
    /** Never seen (or forgotten): a new run. */
    NEW("new"),
    /** The record that started the running run, read again after a crash: carry on with that run. */
    REPLAYED("replayed"),
    /** The record that started a run that has ended, read again after a crash: nothing to do (its event is out). */
    REPLAYED_ENDED("replayed"),
    /** Another record for a task whose run has not ended: ignored. */
    IN_FLIGHT("in_flight"),
    /** The task ended completed: its event is published again, its media are not copied again. */
    REPUBLISHED("republished"),
    /** The task ended failed: a new run. */
    RERUN("rerun");

    private final String tag;

    Resubmission(String tag) {
        this.tag = tag;
    }

    /** The {@code decision} tag of {@code luma_tasks_duplicate_total}. */
    public String tag() {
        return tag;
    }

    /** Whether this record starts (or continues) a poll loop. */
    public boolean runs() {
        return this == NEW || this == REPLAYED || this == RERUN;
    }

    /** The decision for a record naming run {@code run}, given the task's recorded state ({@code null}: none). */
    public static Resubmission decide(TaskState recorded, String run) {
        if (recorded == null) {
            return NEW;
        }
        if (recorded.run() != null && recorded.run().equals(run)) {
            return recorded.running() ? REPLAYED : REPLAYED_ENDED;
        }
        if (recorded.running()) {
            return IN_FLIGHT;
        }
        return GenerationEvent.COMPLETED.equals(recorded.status()) && recorded.event() != null ? REPUBLISHED : RERUN;
    }
}
