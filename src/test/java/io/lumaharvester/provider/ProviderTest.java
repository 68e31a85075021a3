package io.lumaharvester.provider;

import static org.assertj.core.api.Assertions.assertThat;

import java.io.ByteArrayInputStream;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import io.lumaharvester.dev.LogCapture;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.CsvSource;

/** What a profile's expressions make of a provider's answers, on a profile written for the test. */
class ProviderTest {

    private static final ObjectMapper JSON = new ObjectMapper();
    private static final String PROFILE = """
            base-url: https://api.example.com/
            task-id: '[0-9a-f-]{36}'
            status:
              url: '"\\($base)/v1/jobs/\\($metadata.kind // "video")/\\($id)"'
              auth: {type: header, name: Authorization, prefix: 'Key '}
              headers: {X-Api-Version: '2024-11-06'}
            envelope:
              ok: '.code == 0'
              message: '.msg'
            state:
              value: .data.status
              running: [queued, running]
              succeeded: [done]
              failed: [error, cancelled]
            failure:
              detail: .data.error
              retryable: '.data.error_code // "" | startswith("INTERNAL")'
            media:
              video: '.data.outputs[]?'
              thumbnail: '.data.cover | strings'
            media-request:
              url: .data.result_url
            event:
              prompt: .data.prompt
            """;
    private static final String ID = "0f8fad5b-d9cb-469f-a165-70867728950e";

    private final List<String> unknownStates = new ArrayList<>();
    private final Provider provider = new Provider("acme", ProviderProfiles.parse("acme.yaml",
            new ByteArrayInputStream(PROFILE.getBytes(StandardCharsets.UTF_8))),
            new ProviderSettings(null, "secret-1", Map.of()), unknownStates::add);

    @Test
    void theStatusRequestIsTheProfilesUrlWithItsAuthAndHeaders() {
        assertThat(provider.statusUrl(ID, JSON.createObjectNode().put("kind", "image")))
                .isEqualTo("https://api.example.com/v1/jobs/image/" + ID);
        assertThat(provider.statusUrl(ID, null)).isEqualTo("https://api.example.com/v1/jobs/video/" + ID);
        assertThat(provider.requestHeaders()).containsExactly(Map.entry("X-Api-Version", "2024-11-06"),
                Map.entry("Authorization", "Key secret-1"));
        assertThat(provider.acceptsTaskId(ID)).isTrue();
        assertThat(provider.acceptsTaskId("abc")).isFalse();
    }

    /** A built-in's status URL that is a plain interpolation is filled in without jq: the text jq makes of it. */
    @Test
    void aPlainStatusUrlIsTheTextJqMakesOfIt() throws Exception {
        Providers builtIns = TestProviders.builtIns();
        assertThat(Provider.plainInterpolation(builtIns.get(Providers.LUMA_AGGREGATOR).profile().status().url()))
                .containsExactly("", "base", "/luma/generations/", "id", "");
        for (String name : builtIns.names()) {
            Provider builtIn = builtIns.get(name);
            String expression = builtIn.profile().status().url();
            if (Provider.plainInterpolation(expression) == null) {
                continue;
            }
            String functions = builtIn.profile().functions();
            JsonNode byJq = Jq.compile(functions == null ? expression : functions + " " + expression).first(
                    JSON.createObjectNode(), Map.of("id", JSON.getNodeFactory().textNode(ID), "base",
                            JSON.getNodeFactory().textNode(builtIn.baseUrl()), "metadata", JSON.createObjectNode()));
            assertThat(builtIn.statusUrl(ID, null)).as(name).isEqualTo(byJq.textValue());
        }
    }

    @ParameterizedTest(name = "{0}")
    @CsvSource(delimiter = '|', value = {
            "with $metadata         | '\"\\($base)/v1/\\($metadata.kind)/\\($id)\"'",
            "with an escape         | '\"\\($base)/v1\\t\\($id)\"'",
            "with a function        | '\"\\($base)/v1/\\($id | ascii_downcase)\"'",
            "not a string           | '$base + \"/v1/\" + $id'"})
    void aStatusUrlThatIsMoreThanAPlainInterpolationIsLeftToJq(String what, String expression) {
        assertThat(Provider.plainInterpolation(expression)).isNull();
    }

