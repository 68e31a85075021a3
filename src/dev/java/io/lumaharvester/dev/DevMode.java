package io.lumaharvester.dev;

import java.io.BufferedReader;
import java.io.InputStreamReader;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.time.Duration;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.UUID;
import java.util.concurrent.ConcurrentHashMap;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import io.lumaharvester.HarvesterMain;
import org.apache.camel.main.Main;
import org.apache.camel.main.MainListenerSupport;
import org.apache.camel.main.BaseMainSupport;
import io.micrometer.core.instrument.Counter;
import io.micrometer.core.instrument.MeterRegistry;
import org.apache.camel.component.micrometer.MicrometerConstants;
import org.apache.kafka.clients.consumer.ConsumerConfig;
import org.apache.kafka.clients.consumer.ConsumerRecord;
import org.apache.kafka.clients.consumer.KafkaConsumer;
import org.apache.kafka.common.serialization.ByteArrayDeserializer;

/**
 * Dev mode: the whole pipeline on this machine with nothing installed. Starts a Kafka broker, an S3 server with its
 * files under {@code target/dev-s3/}, and stand-ins for the Luma API and CDN; runs the harvester against them;
 * submits demo tasks and prints how they end. Type a task id and Enter to submit another one.
 */
public final class DevMode {

    private static final ObjectMapper JSON = new ObjectMapper();

    private DevMode() {
    }

    public static void main(String[] args) throws Exception {
        Path s3Dir = Path.of(System.getProperty("luma.dev.s3-dir", "target/dev-s3")).toAbsolutePath();
        StandIns standIns = StandIns.start(s3Dir, Integer.getInteger("luma.dev.s3-port", 0));
        Map<String, String> props = new LinkedHashMap<>(standIns.properties("luma"));
        props.put("luma.poll.interval-ms", System.getProperty("luma.poll.interval-ms", "1000"));
        props.put("luma.http.port", System.getProperty("luma.http.port", "8080"));
        Map<String, String> tasks = Map.copyOf(props);

        Main main = HarvesterMain.newMain();
        props.forEach(main::addOverrideProperty);
        main.addMainListener(new MainListenerSupport() {
            @Override
            public void afterStart(BaseMainSupport support) {
                daemon("dev-mode", () -> demo(standIns, tasks, s3Dir));
                MeterRegistry registry = support.getCamelContext().getRegistry()
                        .lookupByNameAndType(MicrometerConstants.METRICS_REGISTRY_NAME, MeterRegistry.class);
                daemon("dev-mode-progress", () -> showProgress(registry));
            }
        });
        Runtime.getRuntime().addShutdownHook(new Thread(standIns::closeWithin10Seconds));
        main.run(args);
    }

    private static void demo(StandIns standIns, Map<String, String> props, Path s3Dir) {
        try {
            String tasks = props.get("luma.topics.tasks");
            Set<String> demo = ConcurrentHashMap.newKeySet();
            String first = "demo-" + UUID.randomUUID();
            String second = "demo-" + UUID.randomUUID();
            String third = "demo-" + UUID.randomUUID();
            standIns.api.completesAfter(first, List.of("pending", "processing", "processing"), 8_000_000);
            standIns.api.completesAfter(second, List.of("queued", "dreaming"), 2_000_000);
            standIns.api.answer(third, List.of(
                    LumaApiStandIn.json(LumaApiStandIn.runningBody(third, "dreaming")),
                    LumaApiStandIn.json(LumaApiStandIn.failedBody(third, "demo: the prompt was refused"))));
            for (String id : List.of(first, second, third)) {
                demo.add(id);
                standIns.kafka.send(tasks, "{\"task_id\":\"" + id + "\",\"metadata\":{\"source\":\"dev-mode\"}}");
            }
            say("submitted 3 demo tasks to " + tasks + " (Kafka at " + standIns.kafka.bootstrapServers() + ")");
            say("type a task id and Enter to submit another; it completes after two polls");
            daemon("dev-mode-input", () -> readTaskIds(standIns, tasks));
            watchEvents(standIns, props.get("luma.topics.events"), demo, s3Dir);
        } catch (Exception e) {
            say("dev mode failed: " + e);
        }
    }

