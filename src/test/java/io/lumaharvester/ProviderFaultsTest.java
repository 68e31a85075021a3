package io.lumaharvester;

import static com.github.tomakehurst.wiremock.client.WireMock.aResponse;
import static org.assertj.core.api.Assertions.assertThat;

import java.net.http.HttpResponse;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.UUID;
import java.util.stream.Stream;

import com.fasterxml.jackson.databind.JsonNode;
import com.github.tomakehurst.wiremock.client.ResponseDefinitionBuilder;
import com.github.tomakehurst.wiremock.http.Fault;
import com.github.tomakehurst.wiremock.verification.LoggedRequest;
import io.lumaharvester.dev.LumaApiStandIn;
import io.lumaharvester.dev.StandIns;
import org.apache.camel.health.HealthCheck;
import org.apache.camel.health.HealthCheckHelper;
import org.awaitility.Awaitility;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.parallel.Execution;
import org.junit.jupiter.api.parallel.ExecutionMode;
import org.junit.jupiter.api.parallel.ResourceAccessMode;
import org.junit.jupiter.api.parallel.ResourceLock;
import org.junit.jupiter.api.extension.RegisterExtension;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.Arguments;
import org.junit.jupiter.params.provider.MethodSource;

/**
 * One table of API faults, one test body: whatever the API answers first, the task still completes, once, and the
 * harvester waits between polls as long as the fault asks for. Another for answers that trickle past
 * luma.api.response-timeout-ms: the poll fails at that deadline, whatever the answer would have been.
 */
class ProviderFaultsTest {

    /**
     * The fault rows run side by side, each its own task. Alone: the test of luma-api-access, which a 401 or 403 row
     * turns down, and the trickled answers, whose next poll is bounded from above and must not queue behind a burst
     * of rows starting at once.
     */
    private static final String ROWS = "provider-faults-rows";
    private static final long INTERVAL_MS = 200;
    private static final long MAX_BACKOFF_MS = 1500;

    @RegisterExtension
    static final HarvesterExtension harvester = new HarvesterExtension("provider-faults", Map.of(
            "luma.poll.interval-ms", String.valueOf(INTERVAL_MS),
            "luma.poll.max-backoff-ms", String.valueOf(MAX_BACKOFF_MS),
            "luma.api.response-timeout-ms", "1000",
            "luma.poll.not-found-confirmations", "3"));

    private final StandIns standIns = harvester.standIns();

    /**
     * The first polls of a test JVM can outlast the 1 s time-out (class loading and a first connection on a busy
     * machine): such a poll would fail before the fault under test is read. One task completes first.
     */
    @BeforeAll
    static void aFirstTaskCompletes() throws Exception {
        String warm = "warm-" + UUID.randomUUID();
        harvester.standIns().api.completesAfter(warm, List.of(), 10_000);
        harvester.submit(warm);
        Events.awaitOnlyEvent(harvester.standIns(), harvester.setting("luma.topics.events"), warm,
                Duration.ofSeconds(30));
    }

    private static ResponseDefinitionBuilder status(int status) {
        return aResponse().withStatus(status);
    }

    static Stream<Arguments> faults() {
        return Stream.of(
                // name, the fault (answered this many times before the task completes), the least gap in ms
                // between the fault and the poll after it
                Arguments.of("429 with Retry-After: 1", status(429).withHeader("Retry-After", "1"), 1, 1000L),
                Arguments.of("503 with Retry-After: 3600, capped at the longest back-off",
                        status(503).withHeader("Retry-After", "3600"), 1, MAX_BACKOFF_MS),
                Arguments.of("500", status(500), 2, INTERVAL_MS),
                Arguments.of("502", status(502).withBody("<html>bad gateway</html>"), 2, INTERVAL_MS),
                Arguments.of("503 without Retry-After", status(503), 2, INTERVAL_MS),
                Arguments.of("connection reset", aResponse().withFault(Fault.CONNECTION_RESET_BY_PEER), 2,
                        INTERVAL_MS),
                Arguments.of("empty response, connection closed", aResponse().withFault(Fault.EMPTY_RESPONSE), 1,
                        INTERVAL_MS),
                Arguments.of("garbage instead of HTTP", aResponse().withFault(Fault.RANDOM_DATA_THEN_CLOSE), 1,
                        INTERVAL_MS),
                Arguments.of("slower than the HTTP timeout", status(200).withFixedDelay(2500)
                        .withBody("{\"state\":\"completed\"}"), 1, INTERVAL_MS),
                Arguments.of("200 with an HTML body", status(200).withHeader("Content-Type", "text/html")
                        .withBody("<html>maintenance</html>"), 2, INTERVAL_MS),
                Arguments.of("malformed JSON", status(200).withBody("{\"state\": \"compl"), 2, INTERVAL_MS),
                Arguments.of("JSON without state", status(200).withBody("{\"id\":\"x\",\"video\":null}"), 2,
                        INTERVAL_MS),
                // still running: the next poll is due an interval after this one was due, not after it was sent,
                // so a poll that ran late on a busy machine is followed by a shorter gap; no least gap to check
                Arguments.of("an unknown state", status(200).withBody("{\"state\":\"rendering_v9\"}"), 2, 0L),
                Arguments.of("404 blip", status(404), 2, INTERVAL_MS),
                Arguments.of("401 (token refused)", status(401).withBody("{\"error\":\"invalid token\"}"), 1,
                        MAX_BACKOFF_MS),
                Arguments.of("403", status(403), 1, MAX_BACKOFF_MS));
    }