    @ParameterizedTest(name = "{0}")
    @CsvSource(delimiter = '|', value = {
        "running | {\"code\":0,\"data\":{\"status\":\"queued\"}} | RUNNING | queued | | false | |",
        "succeeded, media from a second answer | {\"code\":0,\"data\":{\"status\":\"done\",\"result_url\":\"https://api.example.com/r/1\"}} | SUCCEEDED | done | | false | https://api.example.com/r/1 |",
        "failed, retryable | {\"code\":0,\"data\":{\"status\":\"error\",\"error\":\"GPU lost\",\"error_code\":\"INTERNAL.GPU\"}} | FAILED | error | GPU lost | true | |",
        "failed, not retryable | {\"code\":0,\"data\":{\"status\":\"cancelled\",\"error\":{\"why\":\"user\"}}} | FAILED | cancelled | {\"why\":\"user\"} | false | |",
        "envelope not ok: a poll error | {\"code\":1302,\"msg\":\"rate limited\",\"data\":{\"status\":\"done\"}} | INVALID | | | false | | the answer's envelope says it is not ok: rate limited",
        "no state | {\"code\":0,\"data\":{}} | INVALID | | | false | | the answer holds no state",
        "a state of another shape | {\"code\":0,\"data\":{\"status\":{\"x\":1}}} | INVALID | | | false | | the answer holds no state",
        "succeeded without its second answer's URL | {\"code\":0,\"data\":{\"status\":\"done\"}} | INVALID | | | false | | the answer says done but names no media-request URL",
    })
    void anAnswerIsReadAsTheProfileSays(String what, String answer, ProviderAnswer.Outcome outcome, String state,
            String detail, boolean retryable, String mediaRequest, String invalidWhy) throws Exception {
        ProviderAnswer read = provider.read(ID, null, JSON.readTree(answer));

        assertThat(read).isEqualTo(new ProviderAnswer(outcome, state, detail, retryable, mediaRequest, invalidWhy));
    }

    @Test
    void aStateInNoListCountsAsRunningIsCountedEachTimeAndLoggedOnce() throws Exception {
        JsonNode answer = JSON.readTree("{\"code\":0,\"data\":{\"status\":\"warming_up\"}}");
        try (LogCapture log = new LogCapture()) {
            assertThat(provider.read(ID, null, answer).outcome()).isEqualTo(ProviderAnswer.Outcome.RUNNING);
            assertThat(provider.read(ID, null, answer).outcome()).isEqualTo(ProviderAnswer.Outcome.RUNNING);

            assertThat(unknownStates).containsExactly("acme", "acme");
            assertThat(log.text().split("warming_up", -1)).as("log lines naming the state").hasSize(2);
        }
    }

    @Test
    void mediaAreEveryUrlOfEachRoleInTheProfilesOrder() throws Exception {
        JsonNode answer = JSON.readTree("{\"data\":{\"cover\":\"https://cdn.example.com/c.jpg\",\"outputs\":"
                + "[\"https://cdn.example.com/a.mp4\",{\"url\":\"https://cdn.example.com/b.mp4\",\"width\":640},"
                + "\" \",42]}}");

        assertThat(provider.media(ID, null, answer)).containsExactly(
                new MediaUrl("video", "https://cdn.example.com/a.mp4", null, null, null),
                new MediaUrl("video", "https://cdn.example.com/b.mp4", 640, null, null),
                new MediaUrl("thumbnail", "https://cdn.example.com/c.jpg", null, null, null));
        assertThat(provider.eventField("prompt", ID, null, JSON.readTree("{\"data\":{\"prompt\":\"a cat\"}}")))
                .isEqualTo("a cat");
        assertThat(provider.eventField("aspect_ratio", ID, null, answer)).isNull();
    }
}
