package io.lumaharvester.task;

import java.time.Clock;

import io.lumaharvester.kafka.KafkaClients;
import org.apache.camel.BeanInject;
import org.apache.camel.BindToRegistry;
import org.apache.camel.CamelConfiguration;
import org.apache.camel.Configuration;
import org.apache.camel.PropertyInject;

/** When a task's next step is due, and what a failed step means for the task. */
@Configuration
public class RecoveryBeans implements CamelConfiguration {

    @BindToRegistry("pollSchedule")
    public PollSchedule pollSchedule(@PropertyInject("luma.poll.interval-ms") long intervalMs,
            @PropertyInject("luma.poll.max-backoff-ms") long maxBackoffMs,
            @PropertyInject("luma.harvest.deadline-ms") long mediaDeadlineMs) {
        return new PollSchedule(intervalMs, maxBackoffMs, mediaDeadlineMs, Clock.systemUTC());
    }

    @BindToRegistry("taskRecovery")
    public TaskRecovery taskRecovery(@BeanInject("pollSchedule") PollSchedule schedule,
            @PropertyInject("luma.harvest.max-attempts") int maxMediaAttempts,
            @PropertyInject("luma.harvest.max-storage-rejections") int maxStorageRejections,
            @BeanInject("kafkaClients") KafkaClients clients,
            @PropertyInject("luma.api.max-response-bytes") long maxResponseBytes,
            @PropertyInject("luma.tasks.max-record-bytes") int maxTaskRecordBytes) {
        return new TaskRecovery(schedule, maxMediaAttempts, maxStorageRejections, clients.maxRequestSize(),
                maxResponseBytes, maxTaskRecordBytes);
    }
}
