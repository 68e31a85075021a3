package io.lumaharvester.intake;

import io.lumaharvester.kafka.KafkaClients;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.Properties;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.Executor;
import java.util.function.Function;

import org.apache.kafka.clients.producer.KafkaProducer;
import org.apache.kafka.clients.producer.ProducerConfig;
import org.apache.kafka.clients.producer.ProducerRecord;
import org.apache.kafka.clients.producer.RecordMetadata;
import org.apache.kafka.common.serialization.ByteArraySerializer;
import org.apache.kafka.common.serialization.StringSerializer;

/**
 * The producer of {@link TaskStates}: writes a task's state to the states topic, and a completed task's event again
 * to the events topic. A write does not hold a thread: it completes on the callbacks executor once Kafka has
 * acknowledged it, not on the producer's own network thread, which sends every write.
 */
final class StateWrites {

    /**
     * A write Kafka has not acknowledged after this long fails, with Kafka's own TimeoutException: the JDK's would
     * reach the task's error policy as the task's error, and cost a harvesting task a media attempt
     * (TaskRecovery#retriesTask). A kafka.client.delivery.timeout.ms setting wins.
     */
    static final int WRITE_TIMEOUT_MS = 30_000;
    /** How long a state write waits for others to share its request (producer linger.ms), unless set. */
    static final int LINGER_MS = 2;

    private final String topic;
    private final String eventsTopic;
    private final Executor callbacks;
    private KafkaProducer<String, byte[]> producer;

    /** {@code callbacks}: where the route goes on once a write is acknowledged. */
    StateWrites(String topic, String eventsTopic, Executor callbacks) {
        this.topic = topic;
        this.eventsTopic = eventsTopic;
        this.callbacks = callbacks;
    }

    /** Makes the producer; {@link #close} closes it. */
    void open(KafkaClients clients) {
        producer = new KafkaProducer<>(producerConfig(clients));
    }

    /** The record's timestamp is {@code at}, the clock's: the retention counts from it, here and on Kafka. */
    CompletableFuture<RecordMetadata> write(String taskId, TaskState state, long at) throws Exception {
        return send(new ProducerRecord<>(topic, null, at, taskId, TaskState.JSON.writeValueAsBytes(state)),
                metadata -> metadata);
    }

    /** A completed task's stored event, with its headers, on the events topic again: unchanged (same ce_id). */
    CompletableFuture<Void> republish(String taskId, TaskState recorded) throws Exception {
        ProducerRecord<String, byte[]> record = new ProducerRecord<>(eventsTopic, taskId,
                TaskState.JSON.writeValueAsBytes(recorded.event()));
        recorded.headers().forEach((name, value) -> record.headers().add(name, value.getBytes(StandardCharsets.UTF_8)));
        return send(record, metadata -> null);
    }

    /**
     * Completes on the callbacks executor once Kafka has acknowledged the record (with {@code result} of where it
     * is), or with Kafka's own exception once it has given up on it.
     */
    private <T> CompletableFuture<T> send(ProducerRecord<String, byte[]> record, Function<RecordMetadata, T> result) {
        CompletableFuture<T> sent = new CompletableFuture<>();
        producer.send(record, (metadata, error) -> callbacks.execute(() -> {
            if (error == null) {
                sent.complete(result.apply(metadata));
            } else {
                sent.completeExceptionally(error);
            }
        }));
        return sent;
    }

    /** Closes the producer, if made; once. */
    void close() {
        if (producer != null) {
            producer.close(Duration.ofSeconds(5));
            producer = null;
        }
    }

    /** The producer's settings: the shared Kafka client settings, acknowledged by all replicas, given up in time. */
    static Properties producerConfig(KafkaClients clients) {
        Properties props = clients.producer();
        props.put(ProducerConfig.KEY_SERIALIZER_CLASS_CONFIG, StringSerializer.class.getName());
        props.put(ProducerConfig.VALUE_SERIALIZER_CLASS_CONFIG, ByteArraySerializer.class.getName());
        props.put(ProducerConfig.ACKS_CONFIG, "all");
        props.put(ProducerConfig.ENABLE_IDEMPOTENCE_CONFIG, "true");
        // a burst of task records writes a state each: waiting 2 ms, as the routes' producers do
        // (camel.component.kafka.linger-ms), puts several in one request instead of one request each, which cost the
        // producer's network thread and the broker CPU per write. A kafka.client.linger.ms setting wins.
        props.putIfAbsent(ProducerConfig.LINGER_MS_CONFIG, String.valueOf(LINGER_MS));
        // Kafka refuses a delivery time-out below linger.ms + request.timeout.ms: unless set, the client's default
        // request.timeout.ms
        long floor = producerSetting(props, ProducerConfig.LINGER_MS_CONFIG)
                + producerSetting(props, ProducerConfig.REQUEST_TIMEOUT_MS_CONFIG);
        props.putIfAbsent(ProducerConfig.DELIVERY_TIMEOUT_MS_CONFIG, String.valueOf(Math.max(WRITE_TIMEOUT_MS, floor)));
        return props;
    }

    private static long producerSetting(Properties props, String name) {
        Object value = props.getProperty(name);
        if (value == null) {
            value = ProducerConfig.configDef().defaultValues().get(name);
        }
        return Long.parseLong(String.valueOf(value).strip());
    }
}
