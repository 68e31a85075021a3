package io.lumaharvester.task;

import io.lumaharvester.dev.Events;
import io.lumaharvester.dev.HarvesterExtension;
import static org.assertj.core.api.Assertions.assertThat;

import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.Arrays;
import java.util.List;
import java.util.Map;
import java.util.Properties;
import java.util.UUID;
import java.util.function.Consumer;
import java.util.stream.Stream;

import com.fasterxml.jackson.databind.JsonNode;
import io.lumaharvester.dev.StandIns;
import org.apache.camel.builder.AdviceWith;
import org.apache.kafka.clients.admin.Admin;
import org.apache.kafka.clients.consumer.ConsumerRecord;
import org.apache.kafka.clients.consumer.OffsetAndMetadata;
import org.apache.kafka.clients.producer.KafkaProducer;
import org.apache.kafka.clients.producer.ProducerConfig;
import org.apache.kafka.clients.producer.ProducerRecord;
import org.apache.kafka.common.TopicPartition;
import org.apache.kafka.common.serialization.ByteArraySerializer;
import org.awaitility.Awaitility;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.extension.RegisterExtension;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.Arguments;
import org.junit.jupiter.params.provider.MethodSource;

/**
 * A record that fails on every try ends: after luma.kafka.max-record-attempts (3 here, with no least retry time) it
 * goes to the dead-letter topic, or its task ends with an event, and its partition's commit moves past it and past the
 * task sent after it on the same partition. A dead letter larger than the topic takes is cut to fit.
 */
class RecordsThatKeepFailingTest {

    private static final int DLQ_LIMIT = 30_000;
    /** intake's step throws for these records' values, on every try */
    private static final String POISON = "poison-";
    /** Kafka "fails" the first ticket of these tasks on every try */
    private static final String KAFKA_FAILS = "kafka-fails-";

    @RegisterExtension
    static final HarvesterExtension harvester = new HarvesterExtension("keep-failing", Map.of(
            "luma.poll.interval-ms", "200",
            "luma.tasks.max-record-bytes", "20000",
            "luma.dlq.max-record-bytes", String.valueOf(DLQ_LIMIT),
            "luma.kafka.max-record-attempts", "3",
            "luma.kafka.min-record-retry-ms", "0"));

    private final StandIns standIns = harvester.standIns();

    /** The two faults no input can cause: a step that throws on every try, and Kafka failing one task's writes. */
    @BeforeAll
    static void stepsThatFailEveryTime() throws Exception {
        AdviceWith.adviceWith(harvester.app().context(), "intake", route -> route.weaveById("accept-task").before()
                .process(exchange -> {
                    if (new String(exchange.getMessage().getBody(byte[].class), StandardCharsets.UTF_8)
                            .startsWith(POISON)) {
                        throw new IllegalStateException("poisoned on every try");
                    }
                }));
        AdviceWith.adviceWith(harvester.app().context(), "schedule-poll", route -> route
                .weaveById("publish-poll-ticket").before().process(exchange -> {
                    if (exchange.getProperty(TaskExchange.TASK_ID, "", String.class).startsWith(KAFKA_FAILS)) {
                        throw new org.apache.kafka.common.errors.TimeoutException("Expiring 1 record(s): not "
                                + "enough replicas for 30001 ms");
                    }
                }));
    }

