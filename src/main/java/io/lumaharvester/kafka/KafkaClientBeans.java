package io.lumaharvester.kafka;

import java.util.Map;
import java.util.concurrent.ExecutorService;

import org.apache.camel.BindToRegistry;
import org.apache.camel.CamelConfiguration;
import org.apache.camel.CamelContext;
import org.apache.camel.Configuration;
import org.apache.camel.PropertyInject;
import org.apache.camel.builder.ThreadPoolProfileBuilder;
import org.apache.camel.spi.ThreadPoolProfile;

/**
 * What every Kafka client in the process connects with, and what the kafka component's producers share. In Java, not
 * in a route file's beans: the component options name them (camel.component.kafka.*), and Camel Quarkus configures
 * the components before it loads the route files.
 */
@Configuration
public class KafkaClientBeans implements CamelConfiguration {

    // camel-main calls each bind method twice: what owns threads or connections is created once
    private SharedProducers kafkaClientFactory;
    private ExecutorService kafkaCallbacks;

    /** kafka.brokers and every kafka.client.* setting: what each Kafka client in the process connects with. */
    @BindToRegistry("kafkaClients")
    public KafkaClients kafkaClients(CamelContext context, @PropertyInject("kafka.brokers") String brokers) {
        return KafkaClients.from(context, brokers);
    }

    /**
     * The kafka.client.* settings, for the routes' consumers and producers (camel.component.kafka.additional-properties).
     * Camel binds beans of JDK types before the harvester's own, so this one reads the settings itself.
     */
    @BindToRegistry("kafkaClientProperties")
    public Map<String, Object> kafkaClientProperties(CamelContext context) {
        return KafkaClients.passThrough(context);
    }

    /** Every kafka endpoint's producer: one per distinct configuration, not one per endpoint and route. */
    @BindToRegistry(value = "kafkaClientFactory", destroyMethod = "close")
    public synchronized SharedProducers kafkaClientFactory() {
        if (kafkaClientFactory == null) {
            kafkaClientFactory = new SharedProducers();
        }
        return kafkaClientFactory;
    }

    /** Where every Kafka producer's acknowledgement continues its exchange: light work, two threads. */
    @BindToRegistry("kafkaCallbacks")
    public synchronized ExecutorService kafkaCallbacks(CamelContext context) {
        if (kafkaCallbacks == null) {
            kafkaCallbacks = context.getExecutorServiceManager().newThreadPool(this, "kafka-callback",
                    callbackThreads());
        }
        return kafkaCallbacks;
    }

    /**
     * Two threads and a queue. Camel's default queue holds 1,000, and past it the producer's own network thread would
     * run the route on: every write of the instance would wait meanwhile. What waits here is bounded by the records
     * in flight (luma.api.max-in-flight, the harvest and intake consumers' own bounds).
     */
    public static ThreadPoolProfile callbackThreads() {
        return new ThreadPoolProfileBuilder("kafka-callback").poolSize(2).maxPoolSize(2).keepAliveTime(0L)
                .allowCoreThreadTimeOut(false).maxQueueSize(Integer.MAX_VALUE).build();
    }
}
