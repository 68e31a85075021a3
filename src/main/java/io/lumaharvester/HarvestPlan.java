package io.lumaharvester;

import java.util.Comparator;
import java.util.List;
import java.util.stream.Collectors;

import org.apache.camel.Body;
import org.apache.camel.Exchange;
import org.apache.camel.ExchangeProperty;

/**
 * What a completed task's harvest copies: its distinct media files, all at once. {@link #assets} sets
 * {@value GenerationReader#OUTCOME} to {@code transfer} (the body is the list of {@link MediaAsset}) or {@code failed}
 * (the property {@value GenerationReader#FAILURE} says why; nothing is fetched). {@link #stored} puts the copied
 * files into the ticket, in the media's order.
 */
public class HarvestPlan {

    private final ArtifactSplitter splitter;
    private final MediaPolicy policy;

    public HarvestPlan(ArtifactSplitter splitter, MediaPolicy policy) {
        this.splitter = splitter;
        this.policy = policy;
    }

    public Object assets(Exchange exchange) {
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
        exchange.getMessage().setHeader(GenerationReader.OUTCOME, "transfer");
        return assets;
    }

    /**
     * The ticket with every file stored, in the order the generation lists them; or, when a copy failed, the first
     * failure in that order, thrown once for the task (its error policy decides what the task does next).
     */
    public TaskTicket stored(@ExchangeProperty(GenerationReader.TICKET) TaskTicket ticket, @Body List<?> copies)
            throws Exception {
        List<String> order = splitter.split(ticket.generation()).stream().map(MediaAsset::sourceUrl).toList();
        var failure = copies.stream().filter(CopyFailure.class::isInstance).map(CopyFailure.class::cast)
                .min(Comparator.comparingInt(f -> f.asset() == null ? -1 : order.indexOf(f.asset().sourceUrl())));
        if (failure.isPresent()) {
            throw failure.get().error();
        }
        return ticket.withStored(copies.stream().map(StoredAsset.class::cast)
                .sorted(Comparator.comparingInt(asset -> order.indexOf(asset.sourceUrl())))
                .toList());
    }

    private static TaskTicket failed(Exchange exchange, TaskTicket ticket, Failure failure) {
        exchange.getMessage().setHeader(GenerationReader.OUTCOME, "failed");
        exchange.setProperty(GenerationReader.FAILURE, failure);
        return ticket;
    }
}
