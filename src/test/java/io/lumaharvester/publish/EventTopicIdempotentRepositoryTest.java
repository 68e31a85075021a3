package io.lumaharvester.publish;

import io.lumaharvester.kafka.KafkaClients;
import static org.assertj.core.api.Assertions.assertThat;

import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.List;
import java.util.Map;
import java.util.UUID;

import io.lumaharvester.dev.StandIns;
import org.apache.kafka.clients.consumer.OffsetAndMetadata;
import org.apache.kafka.clients.producer.KafkaProducer;
import org.apache.kafka.clients.producer.ProducerConfig;
import org.apache.kafka.clients.producer.ProducerRecord;
import org.apache.kafka.common.TopicPartition;
import org.apache.kafka.common.serialization.ByteArraySerializer;
import org.awaitility.Awaitility;
import org.junit.jupiter.api.Test;

class EventTopicIdempotentRepositoryTest {

    @Test
    void aTaskIdIsKnownOnceAnEventKeyedByItIsOnTheTopicBeforeOrAfterStart() throws Exception {
        StandIns standIns = StandIns.shared();
        String topic = "idempotency-" + UUID.randomUUID();
        standIns.kafka.createTopics(List.of(topic), 2);
        send(standIns, topic, "published-before-start");

        EventTopicIdempotentRepository repository = started(standIns, topic, 3_600_000);
        try {
            assertThat(repository.contains("published-before-start")).isTrue();
            assertThat(repository.contains("never-published")).isFalse();

            send(standIns, topic, "published-by-another-instance");
            Awaitility.await().atMost(Duration.ofSeconds(10))
                    .until(() -> repository.contains("published-by-another-instance"));

            assertThat(repository.add("published-here")).isTrue();
            assertThat(repository.contains("published-here")).isTrue();
            assertThat(repository.add("published-here")).isFalse();
        } finally {
            repository.stop();
        }
    }

    @Test
    void idsOlderThanTheLookbackAreNotRead() throws Exception {
        StandIns standIns = StandIns.shared();
        String topic = "idempotency-" + UUID.randomUUID();
        standIns.kafka.createTopics(List.of(topic), 1);
        send(standIns, topic, "old");

        // a look-back reaching into the future: the record sent a moment ago is older than it
        EventTopicIdempotentRepository repository = started(standIns, topic, -60_000);
        try {
            assertThat(repository.contains("old")).isFalse();
        } finally {
            repository.stop();
        }
    }

    @Test
    void aRestartTwoHoursAfterAnUncommittedStepKnowsTheEventThatStepSentThoughTheLookbackIsAMinute() throws Exception {
        StandIns standIns = StandIns.shared();
        String events = "idempotency-" + UUID.randomUUID();
        String harvest = events + ".harvest";
        String group = events + "-group";
        standIns.kafka.createTopics(List.of(events, harvest), 1);
        long now = System.currentTimeMillis();
        long hour = 3_600_000;
        try (KafkaProducer<byte[], byte[]> producer = new KafkaProducer<>(Map.of(
                ProducerConfig.BOOTSTRAP_SERVERS_CONFIG, standIns.kafka.bootstrapServers(),
                ProducerConfig.KEY_SERIALIZER_CLASS_CONFIG, ByteArraySerializer.class,
                ProducerConfig.VALUE_SERIALIZER_CLASS_CONFIG, ByteArraySerializer.class))) {
            // a step committed three hours ago, then one written at 10:00 whose event went out before the pod died
            // without committing it; the restart comes two hours later
            producer.send(new ProducerRecord<>(harvest, 0, now - 3 * hour, utf8("done"), utf8("{}"))).get();
            producer.send(new ProducerRecord<>(harvest, 0, now - 2 * hour, utf8("t"), utf8("{}"))).get();
            ProducerRecord<byte[], byte[]> event = new ProducerRecord<>(events, 0, now - 2 * hour + 1_000,
                    utf8("t"), utf8("{}"));
            event.headers().add(GenerationEvents.RUN_HEADER, utf8("0-5"));
            producer.send(event).get();
        }
        try (var admin = standIns.kafka.admin()) {
            admin.alterConsumerGroupOffsets(group, Map.of(new TopicPartition(harvest, 0), new OffsetAndMetadata(1)))
                    .all().get();
        }

        EventTopicIdempotentRepository replaySafe = new EventTopicIdempotentRepository(events,
                new KafkaClients(standIns.kafka.bootstrapServers(), Map.of()), 60_000, 1000, group, List.of(harvest));
        replaySafe.start();
        EventTopicIdempotentRepository fromStartUp = started(standIns, events, 60_000);
        try {
            assertThat(replaySafe.contains("t/0-5")).isTrue();
            // what the look-back from start-up alone read: the replayed step would have sent its event again
            assertThat(fromStartUp.contains("t/0-5")).isFalse();
        } finally {
            replaySafe.stop();
            fromStartUp.stop();
        }
    }

    private static byte[] utf8(String text) {
        return text.getBytes(StandardCharsets.UTF_8);
    }

    private static EventTopicIdempotentRepository started(StandIns standIns, String topic, long lookbackMs) {
        EventTopicIdempotentRepository repository = new EventTopicIdempotentRepository(topic,
                new KafkaClients(standIns.kafka.bootstrapServers(), Map.of()), lookbackMs, 1000);
        repository.start();
        return repository;
    }

    private static void send(StandIns standIns, String topic, String key) throws Exception {
        standIns.kafka.send(topic, key.getBytes(StandardCharsets.UTF_8), "{}".getBytes(StandardCharsets.UTF_8),
                Map.of());
    }
}
