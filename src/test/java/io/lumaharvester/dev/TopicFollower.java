package io.lumaharvester.dev;

import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.Properties;
import java.util.concurrent.ConcurrentHashMap;

import org.apache.kafka.clients.consumer.ConsumerConfig;
import org.apache.kafka.clients.consumer.ConsumerRecord;
import org.apache.kafka.clients.consumer.KafkaConsumer;
import org.apache.kafka.common.TopicPartition;
import org.apache.kafka.common.serialization.ByteArrayDeserializer;

/**
 * Every record a topic holds now, as {@link io.lumaharvester.dev.TopicReader#readAll} reads it, from one consumer per
 * topic and test JVM that goes on from where it stopped. A test awaiting an event asks every 200 ms, and rows of a
 * table ask side by side: a new consumer per ask (a connection, a metadata fetch, the topic read from its start) cost
 * more CPU than the harvesters under test.
 */
final class TopicFollower {

    private static final Map<String, TopicFollower> FOLLOWERS = new ConcurrentHashMap<>();

    private final String topic;
    private final KafkaConsumer<byte[], byte[]> consumer;
    private final List<ConsumerRecord<byte[], byte[]>> records = new ArrayList<>();
    private final List<TopicPartition> assigned = new ArrayList<>();

    private TopicFollower(String bootstrapServers, String topic) {
        this.topic = topic;
        Properties props = new Properties();
        props.put(ConsumerConfig.BOOTSTRAP_SERVERS_CONFIG, bootstrapServers);
        props.put(ConsumerConfig.KEY_DESERIALIZER_CLASS_CONFIG, ByteArrayDeserializer.class.getName());
        props.put(ConsumerConfig.VALUE_DESERIALIZER_CLASS_CONFIG, ByteArrayDeserializer.class.getName());
        props.put(ConsumerConfig.ENABLE_AUTO_COMMIT_CONFIG, "false");
        props.put(ConsumerConfig.MAX_PARTITION_FETCH_BYTES_CONFIG, String.valueOf(16 * 1024 * 1024));
        this.consumer = new KafkaConsumer<>(props);
    }

    /** The records of {@code topic} up to its end offsets now, in the order a reader from the start would get them. */
    static List<ConsumerRecord<byte[], byte[]>> readAll(String bootstrapServers, String topic) {
        return FOLLOWERS.computeIfAbsent(bootstrapServers + "/" + topic, k -> new TopicFollower(bootstrapServers, topic))
                .read();
    }

    private synchronized List<ConsumerRecord<byte[], byte[]>> read() {
        List<TopicPartition> partitions = consumer.partitionsFor(topic, Duration.ofSeconds(10)).stream()
                .map(p -> new TopicPartition(topic, p.partition()))
                .toList();
        List<TopicPartition> added = partitions.stream().filter(p -> !assigned.contains(p)).toList();
        if (!added.isEmpty()) {
            assigned.addAll(added);
            consumer.assign(assigned);
            consumer.seekToBeginning(added);
        }
        Map<TopicPartition, Long> end = consumer.endOffsets(assigned);
        long deadline = System.nanoTime() + Duration.ofSeconds(20).toNanos();
        while (assigned.stream().anyMatch(p -> consumer.position(p) < end.get(p))) {
            if (System.nanoTime() > deadline) {
                throw new IllegalStateException("could not read " + topic + " to its end");
            }
            consumer.poll(Duration.ofMillis(200)).forEach(records::add);
        }
        return List.copyOf(records);
    }
}
