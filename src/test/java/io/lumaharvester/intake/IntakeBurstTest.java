package io.lumaharvester.intake;

import static org.assertj.core.api.Assertions.assertThat;

import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.Map;
import java.util.Properties;
import java.util.UUID;

import io.lumaharvester.dev.HarvesterExtension;
import org.apache.kafka.clients.producer.KafkaProducer;
import org.apache.kafka.clients.producer.ProducerConfig;
import org.apache.kafka.clients.producer.ProducerRecord;
import org.apache.kafka.common.serialization.ByteArraySerializer;
import org.awaitility.Awaitility;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.RegisterExtension;

/**
 * A burst of task ids is admitted with many state writes in flight at once: intake does not wait for a few
 * acknowledgements before it writes the next states (the rate: IntakeBurstIT).
 */
class IntakeBurstTest {

    private static final int IDS = 1_000;
    /** The most state writes in flight at once when intake took 32 records at a time. */
    private static final int THIRTY_TWO_AT_A_TIME = 32;
    /** How late Kafka acknowledges each state write here: on a quick local broker few would be in flight at once. */
    private static final long ACK_DELAY_MS = 2;

    @RegisterExtension
    static final HarvesterExtension harvester = new HarvesterExtension("intake-burst", Map.of(
            "kafka.client.interceptor.classes", WritesInFlight.class.getName(),
            // the burst's state writes and first tickets are counted here, not its polls
            "luma.poll.first-delay-ms", "600000"));

    @Test
    void aBurstOfTaskIdsIsAdmittedWithManyStateWritesInFlightAtOnce() {
        String run = UUID.randomUUID().toString().substring(0, 8);
        String states = harvester.setting("luma.topics.accepted");
        WritesInFlight.delayAcknowledgements(states, ACK_DELAY_MS);
        Properties props = new Properties();
        props.put(ProducerConfig.BOOTSTRAP_SERVERS_CONFIG, harvester.standIns().kafka.bootstrapServers());
        props.put(ProducerConfig.KEY_SERIALIZER_CLASS_CONFIG, ByteArraySerializer.class.getName());
        props.put(ProducerConfig.VALUE_SERIALIZER_CLASS_CONFIG, ByteArraySerializer.class.getName());
        try (KafkaProducer<byte[], byte[]> producer = new KafkaProducer<>(props)) {
            for (int i = 0; i < IDS; i++) {
                byte[] id = ("burst-" + run + "-" + i).getBytes(StandardCharsets.UTF_8);
                producer.send(new ProducerRecord<>(harvester.setting("luma.topics.tasks"), id, id));
            }
        }

        String tickets = harvester.setting("luma.topics.polling");
        Awaitility.await("every task's first ticket").atMost(Duration.ofSeconds(60))
                .until(() -> WritesInFlight.acknowledged(tickets) >= IDS);
        assertThat(WritesInFlight.acknowledged(states)).as("state writes acknowledged").isEqualTo(IDS);
        assertThat(WritesInFlight.most(states)).as("state writes in flight at once, most")
                .isGreaterThan(THIRTY_TWO_AT_A_TIME * 4);
    }
}