    /** Longer than luma.api.response-timeout-ms (1 s), yet never 1 s without a byte. */
    private static final long TRICKLE_MS = 6_000;

    static Stream<Arguments> trickledAnswers() {
        // a failed state: read whole, it would end the task failed instead of the next poll completing it
        String failed = "{\"state\":\"failed\",\"failure_reason\":\"read after a trickle\"}";
        return Stream.of(
                Arguments.of("a 200 whose body trickles", status(200).withHeader("Content-Type", "application/json")
                        .withBody(failed).withChunkedDribbleDelay(30, (int) TRICKLE_MS)),
                Arguments.of("a 500 whose body trickles", status(500).withBody("<html>" + "x".repeat(60) + "</html>")
                        .withChunkedDribbleDelay(30, (int) TRICKLE_MS)));
    }

    @ParameterizedTest(name = "{0}")
    @MethodSource("trickledAnswers")
    @ResourceLock(ROWS)
    void aTrickledAnswerFailsThePollAtTheDeadlineAndTheNextPollCompletesTheTask(String fault,
            ResponseDefinitionBuilder answer) throws Exception {
        String taskId = "trickled-" + UUID.randomUUID();
        LumaApiStandIn.ServedMedia media = standIns.api.completedMedia(taskId, 10_000);
        standIns.api.answer(taskId, List.of(answer, LumaApiStandIn.json(LumaApiStandIn.completedBody(media))));
        standIns.kafka.send(harvester.setting("luma.topics.tasks"), taskId);

        JsonNode event = Events.value(Events.awaitOnlyEvent(standIns, harvester.setting("luma.topics.events"), taskId,
                Duration.ofSeconds(30)));
        assertThat(event.get("status").asText()).as("%s", event).isEqualTo("completed");
        List<LoggedRequest> polls = standIns.api.requestsFor(taskId);
        assertThat(polls).hasSizeGreaterThanOrEqualTo(2);
        assertThat(event.get("polls").asInt()).isEqualTo(polls.size());
        long gap = polls.get(1).getLoggedDate().getTime() - polls.get(0).getLoggedDate().getTime();
        // cut at the deadline (1 s) and backed off, not read to the trickle's end
        assertThat(gap).as("ms between the trickled answer's request and the next poll")
                .isBetween(1000L, TRICKLE_MS - 1_000);
    }

    private HealthCheck.State apiAccess() {
        return HealthCheckHelper.invoke(harvester.app().context(), "full").stream()
                .filter(r -> r.getCheck().getId().equals("luma-api-access"))
                .findFirst().orElseThrow().getState();
    }

    private static HttpResponse<String> readiness() throws Exception {
        return Probes.readiness(harvester.setting("luma.http.port"));
    }

    @Test
    @ResourceLock(ROWS)
    void aRefusedTokenTurnsReadinessDownUntilTheApiAcceptsItAgain() throws Exception {
        String taskId = "refused-" + UUID.randomUUID();
        LumaApiStandIn.ServedMedia media = standIns.api.completedMedia(taskId, 10_000);
        standIns.api.answer(taskId, List.of(status(401), LumaApiStandIn.json(LumaApiStandIn.completedBody(media))));
        assertThat(apiAccess()).isEqualTo(HealthCheck.State.UP);

        standIns.kafka.send(harvester.setting("luma.topics.tasks"), taskId);

        Awaitility.await().atMost(Duration.ofSeconds(20)).pollInterval(Duration.ofMillis(20))
                .until(() -> apiAccess() == HealthCheck.State.DOWN);
        HttpResponse<String> ready = readiness();
        assertThat(ready.statusCode()).isEqualTo(503);
        assertThat(ready.body()).contains("luma-api-access").contains("luma.api.token");

        Events.awaitEvents(standIns, harvester.setting("luma.topics.events"), taskId, Duration.ofSeconds(20));
        assertThat(apiAccess()).isEqualTo(HealthCheck.State.UP);
        assertThat(readiness().statusCode()).isEqualTo(200);
    }

    @ParameterizedTest(name = "{0}")
    @MethodSource("faults")
    @Execution(ExecutionMode.CONCURRENT)
    @ResourceLock(value = ROWS, mode = ResourceAccessMode.READ)
    void whateverTheApiAnswersFirstTheTaskCompletesOnce(String fault, ResponseDefinitionBuilder answer, int times,
            long leastGapMs) throws Exception {
        String taskId = "provider-" + UUID.randomUUID();
        LumaApiStandIn.ServedMedia media = standIns.api.completedMedia(taskId, 10_000);
        List<ResponseDefinitionBuilder> answers = new ArrayList<>();
        for (int i = 0; i < times; i++) {
            answers.add(answer);
        }
        answers.add(LumaApiStandIn.json(LumaApiStandIn.completedBody(media)));
        standIns.api.answer(taskId, answers);
        standIns.kafka.send(harvester.setting("luma.topics.tasks"), taskId);

        JsonNode event = Events.value(Events.awaitOnlyEvent(standIns, harvester.setting("luma.topics.events"), taskId,
                Duration.ofSeconds(40)));
        assertThat(event.get("status").asText()).isEqualTo("completed");
        assertThat(event.get("polls").asInt()).isEqualTo(times + 1);

        List<LoggedRequest> polls = standIns.api.requestsFor(taskId);
        assertThat(polls).hasSize(times + 1);
        long gap = polls.get(times).getLoggedDate().getTime() - polls.get(times - 1).getLoggedDate().getTime();
        assertThat(gap).as("ms between the last fault and the poll after it").isGreaterThanOrEqualTo(leastGapMs);
    }
}
