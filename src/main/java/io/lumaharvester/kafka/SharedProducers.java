package io.lumaharvester.kafka;

import java.time.Duration;
import java.util.List;
import java.util.Map;
import java.util.Properties;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.Future;

import org.apache.camel.component.kafka.DefaultKafkaClientFactory;
import org.apache.kafka.clients.consumer.ConsumerGroupMetadata;
import org.apache.kafka.clients.consumer.OffsetAndMetadata;
import org.apache.kafka.clients.producer.Callback;
import org.apache.kafka.clients.producer.KafkaProducer;
import org.apache.kafka.clients.producer.Producer;
import org.apache.kafka.clients.producer.ProducerRecord;
import org.apache.kafka.clients.producer.RecordMetadata;
import org.apache.kafka.common.Metric;
import org.apache.kafka.common.MetricName;
import org.apache.kafka.common.PartitionInfo;
import org.apache.kafka.common.TopicPartition;
import org.apache.kafka.common.Uuid;

/**
 * The kafka component's client factory: one Kafka producer per distinct configuration, shared by every endpoint that
 * asks for it, instead of one per endpoint and route (seven producers, each with its own network thread and its own
 * small batches). The ticket topics and the events share one; the dead-letter topic, with its own record size, has
 * its own. An endpoint closing its producer leaves the shared one open; {@link #close} closes them all, after the
 * routes have stopped.
 */
public class SharedProducers extends DefaultKafkaClientFactory implements AutoCloseable {

    private final Map<Properties, KafkaProducer<Object, Object>> producers = new ConcurrentHashMap<>();

    @Override
    @SuppressWarnings({"rawtypes", "unchecked"})
    public Producer getProducer(Properties props) {
        Properties key = new Properties();
        key.putAll(props);
        return new Shared(producers.computeIfAbsent(key, p -> (KafkaProducer) super.getProducer(p)));
    }

    /** How many producers there are (one per distinct configuration asked for). */
    public int size() {
        return producers.size();
    }

    @Override
    public void close() {
        producers.values().forEach(producer -> producer.close(Duration.ofSeconds(10)));
        producers.clear();
    }

    /** A shared producer as one endpoint sees it: everything but closing it. */
    private record Shared(Producer<Object, Object> producer) implements Producer<Object, Object> {

        @Override
        public Future<RecordMetadata> send(ProducerRecord<Object, Object> record) {
            return producer.send(record);
        }

        @Override
        public Future<RecordMetadata> send(ProducerRecord<Object, Object> record, Callback callback) {
            return producer.send(record, callback);
        }

        @Override
        public void flush() {
            producer.flush();
        }

        @Override
        public List<PartitionInfo> partitionsFor(String topic) {
            return producer.partitionsFor(topic);
        }

        @Override
        public Map<MetricName, ? extends Metric> metrics() {
            return producer.metrics();
        }

        @Override
        public Uuid clientInstanceId(Duration timeout) {
            return producer.clientInstanceId(timeout);
        }

        @Override
        public void close() {
            // the factory closes it, once
        }

        @Override
        public void close(Duration timeout) {
            // the factory closes it, once
        }

        // the routes' producers are not transactional (docs/kafka.md, Kafka transactions, measured)

        @Override
        public void initTransactions() {
            throw new UnsupportedOperationException("shared producers are not transactional");
        }

        @Override
        public void beginTransaction() {
            throw new UnsupportedOperationException("shared producers are not transactional");
        }

        @Override
        @Deprecated
        public void sendOffsetsToTransaction(Map<TopicPartition, OffsetAndMetadata> offsets, String groupId) {
            throw new UnsupportedOperationException("shared producers are not transactional");
        }

        @Override
        public void sendOffsetsToTransaction(Map<TopicPartition, OffsetAndMetadata> offsets,
                ConsumerGroupMetadata group) {
            throw new UnsupportedOperationException("shared producers are not transactional");
        }

        @Override
        public void commitTransaction() {
            throw new UnsupportedOperationException("shared producers are not transactional");
        }

        @Override
        public void abortTransaction() {
            throw new UnsupportedOperationException("shared producers are not transactional");
        }
    }
}
