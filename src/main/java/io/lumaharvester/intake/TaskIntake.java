package io.lumaharvester.intake;

import io.lumaharvester.provider.Provider;
import io.lumaharvester.provider.Providers;
import io.lumaharvester.provider.UnknownProviderException;
import io.lumaharvester.task.RejectedTaskException;
import io.lumaharvester.task.TaskTicket;
import io.lumaharvester.task.TraceContext;
import java.nio.ByteBuffer;
import java.nio.charset.CharacterCodingException;
import java.nio.charset.CodingErrorAction;
import java.nio.charset.StandardCharsets;
import java.time.Clock;

import com.fasterxml.jackson.core.JsonFactory;
import com.fasterxml.jackson.core.JsonProcessingException;
import com.fasterxml.jackson.core.StreamReadConstraints;
import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.json.JsonMapper;
import com.fasterxml.jackson.databind.node.ObjectNode;
import org.apache.camel.Body;
import org.apache.camel.Header;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Turns a record of the task topic into a {@link TaskTicket}, or rejects it with a reason. A record is either a
 * bare task id (of the default provider, luma.providers.default) or
 * {@code {"task_id": "...", "provider": "...", "metadata": {...}}}. A task id always has the shape of {@link TaskTicket#TASK_ID}
 * (it names S3 keys), and matches its provider's own task-id pattern too.
 */
public class TaskIntake {

    private static final Logger TASKS = LoggerFactory.getLogger("io.lumaharvester.tasks");
    private static final int MAX_NESTING_DEPTH = 64;

    private final long deadlineMs;
    private final long firstDelayMs;
    private final int maxRecordBytes;
    private final Clock clock;
    private final ObjectMapper json;
    private final Providers providers;

    /** A task's deadline counts from its admission here; its first poll waits {@code firstDelayMs}. */
    public TaskIntake(long deadlineMs, long firstDelayMs, int maxRecordBytes, Clock clock, Providers providers) {
        this.providers = providers;
        this.deadlineMs = deadlineMs;
        this.firstDelayMs = firstDelayMs;
        this.maxRecordBytes = maxRecordBytes;
        this.clock = clock;
        this.json = JsonMapper.builder(JsonFactory.builder()
                .streamReadConstraints(StreamReadConstraints.builder().maxNestingDepth(MAX_NESTING_DEPTH).build())
                .build()).build();
    }

    public TaskTicket accept(byte[] value) throws RejectedTaskException {
        if (value == null || value.length == 0) {
            throw new RejectedTaskException("empty", "the record has no value");
        }
        if (value.length > maxRecordBytes) {
            throw new RejectedTaskException("too_large",
                    "the record has " + value.length + " bytes; at most " + maxRecordBytes + " are accepted");
        }
        String text = decodeUtf8(value).strip();
        if (text.isEmpty()) {
            throw new RejectedTaskException("empty", "the record holds only white space");
        }
        if (text.charAt(0) == '{') {
            return fromJson(text);
        }
        if (text.charAt(0) == '[' || text.charAt(0) == '"') {
            throw new RejectedTaskException("not_an_object", "a JSON task must be an object with a task_id");
        }
        Provider provider = provider(null);
        return TaskTicket.accepted(validId(text, provider), json.createObjectNode(), clock.millis(), deadlineMs,
                firstDelayMs).withProvider(provider.name());
    }

    /**
     * The task's W3C trace context, from its record's {@code traceparent} and {@code tracestate} headers (the due:
     * consumer copies these two, and no other). A header that is not valid is ignored, with one log line: the task
     * runs all the same.
     */
    public TaskTicket traced(@Body TaskTicket ticket, @Header(TraceContext.TRACEPARENT) String traceparent,
            @Header(TraceContext.TRACESTATE) String tracestate) {
        TraceContext.Read read = TraceContext.read(traceparent, tracestate);
        if (read.ignored() != null) {
            TASKS.info("task {}: {} on its record ignored", ticket.taskId(), read.ignored());
        }
        return read.context() == null ? ticket : ticket.withTrace(read.context());
    }

    private TaskTicket fromJson(String text) throws RejectedTaskException {
        JsonNode root;
        try {
            root = json.readTree(text);
        } catch (JsonProcessingException e) {
            throw new RejectedTaskException("malformed_json", "the record is not valid JSON: " + e.getOriginalMessage());
        }
        JsonNode id = root.get("task_id");
        if (id == null || id.isNull()) {
            throw new RejectedTaskException("missing_task_id", "the JSON object has no task_id");
        }
        if (!id.isTextual()) {
            throw new RejectedTaskException("invalid_task_id", "task_id must be a string, not " + id.getNodeType());
        }
        JsonNode metadata = root.get("metadata");
        if (metadata != null && !metadata.isNull() && !metadata.isObject()) {
            throw new RejectedTaskException("invalid_metadata", "metadata must be a JSON object");
        }
        ObjectNode meta = metadata instanceof ObjectNode object ? object : json.createObjectNode();
        JsonNode named = root.get("provider");
        if (named != null && !named.isNull() && !named.isTextual()) {
            throw new RejectedTaskException("unknown_provider", "provider must be a string, not " + named.getNodeType());
        }
        Provider provider = provider(named == null || named.isNull() ? null : named.textValue());
        return TaskTicket.accepted(validId(id.textValue(), provider), meta, clock.millis(), deadlineMs, firstDelayMs)
                .withProvider(provider.name());
    }

    private Provider provider(String name) throws RejectedTaskException {
        try {
            Provider provider = providers.get(name);
            if (!provider.missingSecrets().isEmpty()) {
                throw new RejectedTaskException("unknown_provider", "provider " + provider.name()
                        + " is not configured: set " + String.join(", ", provider.missingSecrets()));
            }
            return provider;
        } catch (UnknownProviderException e) {
            throw new RejectedTaskException("unknown_provider", e.getMessage());
        }
    }

    private static String validId(String candidate, Provider provider) throws RejectedTaskException {
        if (!TaskTicket.TASK_ID.matcher(candidate).matches()) {
            throw new RejectedTaskException("invalid_task_id",
                    "a task id is 1-128 letters, digits, '-' or '_', with '.' and '/' only between two of those (got "
                            + candidate.length() + " characters)");
        }
        if (!provider.acceptsTaskId(candidate)) {
            throw new RejectedTaskException("invalid_task_id", "a task id of provider " + provider.name()
                    + " matches " + provider.taskIdPattern());
        }
        return candidate;
    }

    private static String decodeUtf8(byte[] value) throws RejectedTaskException {
        try {
            return StandardCharsets.UTF_8.newDecoder()
                    .onMalformedInput(CodingErrorAction.REPORT)
                    .onUnmappableCharacter(CodingErrorAction.REPORT)
                    .decode(ByteBuffer.wrap(value))
                    .toString();
        } catch (CharacterCodingException e) {
            throw new RejectedTaskException("invalid_utf8", "the record is not valid UTF-8");
        }
    }
}
