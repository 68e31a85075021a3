package io.lumaharvester.poll;

import io.lumaharvester.task.PollSchedule;
import static org.assertj.core.api.Assertions.assertThat;

import io.lumaharvester.ops.LumaApiAccessCheck;
import io.lumaharvester.provider.ProviderProfiles;
import io.lumaharvester.provider.Providers;
import io.lumaharvester.task.Failure;
import io.lumaharvester.task.TaskStep;
import io.lumaharvester.task.TaskTicket;
import java.io.ByteArrayInputStream;
import java.nio.charset.StandardCharsets;
import java.time.Clock;
import java.time.Instant;
import java.time.ZoneOffset;
import java.util.Map;
import java.util.Optional;

import io.micrometer.core.instrument.simple.SimpleMeterRegistry;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.CsvSource;

/** A poll of a provider whose profile has a media-request, its own interval and a poll-after header. */
class ProviderPollTest {

    private static final long NOW = 1_000_000;
    private static final String PROFILE = """
            base-url: https://queue.example.com/owner/app
            status:
              url: '"\\($base)/requests/\\($id)/status"'
              auth: {type: header, name: Authorization, prefix: 'Key '}
            state:
              value: .status
              running: [IN_QUEUE, IN_PROGRESS]
              succeeded: [COMPLETED]
              failed: [FAILED]
            media:
              video: .video.url
            media-request:
              url: .response_url
              failed: '.error_type? != null'
              detail: '.detail // empty | if type == "string" then . else tojson end'
            poll:
              interval-ms: 30000
              after-header: x-poll-after-ms
              after-unit: milliseconds
            """;

    private final Clock clock = Clock.fixed(Instant.ofEpochMilli(NOW), ZoneOffset.UTC);
    private final PollSchedule schedule = new PollSchedule(5_000, 600_000, clock);
    private final Providers providers = Providers.build(Map.of("two-step", ProviderProfiles.parse("two-step.yaml",
            new ByteArrayInputStream(PROFILE.getBytes(StandardCharsets.UTF_8)))),
            name -> Optional.of("secret").filter(v -> name.endsWith(".token")), "two-step", provider -> {
            });
    private final GenerationReader reader = new GenerationReader(schedule, 3, new LumaApiAccessCheck(),
            new ApiGates(p -> new ApiGate(10, 0, 5_000, clock, new SimpleMeterRegistry())), providers);
    private final TaskTicket ticket = TaskTicket.accepted("req-1", null, NOW, 1_800_000, 0).withProvider("two-step");

    @Test
    void aRunningTaskIsPolledAgainAtItsProvidersIntervalOrWhenTheProviderSuggests() {
        TaskStep atInterval = reader.read(ticket, 200, Map.of(), "{\"status\":\"IN_QUEUE\"}");
        TaskStep suggested = reader.read(ticket, 200, Map.of("x-poll-after-ms", "45000"), "{\"status\":\"IN_PROGRESS\"}");

        assertThat(atInterval.outcome()).isEqualTo(TaskStep.RUNNING);
        assertThat(atInterval.ticket().nextPollAt()).isEqualTo(NOW + 30_000);
        assertThat(suggested.ticket().nextPollAt()).isEqualTo(NOW + 45_000);
    }

    @Test
    void anAcceptedAnswerWhileTheTaskIsPendingIsReadLikeAnOkOne() {
        TaskStep step = reader.read(ticket, 202, Map.of(), "{\"status\":\"IN_QUEUE\"}");

        assertThat(step.outcome()).isEqualTo(TaskStep.RUNNING);
        assertThat(step.ticket().state()).isEqualTo("IN_QUEUE");
        assertThat(step.ticket().errors()).isZero();
    }

    @Test
    void aCompletedTaskWhoseMediaComeFromASecondAnswerAsksForItAndThatAnswerCompletesThePoll() {
        TaskStep step = reader.read(ticket, 200, Map.of(),
                "{\"status\":\"COMPLETED\",\"response_url\":\"https://queue.example.com/owner/app/requests/req-1\"}");

        assertThat(step.outcome()).isEqualTo(TaskStep.MEDIA_REQUEST);
        assertThat(step.mediaRequest()).isEqualTo("https://queue.example.com/owner/app/requests/req-1");
        StatusRequests.ProviderRequest request = new StatusRequests(providers).media(step);
        assertThat(request).isEqualTo(new StatusRequests.ProviderRequest(
                "https://queue.example.com/owner/app/requests/req-1", null, Map.of("Authorization", "Key secret")));
        assertThat(request.toString()).as("what a log line of the exchange shows").doesNotContain("secret");

        TaskStep completed = reader.readMedia(step, 200, Map.of(), "{\"video\":{\"url\":\"https://cdn.example.com/v.mp4\"}}");

        assertThat(completed.outcome()).isEqualTo(TaskStep.COMPLETED);
        assertThat(completed.ticket().state()).isEqualTo("COMPLETED");
        assertThat(completed.ticket().polls()).isEqualTo(1);
        assertThat(completed.ticket().generation().at("/video/url").textValue())
                .isEqualTo("https://cdn.example.com/v.mp4");
        assertThat(completed.ticket().completedAt()).isEqualTo(NOW);
    }

