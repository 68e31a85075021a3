package io.lumaharvester.ops;

import java.time.Clock;
import java.time.Duration;

import org.apache.camel.BindToRegistry;
import org.apache.camel.CamelConfiguration;
import org.apache.camel.CamelContext;
import org.apache.camel.Configuration;
import org.apache.camel.PropertyInject;

/** The task meters the routes update (luma_tasks_*). */
@Configuration
public class TaskMetricsBeans implements CamelConfiguration {

    // camel-main calls each bind method twice: the meters and their sweep are created once
    private TaskMetrics taskMetrics;

    /** Tasks in flight and task duration; a task unseen for longer than any wait between its steps is forgotten. */
    @BindToRegistry("taskMetrics")
    public synchronized TaskMetrics taskMetrics(CamelContext context,
            @PropertyInject("luma.tasks.deadline-ms") long taskDeadlineMs,
            @PropertyInject("luma.poll.interval-ms") long intervalMs) {
        if (taskMetrics == null) {
            taskMetrics = new TaskMetrics(MetricsRegistry.of(context), Clock.systemUTC(),
                    Duration.ofMillis(taskDeadlineMs + 2 * intervalMs));
        }
        return taskMetrics;
    }
}
