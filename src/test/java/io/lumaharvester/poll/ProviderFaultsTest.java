package io.lumaharvester.poll;

import io.lumaharvester.dev.Events;
import io.lumaharvester.dev.HarvesterExtension;
import io.lumaharvester.dev.Probes;
import io.lumaharvester.dev.ProviderStandIn;
import io.lumaharvester.dev.ScriptedProviderTask;
import static com.github.tomakehurst.wiremock.client.WireMock.aResponse;
import static org.assertj.core.api.Assertions.assertThat;

import java.net.http.HttpResponse;
import java.time.Duration;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.UUID;
import java.util.function.Function;
import java.util.stream.Stream;

import com.fasterxml.jackson.databind.JsonNode;
import com.github.tomakehurst.wiremock.client.ResponseDefinitionBuilder;
import com.github.tomakehurst.wiremock.http.Fault;
import com.github.tomakehurst.wiremock.verification.LoggedRequest;
import io.lumaharvester.dev.CdnStandIn;
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
 * luma.api.response-timeout-ms: the poll fails at that deadline, whatever the answer would have been. Both tables have
 * the provider as a dimension: luma-aggregator (every fault), luma-official, fal (its status request, and its second
 * request, for the result) and MiniMax (an envelope that is not ok), each answering its documented shape otherwise.
 */
class ProviderFaultsTest {

    /**
     * The fault rows run side by side, each its own task. Alone: the test of luma-api-access, which a 401 or 403 row
     * turns down, and the trickled answers (one test, their rows side by side), whose next poll is bounded from above
     * and must not queue behind a burst of fault rows starting at once.
     */
    private static final String ROWS = "provider-faults-rows";
    private static final long INTERVAL_MS = 200;
    private static final long MAX_BACKOFF_MS = 1500;

    @RegisterExtension
    static final HarvesterExtension harvester = new HarvesterExtension("provider-faults", settings());
    /**
     * A 429 slows every request to its provider down for a while (ApiGate): the rows answering one run on a
     * harvester of their own, with the same settings, so that the other rows of that provider do not wait out the cut.
     */
    @RegisterExtension
    static final HarvesterExtension throttled = new HarvesterExtension("provider-faults-429", settings());

    private static Map<String, String> settings() {
        Map<String, String> settings = new LinkedHashMap<>(Map.of(
                "luma.poll.interval-ms", String.valueOf(INTERVAL_MS),
                "luma.poll.max-backoff-ms", String.valueOf(MAX_BACKOFF_MS),
                "luma.api.response-timeout-ms", "1000",
                "luma.poll.not-found-confirmations", "3"));
        try {
            settings.putAll(ScriptedProviderTask.settings(StandIns.shared()));
        } catch (Exception e) {
            throw new IllegalStateException(e);
        }
        return settings;
    }

    private final StandIns standIns = harvester.standIns();

    /**
     * The first polls of a test JVM can outlast the 1 s time-out (class loading and a first connection on a busy
     * machine): such a poll would fail before the fault under test is read. One task completes first.
     */
    @BeforeAll
    static void aFirstTaskCompletes() throws Exception {
        for (HarvesterExtension each : List.of(harvester, throttled)) {
            String warm = "warm-" + UUID.randomUUID();
            each.standIns().api.completesAfter(warm, List.of(), 10_000);
            each.submit(warm);
            Events.awaitOnlyEvent(each.standIns(), each.setting("luma.topics.events"), warm, Duration.ofSeconds(30));
        }
    }

    private static ResponseDefinitionBuilder status(int status) {
        return aResponse().withStatus(status);
    }

    /**
     * A fault the API answers this many times before the task completes, and the least gap in ms between the fault and
     * the poll after it. Its answer may depend on the provider's shape (a state in its own field).
     */
    record ApiFault(String name, Function<ScriptedProviderTask, ResponseDefinitionBuilder> answer, int times,
            long leastGapMs) {

        ApiFault(String name, ResponseDefinitionBuilder answer, int times, long leastGapMs) {
            this(name, task -> answer, times, leastGapMs);
        }

        @Override
        public String toString() {
            return name;
        }
    }

