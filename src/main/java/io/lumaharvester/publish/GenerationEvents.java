package io.lumaharvester.publish;

import io.lumaharvester.task.Failure;
import io.lumaharvester.task.TaskTicket;
import java.time.Clock;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.node.JsonNodeFactory;

/**
 * Builds the task's final event. Its CloudEvents headers (Kafka binary mode) are set in routes/publish.camel.yaml.
 */
public class GenerationEvents {

    /**
     * The run of the task the event ends (docs/how-it-works.md, Re-submission): a CloudEvents extension attribute, set
     * in routes/publish.camel.yaml, that the event repository reads back.
     */
    public static final String RUN_HEADER = "ce_lumarun";

    private final String source;
    private final Clock clock;
    private final boolean includePrompt;

    /** {@code includePrompt} false (luma.events.include-prompt) keeps the prompt out: it can hold personal data. */
    public GenerationEvents(String source, Clock clock, boolean includePrompt) {
        this.source = source;
        this.clock = clock;
        this.includePrompt = includePrompt;
    }

    public GenerationEvent completed(TaskTicket ticket) {
        JsonNode request = ticket.generation() == null ? null : ticket.generation().get("request");
        return new GenerationEvent(ticket.taskId(), GenerationEvent.COMPLETED, ticket.state(), metadata(ticket),
                ticket.polls(), finishedAt(), includePrompt ? text(request, "prompt") : null, text(request, "aspect_ratio"),
                ticket.stored(), null, ticket.run());
    }

    public GenerationEvent failed(TaskTicket ticket, Failure failure) {
        return new GenerationEvent(ticket.taskId(), GenerationEvent.FAILED, ticket.state(), metadata(ticket),
                ticket.polls(), finishedAt(), null, null, null, failure,
                ticket.run());
    }

    private String finishedAt() {
        return clock.instant().toString();
    }

    private static com.fasterxml.jackson.databind.node.ObjectNode metadata(TaskTicket ticket) {
        return ticket.metadata() != null ? ticket.metadata() : JsonNodeFactory.instance.objectNode();
    }

    private static String text(JsonNode node, String field) {
        JsonNode value = node == null ? null : node.get(field);
        return value != null && value.isTextual() ? value.textValue() : null;
    }
}
