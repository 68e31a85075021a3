package io.lumaharvester.harvest;

import io.lumaharvester.task.StoredMedia;
import io.lumaharvester.provider.Providers;
import io.lumaharvester.task.Failure;
import io.lumaharvester.task.TaskExchange;
import io.lumaharvester.task.TaskStep;
import io.lumaharvester.task.TaskTicket;
import java.util.Comparator;
import java.util.List;
import java.util.stream.Collectors;

import org.apache.camel.Body;
import org.apache.camel.ExchangeProperty;

/**
 * What a completed task's harvest copies: its distinct media files, all at once. {@link #plan} gives them, or the
 * failed {@link TaskStep} when the generation's media cannot be fetched at all (nothing is fetched then).
 * {@link #stored} puts the copied files into the ticket, in the media's order.
 */
public class HarvestPlan {

    private final MediaSplitter splitter;
    private final MediaPolicy policy;
    private final Providers providers;

    public HarvestPlan(MediaSplitter splitter, MediaPolicy policy, Providers providers) {
        this.splitter = splitter;
        this.policy = policy;
        this.providers = providers;
    }

    /** The task's distinct media files, as its provider's profile reads its completed generation. */
    private List<MediaFile> files(TaskTicket ticket) {
        return splitter.split(providers.get(ticket.providerName()).media(ticket.taskId(), ticket.metadata(),
                ticket.generation()));
    }

    /** The files to copy ({@code refusal} null), or why none is copied. */
    public record MediaPlan(List<MediaFile> files, TaskStep refusal) {

        public boolean refused() {
            return refusal != null;
        }
    }

    public MediaPlan plan(@ExchangeProperty(TaskExchange.TICKET) TaskTicket ticket) {
        List<MediaFile> files = files(ticket);
        String refused = files.stream()
                .filter(a -> !policy.allows(a.sourceUrl()))
                .map(a -> a.keyRole() + ": " + policy.refusal(a.sourceUrl()))
                .collect(Collectors.joining("; "));
        if (!refused.isEmpty()) {
            return new MediaPlan(List.of(), TaskStep.failed(ticket, new Failure(Failure.MEDIA_REJECTED, refused)));
        }
        if (files.isEmpty()) {
            return new MediaPlan(List.of(), TaskStep.failed(ticket,
                    new Failure(Failure.MEDIA_UNAVAILABLE, "the completed generation lists no media URL")));
        }
        return new MediaPlan(files, null);
    }

    /**
     * The ticket with every file stored, in the order the generation lists them; or, when a copy failed, the first
     * failure in that order, thrown once for the task (its error policy decides what the task does next).
     */
    public TaskTicket gather(@ExchangeProperty(TaskExchange.TICKET) TaskTicket ticket, @Body List<?> copies)
            throws Exception {
        List<String> order = files(ticket).stream().map(MediaFile::sourceUrl).toList();
        var failure = copies.stream().filter(CopyFailure.class::isInstance).map(CopyFailure.class::cast)
                .min(Comparator.comparingInt(f -> f.file() == null ? -1 : order.indexOf(f.file().sourceUrl())));
        if (failure.isPresent()) {
            throw failure.get().error();
        }
        return ticket.withStored(copies.stream().map(StoredMedia.class::cast)
                .sorted(Comparator.comparingInt(file -> order.indexOf(file.sourceUrl())))
                .toList());
    }
}
