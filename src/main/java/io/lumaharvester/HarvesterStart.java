package io.lumaharvester;

import java.util.List;

import io.lumaharvester.intake.TaskStates;
import io.lumaharvester.kafka.KafkaClients;
import io.lumaharvester.kafka.KafkaTopics;
import io.lumaharvester.ops.KafkaAccessCheck;
import io.lumaharvester.ops.KafkaStartup;
import org.apache.camel.BeanInject;
import org.apache.camel.BindToRegistry;
import org.apache.camel.CamelConfiguration;
import org.apache.camel.CamelContext;
import org.apache.camel.Configuration;
import org.apache.camel.PropertyInject;

/**
 * The start's order: Kafka accepts the harvester and every topic the routes use is there, then the task-state store
 * reads its topic back, then the routes start. Last in camel.main.configuration-classes: it names topics of every stage.
 */
@Configuration
public class HarvesterStart implements CamelConfiguration {

    /** The shared topics are created only when luma.topics.create; the internal ones whenever they are missing. */
    @BindToRegistry("kafkaStartup")
    public KafkaStartup kafkaStartup(@BeanInject("kafkaAccess") KafkaAccessCheck access,
            @BeanInject("kafkaClients") KafkaClients clients,
            @PropertyInject("luma.topics.tasks") String tasks,
            @PropertyInject("luma.topics.events") String events,
            @PropertyInject("luma.topics.dlq") String dlq,
            @PropertyInject("luma.topics.polling") String polling,
            @PropertyInject("luma.topics.harvest") String harvest,
            @PropertyInject("luma.topics.accepted") String accepted,
            @PropertyInject("luma.dlq.max-record-bytes") String dlqMaxRecordBytes,
            @PropertyInject("luma.tasks.state-retention-ms") long stateRetentionMs,
            @PropertyInject("luma.topics.create") boolean create,
            @PropertyInject("luma.topics.partitions") int partitions,
            @PropertyInject("luma.topics.replication-factor") int replicationFactor,
            @PropertyInject("luma.kafka.startup-retry-ms") long retryMs) {
        KafkaTopics topics = new KafkaTopics(List.of(
                KafkaTopics.Topic.shared("luma.topics.tasks", tasks),
                KafkaTopics.Topic.shared("luma.topics.events", events.strip()),
                KafkaTopics.Topic.shared("luma.topics.dlq", dlq).with("max.message.bytes", dlqMaxRecordBytes),
                KafkaTopics.Topic.internal("luma.topics.polling", polling.strip()),
                KafkaTopics.Topic.internal("luma.topics.harvest", harvest.strip()),
                KafkaTopics.Topic.internal("luma.topics.accepted", accepted.strip())
                        .with(TaskStates.topicConfigs(stateRetentionMs), "luma.tasks.state-retention-ms")),
                create, partitions, replicationFactor, clients.brokers());
        return new KafkaStartup(access, topics, clients, retryMs);
    }

    /**
     * Kafka is checked before any route or repository starts ({@link KafkaStartup}). camel-main picks up lifecycle
     * strategies from the registry before it binds the Java beans, so this one is added here.
     */
    @Override
    public void configure(CamelContext context) throws Exception {
        KafkaStartup startup = context.getRegistry().lookupByNameAndType("kafkaStartup", KafkaStartup.class);
        context.addLifecycleStrategy(startup);
        context.addStartupListener(startup);
        startup.then(context.getRegistry().lookupByNameAndType("taskStates", TaskStates.class)::start);
    }
}
