package io.lumaharvester.ops;

import io.lumaharvester.dev.Events;
import io.lumaharvester.dev.HarvesterExtension;
import io.lumaharvester.dev.Probes;
import static org.assertj.core.api.Assertions.assertThat;

import java.time.Duration;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.TreeSet;
import java.util.UUID;
import java.util.concurrent.ConcurrentHashMap;

import com.fasterxml.jackson.databind.JsonNode;
import com.github.tomakehurst.wiremock.http.Fault;
import io.lumaharvester.dev.LumaApiStandIn;
import org.apache.camel.Exchange;
import org.apache.camel.builder.AdviceWith;
import org.awaitility.Awaitility;
import org.junit.jupiter.api.MethodOrderer;
import org.junit.jupiter.api.Order;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.TestMethodOrder;
import org.junit.jupiter.api.extension.RegisterExtension;

import static com.github.tomakehurst.wiremock.client.WireMock.aResponse;

/** The Prometheus scrape after a run agrees with what happened: polls, uploads, finished tasks, tasks in flight. */
@TestMethodOrder(MethodOrderer.OrderAnnotation.class)
class MetricsTest {

    @RegisterExtension
    static final HarvesterExtension harvester = new HarvesterExtension("metrics", Map.of(
            "luma.poll.interval-ms", "200",
            "luma.poll.max-backoff-ms", "1000"));

    // first: it counts every poll since the start
    @Test
    @Order(1)
    void theScrapeCountsWhatHappenedToEachTask() throws Exception {
        var standIns = harvester.standIns();
        String run = UUID.randomUUID().toString().substring(0, 8);
        // two running polls, then completed
        String slow = "metrics-slow-" + run;
        standIns.api.completesAfter(slow, List.of("pending", "processing"), 300_000);
        // one running poll, then failed at the provider
        String refused = "metrics-failed-" + run;
        standIns.api.answer(refused, List.of(LumaApiStandIn.json(LumaApiStandIn.runningBody(refused, "dreaming")),
                LumaApiStandIn.json(LumaApiStandIn.failedBody(refused, "the prompt was refused"))));
        // a poll without an answer (connection reset), then completed
        String reset = "metrics-reset-" + run;
        LumaApiStandIn.ServedMedia resetMedia = standIns.api.completedMedia(reset, 200_000);
        standIns.api.answer(reset, List.of(aResponse().withFault(Fault.CONNECTION_RESET_BY_PEER),
                LumaApiStandIn.json(LumaApiStandIn.completedBody(resetMedia))));
        // never finishes while the test runs
        String waiting = "metrics-waiting-" + run;
        standIns.api.answer(waiting, List.of(LumaApiStandIn.json(LumaApiStandIn.runningBody(waiting, "queued"))));

        String port = harvester.setting("luma.http.port");
        String before = Probes.scrape(port);
        assertThat(Probes.sample(before, "luma_tasks_in_flight")).isZero();

        for (String taskId : List.of(slow, refused, reset, waiting)) {
            harvester.submit(taskId);
        }
        String events = harvester.setting("luma.topics.events");
        long files = 0;
        long bytes = 0;
        for (String taskId : List.of(slow, refused, reset)) {
            JsonNode event = Events.value(Events.awaitOnlyEvent(standIns, events, taskId, Duration.ofSeconds(40)));
            for (JsonNode file : event.path("media")) {
                files++;
                bytes += file.path("size").asLong();
            }
        }
        assertThat(files).as("files stored by the two completed tasks").isGreaterThanOrEqualTo(4);
        Awaitility.await().atMost(Duration.ofSeconds(10)).untilAsserted(() -> {
            String scrape = Probes.scrape(port);
            assertThat(Probes.sample(scrape, "luma_tasks_in_flight")).as(scrape.lines()
                    .filter(l -> l.startsWith("luma_")).toList().toString()).isEqualTo(1.0);
        });
        int waitingPolls = standIns.api.requestsFor(waiting).size();

        String after = Probes.scrape(port);
        assertThat(Probes.sample(after, "luma_polls_total", "outcome=completed")).isEqualTo(2.0);
        assertThat(Probes.sample(after, "luma_polls_total", "outcome=failed")).isEqualTo(1.0);
        assertThat(Probes.sample(after, "luma_polls_total", "outcome=error")).isEqualTo(1.0);
        assertThat(Probes.sample(after, "luma_polls_total", "outcome=running"))
                .as("2 + 1 running answers, and the waiting task's polls so far")
                .isBetween(3.0 + waitingPolls - 1, 3.0 + waitingPolls + 1);
        assertThat(Probes.sample(after, "luma_tasks_finished_total", "status=completed", "reason=none"))
                .isEqualTo(2.0);
        assertThat(Probes.sample(after, "luma_tasks_finished_total", "status=failed", "reason=provider_failed"))
                .isEqualTo(1.0);
        assertThat(Probes.sample(after, "luma_media_stored_total")).isEqualTo((double) files);
        assertThat(Probes.sample(after, "luma_media_stored_bytes_total")).isEqualTo((double) bytes);
        assertThat(Probes.sample(after, "luma_task_duration_seconds_count")).isEqualTo(3.0);
        assertThat(Probes.sample(after, "luma_task_duration_seconds_sum")).isPositive();
        assertThat(Probes.sample(after, "luma_task_duration_seconds_bucket", "le=+Inf")).isEqualTo(3.0);
        assertThat(Probes.sample(after, "luma_api_answers_total", "status=200")
                - Probes.sample(before, "luma_api_answers_total", "status=200"))
                .as("3 + 2 + 1 answers, and the waiting task's so far, counted by status; the reset poll not")
                .isBetween(6.0 + waitingPolls - 1, 6.0 + waitingPolls + 1);
        assertThat(after).contains("jvm_memory_used_bytes").contains("camel_exchanges_total");
        // the route meters are per route only (camel.metrics.route-policy-level=route): none for the whole context
        assertThat(after.lines().filter(l -> l.startsWith("camel_exchanges_total{")).toList())
                .isNotEmpty().allSatisfy(line -> assertThat(line).containsPattern("routeId=\"[a-z]"));
    }