    private static final ApiFault RETRY_AFTER_1 = new ApiFault("429 with Retry-After: 1",
            status(429).withHeader("Retry-After", "1"), 1, 1000L);
    private static final ApiFault HTTP_500 = new ApiFault("500", status(500), 2, INTERVAL_MS);
    private static final ApiFault CONNECTION_RESET = new ApiFault("connection reset",
            aResponse().withFault(Fault.CONNECTION_RESET_BY_PEER), 2, INTERVAL_MS);
    private static final ApiFault SLOWER_THAN_THE_TIMEOUT = new ApiFault("slower than the HTTP timeout",
            status(200).withFixedDelay(2500).withBody("{\"state\":\"completed\"}"), 1, INTERVAL_MS);
    private static final ApiFault MALFORMED_JSON = new ApiFault("malformed JSON",
            status(200).withBody("{\"state\": \"compl"), 2, INTERVAL_MS);
    private static final ApiFault WITHOUT_STATE = new ApiFault("JSON without state",
            status(200).withBody("{\"id\":\"x\",\"video\":null}"), 2, INTERVAL_MS);
    // still running: the next poll is due an interval after this one was due, not after it was sent, so a poll that
    // ran late on a busy machine is followed by a shorter gap; no least gap to check
    private static final ApiFault UNKNOWN_STATE = new ApiFault("an unknown state",
            task -> status(200).withBody(task.statusBody("rendering_v9")), 2, 0L);
    private static final ApiFault TOKEN_REFUSED = new ApiFault("401 (token refused)",
            status(401).withBody("{\"error\":\"invalid token\"}"), 1, MAX_BACKOFF_MS);

    static Stream<Arguments> faults() {
        // provider, the request that fails ("status", or a two-step provider's "media" request), the fault
        List<Arguments> rows = new ArrayList<>();
        Stream.of(
                RETRY_AFTER_1,
                new ApiFault("503 with Retry-After: 3600, capped at the longest back-off",
                        status(503).withHeader("Retry-After", "3600"), 1, MAX_BACKOFF_MS),
                HTTP_500,
                new ApiFault("502", status(502).withBody("<html>bad gateway</html>"), 2, INTERVAL_MS),
                new ApiFault("503 without Retry-After", status(503), 2, INTERVAL_MS),
                CONNECTION_RESET,
                new ApiFault("empty response, connection closed", aResponse().withFault(Fault.EMPTY_RESPONSE), 1,
                        INTERVAL_MS),
                new ApiFault("garbage instead of HTTP", aResponse().withFault(Fault.RANDOM_DATA_THEN_CLOSE), 1,
                        INTERVAL_MS),
                SLOWER_THAN_THE_TIMEOUT,
                new ApiFault("200 with an HTML body", status(200).withHeader("Content-Type", "text/html")
                        .withBody("<html>maintenance</html>"), 2, INTERVAL_MS),
                MALFORMED_JSON,
                WITHOUT_STATE,
                UNKNOWN_STATE,
                new ApiFault("404 blip", status(404), 2, INTERVAL_MS),
                TOKEN_REFUSED,
                new ApiFault("403", status(403), 1, MAX_BACKOFF_MS))
                .forEach(fault -> rows.add(Arguments.of("luma-aggregator", "status", fault)));
        Stream.of(RETRY_AFTER_1, HTTP_500, SLOWER_THAN_THE_TIMEOUT, MALFORMED_JSON, WITHOUT_STATE, TOKEN_REFUSED)
                .forEach(fault -> rows.add(Arguments.of("luma-official", "status", fault)));
        Stream.of(RETRY_AFTER_1, CONNECTION_RESET, SLOWER_THAN_THE_TIMEOUT, MALFORMED_JSON, UNKNOWN_STATE)
                .forEach(fault -> rows.add(Arguments.of("fal", "status", fault)));
        // fal's second request, for the result: the task polls its status again, then asks for the result again
        Stream.of(RETRY_AFTER_1, HTTP_500, CONNECTION_RESET, SLOWER_THAN_THE_TIMEOUT, MALFORMED_JSON)
                .forEach(fault -> rows.add(Arguments.of("fal", "media", fault)));
        rows.add(Arguments.of("minimax", "status", new ApiFault("an envelope that is not ok (rate limit)",
                status(200).withBody("{\"task_id\":\"1\",\"status\":\"Success\",\"file_id\":\"1\","
                        + "\"base_resp\":{\"status_code\":1002,\"status_msg\":\"rate limit exceeded\"}}"),
                2, INTERVAL_MS)));
        return rows.stream();
    }

    /** Longer than luma.api.response-timeout-ms (1 s), yet never 1 s without a byte. */
    private static final long TRICKLE_MS = 6_000;

