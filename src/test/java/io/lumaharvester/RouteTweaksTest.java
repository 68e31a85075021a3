package io.lumaharvester;

import io.lumaharvester.dev.Events;

import static org.assertj.core.api.Assertions.assertThat;

import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.time.Instant;
import java.time.ZoneOffset;
import java.time.format.DateTimeFormatter;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.UUID;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

import com.fasterxml.jackson.databind.JsonNode;
import io.lumaharvester.dev.EmbeddedKafka;
import io.lumaharvester.dev.HarvesterApp;
import io.lumaharvester.dev.LumaApiStandIn;
import io.lumaharvester.dev.StandIns;
import org.apache.kafka.clients.consumer.ConsumerRecord;
import org.awaitility.Awaitility;
import org.junit.jupiter.api.Test;

/**
 * The route tweaks of docs/tweaking.md work as printed: each YAML block marked
 * {@code <!-- tweak: FILE after STEP-ID -->} is inserted after that step in a copy of {@code routes/}, and a completed
 * and a failed task run through the copies.
 */
class RouteTweaksTest {

    private static final Pattern TWEAK = Pattern.compile(
            "<!-- tweak: (\\S+) after (\\S+) -->\\s*```yaml\\n(.*?)```", Pattern.DOTALL);
    private static final Path TWEAKS = Path.of("docs", "tweaking.md");
    private static final String FAILED_TOPIC = "luma.events.failed";

    @Test
    void theDocumentedRouteTweaksChangeKeysEventHeadersAndTheFailedTopic() throws Exception {
        Path routes = Files.createDirectories(Path.of("target", "route-tweaks"));
        List<String> applied = applyDocumentedTweaks(routes);
        assertThat(applied).as("tweaks found in " + TWEAKS).hasSize(3);

        StandIns standIns = StandIns.shared();
        EmbeddedKafka.createTopics(standIns.kafka.bootstrapServers(), Map.of(FAILED_TOPIC, 1));
        Map<String, String> props = standIns.properties("route-tweaks", Map.of(
                "luma.poll.interval-ms", "200",
                "camel.main.routes-include-pattern", "file:" + routes + "/*.camel.yaml"));
        String completed = "tweak-done-" + UUID.randomUUID();
        LumaApiStandIn.ServedMedia media = standIns.api.completesAfter(completed, List.of("dreaming"), 50_000);
        String failed = "tweak-failed-" + UUID.randomUUID();
        standIns.api.answer(failed, List.of(LumaApiStandIn.json(LumaApiStandIn.failedBody(failed, "refused"))));
        String events = props.get("luma.topics.events");

        try (HarvesterApp app = HarvesterApp.start(props)) {
            long before = System.currentTimeMillis();
            standIns.kafka.send(props.get("luma.topics.tasks"), completed);
            standIns.kafka.send(props.get("luma.topics.tasks"), failed);

            ConsumerRecord<byte[], byte[]> record = Events.awaitOnlyEvent(standIns, events, completed,
                    Duration.ofSeconds(40));
            String day = DateTimeFormatter.ofPattern("yyyy/MM/dd").withZone(ZoneOffset.UTC)
                    .format(Instant.ofEpochMilli(before));
            String key = day + "/luma/" + completed + "/video.mp4";
            JsonNode event = Events.value(record);
            assertThat(event.at("/media/0/key").asText()).isEqualTo(key);
            assertThat(Events.sha256OfObject(standIns.s3, StandIns.BUCKET, key))
                    .isEqualTo(media.byRole().get("video").sha256());
            assertThat(new String(record.headers().lastHeader("x-owner-team").value(), StandardCharsets.UTF_8))
                    .isEqualTo("video-platform");

            Awaitility.await().atMost(Duration.ofSeconds(40)).until(() -> !Events.forKey(
                    Events.records(standIns, FAILED_TOPIC), failed).isEmpty());
            assertThat(Events.value(Events.forKey(Events.records(standIns,
                    FAILED_TOPIC), failed).get(0)).get("status").asText()).isEqualTo("failed");
            assertThat(Events.forKey(Events.records(standIns, events), failed)).isEmpty();
        }
    }

    /** Copies routes/ into {@code dir} with the documented tweaks applied; returns "file after step" per tweak. */
    private static List<String> applyDocumentedTweaks(Path dir) throws Exception {
        try (var files = Files.list(Path.of("routes"))) {
            for (Path file : files.toList()) {
                Files.copy(file, dir.resolve(file.getFileName()), java.nio.file.StandardCopyOption.REPLACE_EXISTING);
            }
        }
        List<String> applied = new ArrayList<>();
        Matcher tweak = TWEAK.matcher(Files.readString(TWEAKS));
        while (tweak.find()) {
            Path file = dir.resolve(tweak.group(1));
            Files.writeString(file, insertAfterStep(Files.readString(file), tweak.group(2), tweak.group(3)));
            applied.add(tweak.group(1) + " after " + tweak.group(2));
        }
        return applied;
    }

    /** Inserts {@code steps} (a YAML list) after the step whose id is {@code stepId}, at that step's indentation. */
    static String insertAfterStep(String yaml, String stepId, String steps) {
        List<String> lines = new ArrayList<>(List.of(yaml.split("\n", -1)));
        int idLine = -1;
        for (int i = 0; i < lines.size(); i++) {
            if (lines.get(i).strip().equals("id: " + stepId)) {
                idLine = i;
            }
        }
        assertThat(idLine).as("step " + stepId).isNotNegative();
        int start = idLine;
        while (!lines.get(start).stripLeading().startsWith("- ")) {
            start--;
        }
        int indent = lines.get(start).indexOf('-');
        int end = start + 1;
        while (end < lines.size() && (lines.get(end).isBlank() || lines.get(end).indexOf(lines.get(end).strip())
                > indent)) {
            end++;
        }
        List<String> inserted = steps.lines().map(line -> " ".repeat(indent) + line).toList();
        lines.addAll(end, inserted);
        return String.join("\n", lines);
    }
}
