package io.lumaharvester.intake;

import java.util.Map;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.atomic.AtomicInteger;

import org.apache.kafka.clients.consumer.ConsumerInterceptor;
import org.apache.kafka.clients.consumer.ConsumerRecords;
import org.apache.kafka.clients.consumer.OffsetAndMetadata;
import org.apache.kafka.clients.producer.ProducerInterceptor;
import org.apache.kafka.clients.producer.ProducerRecord;
import org.apache.kafka.clients.producer.RecordMetadata;
import org.apache.kafka.common.TopicPartition;

/**
 * Counts, per topic, the records the harvester's producers have sent and Kafka has not yet acknowledged, and the most
 * at any moment. Given as {@code kafka.client.interceptor.classes}, which reaches every Kafka client of the harvester:
 * it is a consumer interceptor too, one that changes nothing, so the consumers take it as well. It can make Kafka
 * acknowledge a topic's records late, as replicas across a network do: the acknowledgement waits on the producer's
 * network thread.
 */
public final class WritesInFlight implements ProducerInterceptor<Object, Object>, ConsumerInterceptor<Object, Object> {

    private static final Map<String, AtomicInteger> IN_FLIGHT = new ConcurrentHashMap<>();
    private static final Map<String, AtomicInteger> MOST = new ConcurrentHashMap<>();
    private static final Map<String, AtomicInteger> ACKNOWLEDGED = new ConcurrentHashMap<>();
    private static final Map<String, Long> ACK_DELAY_MS = new ConcurrentHashMap<>();

    /** Each record of {@code topic} is acknowledged {@code ms} later, one after the other. */
    static void delayAcknowledgements(String topic, long ms) {
        ACK_DELAY_MS.put(topic, ms);
    }

    /** The most records of {@code topic} sent and not yet acknowledged at once. */
    static int most(String topic) {
        return MOST.getOrDefault(topic, new AtomicInteger()).get();
    }

    /** Records of {@code topic} Kafka has acknowledged. */
    static int acknowledged(String topic) {
        return ACKNOWLEDGED.getOrDefault(topic, new AtomicInteger()).get();
    }

    @Override
    public ProducerRecord<Object, Object> onSend(ProducerRecord<Object, Object> record) {
        int now = IN_FLIGHT.computeIfAbsent(record.topic(), t -> new AtomicInteger()).incrementAndGet();
        MOST.computeIfAbsent(record.topic(), t -> new AtomicInteger()).accumulateAndGet(now, Math::max);
        return record;
    }

    @Override
    public void onAcknowledgement(RecordMetadata metadata, Exception exception) {
        if (metadata != null) {
            long delay = ACK_DELAY_MS.getOrDefault(metadata.topic(), 0L);
            if (delay > 0) {
                try {
                    Thread.sleep(delay);
                } catch (InterruptedException e) {
                    Thread.currentThread().interrupt();
                }
            }
            IN_FLIGHT.computeIfAbsent(metadata.topic(), t -> new AtomicInteger()).decrementAndGet();
            if (exception == null) {
                ACKNOWLEDGED.computeIfAbsent(metadata.topic(), t -> new AtomicInteger()).incrementAndGet();
            }
        }
    }

    @Override
    public ConsumerRecords<Object, Object> onConsume(ConsumerRecords<Object, Object> records) {
        return records;
    }

    @Override
    public void onCommit(Map<TopicPartition, OffsetAndMetadata> offsets) {
    }

    @Override
    public void close() {
    }

    @Override
    public void configure(Map<String, ?> configs) {
    }
}
