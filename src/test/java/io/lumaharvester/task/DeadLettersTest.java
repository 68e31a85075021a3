package io.lumaharvester.task;

import static org.assertj.core.api.Assertions.assertThat;

import java.io.IOException;
import java.util.Arrays;
import java.util.HashMap;
import java.util.Map;

import com.fasterxml.jackson.core.JsonParseException;
import org.junit.jupiter.api.Test;

/** Which records are dead letters, with which reason, and how one too large for the topic is cut to fit. */
class DeadLettersTest {

    private final DeadLetters deadLetters = new DeadLetters();
    private final TaskTicket ticket = TaskTicket.accepted("t-1", null, 0, 60_000, 0);

    @Test
    void onlyARecordThatCannotBeReadOrFailedItsLastTryWithNoTaskInHandIsADeadLetter() {
        JsonParseException unreadable = new JsonParseException(null, "Unexpected character");
        RejectedTaskException rejected = new RejectedTaskException("empty", "the record has no value");

        assertThat(deadLetters.takes(null, unreadable, false)).isTrue();
        assertThat(deadLetters.takes(null, rejected, null)).isTrue();
        assertThat(deadLetters.takes(null, new IOException("reset"), true)).isTrue();
        assertThat(deadLetters.takes(null, new IOException("reset"), false)).as("tried again").isFalse();
        assertThat(deadLetters.takes(ticket, unreadable, false)).as("the task's, once read").isFalse();
        assertThat(deadLetters.takes(ticket, new IOException("reset"), true)).as("the task's").isFalse();

        assertThat(deadLetters.reason(unreadable)).isEqualTo("unreadable_ticket");
        assertThat(deadLetters.reason(rejected)).isEqualTo("empty");
        assertThat(deadLetters.reason(new IOException("reset"))).isEqualTo("attempts_exhausted");
    }

    @Test
    void aDeadLetterLargerThanTheTopicTakesIsCutToFitAndSaysSo() {
        byte[] value = new byte[200_000];
        Arrays.fill(value, (byte) 'j');
        Map<String, Object> headers = new HashMap<>(Map.of("kafka.KEY", "k".getBytes(), "luma.dlq.reason", "too_large",
                "luma.dlq.detail", "d".repeat(5_000)));

        byte[] cut = deadLetters.fit(value, headers, 30_000);

        int headerBytes = headers.entrySet().stream().mapToInt(h -> h.getKey().length() + (h.getValue() instanceof byte[]
                b ? b.length : h.getValue().toString().length())).sum();
        assertThat(cut.length + headerBytes).isLessThanOrEqualTo(30_000 - 1_024);
        assertThat(cut).isEqualTo(Arrays.copyOf(value, cut.length));
        assertThat(headers).containsEntry("luma.dlq.truncated", "true").containsEntry("luma.dlq.original-bytes", "200000");
        assertThat((String) headers.get("luma.dlq.detail")).hasSize(2_000);
    }

    @Test
    void aDeadLetterThatFitsIsKeptWhole() {
        byte[] value = new byte[20_000];
        Map<String, Object> headers = new HashMap<>(Map.of("luma.dlq.reason", "too_large"));

        assertThat(deadLetters.fit(value, headers, 30_000)).isSameAs(value);
        assertThat(headers).doesNotContainKeys("luma.dlq.truncated", "luma.dlq.original-bytes");
    }
}
