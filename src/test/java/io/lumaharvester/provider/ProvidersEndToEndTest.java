package io.lumaharvester.provider;

import io.lumaharvester.dev.Events;
import io.lumaharvester.dev.HarvesterExtension;
import io.lumaharvester.dev.ProviderStandIn;
import static io.lumaharvester.dev.Events.value;
import static org.assertj.core.api.Assertions.assertThat;

import java.io.IOException;
import java.io.InputStream;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.UUID;
import java.util.concurrent.ThreadLocalRandom;

import com.fasterxml.jackson.databind.JsonNode;
import io.lumaharvester.dev.CdnStandIn;
import io.lumaharvester.dev.StandIns;
import org.apache.kafka.clients.consumer.ConsumerRecord;
import org.junit.jupiter.api.extension.RegisterExtension;
import org.junit.jupiter.api.parallel.Execution;
import org.junit.jupiter.api.parallel.ExecutionMode;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.CsvSource;

/**
 * One harvester reads every built-in provider at once: a task record that names its provider is polled at that
 * provider's stand-in (its documented answers: running, running, succeeded), and ends with one completed event whose
 * media are in S3 with the bytes the provider's CDN served. The CDN never sees the provider's auth; a media-auth
 * provider's media (OpenAI, Veo) are fetched from its API with the auth (401 without), which redirects to the CDN.
 */
class ProvidersEndToEndTest {

    private static final Duration WITHIN = Duration.ofSeconds(40);
    private static final String TOKEN = "provider-token-5e8d";
    private static final Map<String, String> SECRETS = Map.of("access-key", "kling-ak-77c1", "secret-key",
            "kling-sk-0d4f9a");
    /** Where each provider's base URL is on the stand-in: fal's is its app's queue URL. */
    private static final Map<String, String> BASE_PATHS = Map.of("fal", "/fal-ai/kling-video");
    private static final List<String> PROVIDERS = List.of("luma-official", "runway", "kling", "kling-aggregator",
            "replicate", "fal", "minimax", "vidu", "pika", "suno", "openai", "veo");

    private static final ProviderStandIn STAND_IN = ProviderStandIn.startForTheRun();

    @RegisterExtension
    static final HarvesterExtension harvester = new HarvesterExtension("providers-e2e", settings());

    private static String baseUrl(String name) {
        return STAND_IN.baseUrl() + BASE_PATHS.getOrDefault(name, "");
    }

    /** Each provider's settings, as a deployment sets them: its base URL (the stand-in), its token, Kling's keys. */
    private static Map<String, String> settings() {
        Map<String, String> settings = new LinkedHashMap<>();
        settings.put("luma.poll.interval-ms", "200");
        settings.put("luma.poll.max-backoff-ms", "400");
        settings.put("luma.tasks.deadline-ms", "20000");
        for (String name : PROVIDERS) {
            settings.put("luma.providers." + name + ".base-url", baseUrl(name));
            settings.put("luma.providers." + name + ".token", TOKEN);
        }
        SECRETS.forEach((secret, value) -> settings.put("luma.providers.kling." + secret, value));
        return settings;
    }

    private static Provider provider(String name) throws IOException {
        try (InputStream in = Files.newInputStream(Path.of("src/main/resources/providers/" + name + ".yaml"))) {
            return new Provider(name, ProviderProfiles.parse("providers/" + name + ".yaml", in),
                    new ProviderSettings(baseUrl(name), TOKEN, SECRETS), p -> { });
        }
    }

    /** A task id of the provider's own format. */
    private static String taskId(String format) {
        return switch (format) {
            case "uuid" -> UUID.randomUUID().toString();
            case "digits" -> String.valueOf(ThreadLocalRandom.current().nextLong(100_000_000_000_000L,
                    999_999_999_999_999L));
            default -> format + UUID.randomUUID().toString().replace("-", "").substring(0, 20);
        };
    }

    /** The rows run side by side (junit-platform.properties): each its own task, waiting on the harvester's timers. */
    @ParameterizedTest(name = "{0}")
    @Execution(ExecutionMode.CONCURRENT)
    @CsvSource(delimiter = '|', textBlock = """
            luma-official    | uuid   | 200
            runway           | uuid   | 200
            kling            | Cj     | 200
            kling-aggregator | Cj     | 200
            replicate        | p      | 200
            fal              | uuid   | 202
            minimax          | digits | 200
            vidu             | digits | 200
            pika             | uuid   | 200
            suno             | uuid   | 200
            openai           | video_ | 200
            veo              | models/veo-3.0-generate-001/operations/ | 200
            """)
    void aTaskNamingItsProviderEndsCompletedWithItsMediaInS3(String name, String idFormat, int runningStatus)
            throws Exception {
        StandIns standIns = harvester.standIns();
        String taskId = taskId(idFormat);
        Provider provider = provider(name);
        assertThat(provider.acceptsTaskId(taskId)).isTrue();
        ProviderStandIn.ServedTask served = STAND_IN.completes(provider,
                new ProviderSettings(baseUrl(name), TOKEN, SECRETS), taskId, null, runningStatus);

        harvester.submit("{\"task_id\":\"" + taskId + "\",\"provider\":\"" + name + "\"}");

        ConsumerRecord<byte[], byte[]> record = Events.awaitOnlyEvent(standIns,
                harvester.setting("luma.topics.events"), taskId, WITHIN);
        JsonNode event = value(record);
        assertThat(event.get("status").asText()).as("event %s", event).isEqualTo("completed");
        assertThat(event.path("provider").asText()).isEqualTo(name);
        assertThat(event.get("polls").asInt()).isEqualTo(3);
        assertThat(STAND_IN.refused()).noneMatch(refusal -> refusal.startsWith(served.statusPath() + ":"));

        JsonNode files = event.get("media");
        assertThat(files).hasSize(served.filesByUrl().size());
        for (JsonNode file : files) {
            CdnStandIn.MediaFile source = served.filesByUrl().get(file.get("source_url").asText());
            assertThat(source).as("a file the provider's answer named: %s", file).isNotNull();
            assertThat(file.get("sha256").asText()).isEqualTo(source.sha256());
            assertThat(file.get("size").asLong()).isEqualTo(source.size());
            assertThat(Events.sha256OfObject(standIns.s3, StandIns.BUCKET, file.get("key").asText()))
                    .isEqualTo(source.sha256());
        }
        if (served.mediaPath() != null) {
            assertThat(STAND_IN.hits(served.mediaPath())).as("the media request").isEqualTo(1);
        }
        for (String apiMedia : served.apiMediaPaths()) {
            assertThat(STAND_IN.hits(apiMedia)).as("the media at the API, %s", apiMedia).isPositive();
            assertThat(STAND_IN.refused()).noneMatch(refusal -> refusal.startsWith(apiMedia + ":"));
        }
        List<CdnStandIn.SeenRequest> atTheCdn = standIns.cdn.requests().stream()
                .filter(request -> served.cdnPaths().contains(request.path())).toList();
        assertThat(atTheCdn).as("the CDN's requests for the task's files").isNotEmpty();
        for (CdnStandIn.SeenRequest request : atTheCdn) {
            assertThat(request.headers().keySet()).as("headers the CDN saw for %s", request.path())
                    .noneMatch(header -> provider.requestHeaders().keySet().stream().anyMatch(header::equalsIgnoreCase));
        }
    }
}