    private static void readTaskIds(StandIns standIns, String topic) {
        try (BufferedReader in = new BufferedReader(new InputStreamReader(System.in, StandardCharsets.UTF_8))) {
            for (String line; (line = in.readLine()) != null;) {
                String id = line.strip();
                if (id.isEmpty()) {
                    continue;
                }
                if (id.matches("[A-Za-z0-9_-]{1,128}")) {
                    standIns.api.completesAfter(id, List.of("pending", "processing"), 1_000_000);
                }
                standIns.kafka.send(topic, id);
                say("submitted " + id);
            }
        } catch (Exception e) {
            say("stopped reading task ids: " + e);
        }
    }

    private static void watchEvents(StandIns standIns, String topic, Set<String> demo, Path s3Dir) {
        var props = new java.util.Properties();
        props.put(ConsumerConfig.BOOTSTRAP_SERVERS_CONFIG, standIns.kafka.bootstrapServers());
        props.put(ConsumerConfig.GROUP_ID_CONFIG, "dev-mode-watcher");
        props.put(ConsumerConfig.AUTO_OFFSET_RESET_CONFIG, "earliest");
        props.put(ConsumerConfig.KEY_DESERIALIZER_CLASS_CONFIG, ByteArrayDeserializer.class.getName());
        props.put(ConsumerConfig.VALUE_DESERIALIZER_CLASS_CONFIG, ByteArrayDeserializer.class.getName());
        int completed = 0;
        int failed = 0;
        long bytes = 0;
        boolean summarised = false;
        try (KafkaConsumer<byte[], byte[]> consumer = new KafkaConsumer<>(props)) {
            consumer.subscribe(List.of(topic));
            while (true) {
                for (ConsumerRecord<byte[], byte[]> record : consumer.poll(Duration.ofSeconds(1))) {
                    JsonNode event = JSON.readTree(record.value());
                    String id = event.path("task_id").asText();
                    if ("completed".equals(event.path("status").asText())) {
                        completed++;
                        for (JsonNode file : event.path("media")) {
                            bytes += file.path("size").asLong();
                            say("  " + id + " -> " + s3Dir.resolve(file.path("bucket").asText())
                                    .resolve(file.path("key").asText()) + " (" + file.path("size").asLong()
                                    + " bytes, sha256 " + file.path("sha256").asText().substring(0, 12) + "...)");
                        }
                    } else {
                        failed++;
                        say("  " + id + " failed: " + event.path("failure"));
                    }
                    demo.remove(id);
                    if (demo.isEmpty() && !summarised) {
                        summarised = true;
                        say("demo done: " + completed + " completed, " + failed + " failed, " + bytes
                                + " bytes in S3 under " + s3Dir + "; Ctrl+C stops dev mode");
                    }
                }
            }
        } catch (Exception e) {
            say("stopped watching events: " + e);
        }
    }

    /** A line each second while anything changes, read from the same meters that /observe/metrics serves. */
    private static void showProgress(MeterRegistry registry) {
        String last = "";
        try {
            while (true) {
                Thread.sleep(1000);
                String now = "progress: " + (long) registry.get("luma.tasks.in.flight").gauge().value()
                        + " in flight, " + (long) finished(registry, "completed") + " completed, "
                        + (long) finished(registry, "failed") + " failed, "
                        + (long) registry.find("luma.media.stored.bytes").counters().stream()
                                .mapToDouble(Counter::count).sum() + " bytes uploaded";
                if (!now.equals(last)) {
                    say(now);
                    last = now;
                }
            }
        } catch (Exception e) {
            say("stopped showing progress: " + e);
        }
    }

    private static double finished(MeterRegistry registry, String status) {
        return registry.find("luma.tasks.finished").tag("status", status).counters().stream()
                .mapToDouble(Counter::count).sum();
    }

    private static void daemon(String name, Runnable body) {
        Thread thread = new Thread(body, name);
        thread.setDaemon(true);
        thread.start();
    }

    private static void say(String line) {
        System.out.println("[dev-mode] " + line);
    }
}
