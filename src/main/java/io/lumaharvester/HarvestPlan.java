package io.lumaharvester;

import java.util.List;
import java.util.stream.Collectors;

import org.apache.camel.Exchange;

/**
 * Walks a completed task through its media, one file per step: each step copies the next file and puts the ticket
 * back on the harvest topic, so a restart resumes at the file it was on. Sets {@value GenerationReader#OUTCOME} to
 * {@code transfer} (the body is the next {@link MediaAsset}), {@code completed} (all files are stored) or
 * {@code failed} (the property {@value GenerationReader#FAILURE} says why; nothing is fetched).
 */
public class HarvestPlan {

    private final ArtifactSplitter splitter;
    private final MediaPolicy policy;

    public HarvestPlan(ArtifactSplitter splitter, MediaPolicy policy) {
        this.splitter = splitter;
        this.policy = policy;
    }

    public Object next(Exchange exchange) {
        TaskTicket ticket = exchange.getProperty(GenerationReader.TICKET, TaskTicket.class);
        List<MediaAsset> assets = splitter.split(ticket.generation());
        String refused = assets.stream()
                .filter(a -> !policy.allows(a.sourceUrl()))
                .map(a -> a.keyRole() + ": " + policy.refusal(a.sourceUrl()))
                .collect(Collectors.joining("; "));
        if (!refused.isEmpty()) {
            return failed(exchange, ticket, new Failure(Failure.MEDIA_REJECTED, refused));
        }
        if (assets.isEmpty()) {
            return failed(exchange, ticket,
                    new Failure(Failure.MEDIA_UNAVAILABLE, "the completed generation lists no media URL"));
        }
        if (ticket.stored().size() >= assets.size()) {
            exchange.getMessage().setHeader(GenerationReader.OUTCOME, "completed");
            return ticket;
        }
        exchange.getMessage().setHeader(GenerationReader.OUTCOME, "transfer");
        return assets.get(ticket.stored().size());
    }

    public TaskTicket record(Exchange exchange) {
        TaskTicket ticket = exchange.getProperty(GenerationReader.TICKET, TaskTicket.class);
        return ticket.withStored(exchange.getMessage().getBody(StoredAsset.class));
    }

    private static TaskTicket failed(Exchange exchange, TaskTicket ticket, Failure failure) {
        exchange.getMessage().setHeader(GenerationReader.OUTCOME, "failed");
        exchange.setProperty(GenerationReader.FAILURE, failure);
        return ticket;
    }
}
