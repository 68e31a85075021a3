package io.lumaharvester;

import java.time.Duration;
import java.util.Collections;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Properties;
import java.util.Set;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.TimeUnit;

import org.apache.camel.spi.IdempotentRepository;
import org.apache.camel.support.service.ServiceSupport;
import org.apache.kafka.clients.consumer.ConsumerConfig;
import org.apache.kafka.clients.consumer.ConsumerRecord;
import org.apache.kafka.clients.consumer.KafkaConsumer;
import org.apache.kafka.clients.consumer.OffsetAndTimestamp;
import org.apache.kafka.common.TopicPartition;
import org.apache.kafka.common.errors.WakeupException;
import org.apache.kafka.common.serialization.StringDeserializer;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * An idempotent repository whose log is the events topic itself: a task id is known once an event keyed by it is on
 * the topic. Publishing the event is recording the id, so a crash between the two cannot repeat an event. (Camel's
 * KafkaIdempotentRepository writes its own topic after the event; a process killed between the two writes publishes
 * the event again after a restart: seen once in 300 tasks in CrashRecoveryIT.)
 * <p>
 * On start it reads the keys of the last {@code lookbackMs} of the topic, which covers every record a restart can
 * replay; then a background consumer keeps following the topic, so ids published by other instances are known too.
 */
public class EventTopicIdempotentRepository extends ServiceSupport implements IdempotentRepository {

    private static final Logger LOG = LoggerFactory.getLogger(EventTopicIdempotentRepository.class);

    private final String topic;
    private final KafkaClients clients;
    private final long lookbackMs;
    private final int maxCacheSize;

    private Set<String> known;
    private KafkaConsumer<String, String> consumer;
    private Thread follower;
    private volatile boolean following;

    public EventTopicIdempotentRepository(String topic, KafkaClients clients, long lookbackMs, int maxCacheSize) {
        this.topic = topic;
        this.clients = clients;
        this.lookbackMs = lookbackMs;
        this.maxCacheSize = maxCacheSize;
    }

    @Override
    protected void doStart() throws Exception {
        int limit = maxCacheSize;
        known = Collections.synchronizedSet(Collections.newSetFromMap(new LinkedHashMap<>(16, 0.75f, true) {
            @Override
            protected boolean removeEldestEntry(Map.Entry<String, Boolean> eldest) {
                return size() > limit;
            }
        }));
        Properties props = clients.client();
        props.put(ConsumerConfig.KEY_DESERIALIZER_CLASS_CONFIG, StringDeserializer.class.getName());
        props.put(ConsumerConfig.VALUE_DESERIALIZER_CLASS_CONFIG, StringDeserializer.class.getName());
        props.put(ConsumerConfig.ENABLE_AUTO_COMMIT_CONFIG, "false");
        props.put(ConsumerConfig.ISOLATION_LEVEL_CONFIG, "read_committed");
        consumer = new KafkaConsumer<>(props);
        List<TopicPartition> partitions = partitions();
        consumer.assign(partitions);
        long since = System.currentTimeMillis() - lookbackMs;
        Map<TopicPartition, OffsetAndTimestamp> starts = consumer.offsetsForTimes(
                partitions.stream().collect(java.util.stream.Collectors.toMap(p -> p, p -> since)));
        Map<TopicPartition, Long> ends = consumer.endOffsets(partitions);
        for (TopicPartition partition : partitions) {
            OffsetAndTimestamp start = starts.get(partition);
            consumer.seek(partition, start == null ? ends.get(partition) : start.offset());
        }
        long deadline = System.nanoTime() + Duration.ofSeconds(60).toNanos();
        while (partitions.stream().anyMatch(p -> consumer.position(p) < ends.get(p))) {
            if (System.nanoTime() > deadline) {
                throw new IllegalStateException("could not read the task ids of " + topic + " within 60 s");
            }
            remember(consumer.poll(Duration.ofMillis(200)));
        }
        LOG.info("{} task ids with an event on {} in the last {} ms", known.size(), topic, lookbackMs);
        following = true;
        CountDownLatch started = new CountDownLatch(1);
        follower = new Thread(() -> follow(started), "event-topic-idempotency-" + topic);
        follower.setDaemon(true);
        follower.start();
        started.await(10, TimeUnit.SECONDS);
    }

    /** The topic's partitions; a topic the broker creates on first use may take a moment to have them. */
    private List<TopicPartition> partitions() throws InterruptedException {
        long deadline = System.nanoTime() + Duration.ofSeconds(30).toNanos();
        while (true) {
            List<TopicPartition> partitions = consumer.partitionsFor(topic, Duration.ofSeconds(10)).stream()
                    .map(p -> new TopicPartition(topic, p.partition()))
                    .toList();
            if (!partitions.isEmpty()) {
                return partitions;
            }
            if (System.nanoTime() > deadline) {
                consumer.close();
                throw new IllegalStateException("the topic " + topic + " has no partitions: create it (see README, "
                        + "Operations)");
            }
            Thread.sleep(200);
        }
    }

    private void follow(CountDownLatch started) {
        started.countDown();
        try {
            while (following) {
                remember(consumer.poll(Duration.ofMillis(500)));
            }
        } catch (WakeupException stopping) {
            // stop() woke the consumer up
        } catch (RuntimeException e) {
            LOG.warn("stopped following {}: {}", topic, e.toString());
        } finally {
            // closed on this thread: a Kafka consumer is not safe for use from another one
            consumer.close(Duration.ofSeconds(5));
        }
    }

    private void remember(Iterable<ConsumerRecord<String, String>> records) {
        for (ConsumerRecord<String, String> record : records) {
            if (record.key() != null) {
                known.add(record.key());
            }
        }
    }

    @Override
    protected void doStop() throws Exception {
        following = false;
        if (follower != null) {
            consumer.wakeup();
            follower.join(10_000);
        }
    }

    @Override
    public boolean add(String key) {
        return known.add(key);
    }

    @Override
    public boolean contains(String key) {
        return known.contains(key);
    }

    @Override
    public boolean remove(String key) {
        return known.remove(key);
    }

    @Override
    public boolean confirm(String key) {
        return true;
    }

    @Override
    public void clear() {
        known.clear();
    }
}
