package io.lumaharvester.provider;

import io.lumaharvester.dev.Events;
import io.lumaharvester.dev.HarvesterExtension;
import io.lumaharvester.dev.ProviderStandIn;
import static io.lumaharvester.dev.Events.value;
import static org.assertj.core.api.Assertions.assertThat;

import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.Map;
import java.util.UUID;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

import com.fasterxml.jackson.databind.JsonNode;
import io.lumaharvester.dev.CdnStandIn;
import io.lumaharvester.dev.StandIns;
import org.apache.kafka.clients.consumer.ConsumerRecord;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.RegisterExtension;

/**
 * docs/providers.md's "Adding a provider, end to end", done as printed: its example profile, put in a directory the
 * harvester names (luma.providers.directory) with its base URL and token set, harvests a task of that provider from
 * a stand-in that answers as the page describes.
 */
class ProviderGuideTest {

    private static final Path GUIDE = Path.of("docs", "providers.md");
    private static final String TOKEN = "acme-key-31f7";
    private static final ProviderStandIn STAND_IN = ProviderStandIn.startForTheRun();
    private static final Path DIRECTORY = printedProfileDirectory();

    @RegisterExtension
    static final HarvesterExtension harvester = new HarvesterExtension("provider-guide", Map.of(
            "luma.poll.interval-ms", "200",
            "luma.providers.directory", DIRECTORY.toString(),
            "luma.providers.acme-video.base-url", STAND_IN.baseUrl(),
            "luma.providers.acme-video.token", TOKEN));

    /** The page's example profile, exactly as printed, written where the harvester reads profiles. */
    private static Path printedProfileDirectory() {
        try {
            Matcher example = Pattern.compile("<!-- the example profile[^\n]*-->\n```yaml\n(.*?)```", Pattern.DOTALL)
                    .matcher(Files.readString(GUIDE));
            assertThat(example.find()).as("docs/providers.md prints its example profile").isTrue();
            Path dir = Files.createDirectories(Path.of("target", "provider-guide", UUID.randomUUID().toString()));
            Files.writeString(dir.resolve("acme-video.yaml"), example.group(1));
            return dir;
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
    }

    @Test
    void theGuidesExampleProviderHarvestsATaskWithoutJava() throws Exception {
        Provider acme;
        try (var in = Files.newInputStream(DIRECTORY.resolve("acme-video.yaml"))) {
            acme = new Provider("acme-video", ProviderProfiles.parse("acme-video.yaml", in),
                    new ProviderSettings(STAND_IN.baseUrl(), TOKEN, Map.of()), p -> { });
        }
        String taskId = "job_" + UUID.randomUUID().toString().replace("-", "").substring(0, 16);
        ProviderStandIn.ServedTask served = STAND_IN.completes(acme, new ProviderSettings(STAND_IN.baseUrl(), TOKEN,
                Map.of()), taskId, null, 200);

        harvester.submit("{\"task_id\":\"" + taskId + "\",\"provider\":\"acme-video\"}");

        ConsumerRecord<byte[], byte[]> record = Events.awaitOnlyEvent(harvester.standIns(),
                harvester.setting("luma.topics.events"), taskId, Duration.ofSeconds(40));
        JsonNode event = value(record);
        assertThat(event.get("status").asText()).as("event %s", event).isEqualTo("completed");
        assertThat(event.get("provider").asText()).isEqualTo("acme-video");
        assertThat(event.get("state").asText()).isEqualTo("ready");
        assertThat(event.get("prompt").asText()).isEqualTo("a lighthouse at dawn");
        assertThat(STAND_IN.refused()).as("requests without the X-Acme-Key header").isEmpty();
        JsonNode files = event.get("media");
        assertThat(files).extracting(file -> file.get("roles").get(0).asText()).containsExactly("video", "thumbnail");
        for (JsonNode file : files) {
            CdnStandIn.MediaFile source = served.filesByUrl().get(file.get("source_url").asText());
            assertThat(Events.sha256OfObject(harvester.standIns().s3, StandIns.BUCKET, file.get("key").asText()))
                    .isEqualTo(source.sha256());
        }
    }
}
