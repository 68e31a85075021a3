package io.lumaharvester.publish;

import java.time.Clock;
import java.util.List;

import io.lumaharvester.kafka.KafkaClients;
import io.lumaharvester.provider.Providers;
import org.apache.camel.BeanInject;
import org.apache.camel.BindToRegistry;
import org.apache.camel.CamelConfiguration;
import org.apache.camel.Configuration;
import org.apache.camel.PropertyInject;

/** The events the publish stage writes, and the ids of those written already. */
@Configuration
public class EventBeans implements CamelConfiguration {

    @BindToRegistry("generationEvents")
    public GenerationEvents generationEvents(@PropertyInject("luma.events.source") String source,
            @PropertyInject("luma.events.include-prompt") boolean includePrompt,
            @BeanInject("providers") Providers providers) {
        return new GenerationEvents(source, Clock.systemUTC(), includePrompt, providers);
    }

    /**
     * The ids (and runs) of the tasks that have their event: read back from the events topic itself, from before the
     * oldest poll or harvest record the group has not committed.
     */
    @BindToRegistry("publishedEvents")
    public EventTopicIdempotentRepository publishedEvents(@BeanInject("kafkaClients") KafkaClients clients,
            @PropertyInject("luma.events.dedup-lookback-ms") long lookbackMs,
            @PropertyInject("luma.events.dedup-cache-size") int cacheSize,
            @PropertyInject("luma.topics.events") String eventsTopic,
            @PropertyInject("luma.kafka.group-id") String groupId,
            @PropertyInject("luma.topics.polling") String pollingTopic,
            @PropertyInject("luma.topics.harvest") String harvestTopic) {
        return new EventTopicIdempotentRepository(eventsTopic.strip(), clients, lookbackMs, cacheSize, groupId.strip(),
                List.of(pollingTopic.strip(), harvestTopic.strip()));
    }
}
