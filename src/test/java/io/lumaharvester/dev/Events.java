package io.lumaharvester.dev;

import static org.assertj.core.api.Assertions.assertThat;

import java.io.InputStream;
import java.nio.charset.StandardCharsets;
import java.security.MessageDigest;
import java.time.Duration;
import java.util.HexFormat;
import java.util.List;
import java.util.Set;
import java.util.concurrent.atomic.AtomicReference;
import java.util.function.Supplier;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.networknt.schema.JsonSchema;
import com.networknt.schema.JsonSchemaFactory;
import com.networknt.schema.SpecVersion;
import com.networknt.schema.ValidationMessage;
import java.util.HashMap;
import java.util.Map;

import org.apache.kafka.clients.admin.Admin;
import org.apache.kafka.clients.admin.OffsetSpec;
import org.apache.kafka.clients.consumer.OffsetAndMetadata;
import org.apache.kafka.common.TopicPartition;
import org.apache.kafka.clients.consumer.ConsumerRecord;
import org.awaitility.Awaitility;
import software.amazon.awssdk.services.s3.S3Client;

/** Reads what the harvester produced, where it produced it: events on Kafka, objects in S3. */
public final class Events {

    public static final ObjectMapper JSON = new ObjectMapper();
    /** One admin client per broker for the awaits that ask it again and again, kept for the test JVM. */
    private static final Map<String, Admin> ADMINS = new java.util.concurrent.ConcurrentHashMap<>();
    private static final JsonSchema SCHEMA;

    static {
        try (InputStream in = Events.class.getResourceAsStream("/schema/generation-event.schema.json")) {
            SCHEMA = JsonSchemaFactory.getInstance(SpecVersion.VersionFlag.V202012).getSchema(in);
        } catch (Exception e) {
            throw new ExceptionInInitializerError(e);
        }
    }

    private Events() {
    }

    public static List<ConsumerRecord<byte[], byte[]>> records(StandIns standIns, String topic) {
        return TopicFollower.readAll(standIns.kafka.bootstrapServers(), topic);
    }

    /** The events for {@code taskId} once at least one is there (key = task id). */
    public static List<ConsumerRecord<byte[], byte[]>> awaitEvents(StandIns standIns, String topic, String taskId,
            Duration within) {
        return awaitEvents(() -> records(standIns, topic), taskId, within);
    }

    /** The same, on any broker. */
    public static List<ConsumerRecord<byte[], byte[]>> awaitEvents(String bootstrapServers, String topic, String taskId,
            Duration within) {
        return awaitEvents(() -> TopicReader.readAll(bootstrapServers, topic), taskId, within);
    }

    private static List<ConsumerRecord<byte[], byte[]>> awaitEvents(
            Supplier<List<ConsumerRecord<byte[], byte[]>>> records, String taskId, Duration within) {
        AtomicReference<List<ConsumerRecord<byte[], byte[]>>> found = new AtomicReference<>();
        Awaitility.await().atMost(within).pollInterval(Duration.ofMillis(200)).until(() -> {
            found.set(forKey(records.get(), taskId));
            return !found.get().isEmpty();
        });
        return found.get();
    }

    /** The one event for {@code taskId}, once it is there; it must be the only one and valid against the schema. */
    public static ConsumerRecord<byte[], byte[]> awaitOnlyEvent(StandIns standIns, String topic, String taskId,
            Duration within) throws Exception {
        return onlyEvent(awaitEvents(standIns, topic, taskId, within), taskId);
    }

    /** The same, on any broker. */
    public static ConsumerRecord<byte[], byte[]> awaitOnlyEvent(String bootstrapServers, String topic, String taskId,
            Duration within) throws Exception {
        return onlyEvent(awaitEvents(bootstrapServers, topic, taskId, within), taskId);
    }

    private static ConsumerRecord<byte[], byte[]> onlyEvent(List<ConsumerRecord<byte[], byte[]>> events,
            String taskId) throws Exception {
        assertThat(events).as("events for %s", taskId).hasSize(1);
        assertValidEvent(value(events.get(0)));
        return events.get(0);
    }

    public static List<ConsumerRecord<byte[], byte[]>> forKey(List<ConsumerRecord<byte[], byte[]>> records, String key) {
        return records.stream()
                .filter(r -> r.key() != null && key.equals(new String(r.key(), StandardCharsets.UTF_8)))
                .toList();
    }

    public static JsonNode value(ConsumerRecord<byte[], byte[]> record) throws Exception {
        return JSON.readTree(record.value());
    }

    public static String header(ConsumerRecord<byte[], byte[]> record, String name) {
        var header = record.headers().lastHeader(name);
        return header == null ? null : new String(header.value(), StandardCharsets.UTF_8);
    }

    public static void assertValidEvent(JsonNode event) {
        Set<ValidationMessage> errors = SCHEMA.validate(event);
        assertThat(errors).as("schema violations of %s", event).isEmpty();
    }

    /**
     * Waits until the task's last state on the task-state topic (luma.topics.accepted) is ended: the event goes out
     * before the end is recorded (publish.camel.yaml, record-task-end), and the id sent again in between is in flight.
     */
    public static void awaitEnded(StandIns standIns, String stateTopic, String taskId) {
        Awaitility.await().atMost(Duration.ofSeconds(20)).pollInterval(Duration.ofMillis(50)).until(() -> {
            List<ConsumerRecord<byte[], byte[]>> states = forKey(records(standIns, stateTopic), taskId);
            return !states.isEmpty()
                    && value(states.get(states.size() - 1)).path("state").asText().equals("ended");
        });
    }

    /**
     * Waits until the group has committed everything on these topics: the harvester has nothing in flight, so no
     * further event can come from what was sent so far.
     */
    public static void awaitDrained(StandIns standIns, String groupId, String... topics) {
        Admin admin = ADMINS.computeIfAbsent(standIns.kafka.bootstrapServers(), EmbeddedKafka::admin);
        Awaitility.await().atMost(Duration.ofSeconds(30)).pollInterval(Duration.ofMillis(200)).until(() -> {
            Map<TopicPartition, OffsetAndMetadata> committed =
                    admin.listConsumerGroupOffsets(groupId).partitionsToOffsetAndMetadata().get();
            Map<TopicPartition, OffsetSpec> latest = new HashMap<>();
            for (String topic : topics) {
                admin.describeTopics(List.of(topic)).allTopicNames().get().get(topic).partitions()
                        .forEach(p -> latest.put(new TopicPartition(topic, p.partition()), OffsetSpec.latest()));
            }
            var ends = admin.listOffsets(latest).all().get();
            return ends.entrySet().stream().allMatch(e -> {
                OffsetAndMetadata c = committed.get(e.getKey());
                return e.getValue().offset() == 0 || (c != null && c.offset() >= e.getValue().offset());
            });
        });
    }

    public static String sha256OfObject(EmbeddedS3 s3, String bucket, String key) throws Exception {
        try (S3Client client = s3.client()) {
            return sha256OfObject(client, bucket, key);
        }
    }

    /** With a client the caller keeps: checking hundreds of objects, building a client costs more than reading one. */
    public static String sha256OfObject(S3Client client, String bucket, String key) throws Exception {
        MessageDigest digest = MessageDigest.getInstance("SHA-256");
        try (InputStream in = client.getObject(b -> b.bucket(bucket).key(key))) {
            byte[] buffer = new byte[64 * 1024];
            for (int n; (n = in.read(buffer)) > 0;) {
                digest.update(buffer, 0, n);
            }
        }
        return HexFormat.of().formatHex(digest.digest());
    }
}
