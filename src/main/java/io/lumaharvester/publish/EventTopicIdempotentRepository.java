package io.lumaharvester.publish;

import io.lumaharvester.kafka.KafkaClients;
import io.lumaharvester.kafka.TopicFollower;
import java.time.Duration;
import java.util.Collections;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Properties;
import java.util.Set;
import java.util.concurrent.TimeUnit;

import org.apache.camel.spi.IdempotentRepository;
import org.apache.camel.support.service.ServiceSupport;
import org.apache.kafka.clients.admin.Admin;
import org.apache.kafka.clients.consumer.ConsumerConfig;
import org.apache.kafka.clients.consumer.OffsetAndMetadata;
import org.apache.kafka.common.serialization.ByteArrayDeserializer;
import org.apache.kafka.clients.consumer.ConsumerRecord;
import org.apache.kafka.clients.consumer.KafkaConsumer;
import org.apache.kafka.clients.consumer.OffsetAndTimestamp;
import org.apache.kafka.common.TopicPartition;
import org.apache.kafka.common.serialization.StringDeserializer;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * An idempotent repository whose log is the events topic itself: a task id is known once an event keyed by it is on
 * the topic. Publishing the event is recording the id, so a crash between the two cannot repeat an event. (Camel's
 * KafkaIdempotentRepository writes its own topic after the event; a process killed between the two writes publishes
 * the event again after a restart: seen once in 300 tasks in CrashRecoveryIT.)
 * <p>
 * On start it reads the keys from the timestamp of the oldest record the consumer group has not committed on the
 * poll and harvest topics (where a restart resumes, however long ago it was written), less {@code lookbackMs}; at
 * least the last {@code lookbackMs}. Then a background consumer keeps following the topic, so ids published by other
 * instances are known too. A key is the task id and its run ({@link GenerationEvent#dedupKey()}).
 */
public class EventTopicIdempotentRepository extends ServiceSupport implements IdempotentRepository {

    private static final Logger LOG = LoggerFactory.getLogger(EventTopicIdempotentRepository.class);

    private final String topic;
    private final KafkaClients clients;
    private final long lookbackMs;
    private final int maxCacheSize;
    private final String groupId;
    private final List<String> replayedTopics;

    private Set<String> known;
    private KafkaConsumer<String, String> consumer;
    private TopicFollower<String, String> follower;

    public EventTopicIdempotentRepository(String topic, KafkaClients clients, long lookbackMs, int maxCacheSize) {
        this(topic, clients, lookbackMs, maxCacheSize, null, List.of());
    }

    /**
     * {@code groupId} and {@code replayedTopics}: the consumer group and the topics whose records publish events (the
     * poll and harvest steps). Reading starts early enough for the oldest record the group has not committed.
     */
    public EventTopicIdempotentRepository(String topic, KafkaClients clients, long lookbackMs, int maxCacheSize,
            String groupId, List<String> replayedTopics) {
        this.topic = topic;
        this.clients = clients;
        this.lookbackMs = lookbackMs;
        this.maxCacheSize = maxCacheSize;
        this.groupId = groupId;
        this.replayedTopics = List.copyOf(replayedTopics);
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
        long oldestReplay = oldestUncommittedTimestamp();
        // the events of the records a restart replays were sent after those records were written; the look-back is
        // the margin (clock skew between the producers) and the least that is read
        long since = Math.min(System.currentTimeMillis(), oldestReplay) - lookbackMs;
        Map<TopicPartition, OffsetAndTimestamp> starts = consumer.offsetsForTimes(
                partitions.stream().collect(java.util.stream.Collectors.toMap(p -> p, p -> since)));
        Map<TopicPartition, Long> ends = consumer.endOffsets(partitions);
        for (TopicPartition partition : partitions) {
            OffsetAndTimestamp start = starts.get(partition);
            consumer.seek(partition, start == null ? ends.get(partition) : start.offset());
        }
        follower = new TopicFollower<>(consumer, topic, this::remember);
        follower.readTo(partitions, ends, Duration.ofSeconds(60), "the task ids");
        LOG.info("{} task ids with an event on {} since {} (the oldest record to replay, {}, less {} ms)",
                known.size(), topic, java.time.Instant.ofEpochMilli(since),
                oldestReplay == Long.MAX_VALUE ? "none" : java.time.Instant.ofEpochMilli(oldestReplay), lookbackMs);
        follower.follow("event-topic-idempotency-" + topic);
    }

    /**
     * The timestamp of the oldest record on the replayed topics that the group has not committed (where a restart
     * resumes), or {@link Long#MAX_VALUE} when there is none.
     */
    long oldestUncommittedTimestamp() throws Exception {
        if (groupId == null || replayedTopics.isEmpty()) {
            return Long.MAX_VALUE;
        }
        Properties props = clients.client();
        Map<TopicPartition, Long> resumeAt = new java.util.HashMap<>();
        try (Admin admin = Admin.create(props)) {
            Map<TopicPartition, OffsetAndMetadata> committed = admin.listConsumerGroupOffsets(groupId)
                    .partitionsToOffsetAndMetadata().get(60, TimeUnit.SECONDS);
            for (var description : admin.describeTopics(replayedTopics).allTopicNames().get(60, TimeUnit.SECONDS)
                    .values()) {
                description.partitions().forEach(p -> {
                    TopicPartition partition = new TopicPartition(description.name(), p.partition());
                    OffsetAndMetadata at = committed.get(partition);
                    resumeAt.put(partition, at == null ? -1L : at.offset());
                });
            }
        }
        props.put(ConsumerConfig.KEY_DESERIALIZER_CLASS_CONFIG, ByteArrayDeserializer.class.getName());
        props.put(ConsumerConfig.VALUE_DESERIALIZER_CLASS_CONFIG, ByteArrayDeserializer.class.getName());
        props.put(ConsumerConfig.ENABLE_AUTO_COMMIT_CONFIG, "false");
        props.put(ConsumerConfig.MAX_POLL_RECORDS_CONFIG, "1");
        long oldest = Long.MAX_VALUE;
        try (KafkaConsumer<byte[], byte[]> reader = new KafkaConsumer<>(props)) {
            List<TopicPartition> partitions = List.copyOf(resumeAt.keySet());
            Map<TopicPartition, Long> ends = reader.endOffsets(partitions);
            Map<TopicPartition, Long> starts = reader.beginningOffsets(partitions);
            for (TopicPartition partition : partitions) {
                // no commit yet: the group starts from the beginning (auto.offset.reset=earliest)
                long from = Math.max(resumeAt.get(partition), starts.get(partition));
                if (from >= ends.get(partition)) {
                    continue;
                }
                reader.assign(List.of(partition));
                reader.seek(partition, from);
                long deadline = System.nanoTime() + Duration.ofSeconds(30).toNanos();
                ConsumerRecord<byte[], byte[]> first = null;
                while (first == null && reader.position(partition) < ends.get(partition)) {
                    if (System.nanoTime() > deadline) {
                        throw new IllegalStateException("could not read " + partition + " within 30 s");
                    }
                    var records = reader.poll(Duration.ofMillis(200)).records(partition);
                    first = records.isEmpty() ? null : records.get(0);
                }
                if (first != null) {
                    oldest = Math.min(oldest, first.timestamp());
                }
            }
        }
        return oldest;
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
                throw new IllegalStateException("the topic " + topic + " has no partitions: create it (see "
                        + "docs/kafka.md, Topics)");
            }
            Thread.sleep(200);
        }
    }

    private void remember(Iterable<ConsumerRecord<String, String>> records) {
        for (ConsumerRecord<String, String> record : records) {
            if (record.key() != null) {
                // the task id and its run (GenerationEvent#dedupKey), or the id alone for an event from before runs
                var run = record.headers().lastHeader(GenerationEvents.RUN_HEADER);
                known.add(run == null ? record.key()
                        : record.key() + "/" + new String(run.value(), java.nio.charset.StandardCharsets.UTF_8));
            }
        }
    }

    @Override
    protected void doStop() throws Exception {
        if (follower != null) {
            follower.stop();
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