    static Stream<Arguments> recordsThatFailEveryTime() {
        byte[] junk = new byte[200_000];
        Arrays.fill(junk, (byte) 'j');
        String poison = POISON + UUID.randomUUID();
        String kafkaFails = KAFKA_FAILS + UUID.randomUUID();
        Consumer<Ended> tooLargeForTheDlq = ended -> {
            ConsumerRecord<byte[], byte[]> dead = ended.deadLetter();
            assertThat(Events.header(dead, "luma.dlq.reason")).isEqualTo("too_large");
            assertThat(Events.header(dead, "luma.dlq.truncated")).isEqualTo("true");
            assertThat(Events.header(dead, "luma.dlq.original-bytes")).isEqualTo("200000");
            assertThat(dead.value().length).isLessThan(DLQ_LIMIT).isGreaterThan(DLQ_LIMIT / 2);
            assertThat(dead.value()).isEqualTo(Arrays.copyOf(junk, dead.value().length));
        };
        Consumer<Ended> throwsEveryTime = ended -> {
            ConsumerRecord<byte[], byte[]> dead = ended.deadLetter();
            assertThat(Events.header(dead, "luma.dlq.reason")).isEqualTo("attempts_exhausted");
            assertThat(Events.header(dead, "luma.dlq.attempt")).isEqualTo("3");
            assertThat(Events.header(dead, "luma.dlq.detail")).contains("poisoned on every try");
            assertThat(Events.header(dead, "luma.dlq.truncated")).isNull();
            assertThat(new String(dead.value(), StandardCharsets.UTF_8)).isEqualTo(poison);
        };
        Consumer<Ended> kafkaFailsEveryTime = ended -> {
            JsonNode event = ended.event(kafkaFails);
            assertThat(event.get("status").asText()).isEqualTo("failed");
            assertThat(event.at("/failure/reason").asText()).isEqualTo("record_unwritable");
            assertThat(event.at("/failure/detail").asText()).startsWith("Kafka failed the task's step on every try (3 "
                    + "tries").contains("not enough replicas");
            assertThat(ended.deadLetters()).isEmpty();
        };
        return Stream.of(
                Arguments.of("a dead letter larger than the dead-letter topic takes", junk, tooLargeForTheDlq),
                Arguments.of("a record intake throws on every time", poison.getBytes(StandardCharsets.UTF_8),
                        throwsEveryTime),
                Arguments.of("a task whose first ticket Kafka fails every time",
                        kafkaFails.getBytes(StandardCharsets.UTF_8), kafkaFailsEveryTime));
    }

    /** What a record that failed every time ended as, found by its key. */
    private final class Ended {
        private final String key;

        Ended(String key) {
            this.key = key;
        }

        List<ConsumerRecord<byte[], byte[]>> deadLetters() {
            return Events.forKey(Events.records(standIns, harvester.setting("luma.topics.dlq")), key);
        }

        ConsumerRecord<byte[], byte[]> deadLetter() {
            Awaitility.await().atMost(Duration.ofSeconds(40)).pollInterval(Duration.ofMillis(200))
                    .until(() -> !deadLetters().isEmpty());
            assertThat(deadLetters()).hasSize(1);
            return deadLetters().get(0);
        }

        JsonNode event(String taskId) {
            try {
                return Events.value(Events.awaitOnlyEvent(standIns, harvester.setting("luma.topics.events"), taskId,
                        Duration.ofSeconds(40)));
            } catch (Exception e) {
                throw new AssertionError(e);
            }
        }
    }

    /** Sent to partition 0 of the task topic, keyed; its offset. */
    private long send(String key, byte[] value) throws Exception {
        Properties props = new Properties();
        props.put(ProducerConfig.BOOTSTRAP_SERVERS_CONFIG, standIns.kafka.bootstrapServers());
        props.put(ProducerConfig.MAX_REQUEST_SIZE_CONFIG, "1048576");
        try (KafkaProducer<byte[], byte[]> producer = new KafkaProducer<>(props, new ByteArraySerializer(),
                new ByteArraySerializer())) {
            return producer.send(new ProducerRecord<>(harvester.setting("luma.topics.tasks"), 0,
                    key.getBytes(StandardCharsets.UTF_8), value)).get().offset();
        }
    }

    private long committed(TopicPartition partition) throws Exception {
        try (Admin admin = standIns.kafka.admin()) {
            OffsetAndMetadata offset = admin.listConsumerGroupOffsets(harvester.setting("luma.kafka.group-id"))
                    .partitionsToOffsetAndMetadata().get().get(partition);
            return offset == null ? -1 : offset.offset();
        }
    }

    @ParameterizedTest(name = "{0}")
    @MethodSource("recordsThatFailEveryTime")
    void aRecordThatFailsEveryTimeEndsAndItsPartitionMovesOn(String name, byte[] value, Consumer<Ended> ended)
            throws Exception {
        String key = "failing-" + UUID.randomUUID();
        String next = "after-failing-" + UUID.randomUUID();
        standIns.api.completesAfter(next, List.of(), 10_000);

        send(key, value);
        long nextOffset = send("next-" + UUID.randomUUID(), next.getBytes(StandardCharsets.UTF_8));

        JsonNode event = Events.value(Events.awaitOnlyEvent(standIns, harvester.setting("luma.topics.events"), next,
                Duration.ofSeconds(40)));
        assertThat(event.get("status").asText()).isEqualTo("completed");
        ended.accept(new Ended(key));
        TopicPartition partition = new TopicPartition(harvester.setting("luma.topics.tasks"), 0);
        Awaitility.await().atMost(Duration.ofSeconds(30)).pollInterval(Duration.ofMillis(200))
                .untilAsserted(() -> assertThat(committed(partition)).as("the group's committed offset")
                        .isGreaterThan(nextOffset));
    }
}
