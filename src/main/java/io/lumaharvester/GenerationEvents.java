package io.lumaharvester;

import java.nio.charset.StandardCharsets;
import java.time.Clock;
import java.util.UUID;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.node.JsonNodeFactory;
import org.apache.camel.Exchange;
import org.apache.camel.Message;
import org.apache.camel.component.kafka.KafkaConstants;

/**
 * Builds the task's final event and its CloudEvents headers (Kafka binary mode). The {@code ce_id} is derived from
 * the task id, its run and the status, so a consumer can recognise a repeated event.
 */
public class GenerationEvents {

    /** The run of the task the event ends (docs/how-it-works.md, Re-submission). */
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

    /** Sets the Kafka key and the CloudEvents headers from the event in the body. */
    public void headers(Exchange exchange) {
        Message message = exchange.getMessage();
        GenerationEvent event = message.getBody(GenerationEvent.class);
        message.setHeader(KafkaConstants.KEY, event.taskId());
        message.setHeader("ce_specversion", "1.0");
        message.setHeader("ce_id", UUID.nameUUIDFromBytes(
                (event.dedupKey() + "/" + event.status()).getBytes(StandardCharsets.UTF_8)).toString());
        if (event.run() != null) {
            // a CloudEvents extension attribute: the event repository reads the run back from it
            message.setHeader(RUN_HEADER, event.run());
        }
        message.setHeader("ce_source", source);
        message.setHeader("ce_type", "luma.generation." + event.status());
        message.setHeader("ce_subject", event.taskId());
        message.setHeader("ce_time", event.finishedAt());
        message.setHeader("content-type", "application/json");
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
