package io.lumaharvester.kafka;

import static org.assertj.core.api.Assertions.assertThat;

import java.time.Duration;
import java.util.List;
import java.util.Map;
import java.util.Properties;
import java.util.UUID;
import java.util.concurrent.CopyOnWriteArrayList;

import io.lumaharvester.dev.StandIns;
import org.apache.kafka.clients.consumer.ConsumerConfig;
import org.apache.kafka.clients.consumer.KafkaConsumer;
import org.apache.kafka.common.TopicPartition;
import org.apache.kafka.common.serialization.StringDeserializer;
import org.awaitility.Awaitility;
import org.junit.jupiter.api.Test;

/** The follower of the task-state and event topics, on a real broker. */
class TopicFollowerTest {

    /**
     * A follower that has nothing to commit stops at once: it does not wait out the fetch the broker holds open for
     * it (fetch.max.wait.ms, 500 ms by default, set here to 10 s to show it): a harvester stops two followers, one
     * after the other, on every stop and rolling restart.
     */
    @Test
    void aFollowerStopsWithoutWaitingOutTheFetchTheBrokerHolds() throws Exception {
        StandIns standIns = StandIns.shared();
        String topic = "follower-" + UUID.randomUUID();
        standIns.kafka.createTopics(List.of(topic), 1);
        standIns.kafka.send(topic, "first");
        Properties props = new KafkaClients(standIns.kafka.bootstrapServers(), Map.of()).client();
        props.put(ConsumerConfig.KEY_DESERIALIZER_CLASS_CONFIG, StringDeserializer.class.getName());
        props.put(ConsumerConfig.VALUE_DESERIALIZER_CLASS_CONFIG, StringDeserializer.class.getName());
        props.put(ConsumerConfig.ENABLE_AUTO_COMMIT_CONFIG, "false");
        props.put(ConsumerConfig.FETCH_MAX_WAIT_MS_CONFIG, "10000");
        KafkaConsumer<String, String> consumer = new KafkaConsumer<>(props);
        TopicPartition partition = new TopicPartition(topic, 0);
        consumer.assign(List.of(partition));
        consumer.seekToBeginning(List.of(partition));
        List<String> seen = new CopyOnWriteArrayList<>();
        TopicFollower<String, String> follower = new TopicFollower<>(consumer, topic,
                records -> records.forEach(r -> seen.add(r.value())));
        follower.follow("follower-test");
        // the record read: the follower has asked for more (a fetch goes out before the records are handed over),
        // and the broker holds that fetch for up to 10 s, there being no more
        Awaitility.await().atMost(Duration.ofSeconds(20)).until(() -> seen.contains("first"));

        long started = System.nanoTime();
        follower.stop();
        long stopMs = Duration.ofNanos(System.nanoTime() - started).toMillis();

        assertThat(stopMs).as("ms the follower took to stop").isLessThan(1_000);
    }
}
