package io.lumaharvester;

import static org.assertj.core.api.Assertions.assertThat;

import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.time.Duration;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.UUID;
import java.util.stream.Collectors;

import io.lumaharvester.dev.ChildKafka;
import io.lumaharvester.dev.EmbeddedKafka;
import io.lumaharvester.dev.HarvesterApp;
import io.lumaharvester.dev.LumaApiStandIn;
import io.lumaharvester.dev.StandIns;
import io.lumaharvester.dev.TopicReader;
import org.apache.kafka.clients.consumer.ConsumerRecord;
import org.awaitility.Awaitility;
import org.junit.jupiter.api.Test;

/** The Kafka broker restarts mid-run: nothing is lost, and the harvester reconnects by itself. */
class BrokerRestartIT {

    @Test
    void tasksInFlightWhileTheBrokerRestartsAllEndOnce() throws Exception {
        StandIns standIns = StandIns.shared();
        try (ChildKafka broker = ChildKafka.start(Path.of("target", "it", "broker-" + UUID.randomUUID()))) {
            Map<String, String> props = standIns.properties("restart-broker", Map.of(
                    "kafka.brokers", broker.bootstrapServers(),
                    "luma.poll.interval-ms", "300"));
            EmbeddedKafka.createTopics(broker.bootstrapServers(), StandIns.topics("restart-broker").values()
                    .stream().collect(Collectors.toMap(t -> t, t -> 2)));
            String run = UUID.randomUUID().toString().substring(0, 8);
            Map<String, LumaApiStandIn.ServedMedia> served = new LinkedHashMap<>();
            for (int i = 0; i < 30; i++) {
                String taskId = "broker-" + run + "-" + i;
                served.put(taskId, standIns.api.completesAfter(taskId,
                        List.of("pending", "processing", "processing", "processing").subList(0, 1 + i % 4),
                        50_000));
            }
            String events = props.get("luma.topics.events");

            try (HarvesterApp app = HarvesterApp.start(props)) {
                for (String taskId : served.keySet()) {
                    EmbeddedKafka.send(broker.bootstrapServers(), props.get("luma.topics.tasks"), null,
                            taskId.getBytes(StandardCharsets.UTF_8), Map.of());
                }
                Awaitility.await().atMost(Duration.ofSeconds(60))
                        .until(() -> TopicReader.readAll(broker.bootstrapServers(), events).size() >= 5);
                String port = props.get("luma.http.port");
                assertThat(Probes.readiness(port).statusCode()).isEqualTo(200);
                broker.stop();
                Probes.awaitNotReady(port, "kafka-access");
                broker.restart();
                Probes.awaitReady(port);
                Awaitility.await().atMost(Duration.ofMinutes(3)).pollInterval(Duration.ofMillis(500))
                        .until(() -> byTask(broker, events).keySet().containsAll(served.keySet()));
            }
            Map<String, List<ConsumerRecord<byte[], byte[]>>> byTask = byTask(broker, events);
            for (String taskId : served.keySet()) {
                assertThat(byTask.get(taskId)).as(taskId).hasSize(1);
                assertThat(Events.value(byTask.get(taskId).get(0)).get("status").asText()).isEqualTo("completed");
            }
        }
    }

    private static Map<String, List<ConsumerRecord<byte[], byte[]>>> byTask(ChildKafka broker, String topic) {
        return TopicReader.readAll(broker.bootstrapServers(), topic).stream()
                .collect(Collectors.groupingBy(r -> new String(r.key(), StandardCharsets.UTF_8)));
    }
}
