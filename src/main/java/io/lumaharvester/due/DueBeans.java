package io.lumaharvester.due;

import io.lumaharvester.kafka.KafkaClients;
import org.apache.camel.BeanInject;
import org.apache.camel.BindToRegistry;
import org.apache.camel.CamelConfiguration;
import org.apache.camel.Configuration;
import org.apache.camel.PropertyInject;

/** The due: component, which the intake, poll and harvest routes consume from. */
@Configuration
public class DueBeans implements CamelConfiguration {

    /**
     * The due: consumers connect with the shared Kafka settings and one consumer group, and hold records of
     * luma.tasks.max-held-bytes together (0: 5 % of the heap).
     */
    @BindToRegistry("due")
    public DueComponent due(@BeanInject("kafkaClients") KafkaClients clients,
            @PropertyInject("luma.kafka.group-id") String groupId,
            @PropertyInject("luma.kafka.fetch-wait-max-ms") int fetchWaitMaxMs,
            @PropertyInject("luma.tasks.max-held-bytes") long maxHeldBytes) {
        return new DueComponent(clients, groupId.strip(), fetchWaitMaxMs,
                HeldBytes.ofHeap(maxHeldBytes, Runtime.getRuntime().maxMemory()));
    }
}
