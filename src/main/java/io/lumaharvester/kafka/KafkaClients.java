package io.lumaharvester.kafka;

import java.util.Locale;
import java.util.Map;
import java.util.Properties;
import java.util.TreeMap;
import java.util.TreeSet;

import org.apache.camel.CamelContext;
import org.apache.camel.spi.PropertiesComponent;
import org.apache.kafka.clients.CommonClientConfigs;
import org.apache.kafka.clients.producer.ProducerConfig;
import org.apache.kafka.common.config.SaslConfigs;

/**
 * What every Kafka client in the process shares: {@code kafka.brokers} and any Kafka client property given as
 * {@code kafka.client.<property>} (security.protocol, sasl.*, ssl.*, ...). The routes' consumers and producers get
 * them through the component's {@code additional-properties}; the idempotency repositories, the readiness check and
 * topic creation build their clients here. Secrets arrive from the environment ({@code KAFKA_CLIENT_SASL_JAAS_CONFIG})
 * or from a mounted file through Kafka's own config providers; they are never logged.
 */
public final class KafkaClients {

    public static final String PREFIX = "kafka.client.";
    private static final String ENV_PREFIX = "KAFKA_CLIENT_";

    private final String brokers;
    private final Map<String, String> passThrough;

    public KafkaClients(String brokers, Map<String, String> passThrough) {
        this.brokers = brokers;
        this.passThrough = Map.copyOf(passThrough);
    }

    /**
     * Collects every {@code kafka.client.*} name from the property files, the system properties and the environment
     * ({@code KAFKA_CLIENT_SSL_TRUSTSTORE_LOCATION} is {@code kafka.client.ssl.truststore.location}: Kafka's own
     * property names have only dots), then resolves each through Camel, so the usual precedence applies.
     */
    public static KafkaClients from(CamelContext context, String brokers) {
        return new KafkaClients(brokers, collect(context.getPropertiesComponent(), System.getenv()));
    }

    /** The {@code kafka.client.*} settings alone, for camel-kafka's {@code additionalProperties} (applied last). */
    public static Map<String, Object> passThrough(CamelContext context) {
        return new TreeMap<>(collect(context.getPropertiesComponent(), System.getenv()));
    }

    static Map<String, String> collect(PropertiesComponent properties, Map<String, String> environment) {
        TreeSet<String> names = new TreeSet<>(properties.loadPropertiesAsMap(k -> k.startsWith(PREFIX)).keySet()
                .stream().map(Object::toString).toList());
        System.getProperties().stringPropertyNames().stream().filter(k -> k.startsWith(PREFIX)).forEach(names::add);
        environment.keySet().stream().filter(k -> k.startsWith(ENV_PREFIX) && k.length() > ENV_PREFIX.length())
                .map(k -> PREFIX + k.substring(ENV_PREFIX.length()).toLowerCase(Locale.ROOT).replace('_', '.'))
                .forEach(names::add);
        Map<String, String> resolved = new TreeMap<>();
        for (String name : names) {
            String value = properties.resolveProperty(name)
                    .orElseGet(() -> environment.get(ENV_PREFIX + name.substring(PREFIX.length())
                            .toUpperCase(Locale.ROOT).replace('.', '_')));
            if (value != null) {
                resolved.put(name.substring(PREFIX.length()), value);
            }
        }
        return resolved;
    }

    public String brokers() {
        return brokers;
    }

    /**
     * The largest request the routes' producers send, so the largest record they write: kafka.client.max.request.size,
     * else Kafka's default. A value Kafka cannot read is reported by Kafka when a producer is built.
     */
    public int maxRequestSize() {
        return maxRequestSize(passThrough.get(ProducerConfig.MAX_REQUEST_SIZE_CONFIG));
    }

    /** {@code configured}: the kafka.client.max.request.size setting, or null. */
    public static int maxRequestSize(String configured) {
        if (configured != null) {
            try {
                return Integer.parseInt(configured.strip());
            } catch (NumberFormatException unreadable) {
                // Kafka says so when it builds a producer
            }
        }
        return (Integer) ProducerConfig.configDef().defaultValues().get(ProducerConfig.MAX_REQUEST_SIZE_CONFIG);
    }


    /** Settings for one more client; each call gives a fresh copy, since Kafka's clients and Camel's add to it. */
    public Properties client() {
        Properties props = new Properties();
        props.putAll(passThrough);
        props.put(CommonClientConfigs.BOOTSTRAP_SERVERS_CONFIG, brokers);
        return props;
    }

    /** Acknowledged by every in-sync replica: what these producers write is the harvester's memory. */
    public Properties producer() {
        Properties props = client();
        props.put(ProducerConfig.ACKS_CONFIG, "all");
        return props;
    }

    /** Security protocol and SASL mechanism, for log lines; never a secret. */
    public String describe() {
        String protocol = passThrough.getOrDefault(CommonClientConfigs.SECURITY_PROTOCOL_CONFIG, "PLAINTEXT");
        String mechanism = passThrough.get(SaslConfigs.SASL_MECHANISM);
        return protocol + (mechanism != null && protocol.startsWith("SASL") ? " " + mechanism : "");
    }

    @Override
    public String toString() {
        return "KafkaClients[" + brokers + ", " + describe() + ", settings " + passThrough.keySet() + "]";
    }
}
