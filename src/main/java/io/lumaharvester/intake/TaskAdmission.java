package io.lumaharvester.intake;

import io.lumaharvester.ops.TaskMetrics;
import java.util.function.BooleanSupplier;

/**
 * Admission control: intake admits a record it holds, and reads on, only while this instance holds fewer than
 * {@code luma.tasks.max-in-flight} tasks (polling or copying media, as {@code luma_tasks_in_flight} counts them).
 * Overload then waits on the tasks topic, and a task's deadline starts only when it is admitted.
 */
public class TaskAdmission implements BooleanSupplier {

    private final TaskMetrics metrics;
    private final int maxTasks;

    public TaskAdmission(TaskMetrics metrics, int maxTasks) {
        this.metrics = metrics;
        this.maxTasks = maxTasks;
    }

    @Override
    public boolean getAsBoolean() {
        return metrics.inFlight() < maxTasks;
    }
}
