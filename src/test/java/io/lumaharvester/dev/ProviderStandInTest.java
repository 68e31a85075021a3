package io.lumaharvester.dev;

import static org.assertj.core.api.Assertions.assertThat;

import java.io.IOException;
import java.io.InputStream;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.UUID;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import io.lumaharvester.provider.MediaUrl;
import io.lumaharvester.provider.Provider;
import io.lumaharvester.provider.ProviderAnswer;
import io.lumaharvester.provider.ProviderProfiles;
import io.lumaharvester.provider.ProviderSettings;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.CsvSource;

/** The provider stand-in answers as its provider's profile expects, and only to the auth the profile requires. */
class ProviderStandInTest {

    private static final ObjectMapper JSON = new ObjectMapper();
    private static final HttpClient HTTP = HttpClient.newHttpClient();
    private static CdnStandIn cdn;
    private static ProviderStandIn standIn;

    @BeforeAll
    static void start() throws IOException {
        cdn = CdnStandIn.start("127.0.0.1", 0);
        standIn = ProviderStandIn.start(cdn);
    }

    @AfterAll
    static void stop() {
        standIn.close();
        cdn.close();
    }

    static Provider provider(String name, String baseUrl, ProviderSettings settings) throws IOException {
        try (InputStream in = Files.newInputStream(Path.of("src/main/resources/providers/" + name + ".yaml"))) {
            return new Provider(name, ProviderProfiles.parse("providers/" + name + ".yaml", in), settings, p -> { });
        }
    }

    private static HttpResponse<String> get(String url, Map<String, String> headers) throws Exception {
        HttpRequest.Builder request = HttpRequest.newBuilder(URI.create(url)).GET();
        headers.forEach(request::header);
        return HTTP.send(request.build(), HttpResponse.BodyHandlers.ofString());
    }

    @ParameterizedTest(name = "{0}")
    @CsvSource(delimiter = '|', textBlock = """
            luma-official    | uuid    |                        | 200
            runway           | uuid    |                        | 200
            kling            | kling   |                        | 200
            kling-aggregator | kling   |                        | 200
            replicate        | word    |                        | 200
            fal              | uuid    | /fal-ai/kling-video    | 202
            minimax          | digits  |                        | 200
            vidu             | digits  |                        | 200
            pika             | uuid    |                        | 200
            suno             | uuid    |                        | 200
            """)
    void aTaskRunsTwiceThenSucceedsWithItsMediaOnTheCdnAndRefusesAnyOtherAuth(String name, String idKind,
            String basePath, int runningStatus) throws Exception {
        String id = switch (idKind) {
            case "uuid" -> UUID.randomUUID().toString();
            case "digits" -> String.valueOf(100_000_000_000L + (long) (Math.random() * 1e12));
            case "kling" -> "Cj" + UUID.randomUUID().toString().replace("-", "").substring(0, 20);
            default -> "p" + UUID.randomUUID().toString().replace("-", "");
        };
        ProviderSettings settings = new ProviderSettings(standIn.baseUrl() + (basePath == null ? "" : basePath),
                "stand-in-token", Map.of("access-key", "ak-1", "secret-key", "sk-1"));
        Provider provider = provider(name, null, settings);
        assertThat(provider.acceptsTaskId(id)).isTrue();

        ProviderStandIn.ServedTask served = standIn.completes(provider, settings, id, null, runningStatus);

        String statusUrl = provider.statusUrl(id, null);
        List<ProviderAnswer.Outcome> outcomes = new ArrayList<>();
        JsonNode last = null;
        for (int poll = 0; poll < 3; poll++) {
            HttpResponse<String> answer = get(statusUrl, provider.requestHeaders());
            assertThat(answer.statusCode()).isEqualTo(poll < 2 ? runningStatus : 200);
            last = JSON.readTree(answer.body());
            outcomes.add(provider.read(id, null, last).outcome());
        }
        assertThat(outcomes).containsExactly(ProviderAnswer.Outcome.RUNNING, ProviderAnswer.Outcome.RUNNING,
                ProviderAnswer.Outcome.SUCCEEDED);

        JsonNode generation = last;
        String mediaRequest = provider.read(id, null, last).mediaRequestUrl();
        if (mediaRequest != null) {
            assertThat(mediaRequest).startsWith(standIn.baseUrl());
            HttpResponse<String> media = get(mediaRequest, provider.requestHeaders());
            assertThat(media.statusCode()).isEqualTo(200);
            generation = JSON.readTree(media.body());
        }
        List<MediaUrl> media = provider.media(id, null, generation);
        assertThat(media).isNotEmpty();
        assertThat(media).allSatisfy(m -> assertThat(served.filesByUrl()).containsKey(m.url()));
        for (MediaUrl file : media) {
            assertThat(get(file.url(), Map.of()).statusCode()).isEqualTo(200);
        }

        int before = standIn.refused().size();
        assertThat(get(statusUrl, Map.of()).statusCode()).isEqualTo(401);
        assertThat(get(statusUrl, Map.of("Authorization", "Bearer someone-else")).statusCode()).isEqualTo(401);
        assertThat(standIn.refused()).hasSize(before + 2);
    }
}
