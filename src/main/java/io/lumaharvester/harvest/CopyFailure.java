package io.lumaharvester.harvest;

/**
 * A file whose copy failed, as its result in the task's split: each file's copy runs on its own exchange, and an
 * exception thrown there would meet the task's error policy once per failed file (three recoveries, three events for
 * one task). {@link HarvestPlan#stored} throws the first failure, in the media's order, once for the task.
 */
public record CopyFailure(MediaFile file, Exception error) {
}
