package io.lumaharvester.provider;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.io.IOException;
import java.io.InputStream;
import java.io.UncheckedIOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.security.MessageDigest;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.Base64;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import java.util.stream.Stream;

import javax.crypto.Mac;
import javax.crypto.spec.SecretKeySpec;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import org.apache.camel.impl.DefaultCamelContext;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.CsvSource;
import org.junit.jupiter.params.provider.MethodSource;

/**
 * Each built-in profile reads its provider's documented answers (the fixtures in {@code src/test/resources/providers},
 * each folder's SOURCE.md says where they come from) and builds the request its provider documents. Expected values
 * are pointers into the fixture files, so a profile that reads the wrong field fails here.
 */
class BuiltinProvidersTest {

    static final ObjectMapper JSON = new ObjectMapper();
    static final String TOKEN = "fake-token-0a1b2c";
    static final String ACCESS_KEY = "ak-fake-4f2d";
    static final String SECRET_KEY = "sk-fake-9c3e7b";
    private static final Path BUILT_INS = Path.of("src", "main", "resources", "providers");
    private static final Pattern PLACEHOLDER = Pattern.compile("\\{([^}]*)}");
    private static final String TASK_ID = "task-1";

    private final AtomicInteger unknownStates = new AtomicInteger();

    /** The built-in profile {@code name}, as the harvester loads it. */
    static ProviderProfile profile(String name) {
        try (InputStream in = Files.newInputStream(BUILT_INS.resolve(name + ".yaml"))) {
            return ProviderProfiles.parse("providers/" + name + ".yaml", in);
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
    }

    /** The settings a deployment of {@code name} would have, with fake secrets; fal has no default base URL. */
    static ProviderSettings settings(String name, String baseUrl) {
        return new ProviderSettings(baseUrl, TOKEN, Map.of("access-key", ACCESS_KEY, "secret-key", SECRET_KEY));
    }

    private Provider provider(String name) {
        String base = name.equals("fal") ? "https://queue.fal.run/fal-ai/kling-video" : null;
        return new Provider(name, profile(name), settings(name, base), p -> unknownStates.incrementAndGet());
    }

    static JsonNode fixture(String provider, String file) {
        try (InputStream in = BuiltinProvidersTest.class.getResourceAsStream("/providers/" + provider + "/" + file)) {
            assertThat(in).as("fixture %s/%s", provider, file).isNotNull();
            return JSON.readTree(in);
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
    }

    /**
     * {@code template} with each {@code {/json/pointer}} replaced by the fixture's value, {@code {base}} by base and
     * {@code {id}} by the task id the test reads the fixture for.
     */
    private static String resolve(String template, JsonNode fixture, String base) {
        return resolve(template, fixture, base, TASK_ID);
    }

    private static String resolve(String template, JsonNode fixture, String base, String id) {
        Matcher m = PLACEHOLDER.matcher(template);
        StringBuilder out = new StringBuilder();
        while (m.find()) {
            String key = m.group(1);
            String value;
            if (key.equals("base")) {
                value = base;
            } else if (key.equals("id")) {
                value = id;
            } else {
                JsonNode node = fixture.at(key);
                assertThat(node.isMissingNode()).as("pointer %s in the fixture", key).isFalse();
                value = node.asText();
            }
            m.appendReplacement(out, Matcher.quoteReplacement(value));
        }
        m.appendTail(out);
        return out.toString();
    }

    static Stream<String> builtInNames() throws IOException {
        try (Stream<Path> files = Files.list(BUILT_INS)) {
            return files.map(f -> f.getFileName().toString()).filter(f -> f.endsWith(".yaml"))
                    .map(f -> f.substring(0, f.length() - ".yaml".length())).sorted().toList().stream();
        }
    }

    @Test
    void theJarNamesEveryProfileFileAndNoOther() throws IOException {
        assertThat(ProviderProfiles.BUILT_IN).as("ProviderProfiles.BUILT_IN against " + BUILT_INS)
                .containsExactlyInAnyOrderElementsOf(builtInNames().toList());
        assertThat(ProviderProfiles.builtIns(new DefaultCamelContext()))
                .containsOnlyKeys(builtInNames().toList());
    }

    @ParameterizedTest(name = "{0}")
    @MethodSource("builtInNames")
    void everyBuiltInLoadsAndCompiles(String name) {
        ProviderProfile profile = profile(name);
        String base = profile.baseUrl() == null ? "https://provider.example" : null;
        Provider provider = new Provider(name, profile, settings(name, base), p -> { });
        assertThat(provider.name()).isEqualTo(name);
        assertThat(profile.description()).as("%s cites its source", name).isNotBlank();
    }

    /**
     * provider | fixture | outcome | state (pointer, or the value the profile makes) | failure detail (pointer) | retryable | media-request URL
     * (template) | media from | media (role=pointer ...) | event fields (field=pointer ...)
     */
    @ParameterizedTest(name = "{0} {1}")
    @CsvSource(delimiter = '|', nullValues = "-", textBlock = """
            luma-official    | running.json          | RUNNING   | /state                  | -                        | false | -                                                 | -          | -                                                                                     | prompt=/request/prompt aspect_ratio=/request/aspect_ratio
            luma-official    | succeeded.json        | SUCCEEDED | /state                  | -                        | false | -                                                 | -          | video=/assets/video image=/assets/image progress_video=/assets/progress_video         | prompt=/request/prompt aspect_ratio=/request/aspect_ratio
            luma-official    | failed.json           | FAILED    | /state                  | /failure_reason          | false | -                                                 | -          | -                                                                                     | -
            runway           | running.json          | RUNNING   | /status                 | -                        | false | -                                                 | -          | -                                                                                     | -
            runway           | succeeded.json        | SUCCEEDED | /status                 | -                        | false | -                                                 | -          | video=/output/0                                                                       | -
            runway           | failed.json           | FAILED    | /status                 | /failure                 | false | -                                                 | -          | -                                                                                     | -
            runway           | failed-internal.json  | FAILED    | /status                 | /failure                 | true  | -                                                 | -          | -                                                                                     | -
            kling            | running.json          | RUNNING   | /data/task_status       | -                        | false | -                                                 | -          | -                                                                                     | -
            kling            | succeeded.json        | SUCCEEDED | /data/task_status       | -                        | false | -                                                 | -          | video=/data/task_result/videos/0/url                                                  | -
            kling            | failed.json           | FAILED    | /data/task_status       | /data/task_status_msg    | false | -                                                 | -          | -                                                                                     | -
            kling-aggregator | running.json          | RUNNING   | /data/task_status       | -                        | false | -                                                 | -          | -                                                                                     | -
            kling-aggregator | succeeded.json        | SUCCEEDED | /data/task_status       | -                        | false | -                                                 | -          | video=/data/task_result/videos/0/url                                                  | -
            kling-aggregator | failed.json           | FAILED    | /data/task_status       | /data/task_status_msg    | false | -                                                 | -          | -                                                                                     | -
            replicate        | running.json          | RUNNING   | /status                 | -                        | false | -                                                 | -          | -                                                                                     | prompt=-
            replicate        | succeeded.json        | SUCCEEDED | /status                 | -                        | false | -                                                 | -          | image=/output/0 image=/output/1                                                       | -
            replicate        | succeeded-string.json | SUCCEEDED | /status                 | -                        | false | -                                                 | -          | video=/output                                                                         | -
            replicate        | failed.json           | FAILED    | /status                 | /error                   | false | -                                                 | -          | -                                                                                     | -
            fal              | queued.json           | RUNNING   | /status                 | -                        | false | -                                                 | -          | -                                                                                     | -
            fal              | running.json          | RUNNING   | /status                 | -                        | false | -                                                 | -          | -                                                                                     | -
            fal              | succeeded.json        | SUCCEEDED | /status                 | -                        | false | {/response_url}                                   | media.json | video=/video/url                                                                      | -
            minimax          | running.json          | RUNNING   | /status                 | -                        | false | -                                                 | -          | -                                                                                     | -
            minimax          | succeeded.json        | SUCCEEDED | /status                 | -                        | false | {base}/v1/files/retrieve?file_id={/file_id}       | media.json | video=/file/download_url                                                              | -
            minimax          | failed.json           | FAILED    | /status                 | /base_resp/status_msg    | false | -                                                 | -          | -                                                                                     | -
            vidu             | running.json          | RUNNING   | /state                  | -                        | false | -                                                 | -          | -                                                                                     | -
            vidu             | succeeded.json        | SUCCEEDED | /state                  | -                        | false | -                                                 | -          | video=/creations/0/url thumbnail=/creations/0/cover_url                               | -
            vidu             | failed.json           | FAILED    | /state                  | /err_code                | false | -                                                 | -          | -                                                                                     | -
            pika             | running.json          | RUNNING   | /videos/0/status        | -                        | false | -                                                 | -          | -                                                                                     | prompt=/promptText
            pika             | succeeded.json        | SUCCEEDED | /videos/0/status        | -                        | false | -                                                 | -          | video=/videos/0/resultUrl poster=/videos/0/videoPoster thumbnail=/videos/0/imageThumb | prompt=/promptText
            pika             | failed.json           | FAILED    | /videos/0/status        | /videos/0/error          | false | -                                                 | -          | -                                                                                     | -
            suno             | running.json          | RUNNING   | /data/status            | -                        | false | -                                                 | -          | -                                                                                     | -
            suno             | succeeded.json        | SUCCEEDED | /data/status            | -                        | false | -                                                 | -          | audio=/data/data/0/audio_url image=/data/data/0/image_url video=/data/data/0/video_url | -
            suno             | failed.json           | FAILED    | /data/status            | /data/fail_reason        | false | -                                                 | -          | -                                                                                     | -
            openai           | queued.json           | RUNNING   | /status                 | -                        | false | -                                                 | -          | -                                                                                     | -
            openai           | running.json          | RUNNING   | /status                 | -                        | false | -                                                 | -          | -                                                                                     | -
            openai           | succeeded.json        | SUCCEEDED | /status                 | -                        | false | -                                                 | -          | video={base}/v1/videos/{id}/content thumbnail={base}/v1/videos/{id}/content?variant=thumbnail | -
            openai           | failed.json           | FAILED    | /status                 | /error/message           | false | -                                                 | -          | -                                                                                     | -
            veo              | running.json          | RUNNING   | running                 | -                        | false | -                                                 | -          | -                                                                                     | -
            veo              | succeeded.json        | SUCCEEDED | done                    | -                        | false | -                                                 | -          | video=/response/generateVideoResponse/generatedSamples/0/video/uri                    | -
            veo              | failed.json           | FAILED    | error                   | /error/message           | false | -                                                 | -          | -                                                                                     | -
            veo              | filtered.json         | FAILED    | filtered                | /response/generateVideoResponse/raiMediaFilteredReasons/0 | false | -                | -          | -                                                                                     | -
            """)
    void aBuiltInReadsItsProvidersDocumentedAnswer(String name, String file, ProviderAnswer.Outcome outcome,
            String statePointer, String detailPointer, boolean retryable, String mediaRequest, String mediaFrom,
            String media, String eventFields) {
        Provider provider = provider(name);
        JsonNode answer = fixture(name, file);
        String id = TASK_ID;

        ProviderAnswer read = provider.read(id, null, answer);

        assertThat(read.outcome()).as("outcome").isEqualTo(outcome);
        // a pointer to the state in the answer, or the state the profile makes of it (Veo's done and error)
        assertThat(read.state()).as("state")
                .isEqualTo(statePointer.startsWith("/") ? answer.at(statePointer).asText() : statePointer);
        assertThat(read.failureDetail()).as("failure detail")
                .isEqualTo(detailPointer == null ? null : answer.at(detailPointer).asText());
        assertThat(read.retryable()).as("retryable").isEqualTo(retryable);
        assertThat(read.mediaRequestUrl()).as("media-request URL")
                .isEqualTo(mediaRequest == null ? null : resolve(mediaRequest, answer, provider.baseUrl()));
        assertThat(read.invalidWhy()).isNull();
        assertThat(unknownStates).as("states the profile does not list").hasValue(0);

        JsonNode generation = mediaFrom == null ? answer : fixture(name, mediaFrom);
        List<String> expected = new ArrayList<>();
        if (media != null) {
            for (String entry : media.trim().split("\\s+")) {
                // a pointer into the answer, or a template for a URL the profile builds ({base}, {id})
                String[] roleAndPointer = entry.split("=", 2);
                String url = roleAndPointer[1].startsWith("/") ? generation.at(roleAndPointer[1]).asText()
                        : resolve(roleAndPointer[1], generation, provider.baseUrl());
                assertThat(url).as("fixture value at %s", roleAndPointer[1]).startsWith("https://");
                expected.add(roleAndPointer[0] + "=" + url);
            }
        }
        List<String> urls = provider.media(id, null, generation).stream().map(m -> m.role() + "=" + m.url()).toList();
        if (outcome == ProviderAnswer.Outcome.SUCCEEDED) {
            assertThat(urls).as("media by role").containsExactlyElementsOf(expected);
        } else {
            assertThat(urls).as("media of a task that has not succeeded").isEmpty();
        }

        if (eventFields != null) {
            for (String entry : eventFields.trim().split("\\s+")) {
                String[] fieldAndPointer = entry.split("=", 2);
                String value = fieldAndPointer[1].equals("-") ? null : answer.at(fieldAndPointer[1]).asText();
                assertThat(provider.eventField(fieldAndPointer[0], id, null, answer)).as("event field %s", entry)
                        .isEqualTo(value);
            }
        }
    }

    /** What the answers say of the file itself (width, height, duration) reaches the media list. */
    @ParameterizedTest(name = "{0} {1}")
    @CsvSource(delimiter = '|', nullValues = "-", textBlock = """
            kling | succeeded.json | /data/task_result/videos/0 | -          | -           | /duration
            pika  | succeeded.json | /videos/0                  | -          | -           | /duration
            suno  | succeeded.json | /data/data/0               | -          | -           | /metadata/duration
            fal   | media.json     | /video                     | /width     | /height     | -
            """)
    void whatAnAnswerSaysOfAFileComesWithItsUrl(String name, String file, String item, String width, String height,
            String duration) {
        JsonNode answer = fixture(name, file);
        JsonNode entry = answer.at(item);

        MediaUrl first = provider(name).media("task-1", null, answer).get(0);

        assertThat(first.width()).isEqualTo(width == null || entry.at(width).isMissingNode() ? null
                : entry.at(width).asInt());
        assertThat(first.height()).isEqualTo(height == null || entry.at(height).isMissingNode() ? null
                : entry.at(height).asInt());
        assertThat(first.duration()).isEqualTo(duration == null ? null : Double.valueOf(entry.at(duration).asText()));
    }

    @Test
    void anEnvelopeThatIsNotOkIsAPollErrorWithTheProvidersMessage() {
        JsonNode answer = fixture("kling", "envelope-error.json");

        ProviderAnswer read = provider("kling").read("task-1", null, answer);

        assertThat(read.outcome()).isEqualTo(ProviderAnswer.Outcome.INVALID);
        assertThat(read.invalidWhy()).contains(answer.at("/message").asText());
    }

    @Test
    void falsFailedResultIsTheTasksFailureWithItsDetailAndNamesNoMedia() {
        // a fal request that failed is COMPLETED; its result request answers the error body, which holds no media
        Provider fal = provider("fal");
        assertThat(fal.mediaRequestFailure("task-1", null, fixture("fal", "failed.json"))).isEqualTo("Request timed out");
        assertThat(fal.mediaRequestFailure("task-1", null, fixture("fal", "media.json"))).isNull();
        assertThat(fal.media("task-1", null, fixture("fal", "failed.json"))).isEmpty();
    }

    @Test
    void aStateTheProfileDoesNotListCountsAsRunningAndIsCounted() throws IOException {
        JsonNode answer = JSON.readTree("{\"status\": \"PAUSED_FOR_REVIEW\"}");

        ProviderAnswer read = provider("runway").read("task-1", null, answer);

        assertThat(read.outcome()).isEqualTo(ProviderAnswer.Outcome.RUNNING);
        assertThat(unknownStates).hasValue(1);
    }

    /**
     * provider | task id | metadata | status URL (the provider's documented endpoint) | headers (name=value; ...)
     */
    @ParameterizedTest(name = "{0} {2}")
    @CsvSource(delimiter = '|', nullValues = "-", textBlock = """
            luma-official    | 7ca76429-99d1-46ab-bb2e-84baa4acdb04 | -                            | https://api.lumalabs.ai/dream-machine/v1/generations/7ca76429-99d1-46ab-bb2e-84baa4acdb04 | Authorization=Bearer fake-token-0a1b2c
            runway           | 17f20503-6c24-4c16-946b-35dbbce2af2f | -                            | https://api.dev.runwayml.com/v1/tasks/17f20503-6c24-4c16-946b-35dbbce2af2f                 | X-Runway-Version=2024-11-06;Authorization=Bearer fake-token-0a1b2c
            kling            | CjMb3GdXo6AAAAAAAB8QFw               | -                            | https://api.klingai.com/v1/videos/text2video/CjMb3GdXo6AAAAAAAB8QFw                        | -
            kling            | CjMb3GdXo6AAAAAAAB8QFw               | {"action": "image2video"}    | https://api.klingai.com/v1/videos/image2video/CjMb3GdXo6AAAAAAAB8QFw                       | -
            kling-aggregator | CjMb3GdXo6AAAAAAAB8QFw               | -                            | https://api.gpt.ge/kling/v1/videos/text2video/CjMb3GdXo6AAAAAAAB8QFw                       | Authorization=Bearer fake-token-0a1b2c
            kling-aggregator | CjMb3GdXo6AAAAAAAB8QFw               | {"action": "image2video"}    | https://api.gpt.ge/kling/v1/videos/image2video/CjMb3GdXo6AAAAAAAB8QFw                      | Authorization=Bearer fake-token-0a1b2c
            replicate        | p1                                   | -                            | https://api.replicate.com/v1/predictions/p1                                                | Authorization=Bearer fake-token-0a1b2c
            fal              | 024ca5b1-45d3-4afd-883e-ad3abe2a1c4d | -                            | https://queue.fal.run/fal-ai/kling-video/requests/024ca5b1-45d3-4afd-883e-ad3abe2a1c4d/status | Authorization=Key fake-token-0a1b2c
            minimax          | 176843862716480                      | -                            | https://api.minimax.io/v1/query/video_generation?task_id=176843862716480                   | Authorization=Bearer fake-token-0a1b2c
            vidu             | 916205061116293120                   | -                            | https://api.vidu.com/ent/v2/tasks/916205061116293120/creations                             | Authorization=Token fake-token-0a1b2c
            pika             | c8091b7b-06df-48ed-8fe3-8ee8f1e367c2 | -                            | https://api.gpt.ge/pika/feed/c8091b7b-06df-48ed-8fe3-8ee8f1e367c2                          | Authorization=Bearer fake-token-0a1b2c
            suno             | 2a145658-3342-4228-b779-b8323a2b77df | -                            | https://api.gpt.ge/suno/fetch/2a145658-3342-4228-b779-b8323a2b77df                         | Authorization=Bearer fake-token-0a1b2c
            openai           | video_68d7512d07848190b3e45da0ecbebcde004da08e1e0678d5 | -          | https://api.openai.com/v1/videos/video_68d7512d07848190b3e45da0ecbebcde004da08e1e0678d5    | Authorization=Bearer fake-token-0a1b2c
            veo              | models/veo-3.0-generate-001/operations/zzqlxn3w0b9c | -             | https://generativelanguage.googleapis.com/v1beta/models/veo-3.0-generate-001/operations/zzqlxn3w0b9c | x-goog-api-key=fake-token-0a1b2c
            """)
    void aBuiltInBuildsTheStatusRequestItsProviderDocuments(String name, String id, String metadata, String url,
            String headers) throws IOException {
        Provider provider = provider(name);
        JsonNode meta = metadata == null ? null : JSON.readTree(metadata);

        assertThat(provider.acceptsTaskId(id)).as("task id %s", id).isTrue();
        assertThat(provider.statusUrl(id, meta)).isEqualTo(url);
        Map<String, String> sent = provider.requestHeaders();
        if (headers != null) {
            Map<String, String> expected = new LinkedHashMap<>();
            Arrays.stream(headers.split(";")).map(h -> h.split("=", 2)).forEach(h -> expected.put(h[0], h[1]));
            assertThat(sent).containsExactlyInAnyOrderEntriesOf(expected);
        }
    }

    /**
     * provider | the media request's scheme, host and port (-1: none in the URL) | the headers it carries. Only a
     * media-auth profile's own API (its base URL's scheme, host and port exactly) gets the status request's auth.
     */
    @ParameterizedTest(name = "{0} {1}://{2}:{3}")
    @CsvSource(delimiter = '|', nullValues = "-", textBlock = """
            openai        | https | api.openai.com                     | 443  | Authorization=Bearer fake-token-0a1b2c
            openai        | https | api.openai.com                     | -1   | Authorization=Bearer fake-token-0a1b2c
            openai        | HTTPS | API.OpenAI.com                     | -1   | Authorization=Bearer fake-token-0a1b2c
            openai        | http  | api.openai.com                     | 80   | -
            openai        | http  | api.openai.com                     | 443  | -
            openai        | https | api.openai.com                     | 8443 | -
            openai        | https | cdn.openai.com                     | 443  | -
            openai        | https | api.openai.com.example             | 443  | -
            openai        | https | -                                  | 443  | -
            veo           | https | generativelanguage.googleapis.com  | 443  | x-goog-api-key=fake-token-0a1b2c
            veo           | https | storage.googleapis.com             | 443  | -
            runway        | https | api.dev.runwayml.com               | 443  | -
            luma-official | https | api.lumalabs.ai                    | 443  | -
            """)
    void aMediaRequestCarriesTheAuthOnlyToAMediaAuthProvidersOwnApi(String name, String scheme, String host,
            int port, String headers) {
        Map<String, String> expected = new LinkedHashMap<>();
        if (headers != null) {
            Arrays.stream(headers.split(";")).map(h -> h.split("=", 2)).forEach(h -> expected.put(h[0], h[1]));
        }

        assertThat(provider(name).mediaHeaders(scheme, host, port)).containsExactlyInAnyOrderEntriesOf(expected);
    }

    @ParameterizedTest(name = "{0}")
    @CsvSource(delimiter = '|', textBlock = """
            openai | https://api.openai.com          | api.openai.com:443
            openai | http://127.0.0.1:8089/           | 127.0.0.1:8089
            veo    | https://generativelanguage.googleapis.com | generativelanguage.googleapis.com:443
            """)
    void aMediaAuthProvidersMediaMayComeFromItsOwnApiHost(String name, String baseUrl, String host) {
        Provider provider = new Provider(name, profile(name), settings(name, baseUrl), p -> { });

        assertThat(provider.mediaHosts()).contains(host);
        assertThat(provider("runway").mediaHosts()).noneMatch(h -> h.startsWith("api.dev.runwayml.com"));
    }

    @Test
    void klingIsCalledWithAJwtSignedWithTheSecretKeyIssuedByTheAccessKeyForThirtyMinutes() throws Exception {
        long before = System.currentTimeMillis() / 1000;
        Map<String, String> headers = provider("kling").requestHeaders();
        long after = System.currentTimeMillis() / 1000;

        assertThat(headers).containsOnlyKeys("Authorization");
        assertThat(headers.get("Authorization")).startsWith("Bearer ");
        String[] parts = headers.get("Authorization").substring("Bearer ".length()).split("\\.");
        assertThat(parts).hasSize(3);
        Base64.Decoder b64 = Base64.getUrlDecoder();
        JsonNode header = JSON.readTree(b64.decode(parts[0]));
        JsonNode claims = JSON.readTree(b64.decode(parts[1]));
        assertThat(header.get("alg").asText()).isEqualTo("HS256");
        assertThat(header.get("typ").asText()).isEqualTo("JWT");
        assertThat(claims.get("iss").asText()).isEqualTo(ACCESS_KEY);
        // Kling's docs: exp = now + 1800, nbf = now - 5
        assertThat(claims.get("exp").asLong()).isBetween(before + 1800, after + 1800);
        assertThat(claims.get("nbf").asLong()).isBetween(before - 5, after - 5);
        Mac mac = Mac.getInstance("HmacSHA256");
        mac.init(new SecretKeySpec(SECRET_KEY.getBytes(StandardCharsets.UTF_8), "HmacSHA256"));
        byte[] expected = mac.doFinal((parts[0] + "." + parts[1]).getBytes(StandardCharsets.US_ASCII));
        assertThat(MessageDigest.isEqual(b64.decode(parts[2]), expected)).as("HS256 signature").isTrue();
    }

    @ParameterizedTest(name = "{0}")
    @CsvSource(delimiter = '|', textBlock = """
            {"action": "../../v1/account"}
            {"action": "text2video/x?y="}
            {"action": 7}
            """)
    void klingsActionCannotLeaveTheVideosPath(String metadata) throws IOException {
        JsonNode meta = JSON.readTree(metadata);
        for (String name : List.of("kling", "kling-aggregator")) {
            assertThatThrownBy(() -> provider(name).statusUrl("CjMb3GdXo6AAAAAAAB8QFw", meta))
                    .as(name).isInstanceOf(IllegalStateException.class);
        }
    }

    @ParameterizedTest(name = "{0} {1}")
    @CsvSource(delimiter = '|', textBlock = """
            luma-official | 7ca76429-99d1-46ab-bb2e-84baa4acdb04 | true
            luma-official | e70fdf3c-ce95-4dd1-a967                | false
            luma-official | ../7ca76429-99d1-46ab-bb2e-84baa4acd   | false
            runway        | 17f20503-6c24-4c16-946b-35dbbce2af2f | true
            runway        | task_17f20503                        | false
            minimax       | 176843862716480                      | true
            minimax       | 17684386271648a                      | false
            replicate     | rrr4z55ocneqzikepnug6xezpe           | true
            replicate     | p1/../../x                           | false
            openai        | video_68d7512d07848190b3e45da0ecbebcde004da08e1e0678d5 | true
            openai        | video_../x                           | false
            openai        | 68d7512d07848190b3e45da0ecbebcde     | false
            veo           | models/veo-3.0-generate-001/operations/zzqlxn3w0b9c | true
            veo           | models/veo-3.0-generate-001/operations/../../files/x | false
            veo           | models/veo..3/operations/zzqlxn3w0b9c | false
            veo           | zzqlxn3w0b9c                         | false
            """)
    void aBuiltInAcceptsItsProvidersTaskIdsOnly(String name, String id, boolean accepted) {
        assertThat(provider(name).acceptsTaskId(id)).isEqualTo(accepted);
    }
}