    static Stream<Arguments> trickledAnswers() {
        // a failed state: read whole, it would end the task failed instead of the next poll completing it
        String failed = "{\"state\":\"failed\",\"failure_reason\":\"read after a trickle\"}";
        ResponseDefinitionBuilder trickled200 = status(200).withHeader("Content-Type", "application/json")
                .withBody(failed).withChunkedDribbleDelay(30, (int) TRICKLE_MS);
        return Stream.of(
                Arguments.of("luma-aggregator", "status", "a 200 whose body trickles", trickled200),
                Arguments.of("luma-aggregator", "status", "a 500 whose body trickles", status(500)
                        .withBody("<html>" + "x".repeat(60) + "</html>").withChunkedDribbleDelay(30, (int) TRICKLE_MS)),
                Arguments.of("luma-official", "status", "a 200 whose body trickles", trickled200),
                // fal's status has no failed state: read whole, a running one; the gap tells
                Arguments.of("fal", "status", "a 200 whose body trickles", status(202)
                        .withHeader("Content-Type", "application/json").withBody("{\"status\":\"IN_PROGRESS\"}")
                        .withChunkedDribbleDelay(30, (int) TRICKLE_MS)),
                // fal's error body: read whole, a result without media
                Arguments.of("fal", "media", "a 200 whose body trickles", status(200)
                        .withHeader("Content-Type", "application/json")
                        .withBody(ProviderStandIn.fixture("fal", "failed.json"))
                        .withChunkedDribbleDelay(30, (int) TRICKLE_MS)));
    }

    /** What the task's provider answers: first {@code fault} ({@code times} times), then its usual answers. */
    private ScriptedProviderTask scripted(String provider, String step, List<ResponseDefinitionBuilder> fault) {
        ScriptedProviderTask task = ScriptedProviderTask.of(standIns, provider, "provider", 10_000);
        if ("media".equals(step)) {
            task.answers(List.of(), fault);
        } else {
            task.answers(fault, List.of());
        }
        return task;
    }

    /** Ms between the request that got the last fault and the status GET after it. */
    private static long gapAfterTheLastFault(ScriptedProviderTask task, String step, int times) {
        List<LoggedRequest> polls = task.statusRequests();
        LoggedRequest faulted = "media".equals(step) ? task.mediaRequests().get(times - 1) : polls.get(times - 1);
        return polls.get(times).getLoggedDate().getTime() - faulted.getLoggedDate().getTime();
    }

    /** Every file the provider named is in S3 with the bytes the CDN served; the event names the provider. */
    private void assertHarvested(ScriptedProviderTask task, JsonNode event) throws Exception {
        if (!"luma-aggregator".equals(task.provider)) {
            assertThat(event.path("provider").asText()).isEqualTo(task.provider);
        }
        assertThat(event.get("media")).as("%s", event).hasSize(task.byRole.size());
        for (JsonNode file : event.get("media")) {
            CdnStandIn.MediaFile source = task.byRole.entrySet().stream()
                    .filter(e -> task.urlByRole.get(e.getKey()).equals(file.get("source_url").asText()))
                    .map(Map.Entry::getValue).findFirst().orElseThrow();
            assertThat(Events.sha256OfObject(standIns.s3, StandIns.BUCKET, file.get("key").asText()))
                    .isEqualTo(source.sha256());
        }
    }

    /** A trickled answer's row: its name, the request that trickles, and its task. */
    private record TrickledRow(String name, String step, ScriptedProviderTask task) {
    }

