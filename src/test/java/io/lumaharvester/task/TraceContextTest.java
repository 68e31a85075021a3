package io.lumaharvester.task;

import static org.assertj.core.api.Assertions.assertThat;

import java.util.stream.Collectors;
import java.util.stream.IntStream;
import java.util.stream.Stream;

import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.node.JsonNodeFactory;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.Arguments;
import org.junit.jupiter.params.provider.MethodSource;

/** A task record's traceparent and tracestate, read against the W3C Trace Context format (version 00). */
class TraceContextTest {

    static final String TRACEPARENT = "00-4bf92f3577b34da6a3ce929d0e0e4736-00f067aa0ba902b7-01";
    private static final ObjectMapper JSON = new ObjectMapper();

    static Stream<Arguments> headers() {
        String members33 = IntStream.range(0, 33).mapToObj(i -> "k" + i + "=v").collect(Collectors.joining(","));
        String members32 = IntStream.range(0, 32).mapToObj(i -> "k" + i + "=v").collect(Collectors.joining(","));
        return Stream.of(
                // row, traceparent, tracestate, honoured traceparent, honoured tracestate, ignored (a fragment)
                Arguments.of("none", null, null, null, null, null),
                Arguments.of("version 00", TRACEPARENT, null, TRACEPARENT, null, null),
                Arguments.of("not sampled", "00-4bf92f3577b34da6a3ce929d0e0e4736-00f067aa0ba902b7-00", null,
                        "00-4bf92f3577b34da6a3ce929d0e0e4736-00f067aa0ba902b7-00", null, null),
                Arguments.of("with its tracestate", TRACEPARENT, "rojo=00f067aa0ba902b7,congo=t61rcWkgMzE",
                        TRACEPARENT, "rojo=00f067aa0ba902b7,congo=t61rcWkgMzE", null),
                Arguments.of("a tracestate of a multi-tenant key, spaces and an empty member", TRACEPARENT,
                        "fw529a3039@dt=abc , ,\tzz=x y", TRACEPARENT, "fw529a3039@dt=abc , ,\tzz=x y", null),
                Arguments.of("32 list-members", TRACEPARENT, members32, TRACEPARENT, members32, null),
                Arguments.of("a later version with a field more", "cc-" + TRACEPARENT.substring(3) + "-what-follows",
                        null, "cc-" + TRACEPARENT.substring(3) + "-what-follows", null, null),
                Arguments.of("version ff", "ff-" + TRACEPARENT.substring(3), null, null, null, "malformed traceparent"),
                Arguments.of("upper-case hex", TRACEPARENT.toUpperCase(), null, null, null, "malformed traceparent"),
                Arguments.of("an all-zero trace id", "00-00000000000000000000000000000000-00f067aa0ba902b7-01", null,
                        null, null, "malformed traceparent"),
                Arguments.of("an all-zero parent id", "00-4bf92f3577b34da6a3ce929d0e0e4736-0000000000000000-01", null,
                        null, null, "malformed traceparent"),
                Arguments.of("version 00 with a field more", TRACEPARENT + "-00", null, null, null,
                        "malformed traceparent"),
                Arguments.of("a trace id one digit short", "00-4bf92f3577b34da6a3ce929d0e0e473-00f067aa0ba902b7-01",
                        null, null, null, "malformed traceparent"),
                Arguments.of("no flags", "00-4bf92f3577b34da6a3ce929d0e0e4736-00f067aa0ba902b7", null, null, null,
                        "malformed traceparent"),
                Arguments.of("garbage, with its tracestate", "hello\r\nworld", "a=b", null, null,
                        "malformed traceparent"),
                Arguments.of("empty", "", null, null, null, "malformed traceparent"),
                Arguments.of("an oversized traceparent", "01-" + TRACEPARENT.substring(3) + "-" + "a".repeat(600), null,
                        null, null, "oversized traceparent (656 characters)"),
                Arguments.of("a tracestate without a traceparent", null, "a=b", null, null,
                        "tracestate without a traceparent"),
                Arguments.of("an oversized tracestate", TRACEPARENT, "a=" + "b".repeat(511), TRACEPARENT, null,
                        "oversized tracestate (513 characters)"),
                Arguments.of("a tracestate key in capitals", TRACEPARENT, "Rojo=1", TRACEPARENT, null,
                        "malformed tracestate"),
                Arguments.of("a tracestate member without a value", TRACEPARENT, "rojo", TRACEPARENT, null,
                        "malformed tracestate"),
                Arguments.of("a tracestate value with '='", TRACEPARENT, "rojo=a=b", TRACEPARENT, null,
                        "malformed tracestate"),
                Arguments.of("a tracestate key twice", TRACEPARENT, "rojo=1,rojo=2", TRACEPARENT, null,
                        "malformed tracestate"),
                Arguments.of("33 list-members", TRACEPARENT, members33, TRACEPARENT, null, "malformed tracestate"),
                Arguments.of("a tracestate with a line break", TRACEPARENT, "rojo=1\r\nX-Evil: yes", TRACEPARENT,
                        null, "malformed tracestate"));
    }

