package io.lumaharvester.intake;

import io.lumaharvester.kafka.KafkaClients;
import io.lumaharvester.kafka.TopicFollower;
import java.time.Clock;
import java.time.Duration;
import java.util.List;
import java.util.Properties;

import org.apache.kafka.clients.consumer.ConsumerConfig;
import org.apache.kafka.clients.consumer.ConsumerRecord;
import org.apache.kafka.clients.consumer.KafkaConsumer;
import org.apache.kafka.common.TopicPartition;
import org.apache.kafka.common.serialization.ByteArrayDeserializer;
import org.apache.kafka.common.serialization.StringDeserializer;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Reads the states topic whole into the {@link StateStore} at start-up, then follows it on a consumer and a thread of
 * its own, so the states written by other instances are known too. A record is read in the topic's order, but maybe
 * after this instance wrote newer states of its id: {@link StateStore#remember} keeps the newer. Each batch read ends
 * with the store's retention sweep.
 */
final class StateFollower {

    /** Logs as {@link TaskStates}, whose logger the operators' settings name. */
    private static final Logger LOG = LoggerFactory.getLogger(TaskStates.class);
    /**
     * Each wait of the start for Kafka, and of a re-submission for its state's record, unless
     * kafka.client.default.api.timeout.ms is set.
     */
    static final int START_TIMEOUT_MS = 30_000;

    private final String topic;
    private final KafkaClients clients;
    private final StateStore store;
    private final Clock clock;

    private KafkaConsumer<String, byte[]> consumer;
    private TopicFollower<String, byte[]> follower;

    StateFollower(String topic, KafkaClients clients, StateStore store, Clock clock) {
        this.topic = topic;
        this.clients = clients;
        this.store = store;
        this.clock = clock;
    }

    /**
     * The consumer's settings. {@code default.api.timeout.ms} bounds each wait of the start for Kafka (the topic's
     * partitions, its ends, the positions read to): 30 s, unless a kafka.client.default.api.timeout.ms setting is set.
     */
    static Properties consumerConfig(KafkaClients clients) {
        Properties props = clients.client();
        props.put(ConsumerConfig.KEY_DESERIALIZER_CLASS_CONFIG, StringDeserializer.class.getName());
        props.put(ConsumerConfig.VALUE_DESERIALIZER_CLASS_CONFIG, ByteArrayDeserializer.class.getName());
        props.put(ConsumerConfig.ENABLE_AUTO_COMMIT_CONFIG, "false");
        props.putIfAbsent(ConsumerConfig.DEFAULT_API_TIMEOUT_MS_CONFIG, String.valueOf(START_TIMEOUT_MS));
        return props;
    }

    /** Reads the topic to its end, then follows it; {@link #stop} closes the consumer, also after a start that failed. */
    void start() throws Exception {
        consumer = new KafkaConsumer<>(consumerConfig(clients));
        List<TopicPartition> partitions = consumer.partitionsFor(topic).stream()
                .map(p -> new TopicPartition(topic, p.partition())).toList();
        if (partitions.isEmpty()) {
            throw new IllegalStateException("the topic " + topic + " has no partitions: create it (docs/kafka.md, "
                    + "Topics)");
        }
        consumer.assign(partitions);
        consumer.seekToBeginning(partitions);
        follower = new TopicFollower<>(consumer, topic, this::remember);
        follower.readTo(partitions, consumer.endOffsets(partitions), Duration.ofSeconds(120), "the task states");
        LOG.info("{} task states read from {}", store.size(), topic);
        follower.follow("task-states-" + topic);
    }

    /** The follower's records, in the topic's order, but maybe after this instance wrote newer ones. */
    void remember(Iterable<ConsumerRecord<String, byte[]>> records) {
        for (ConsumerRecord<String, byte[]> record : records) {
            if (record.key() != null && !heldAt(record)) {
                store.remember(record.key(), read(record));
            }
        }
        store.sweep();
    }

    /**
     * Whether the state held for the record's id is the record: this instance's own write, acknowledged, which the
     * follower reads back. Parsing it again would change nothing, and cost a parse per task admitted.
     */
    private boolean heldAt(ConsumerRecord<String, byte[]> record) {
        KeptState kept = store.entry(record.key());
        return kept != null && kept.offset() == record.offset() && kept.partition() == record.partition();
    }

    /** The state a record holds; a null state for a tombstone, an expired state or not a state. */
    private KeptState read(ConsumerRecord<String, byte[]> record) {
        TaskState state = record.value() == null ? null : TaskState.parsed(record.value());
        if (state != null) {
            state = state.held();
        }
        KeptState kept = KeptState.at(state, record.timestamp(), record.partition(), record.offset());
        // expired: read back at start-up, or written by an instance whose clock is late: already forgotten
        return store.expired(kept, clock.millis()) ? KeptState.at(null, kept.at(), kept.partition(), kept.offset())
                : kept;
    }

    /** Stops following, or closes the consumer if it does not follow yet (the follower closes it on its thread). */
    void stop() throws InterruptedException {
        try {
            if (follower != null) {
                follower.stop();
            } else if (consumer != null) {
                consumer.close(Duration.ofSeconds(5));
            }
        } finally {
            follower = null;
            consumer = null;
        }
    }
}
