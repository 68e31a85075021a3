package io.lumaharvester.task;

import io.lumaharvester.due.DueEndpoint;
import java.nio.charset.StandardCharsets;
import java.util.Arrays;
import java.util.Map;

import com.fasterxml.jackson.core.JsonProcessingException;
import org.apache.camel.Exchange;
import org.apache.camel.ExchangeProperty;

/**
 * Which records go to the dead-letter topic, the reason code they carry (the header {@code luma.dlq.reason}; the error
 * policy in routes/error-policy.camel.yaml sets it with the other {@code luma.dlq.*} headers), and their size.
 */
public class DeadLetters {

    /** A ticket this version cannot read: garbage, or a newer version's that does not parse. */
    public static final String UNREADABLE_TICKET = "unreadable_ticket";
    /**
     * A record with no task in hand that the route failed on every try (luma.kafka.max-record-attempts, over at least
     * luma.kafka.min-record-retry-ms): it would pin its partition's commit for ever.
     */
    public static final String ATTEMPTS_EXHAUSTED = "attempts_exhausted";
    /** Set to {@code true} on a dead letter whose value was cut to fit the topic. */
    public static final String TRUNCATED = "luma.dlq.truncated";
    /** The size of the original value of a cut dead letter, in bytes. */
    public static final String ORIGINAL_BYTES = "luma.dlq.original-bytes";
    /** The detail header, cut to this many characters: it quotes an exception's message. */
    static final int MAX_DETAIL_CHARS = 2_000;
    /**
     * What a record takes besides its key, value and headers, at most: Kafka's batch header (61 bytes) and the
     * record's own lengths and attributes, with room to spare.
     */
    static final int RECORD_OVERHEAD_BYTES = 1_024;

    /**
     * Whether the error goes to the dead-letter topic: only a record that cannot be read (not a task, a ticket that
     * does not parse), or one that failed on its last try, and only with no task in hand: once a ticket is read, what
     * goes wrong is the task's, and ends it with an event.
     */
    public boolean takes(@ExchangeProperty(TaskExchange.TICKET) TaskTicket ticket,
            @ExchangeProperty(Exchange.EXCEPTION_CAUGHT) Exception caught,
            @ExchangeProperty(DueEndpoint.LAST_ATTEMPT) Boolean lastAttempt) {
        return ticket == null && (Boolean.TRUE.equals(lastAttempt) || unreadable(caught) != null);
    }

    public String reason(@ExchangeProperty(Exchange.EXCEPTION_CAUGHT) Exception cause) {
        Throwable unreadable = unreadable(cause);
        if (unreadable instanceof RejectedTaskException rejected) {
            return rejected.reason();
        }
        return unreadable != null ? UNREADABLE_TICKET : ATTEMPTS_EXHAUSTED;
    }

    private static Throwable unreadable(Throwable caught) {
        for (Throwable t = caught; t != null; t = t.getCause() == t ? null : t.getCause()) {
            if (t instanceof RejectedTaskException || t instanceof JsonProcessingException) {
                return t;
            }
        }
        return null;
    }

    /**
     * The dead letter's value, cut so that the whole record fits {@code maxRecordBytes} (luma.dlq.max-record-bytes, the
     * topic's max.message.bytes): a larger one would be refused on every try. A cut value gets {@link #TRUNCATED} and
     * {@link #ORIGINAL_BYTES}; the detail header is cut to {@value #MAX_DETAIL_CHARS} characters.
     */
    public byte[] fit(byte[] value, Map<String, Object> headers, int maxRecordBytes) {
        Object detail = headers.get("luma.dlq.detail");
        if (detail instanceof String text && text.length() > MAX_DETAIL_CHARS) {
            headers.put("luma.dlq.detail", text.substring(0, MAX_DETAIL_CHARS));
        }
        int room = maxRecordBytes - RECORD_OVERHEAD_BYTES - 64 - size(headers);
        if (value == null || value.length <= room) {
            return value;
        }
        headers.put(TRUNCATED, "true");
        headers.put(ORIGINAL_BYTES, String.valueOf(value.length));
        // the two headers just added are within the 64 bytes kept for them
        return Arrays.copyOf(value, Math.max(0, room));
    }

    /** The bytes the headers and the key take on the record. */
    private static int size(Map<String, Object> headers) {
        int bytes = 0;
        for (Map.Entry<String, Object> header : headers.entrySet()) {
            Object value = header.getValue();
            bytes += header.getKey().getBytes(StandardCharsets.UTF_8).length + 8 + (value instanceof byte[] raw
                    ? raw.length : value == null ? 0 : value.toString().getBytes(StandardCharsets.UTF_8).length);
        }
        return bytes;
    }
}
