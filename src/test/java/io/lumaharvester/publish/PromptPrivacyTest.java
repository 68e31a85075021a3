package io.lumaharvester.publish;

import io.lumaharvester.dev.Events;
import io.lumaharvester.dev.HarvesterExtension;
import static org.assertj.core.api.Assertions.assertThat;

import java.time.Duration;
import java.util.List;
import java.util.Map;
import java.util.UUID;

import com.fasterxml.jackson.databind.JsonNode;
import io.lumaharvester.dev.StandIns;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.RegisterExtension;
import software.amazon.awssdk.services.s3.S3Client;

/** luma.events.include-prompt=false: prompts can hold personal data, so none leaves the harvester. */
class PromptPrivacyTest {

    @RegisterExtension
    static final HarvesterExtension harvester = new HarvesterExtension("noprompt", Map.of(
            "luma.events.include-prompt", "false"));

    @Test
    void withIncludePromptFalseNeitherTheEventNorTheS3MetadataCarriesThePrompt() throws Exception {
        StandIns standIns = harvester.standIns();
        String taskId = "no-prompt-" + UUID.randomUUID();
        standIns.api.completesAfter(taskId, List.of(), 10_000);
        harvester.submit(taskId);

        JsonNode event = Events.value(Events.awaitOnlyEvent(standIns, harvester.setting("luma.topics.events"), taskId,
                Duration.ofSeconds(40)));
        assertThat(event.get("status").asText()).isEqualTo("completed");
        assertThat(event.has("prompt")).isFalse();
        assertThat(event.get("aspect_ratio").asText()).isEqualTo("16:9");
        try (S3Client s3 = standIns.s3.client()) {
            for (String key : List.of("video.mp4", "thumbnail.webp", "last_frame.jpg")) {
                Map<String, String> metadata = s3.headObject(b -> b.bucket(StandIns.BUCKET)
                        .key("luma/" + taskId + "/" + key)).metadata();
                assertThat(metadata).as(key).containsOnlyKeys("luma-task-id", "luma-roles");
            }
        }
    }
}