    @Test
    void aSecondAnswerThatIsNotThereIsAFailedPollAndTheTaskAsksAgainAfterABackOff() {
        TaskStep step = reader.read(ticket, 200, Map.of(),
                "{\"status\":\"COMPLETED\",\"response_url\":\"https://queue.example.com/owner/app/requests/req-1\"}");

        for (var answer : new Object[][] {{503, ""}, {200, "not json"}, {200, "\"a string\""},
                {503, "{\"detail\":\"Service Unavailable\"}"}}) {
            TaskStep next = reader.readMedia(step, (Integer) answer[0], Map.of(), (String) answer[1]);

            assertThat(next.outcome()).as("HTTP %s %s", answer[0], answer[1]).isEqualTo(TaskStep.ERROR);
            assertThat(next.ticket().generation()).isNull();
            assertThat(next.ticket().nextPollAt()).isGreaterThan(NOW);
        }
    }

    @ParameterizedTest(name = "HTTP {0}: {1}")
    @CsvSource(delimiter = '|', textBlock = """
            504 | {"detail": "Request timed out", "error_type": "request_timeout"}                          | Request timed out
            422 | {"detail": [{"loc": ["body", "prompt"], "msg": "field required"}], "error_type": "validation_error"} | [{"loc":["body","prompt"],"msg":"field required"}]
            200 | {"error_type": "internal_server_error"}                                                     | the provider's result says the task failed
            """)
    void aSecondAnswerThatSaysTheTaskFailedEndsItProviderFailedWithItsDetail(int status, String answer, String detail) {
        TaskStep step = reader.read(ticket, 200, Map.of(),
                "{\"status\":\"COMPLETED\",\"response_url\":\"https://queue.example.com/owner/app/requests/req-1\"}");

        TaskStep next = reader.readMedia(step, status, Map.of(), answer);

        assertThat(next.outcome()).isEqualTo(TaskStep.FAILED);
        assertThat(next.failure().reason()).isEqualTo(Failure.PROVIDER_FAILED);
        assertThat(next.failure().detail()).isEqualTo(detail);
    }

    /** The second request carries the provider's auth: an answer naming another host is a failed poll, not sent. */
    @ParameterizedTest(name = "{0}")
    @CsvSource({
            "https://attacker.example.com/owner/app/requests/req-1",
            "http://queue.example.com/owner/app/requests/req-1",
            "https://queue.example.com:8443/owner/app/requests/req-1",
            "https://queue.example.com.attacker.example/requests/req-1"})
    void aMediaRequestUrlOffTheProvidersApiIsAFailedPollAndIsNotRequested(String url) {
        TaskStep step = reader.read(ticket, 200, Map.of(), "{\"status\":\"COMPLETED\",\"response_url\":\"" + url + "\"}");

        assertThat(step.outcome()).isEqualTo(TaskStep.RUNNING);
        assertThat(step.mediaRequest()).isNull();
        assertThat(step.ticket().nextPollAt()).isGreaterThan(NOW);
    }

    @Test
    void theStatusRequestCarriesTheQueryOfItsUrlApart() {
        assertThat(StatusRequests.ProviderRequest.of("https://api.example.com/v1/query?task_id=7&x=1", Map.of()))
                .isEqualTo(new StatusRequests.ProviderRequest("https://api.example.com/v1/query", "task_id=7&x=1",
                        Map.of()));
    }

    /** vertx-http resolves property placeholders in a request's URL: a URL's braces go as text, percent-encoded. */
    @Test
    void aUrlsBracesReachTheProviderAsTextNeverAsASetting() {
        assertThat(StatusRequests.ProviderRequest.of("https://queue.example.com/requests/{{luma.api.token}}/x?a={b}",
                Map.of())).isEqualTo(new StatusRequests.ProviderRequest(
                        "https://queue.example.com/requests/%7B%7Bluma.api.token%7D%7D/x", "a={b}", Map.of()));
    }
}