    /**
     * A poll's counters run on a message without headers: camel-micrometer clears its CamelMetrics* headers after
     * each count by matching every header's name, as a regular expression compiled for each one (on a message with
     * the API's answer headers, a twentieth of a poll's CPU with the removeHeaders that kept the status code).
     */
    @Test
    @Order(2)
    void aPollsCountersFindNoHeadersToClear() throws Exception {
        Map<String, Set<String>> headersAtCounter = new ConcurrentHashMap<>();
        AdviceWith.adviceWith(harvester.app().context(), "poll", route -> route.interceptSendToEndpoint("micrometer:*")
                .process(exchange -> headersAtCounter.computeIfAbsent(
                        exchange.getProperty(Exchange.INTERCEPTED_ENDPOINT, String.class),
                        counter -> ConcurrentHashMap.newKeySet()).addAll(exchange.getMessage().getHeaders().keySet())));
        var standIns = harvester.standIns();
        String taskId = "metrics-headers-" + UUID.randomUUID().toString().substring(0, 8);
        standIns.api.completesAfter(taskId, List.of("pending"), 200_000);

        harvester.submit(taskId);
        Events.awaitOnlyEvent(standIns, harvester.setting("luma.topics.events"), taskId, Duration.ofSeconds(40));

        assertThat(headersAtCounter.keySet()).anyMatch(uri -> uri.contains("luma.api.answers"))
                .anyMatch(uri -> uri.contains("luma.polls"));
        assertThat(headersAtCounter).allSatisfy((counter, headers) -> assertThat(new TreeSet<>(headers))
                .as("headers at %s", counter).isEmpty());
    }
}
