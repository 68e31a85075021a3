package io.lumaharvester.intake;

import io.lumaharvester.task.RejectedTaskException;
import io.lumaharvester.provider.TestProviders;
import io.lumaharvester.task.TaskTicket;
import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.nio.charset.StandardCharsets;
import java.time.Clock;
import java.time.Instant;
import java.time.ZoneOffset;
import java.util.stream.Stream;

import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.Arguments;
import org.junit.jupiter.params.provider.MethodSource;

public class TaskIntakeTest {

    private static final long NOW = 1_700_000_000_000L;
    private final TaskIntake intake = new TaskIntake(1_800_000, 0, 65_536,
            Clock.fixed(Instant.ofEpochMilli(NOW), ZoneOffset.UTC), TestProviders.builtIns());

    @Test
    void aBareTaskIdIsATaskWithEmptyMetadata() throws Exception {
        TaskTicket ticket = intake.accept(utf8("e70fdf3c-ce95-4dd1-a967-220ce957aff5"));

        assertThat(ticket.taskId()).isEqualTo("e70fdf3c-ce95-4dd1-a967-220ce957aff5");
        assertThat(ticket.metadata().isEmpty()).isTrue();
        assertThat(ticket.acceptedAt()).isEqualTo(NOW);
        assertThat(ticket.nextPollAt()).isEqualTo(NOW);
        assertThat(ticket.deadlineAt()).isEqualTo(NOW + 1_800_000);
        assertThat(ticket.polls()).isZero();
    }

    @Test
    void aTaskIsOfTheProviderItNamesOrOfTheDefaultOne() throws Exception {
        assertThat(intake.accept(utf8("abc")).provider()).isEqualTo("luma-aggregator");
        assertThat(intake.accept(utf8("{\"task_id\":\"abc\"}")).provider()).isEqualTo("luma-aggregator");
        assertThat(intake.accept(utf8("{\"task_id\":\"abc\",\"provider\":\"luma-aggregator\"}")).provider())
                .isEqualTo("luma-aggregator");
    }

    @Test
    void aJsonTaskCarriesItsMetadataUnchanged() throws Exception {
        TaskTicket ticket = intake.accept(utf8("{\"task_id\":\"abc_1\",\"metadata\":{\"a\":[1,{\"b\":null}],\"c\":\"é\"}}"));

        assertThat(ticket.taskId()).isEqualTo("abc_1");
        assertThat(ticket.metadata().toString()).isEqualTo("{\"a\":[1,{\"b\":null}],\"c\":\"é\"}");
    }

    @Test
    void surroundingWhiteSpaceAndA128CharacterIdAreAccepted() throws Exception {
        String id = "a".repeat(128);
        assertThat(intake.accept(utf8("  " + id + "\n")).taskId()).isEqualTo(id);
        assertThat(intake.accept(utf8("{\"task_id\":\"x\",\"metadata\":null}")).metadata().isEmpty()).isTrue();
    }

    @Test
    void aVeoTaskIsNamedByItsOperationWhoseNameIsAPath() throws Exception {
        TaskIntake veo = new TaskIntake(1_800_000, 0, 65_536, Clock.fixed(Instant.ofEpochMilli(NOW), ZoneOffset.UTC),
                TestProviders.with(java.util.Map.of("luma.providers.veo.token", "k")));
        String operation = "models/veo-3.0-generate-001/operations/zzqlxn3w0b9c";

        TaskTicket ticket = veo.accept(utf8("{\"task_id\":\"" + operation + "\",\"provider\":\"veo\"}"));

        assertThat(ticket.taskId()).isEqualTo(operation);
        assertThat(ticket.provider()).isEqualTo("veo");
        for (String traversal : new String[] {"models/veo-3.0-generate-001/operations/../../files/x",
                "models/veo..3/operations/a", "models/veo-3.0-generate-001/operations/a/"}) {
            assertThatThrownBy(() -> veo.accept(utf8("{\"task_id\":\"" + traversal + "\",\"provider\":\"veo\"}")))
                    .as(traversal).isInstanceOf(RejectedTaskException.class).extracting("reason")
                    .isEqualTo("invalid_task_id");
        }
    }

    public static Stream<Arguments> notTasks() { // also the hostile corpus of HostileInputAndSecurityTest
        return Stream.of(
                Arguments.of("empty", new byte[0], "empty"),
                Arguments.of("white space", utf8(" \t\r\n "), "empty"),
                Arguments.of("1 MB of junk", utf8("x".repeat(1 << 20)), "too_large"),
                Arguments.of("invalid UTF-8", new byte[] {'a', (byte) 0xC3, (byte) 0x28}, "invalid_utf8"),
                Arguments.of("JSON array", utf8("[\"abc\"]"), "not_an_object"),
                Arguments.of("JSON string", utf8("\"abc\""), "not_an_object"),
                Arguments.of("JSON number", utf8("12345 6"), "invalid_task_id"),
                Arguments.of("JSON without task_id", utf8("{\"id\":\"abc\"}"), "missing_task_id"),
                Arguments.of("task_id null", utf8("{\"task_id\":null}"), "missing_task_id"),
                Arguments.of("task_id a number", utf8("{\"task_id\":12345}"), "invalid_task_id"),
                Arguments.of("malformed JSON", utf8("{\"task_id\":\"abc\""), "malformed_json"),
                Arguments.of("metadata not an object", utf8("{\"task_id\":\"abc\",\"metadata\":[1]}"),
                        "invalid_metadata"),
                Arguments.of("a provider no profile names", utf8("{\"task_id\":\"abc\",\"provider\":\"nope\"}"),
                        "unknown_provider"),
                Arguments.of("a provider that is not a name", utf8("{\"task_id\":\"abc\",\"provider\":[\"x\"]}"),
                        "unknown_provider"),
                Arguments.of("path traversal", utf8("../../etc/passwd"), "invalid_task_id"),
                Arguments.of("query string", utf8("abc?x=1"), "invalid_task_id"),
                Arguments.of("fragment", utf8("abc#frag"), "invalid_task_id"),
                Arguments.of("percent-encoded traversal", utf8("%2e%2e%2f"), "invalid_task_id"),
                Arguments.of("CRLF inside the id", utf8("abc\r\nHost: evil"), "invalid_task_id"),
                Arguments.of("129 characters", utf8("a".repeat(129)), "invalid_task_id"),
                Arguments.of("unicode look-alike", utf8("аbc"), "invalid_task_id"),
                Arguments.of("fullwidth digits", utf8("abc１２３"), "invalid_task_id"),
                Arguments.of("space inside", utf8("abc def"), "invalid_task_id"),
                Arguments.of("metadata nested 10,000 deep",
                        utf8("{\"task_id\":\"abc\",\"metadata\":" + "{\"a\":".repeat(10_000) + "1"
                                + "}".repeat(10_000) + "}"), "malformed_json"),
                Arguments.of("5 MB metadata", utf8("{\"task_id\":\"abc\",\"metadata\":{\"a\":\""
                        + "x".repeat(5 << 20) + "\"}}"), "too_large"));
    }

    @ParameterizedTest(name = "{0} -> {2}")
    @MethodSource("notTasks")
    void aRecordThatIsNotATaskIsRejectedWithItsReason(String what, byte[] value, String reason) {
        assertThatThrownBy(() -> intake.accept(value))
                .isInstanceOfSatisfying(RejectedTaskException.class, e -> assertThat(e.reason()).isEqualTo(reason))
                .hasMessageNotContaining("\r");
    }

    private static byte[] utf8(String s) {
        return s.getBytes(StandardCharsets.UTF_8);
    }
}