    @ParameterizedTest(name = "{0}")
    @MethodSource("headers")
    void onlyAValidTraceContextIsHonouredAndWhatIsIgnoredIsNamed(String row, String traceparent, String tracestate,
            String honouredParent, String honouredState, String ignored) {
        TraceContext.Read read = TraceContext.read(traceparent, tracestate);

        assertThat(read.context() == null ? null : read.context().traceparent()).as(row).isEqualTo(honouredParent);
        assertThat(read.context() == null ? null : read.context().tracestate()).as(row).isEqualTo(honouredState);
        if (ignored == null) {
            assertThat(read.ignored()).as(row).isNull();
        } else {
            assertThat(read.ignored()).as(row).contains(ignored);
        }
    }

    @Test
    void theTraceIdIsTheTraceparentsSecondField() {
        assertThat(TraceContext.read(TRACEPARENT, null).context().traceId())
                .isEqualTo("4bf92f3577b34da6a3ce929d0e0e4736");
    }

    /** A ticket is the task's whole state on Kafka: its trace context survives a restart and every next ticket. */
    @Test
    void aTicketCarriesItsTraceContextThroughItsJsonAndEveryNextTicket() throws Exception {
        TraceContext trace = TraceContext.read(TRACEPARENT, "rojo=00f067aa0ba902b7").context();
        TaskTicket ticket = TaskTicket.accepted("t1", JsonNodeFactory.instance.objectNode(), 1000, 60_000, 0)
                .withProvider("luma-aggregator").withTrace(trace).withRun("0-1", 1);

        String json = JSON.writeValueAsString(ticket.polled("processing", null).pollFailed(false).mediaFailed()
                .storageFailed().storageRejected().mediaSince(2000).dueAt(3000));
        TaskTicket read = JSON.readValue(json, TaskTicket.class);

        assertThat(JSON.readTree(json).get("trace").toString())
                .isEqualTo("{\"traceparent\":\"" + TRACEPARENT + "\",\"tracestate\":\"rojo=00f067aa0ba902b7\"}");
        assertThat(read.trace()).isEqualTo(trace);
        assertThat(read.traceId()).isEqualTo("4bf92f3577b34da6a3ce929d0e0e4736");
    }

    @Test
    void aTicketWithoutATraceContextHasNoTraceFieldAndReadsBackWithoutOne() throws Exception {
        TaskTicket ticket = TaskTicket.accepted("t1", JsonNodeFactory.instance.objectNode(), 1000, 60_000, 0);

        String json = JSON.writeValueAsString(ticket);

        assertThat(JSON.readTree(json).has("trace")).isFalse();
        assertThat(JSON.readValue(json, TaskTicket.class).trace()).isNull();
        assertThat(JSON.readValue(json, TaskTicket.class).traceId()).isEmpty();
    }
}
