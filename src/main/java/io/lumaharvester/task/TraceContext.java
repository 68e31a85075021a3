package io.lumaharvester.task;

import java.util.HashSet;
import java.util.Set;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

import com.fasterxml.jackson.annotation.JsonIgnore;
import com.fasterxml.jackson.annotation.JsonInclude;
import com.fasterxml.jackson.annotation.JsonProperty;

/**
 * A task's W3C Trace Context (https://www.w3.org/TR/trace-context/), from its task record's {@code traceparent} and
 * {@code tracestate} headers: the one inbound header pair the harvester honours. It travels in the task's tickets
 * and is set, as sent, on the task's event. The harvester passes it through: it makes no span of its own, so the
 * event's parent is the sender's. Only a valid header is kept ({@link #read}).
 */
@JsonInclude(JsonInclude.Include.NON_NULL)
public record TraceContext(@JsonProperty("traceparent") String traceparent,
        @JsonProperty("tracestate") String tracestate) {

    public static final String TRACEPARENT = "traceparent";
    public static final String TRACESTATE = "tracestate";
    /** The longest tracestate the specification asks a vendor to propagate. */
    public static final int MAX_TRACESTATE_CHARS = 512;
    /** A traceparent of a later version may be longer than version 00's 55 characters; none this long is honoured. */
    public static final int MAX_TRACEPARENT_CHARS = 512;
    private static final int MAX_LIST_MEMBERS = 32;
    private static final Pattern OWS = Pattern.compile("^[ \\t]+|[ \\t]+$");

    // version 00: version, trace-id, parent-id, trace-flags, lower-case hex; a later version starts the same way
    private static final Pattern TRACEPARENT_00 = Pattern.compile("([0-9a-f]{2})-([0-9a-f]{32})-([0-9a-f]{16})-[0-9a-f]{2}");
    private static final String KEY_CHARS = "[a-z0-9_\\-*/]";
    private static final Pattern LIST_MEMBER = Pattern.compile(
            "([a-z]" + KEY_CHARS + "{0,255}|[a-z0-9]" + KEY_CHARS + "{0,240}@[a-z]" + KEY_CHARS + "{0,13})"
                    + "=[\\x20-\\x2b\\x2d-\\x3c\\x3e-\\x7e]{0,255}[\\x21-\\x2b\\x2d-\\x3c\\x3e-\\x7e]");

    /** What a task record's trace headers come to: the context honoured (or none), and what was ignored and why. */
    public record Read(TraceContext context, String ignored) {
    }

    /**
     * The headers as sent (null when absent). A traceparent that is not valid, or longer than
     * {@value #MAX_TRACEPARENT_CHARS} characters, is ignored with its tracestate; a tracestate that is not valid, or
     * longer than {@value #MAX_TRACESTATE_CHARS} characters, is ignored alone (the specification's rule: the
     * traceparent goes on, the tracestate is not propagated).
     */
    public static Read read(String traceparent, String tracestate) {
        if (traceparent == null) {
            return new Read(null, tracestate == null ? null : "a tracestate without a traceparent");
        }
        if (traceparent.length() > MAX_TRACEPARENT_CHARS) {
            return new Read(null, "an oversized traceparent (" + traceparent.length() + " characters)");
        }
        if (!validTraceparent(traceparent)) {
            return new Read(null, "a malformed traceparent");
        }
        if (tracestate == null) {
            return new Read(new TraceContext(traceparent, null), null);
        }
        if (tracestate.length() > MAX_TRACESTATE_CHARS) {
            return new Read(new TraceContext(traceparent, null),
                    "an oversized tracestate (" + tracestate.length() + " characters)");
        }
        if (!validTracestate(tracestate)) {
            return new Read(new TraceContext(traceparent, null), "a malformed tracestate");
        }
        return new Read(new TraceContext(traceparent, tracestate), null);
    }

    /** The trace id (32 hex digits): the MDC's lumaTraceId. */
    @JsonIgnore
    public String traceId() {
        return traceparent.substring(3, 35);
    }

    private static boolean validTraceparent(String header) {
        Matcher head = TRACEPARENT_00.matcher(header);
        if (!head.lookingAt() || head.group(1).equals("ff")) {
            return false;
        }
        // version 00 is exactly its four fields; a later version may add fields after a '-'
        boolean fits = head.group(1).equals("00") ? head.end() == header.length()
                : head.end() == header.length() || header.charAt(head.end()) == '-';
        return fits && !head.group(2).equals("0".repeat(32)) && !head.group(3).equals("0".repeat(16));
    }

    /** At most 32 list-members, each key=value, no key twice; empty members (",,") are allowed. */
    private static boolean validTracestate(String header) {
        Set<String> keys = new HashSet<>();
        for (String member : header.split(",", -1)) {
            // optional white space around a member is spaces and tabs only
            String trimmed = OWS.matcher(member).replaceAll("");
            if (trimmed.isEmpty()) {
                continue;
            }
            Matcher matcher = LIST_MEMBER.matcher(trimmed);
            if (!matcher.matches() || !keys.add(matcher.group(1)) || keys.size() > MAX_LIST_MEMBERS) {
                return false;
            }
        }
        return true;
    }
}
