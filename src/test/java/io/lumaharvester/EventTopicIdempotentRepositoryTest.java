package io.lumaharvester;

import static org.assertj.core.api.Assertions.assertThat;

import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.List;
import java.util.Map;
import java.util.UUID;

import io.lumaharvester.dev.StandIns;
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
