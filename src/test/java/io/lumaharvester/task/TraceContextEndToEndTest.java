package io.lumaharvester.task;

import io.lumaharvester.dev.Events;
import io.lumaharvester.dev.HarvesterExtension;
import io.lumaharvester.dev.LogCapture;
import static org.assertj.core.api.Assertions.assertThat;

import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.Arrays;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.UUID;
import java.util.stream.Stream;

import io.lumaharvester.dev.StandIns;
import org.apache.kafka.clients.consumer.ConsumerRecord;
import org.awaitility.Awaitility;
import org.junit.jupiter.api.extension.RegisterExtension;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.Arguments;
import org.junit.jupiter.params.provider.MethodSource;

/**
 * A task record's W3C trace context (traceparent, tracestate) is the one inbound header the harvester honours: it
 * rides the task's tickets and is set on its event, and its trace id is in the MDC of the task's log lines. A header
 * that is not valid is ignored with one log line; the task runs all the same, never a dead letter.
 */
class TraceContextEndToEndTest {

    private static final String TRACEPARENT = "00-4bf92f3577b34da6a3ce929d0e0e4736-00f067aa0ba902b7-01";
    private static final String TRACE_ID = "4bf92f3577b34da6a3ce929d0e0e4736";

    /** Each line: the MDC's task id and trace id, the logger, the message. */
    @RegisterExtension
    static final LogCapture logs = new LogCapture("%X{lumaTaskId}|%X{lumaTraceId}|%c|%m%n");

    @RegisterExtension
    static final HarvesterExtension harvester = new HarvesterExtension("trace", Map.of(
            "luma.poll.interval-ms", "200",
            "camel.mdc.enabled", "true"));

    private final StandIns standIns = harvester.standIns();

    static Stream<Arguments> records() {
        return Stream.of(
                // row, traceparent sent, tracestate sent, event's traceparent, event's tracestate, MDC trace id,
                // the one line saying what was ignored
                Arguments.of("valid, with its tracestate", TRACEPARENT, "rojo=00f067aa0ba902b7,congo=t61rcWkgMzE",
                        TRACEPARENT, "rojo=00f067aa0ba902b7,congo=t61rcWkgMzE", TRACE_ID, null),
                Arguments.of("valid, its tracestate malformed", TRACEPARENT, "Rojo=1", TRACEPARENT, null, TRACE_ID,
                        "a malformed tracestate on its record ignored"),
                Arguments.of("absent", null, null, null, null, "", null),
                Arguments.of("malformed (version ff)", "ff-4bf92f3577b34da6a3ce929d0e0e4736-00f067aa0ba902b7-01",
                        "rojo=1", null, null, "", "a malformed traceparent on its record ignored"),
                Arguments.of("oversized", "01-4bf92f3577b34da6a3ce929d0e0e4736-00f067aa0ba902b7-01-"
                        + "a".repeat(10_000), null, null, null, "",
                        "an oversized traceparent (10056 characters) on its record ignored"));
    }

    @ParameterizedTest(name = "{0}")
    @MethodSource("records")
    void aTaskRecordsTraceContextReachesItsEventOnlyWhenValidAndTheTaskRunsEitherWay(String row, String traceparent,
            String tracestate, String eventTraceparent, String eventTracestate, String mdcTraceId, String ignoredLine)
            throws Exception {
        String taskId = "trace-" + UUID.randomUUID();
        standIns.api.completesAfter(taskId, List.of("pending"), 10_000);
        Map<String, byte[]> headers = new HashMap<>();
        if (traceparent != null) {
            headers.put("traceparent", traceparent.getBytes(StandardCharsets.UTF_8));
        }
        if (tracestate != null) {
            headers.put("tracestate", tracestate.getBytes(StandardCharsets.UTF_8));
        }
        // another header goes nowhere, as before
        headers.put("baggage", "userId=alice".getBytes(StandardCharsets.UTF_8));
        standIns.kafka.send(harvester.setting("luma.topics.tasks"), null, taskId.getBytes(StandardCharsets.UTF_8),
                headers);

        ConsumerRecord<byte[], byte[]> event = Events.awaitOnlyEvent(standIns, harvester.setting("luma.topics.events"),
                taskId, Duration.ofSeconds(40));

        assertThat(Events.value(event).get("status").asText()).as(row).isEqualTo("completed");
        assertThat(Events.header(event, "traceparent")).as(row).isEqualTo(eventTraceparent);
        assertThat(Events.header(event, "tracestate")).as(row).isEqualTo(eventTracestate);
        assertThat(Events.header(event, "baggage")).as(row).isNull();
        Awaitility.await().atMost(Duration.ofSeconds(10)).until(() -> logs.text().contains(taskId + "|")
                && taskLines(taskId).stream().anyMatch(line -> line.contains("event sent")));
        List<String> taskLines = taskLines(taskId);
        assertThat(taskLines).as("%s: the task's lines", row).hasSizeGreaterThanOrEqualTo(4)
                .allSatisfy(line -> assertThat(line).as(row).startsWith(taskId + "|" + mdcTraceId + "|"));
        List<String> ignored = Arrays.stream(logs.text().split("\n"))
                .filter(line -> line.contains("task " + taskId + ": ") && line.contains(" ignored")
                        && line.contains("on its record")).toList();
        if (ignoredLine == null) {
            assertThat(ignored).as(row).isEmpty();
        } else {
            assertThat(ignored).as(row).singleElement().satisfies(line -> assertThat(line).contains(ignoredLine));
        }
        assertThat(Events.records(standIns, harvester.setting("luma.topics.dlq"))).as("no dead letter")
                .noneMatch(r -> r.key() != null && new String(r.key(), StandardCharsets.UTF_8).equals(taskId));
    }

    /** The task's transitions (io.lumaharvester.tasks) with its id in the MDC: accepted, polled, uploaded, sent. */
    private static List<String> taskLines(String taskId) {
        return Arrays.stream(logs.text().split("\n"))
                .filter(line -> line.contains("|io.lumaharvester.tasks|") && line.contains("task " + taskId))
                .filter(line -> !line.contains("on its record ignored"))
                .toList();
    }
}
