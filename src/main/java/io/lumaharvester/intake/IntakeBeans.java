package io.lumaharvester.intake;

import java.time.Clock;
import java.util.concurrent.ExecutorService;

import io.lumaharvester.kafka.KafkaClients;
import io.lumaharvester.ops.MetricsRegistry;
import io.lumaharvester.ops.TaskMetrics;
import io.lumaharvester.provider.Providers;
import org.apache.camel.BeanInject;
import org.apache.camel.BindToRegistry;
import org.apache.camel.CamelConfiguration;
import org.apache.camel.CamelContext;
import org.apache.camel.Configuration;
import org.apache.camel.PropertyInject;

/** What intake decides about a task record: whether it is a task, whether it runs, and whether to read on. */
@Configuration
public class IntakeBeans implements CamelConfiguration {

    // camel-main calls each bind method twice: the store (a consumer, a producer, meters) is created once
    private TaskStates taskStates;

    @BindToRegistry("taskIntake")
    public TaskIntake taskIntake(@PropertyInject("luma.tasks.deadline-ms") long taskDeadlineMs,
            @PropertyInject("luma.poll.first-delay-ms") long firstDelayMs,
            @PropertyInject("luma.tasks.max-record-bytes") int maxTaskRecordBytes,
            @BeanInject("providers") Providers providers) {
        return new TaskIntake(taskDeadlineMs, firstDelayMs, maxTaskRecordBytes, Clock.systemUTC(), providers);
    }

    /** Intake reads on while this instance holds fewer tasks than luma.tasks.max-in-flight. */
    @BindToRegistry("taskAdmission")
    public TaskAdmission taskAdmission(@BeanInject("taskMetrics") TaskMetrics metrics,
            @PropertyInject("luma.tasks.max-in-flight") int maxTasks) {
        return new TaskAdmission(metrics, maxTasks);
    }

    /**
     * Every task's state (running with its run, or ended with its event) on the compacted luma.topics.accepted: what
     * intake decides a re-submitted task id means (docs/how-it-works.md, Re-submission); an ended state is forgotten after
     * luma.tasks.state-retention-ms. KafkaStartup starts it (reads the topic back) once the topics are checked, before
     * any route starts; it stops with the context.
     */
    @BindToRegistry(value = "taskStates", destroyMethod = "stop")
    public synchronized TaskStates taskStates(CamelContext context, @BeanInject("kafkaClients") KafkaClients clients,
            @BeanInject("kafkaCallbacks") ExecutorService kafkaCallbacks,
            @PropertyInject("luma.topics.accepted") String acceptedTopic,
            @PropertyInject("luma.topics.events") String eventsTopic,
            @PropertyInject("luma.tasks.state-retention-ms") long stateRetentionMs) {
        if (taskStates == null) {
            taskStates = new TaskStates(acceptedTopic.strip(), eventsTopic.strip(), clients, MetricsRegistry.of(context),
                    Clock.systemUTC(), stateRetentionMs, kafkaCallbacks);
        }
        return taskStates;
    }
}
