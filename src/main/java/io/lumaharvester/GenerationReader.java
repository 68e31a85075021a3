package io.lumaharvester;

import java.time.ZonedDateTime;
import java.time.format.DateTimeFormatter;
import java.time.format.DateTimeParseException;

import com.fasterxml.jackson.core.JsonProcessingException;
import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import org.apache.camel.Exchange;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Reads one answer of {@code GET /luma/generations/{task_id}} and decides what happens to the task next. Sets the
 * header {@value #OUTCOME} to {@code running}, {@code completed} or {@code failed}; for {@code failed} the exchange
 * property {@value #FAILURE} holds the {@link Failure}. Returns the task's next ticket.
 */
public class GenerationReader {

    public static final String OUTCOME = "lumaOutcome";
    public static final String FAILURE = "lumaFailure";
    public static final String TICKET = "lumaTicket";

    private static final Logger LOG = LoggerFactory.getLogger(GenerationReader.class);

    private final PollSchedule schedule;
    private final int notFoundConfirmations;
    private final LumaApiAccessCheck apiAccess;
    private final ApiBudget budget;
    private final ObjectMapper json = new ObjectMapper();

    public GenerationReader(PollSchedule schedule, int notFoundConfirmations, LumaApiAccessCheck apiAccess,
            ApiBudget budget) {
        this.schedule = schedule;
        this.notFoundConfirmations = notFoundConfirmations;
        this.apiAccess = apiAccess;
        this.budget = budget;
    }

    public TaskTicket read(Exchange exchange) {
        TaskTicket ticket = exchange.getProperty(TICKET, TaskTicket.class);
        Integer status = exchange.getMessage().getHeader(Exchange.HTTP_RESPONSE_CODE, Integer.class);
        int code = status == null ? 0 : status;
        if (code == 401 || code == 403) {
            apiAccess.refused(code);
        } else if (code != 0) {
            apiAccess.answered();
        }
        TaskTicket clocked = schedule.mediaClock(ticket);
        if (clocked != ticket) {
            ticket = clocked;
            exchange.setProperty(TICKET, ticket);
        }
        if (schedule.mediaDeadlinePassed(ticket)) {
            // a re-poll for fresh media URLs: whatever it answers (410, 5xx, a redirect, even completed), the task's
            // media phase is over
            LOG.warn("task {}: media deadline passed (luma.media.deadline-ms); the task fails, the API answered {}",
                    ticket.taskId(), code);
            return failed(exchange, ticket.pollFailed(false), schedule.mediaDeadlineFailure(ticket,
                    "the API answered HTTP " + code + " to the re-poll for fresh media URLs"));
        }
        if (code == 200) {
            return readGeneration(exchange, ticket, exchange.getMessage().getBody(String.class));
        }
        if (code == 404) {
            TaskTicket next = ticket.pollFailed(true);
            if (next.notFound() >= notFoundConfirmations) {
                return failed(exchange, next, new Failure(Failure.NOT_FOUND,
                        "the API answered 404 to " + next.notFound() + " polls in a row"));
            }
            LOG.info("task {}: API answered 404 ({} of {} before not_found)", ticket.taskId(), next.notFound(),
                    notFoundConfirmations);
            return running(exchange, schedule.backOff(next));
        }
        TaskTicket next = ticket.pollFailed(false);
        if (code == 429) {
            budget.throttled();
        }
        if (code == 429 || code == 503) {
            long retryAfter = retryAfterMillis(exchange.getMessage().getHeader("Retry-After", String.class));
            if (retryAfter > 0) {
                LOG.warn("task {}: API answered {}; next poll in {} ms as Retry-After asks", ticket.taskId(), code,
                        retryAfter);
                return running(exchange, schedule.notBefore(next, retryAfter));
            }
        }
        if (code == 401 || code == 403) {
            // polling again soon cannot fix a refused token: wait the longest back-off, keep the task
            LOG.error("task {}: API refused the token (HTTP {}); check luma.api.token. Next poll in the longest "
                    + "back-off; the task is kept", ticket.taskId(), code);
            return running(exchange, schedule.backOffHard(next));
        }
        LOG.warn("task {}: API answered HTTP {}; backing off", ticket.taskId(), code);
        return running(exchange, schedule.backOff(next));
    }

    private TaskTicket readGeneration(Exchange exchange, TaskTicket ticket, String body) {
        JsonNode generation;
        try {
            generation = body == null ? null : json.readTree(body);
        } catch (JsonProcessingException e) {
            generation = null;
        }
        JsonNode state = generation == null ? null : generation.get("state");
        if (state == null || !state.isTextual()) {
            LOG.warn("task {}: API answered 200 without a JSON state; backing off", ticket.taskId());
            return running(exchange, schedule.backOff(ticket.pollFailed(false)));
        }
        String value = state.textValue();
        if ("completed".equals(value)) {
            exchange.getMessage().setHeader(OUTCOME, "completed");
            // the media deadline counts from the first completed answer; a re-poll keeps it
            return schedule.mediaClock(ticket.polled(value, generation));
        }
        if ("failed".equals(value)) {
            JsonNode reason = generation.get("failure_reason");
            String detail = reason == null || reason.isNull() ? null : reason.isTextual() ? reason.textValue()
                    : reason.toString();
            return failed(exchange, ticket.polled(value, null), new Failure(Failure.PROVIDER_FAILED, detail));
        }
        // pending, processing, queued, dreaming and any state not known yet: still running
        TaskTicket next = ticket.polled(value, null);
        if (schedule.pastDeadline(ticket)) {
            // lateness never fails a task: only a task the provider still runs after its deadline times out
            return failed(exchange, next, new Failure(Failure.TIMEOUT, "still " + value + " after "
                    + (ticket.deadlineAt() - ticket.acceptedAt()) + " ms"));
        }
        return running(exchange, schedule.nextPoll(next));
    }

    private static TaskTicket running(Exchange exchange, TaskTicket next) {
        exchange.getMessage().setHeader(OUTCOME, "running");
        return next;
    }

    private static TaskTicket failed(Exchange exchange, TaskTicket ticket, Failure failure) {
        exchange.getMessage().setHeader(OUTCOME, "failed");
        exchange.setProperty(FAILURE, failure);
        return ticket;
    }

    /** Retry-After in seconds or as an HTTP date; 0 when absent or unreadable. */
    long retryAfterMillis(String retryAfter) {
        if (retryAfter == null || retryAfter.isBlank()) {
            return 0;
        }
        String value = retryAfter.strip();
        try {
            return Math.max(0, Long.parseLong(value) * 1000);
        } catch (NumberFormatException notSeconds) {
            try {
                ZonedDateTime when = ZonedDateTime.parse(value, DateTimeFormatter.RFC_1123_DATE_TIME);
                return Math.max(0, schedule.millisUntil(when.toInstant().toEpochMilli()));
            } catch (DateTimeParseException notDate) {
                return 0;
            }
        }
    }
}