    /**
     * The rows of {@link #trickledAnswers} side by side, each its own task, alone with each other (not behind a burst
     * of fault rows): each row's poll is cut at the deadline and the next poll completes its task.
     */
    @Test
    @ResourceLock(ROWS)
    void aTrickledAnswerFailsThePollAtTheDeadlineAndTheNextPollCompletesTheTask() throws Exception {
        List<TrickledRow> rows = new ArrayList<>();
        for (Arguments arguments : trickledAnswers().toList()) {
            Object[] row = arguments.get();
            String provider = (String) row[0];
            String step = (String) row[1];
            rows.add(new TrickledRow(provider + " " + step + ": " + row[2], step,
                    scripted(provider, step, List.of((ResponseDefinitionBuilder) row[3]))));
        }
        for (TrickledRow row : rows) {
            harvester.submit(row.task().record);
        }

        for (TrickledRow row : rows) {
            ScriptedProviderTask task = row.task();
            JsonNode event = Events.value(Events.awaitOnlyEvent(standIns, harvester.setting("luma.topics.events"),
                    task.taskId, Duration.ofSeconds(30)));
            assertThat(event.get("status").asText()).as("%s: the task completes, %s", row.name(), event)
                    .isEqualTo("completed");
            assertHarvested(task, event);
            List<LoggedRequest> polls = task.statusRequests();
            assertThat(polls).as("%s: the trickled poll and the one that completes", row.name())
                    .hasSizeGreaterThanOrEqualTo(2);
            assertThat(event.get("polls").asInt()).as("%s: the event counts each status GET", row.name())
                    .isEqualTo(polls.size());
            // cut at the deadline (1 s) and backed off, not read to the trickle's end
            assertThat(gapAfterTheLastFault(task, row.step(), 1))
                    .as("%s: ms between the trickled answer's request and the next poll", row.name())
                    .isBetween(1000L, TRICKLE_MS - 1_000);
        }
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
        // refused until the readiness probe has been read: a check that runs every check of the harvester can take
        // longer, on a busy machine, than the back-off before the next poll
        standIns.api.answer(taskId, List.of(status(401)));
        assertThat(apiAccess()).isEqualTo(HealthCheck.State.UP);

        standIns.kafka.send(harvester.setting("luma.topics.tasks"), taskId);

        Awaitility.await().atMost(Duration.ofSeconds(20)).pollInterval(Duration.ofMillis(20))
                .until(() -> apiAccess() == HealthCheck.State.DOWN);
        // one refusal is enough (the next poll waits out a back-off of at least 1.5 s)
        assertThat(standIns.api.requestsFor(taskId)).as("polls when the check went down").hasSize(1);
        HttpResponse<String> ready = readiness();
        assertThat(ready.statusCode()).isEqualTo(503);
        assertThat(ready.body()).contains("luma-api-access").contains("luma.api.token");

        // the API accepts the token again (the stand-in's newest answer wins): the next poll completes the task
        standIns.api.answer(taskId, List.of(LumaApiStandIn.json(LumaApiStandIn.completedBody(media))));
        Events.awaitEvents(standIns, harvester.setting("luma.topics.events"), taskId, Duration.ofSeconds(20));
        assertThat(apiAccess()).isEqualTo(HealthCheck.State.UP);
        assertThat(readiness().statusCode()).isEqualTo(200);
    }

    @ParameterizedTest(name = "{0} {1}: {2}")
    @MethodSource("faults")
    @Execution(ExecutionMode.CONCURRENT)
    @ResourceLock(value = ROWS, mode = ResourceAccessMode.READ)
    void whateverTheApiAnswersFirstTheTaskCompletesOnce(String provider, String step, ApiFault fault) throws Exception {
        List<ResponseDefinitionBuilder> answers = new ArrayList<>();
        ScriptedProviderTask task = ScriptedProviderTask.of(standIns, provider, "provider", 10_000);
        for (int i = 0; i < fault.times(); i++) {
            answers.add(fault.answer().apply(task));
        }
        if ("media".equals(step)) {
            task.answers(List.of(), answers);
        } else {
            task.answers(answers, List.of());
        }
        HarvesterExtension on = fault == RETRY_AFTER_1 ? throttled : harvester;
        on.submit(task.record);

        JsonNode event = Events.value(Events.awaitOnlyEvent(standIns, on.setting("luma.topics.events"),
                task.taskId, Duration.ofSeconds(40)));
        assertThat(event.get("status").asText()).as("%s", event).isEqualTo("completed");
        assertHarvested(task, event);

        // one status GET per fault and one that completes; a failed media request polls the status again first
        assertThat(task.statusRequests()).hasSize(fault.times() + 1);
        if (task.mediaPath != null) {
            assertThat(task.mediaRequests()).hasSize("media".equals(step) ? fault.times() + 1 : 1);
        }
        // the event counts each status GET; a media request that failed with an answer also counts as a poll
        // (GenerationReader.readMedia), one that got none (a time-out, a reset) does not
        assertThat(event.get("polls").asInt()).isBetween(fault.times() + 1,
                fault.times() + 1 + ("media".equals(step) ? fault.times() : 0));
        assertThat(gapAfterTheLastFault(task, step, fault.times()))
                .as("ms between the last fault and the poll after it").isGreaterThanOrEqualTo(fault.leastGapMs());
    }
}
