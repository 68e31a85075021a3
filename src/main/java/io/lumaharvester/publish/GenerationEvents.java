package io.lumaharvester.publish;

import io.lumaharvester.provider.Provider;
import io.lumaharvester.provider.Providers;
import io.lumaharvester.task.Failure;
import io.lumaharvester.task.TaskTicket;
import java.time.Clock;

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
    private final Providers providers;

    /**
     * {@code includePrompt} false (luma.events.include-prompt) keeps the prompt out: it can hold personal data. The
     * prompt and aspect ratio are what the task's provider profile reads (its {@code event} fields).
     */
    public GenerationEvents(String source, Clock clock, boolean includePrompt, Providers providers) {
        this.providers = providers;
        this.source = source;
        this.clock = clock;
        this.includePrompt = includePrompt;
    }

    public GenerationEvent completed(TaskTicket ticket) {
        Provider provider = providers.get(ticket.providerName());
        return new GenerationEvent(ticket.taskId(), GenerationEvent.COMPLETED, ticket.state(), metadata(ticket),
                ticket.polls(), finishedAt(), includePrompt ? eventField(provider, ticket, "prompt") : null,
                eventField(provider, ticket, "aspect_ratio"), ticket.stored(), null, ticket.run(), provider(ticket));
    }

    public GenerationEvent failed(TaskTicket ticket, Failure failure) {
        return new GenerationEvent(ticket.taskId(), GenerationEvent.FAILED, ticket.state(), metadata(ticket),
                ticket.polls(), finishedAt(), null, null, null, failure, ticket.run(), provider(ticket));
    }

    private static String eventField(Provider provider, TaskTicket ticket, String field) {
        return provider.eventField(field, ticket.taskId(), ticket.metadata(), ticket.generation());
    }

    /** The event names its provider, except luma-aggregator's, whose events stay as they were before providers. */
    private static String provider(TaskTicket ticket) {
        return TaskTicket.FIRST_PROVIDER.equals(ticket.providerName()) ? null : ticket.providerName();
    }

    private String finishedAt() {
        return clock.instant().toString();
    }

    private static com.fasterxml.jackson.databind.node.ObjectNode metadata(TaskTicket ticket) {
        return ticket.metadata() != null ? ticket.metadata() : JsonNodeFactory.instance.objectNode();
    }

}
