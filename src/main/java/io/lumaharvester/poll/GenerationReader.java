package io.lumaharvester.poll;

import io.lumaharvester.task.PollSchedule;
import io.lumaharvester.task.LogSafe;
import io.lumaharvester.provider.Provider;
import io.lumaharvester.provider.ProviderAnswer;
import io.lumaharvester.provider.Providers;
import io.lumaharvester.task.Failure;
import io.lumaharvester.ops.LumaApiAccessCheck;
import io.lumaharvester.task.TaskExchange;
import io.lumaharvester.task.TaskStep;
import io.lumaharvester.task.TaskTicket;
import java.time.ZonedDateTime;
import java.time.format.DateTimeFormatter;
import java.time.format.DateTimeParseException;
import java.util.Map;

import com.fasterxml.jackson.core.JsonFactory;
import com.fasterxml.jackson.core.JsonProcessingException;
import com.fasterxml.jackson.core.StreamReadConstraints;
import com.fasterxml.jackson.core.exc.StreamConstraintsException;
import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.json.JsonMapper;
import org.apache.camel.Body;
import org.apache.camel.Exchange;
import org.apache.camel.ExchangeProperty;
import org.apache.camel.Header;
import org.apache.camel.Headers;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Reads one answer of the task's status request ({@link #read}), as its provider's profile says, or its absence
 * ({@link #unanswered}), and decides what happens to the task next: a {@link TaskStep} that is {@code running},
 * {@code error} (poll again later), {@code completed}, {@code media_request} (then {@link #readMedia}) or
 * {@code failed}, with the task's next ticket.
 */
public class GenerationReader {

    private static final Logger LOG = LoggerFactory.getLogger(GenerationReader.class);

    /**
     * How deep an API answer may nest. A completed answer travels in the task's next ticket one level deeper, and the
     * tickets' mapper (camel-jackson's, Jackson's defaults) writes and reads at most
     * {@link com.fasterxml.jackson.core.StreamWriteConstraints#DEFAULT_MAX_DEPTH} (1000) levels: an answer deeper
     * than this could not travel, so it is refused here, as it is read. The other read limits are Jackson's defaults
     * (numbers of 1,000 digits, names of 50,000 characters); a string or a document is bounded by
     * luma.api.max-response-bytes before it is parsed.
     */
    public static final int MAX_NESTING_DEPTH = 500;

    private final PollSchedule schedule;
    private final int notFoundConfirmations;
    private final LumaApiAccessCheck apiAccess;
    private final ApiGates gates;
    private final Providers providers;
    private final ObjectMapper json = JsonMapper.builder(JsonFactory.builder()
            .streamReadConstraints(StreamReadConstraints.builder().maxNestingDepth(MAX_NESTING_DEPTH).build())
            .build()).build();

    public GenerationReader(PollSchedule schedule, int notFoundConfirmations, LumaApiAccessCheck apiAccess,
            ApiGates gates, Providers providers) {
        this.providers = providers;
        this.schedule = schedule;
        this.notFoundConfirmations = notFoundConfirmations;
        this.apiAccess = apiAccess;
        this.gates = gates;
    }

    public TaskStep read(@ExchangeProperty(TaskExchange.TICKET) TaskTicket ticket,
            @Header(Exchange.HTTP_RESPONSE_CODE) Integer status, @Headers Map<String, Object> headers,
            @Body String answer) {
        Provider provider = providers.get(ticket.providerName());
        Object retryAfter = headers.get("Retry-After");
        int code = status == null ? 0 : status;
        // readiness follows luma.api.token (luma-aggregator's); another provider's refused token is its tasks' ERROR
        if (Providers.LUMA_AGGREGATOR.equals(provider.name()) && (code == 401 || code == 403)) {
            apiAccess.refused(code);
        } else if (Providers.LUMA_AGGREGATOR.equals(provider.name()) && code != 0) {
            apiAccess.answered();
        }
        ticket = schedule.mediaClock(ticket);
        // a re-poll for fresh media URLs: whatever it answers (410, 5xx, a redirect, even completed), the task's
        // media phase is over
        TaskStep over = pastMediaDeadline(ticket,
                "the API answered HTTP " + code + " to the re-poll for fresh media URLs");
        if (over != null) {
            return over;
        }
        // 202: a provider that answers Accepted while the task is pending (fal's queue) says its state all the same
        if (code == 200 || code == 202) {
            return readGeneration(ticket, provider, answer, headers);
        }
        if (code == 404) {
            TaskTicket next = ticket.pollFailed(true);
            if (next.notFound() >= notFoundConfirmations) {
                return TaskStep.failed(next, new Failure(Failure.NOT_FOUND,
                        "the API answered 404 to " + next.notFound() + " polls in a row"));
            }
            LOG.info("task {}: API answered 404 ({} of {} before not_found)", ticket.taskId(), next.notFound(),
                    notFoundConfirmations);
            return TaskStep.running(schedule.backOff(next));
        }
        TaskTicket next = ticket.pollFailed(false);
        if (code == 429) {
            gates.gate(ticket.providerName()).throttled();
        }
        TaskStep timedOut = pastDeadlineWithoutAnswer(ticket, next, "the API answered HTTP " + code);
        if (timedOut != null) {
            return timedOut;
        }
        if (code == 429 || code == 503) {
            long retryAfterMs = retryAfterMillis(retryAfter == null ? null : retryAfter.toString());
            if (retryAfterMs > 0) {
                LOG.warn("task {}: API answered {}; next poll in {} ms as Retry-After asks", ticket.taskId(), code,
                        retryAfterMs);
                return TaskStep.running(schedule.notBefore(next, retryAfterMs));
            }
        }
        if (code == 401 || code == 403) {
            // polling again soon cannot fix a refused token: wait the longest back-off, keep the task
            LOG.error("task {}: provider {} refused the token (HTTP {}); check {}. Next poll in the longest "
                    + "back-off; the task is kept", ticket.taskId(), provider.name(), code,
                    Providers.LUMA_AGGREGATOR.equals(provider.name()) ? "luma.api.token"
                            : "luma.providers." + provider.name() + ".token");
            return TaskStep.running(schedule.backOffHard(next));
        }
        LOG.warn("task {}: API answered HTTP {}; backing off", ticket.taskId(), code);
        return TaskStep.running(schedule.backOff(next));
    }

    private TaskStep readGeneration(TaskTicket ticket, Provider provider, String body, Map<String, Object> headers) {
        JsonNode generation;
        try {
            generation = body == null ? null : json.readTree(body);
        } catch (StreamConstraintsException tooDeep) {
            // valid JSON, deliberately sent, that no ticket could carry: polling again would read the same answer
            // until the task's deadline, so the task ends now
            String detail = "the API answered a generation the task's next ticket cannot carry: "
                    + tooDeep.getOriginalMessage() + "; answers are read to a nesting depth of " + MAX_NESTING_DEPTH;
            LOG.warn("task {}: {}; the task fails", ticket.taskId(), LogSafe.text(detail));
            return TaskStep.failed(ticket.pollFailed(false), new Failure(Failure.RECORD_UNWRITABLE, detail));
        } catch (JsonProcessingException e) {
            generation = null;
        }
        ProviderAnswer answer = provider.read(ticket.taskId(), ticket.metadata(), generation);
        switch (answer.outcome()) {
            case INVALID -> {
                TaskStep timedOut = pastDeadlineWithoutAnswer(ticket, ticket.pollFailed(false),
                        "the API answered 200, but " + answer.invalidWhy());
                if (timedOut != null) {
                    return timedOut;
                }
                LOG.warn("task {}: API answered 200, but {}; backing off", ticket.taskId(),
                        LogSafe.text(answer.invalidWhy()));
                return TaskStep.running(schedule.backOff(ticket.pollFailed(false)));
            }
            case SUCCEEDED -> {
                if (answer.mediaRequestUrl() != null) {
                    return TaskStep.mediaRequest(ticket.polled(answer.state(), null), answer.mediaRequestUrl());
                }
                // the media deadline counts from the first completed answer; a re-poll keeps it
                return TaskStep.completed(schedule.harvestNow(ticket.polled(answer.state(), generation)));
            }
            case FAILED -> {
                return TaskStep.failed(ticket.polled(answer.state(), null),
                        new Failure(Failure.PROVIDER_FAILED, answer.failureDetail(), answer.retryable()));
            }
            default -> {
            }
        }
        // still running, whatever the provider calls it
        String value = answer.state();
        TaskTicket next = ticket.polled(value, null);
        if (schedule.pastDeadline(ticket)) {
            // lateness never fails a task: only a task the provider still runs after its deadline times out
            return TaskStep.failed(next, new Failure(Failure.TIMEOUT, "still " + value + " after "
                    + (ticket.deadlineAt() - ticket.acceptedAt()) + " ms"));
        }
        // lateness is measured where it arises: at dispatch (ApiGate), and here, when the answer was read too late
        gates.gate(provider.name()).answeredLate(schedule.lateBy(ticket, provider.pollIntervalMs()));
        long suggestedMs = suggestedNextPollMillis(provider, headers);
        return TaskStep.running(ticket, suggestedMs > 0 ? schedule.notBefore(next, suggestedMs)
                : schedule.nextPoll(next, provider.pollIntervalMs()));
    }

    /**
     * The answer of a {@code media_request} step's second GET ({@code step.mediaRequest}): a 200 whose JSON names the
     * media completes the poll (the task goes to harvest); anything else is a failed poll, and the task polls its
     * status again after a back-off, as after the same answer to the status GET: a 429 or 503 waits its Retry-After
     * (a 429 slows the provider's API gate), a 401 or 403 the longest back-off.
     */
    public TaskStep readMedia(@ExchangeProperty(TaskExchange.MEDIA_STEP) TaskStep step,
            @Header(Exchange.HTTP_RESPONSE_CODE) Integer status, @Headers Map<String, Object> headers,
            @Body String answer) {
        TaskTicket ticket = step.ticket();
        int code = status == null ? 0 : status;
        JsonNode media = null;
        if (answer != null && !answer.isBlank()) {
            try {
                media = json.readTree(answer);
            } catch (StreamConstraintsException tooDeep) {
                if (code == 200) {
                    String detail = "the media request's answer cannot travel in a ticket: " + tooDeep.getOriginalMessage();
                    return TaskStep.failed(ticket, new Failure(Failure.RECORD_UNWRITABLE, detail));
                }
            } catch (JsonProcessingException e) {
                media = null;
            }
        }
        // a result that says the task failed after all (fal: an error body at response_url, for a COMPLETED status)
        String failure = providers.get(ticket.providerName()).mediaRequestFailure(ticket.taskId(), ticket.metadata(), media);
        if (failure != null) {
            LOG.info("task {}: the media request's answer (HTTP {}) says the task failed", ticket.taskId(), code);
            return TaskStep.failed(ticket, new Failure(Failure.PROVIDER_FAILED, failure));
        }
        if (code != 200) {
            media = null;
        }
        if (media == null || !media.isContainerNode()) {
            String why = code == 200 ? "the media request's answer is not JSON" : "the media request was answered HTTP " + code;
            TaskTicket next = ticket.pollFailed(false);
            if (code == 429) {
                gates.gate(ticket.providerName()).throttled();
            }
            TaskStep timedOut = pastDeadlineWithoutAnswer(ticket, next, why);
            if (timedOut != null) {
                return timedOut;
            }
            Object retryAfter = headers == null ? null : headers.get("Retry-After");
            long retryAfterMs = code == 429 || code == 503
                    ? retryAfterMillis(retryAfter == null ? null : retryAfter.toString()) : 0;
            if (retryAfterMs > 0) {
                LOG.warn("task {}: {}; next poll in {} ms as Retry-After asks", ticket.taskId(), why, retryAfterMs);
                return TaskStep.error(schedule.notBefore(next, retryAfterMs));
            }
            if (code == 401 || code == 403) {
                LOG.error("task {}: {}: provider {} refused the token; check luma.providers.{}.token. Next poll in the "
                        + "longest back-off; the task is kept", ticket.taskId(), why, ticket.providerName(),
                        ticket.providerName());
                return TaskStep.error(schedule.backOffHard(next));
            }
            LOG.warn("task {}: {}; backing off", ticket.taskId(), why);
            return TaskStep.error(schedule.backOff(next));
        }
        return TaskStep.completed(schedule.harvestNow(ticket.withGeneration(media)));
    }

    /** The next poll a running answer's header suggests (the profile's poll.after-header), in ms; 0 when none. */
    private static long suggestedNextPollMillis(Provider provider, Map<String, Object> headers) {
        String header = provider.pollAfterHeader();
        Object value = header == null ? null : headers.get(header);
        if (value == null) {
            return 0;
        }
        try {
            long amount = Long.parseLong(value.toString().strip());
            return Math.max(0, "milliseconds".equals(provider.pollAfterUnit()) ? amount : amount * 1000);
        } catch (NumberFormatException notANumber) {
            return 0;
        }
    }

    /**
     * The poll got no answer: a time-out, a refused connection, an answer larger than luma.api.max-response-bytes.
     * The task polls again after a back-off; in the media phase, past its deadline, it fails.
     */
    public TaskStep unanswered(@ExchangeProperty(TaskExchange.TICKET) TaskTicket ticket,
            @ExchangeProperty(Exchange.EXCEPTION_CAUGHT) Exception error) {
        String why = error == null ? "unknown error" : error.getClass().getSimpleName() + ": " + error.getMessage();
        ticket = schedule.mediaClock(ticket);
        TaskStep over = pastMediaDeadline(ticket, why);
        if (over != null) {
            return over;
        }
        TaskStep timedOut = pastDeadlineWithoutAnswer(ticket, ticket.pollFailed(false), why);
        if (timedOut != null) {
            return timedOut;
        }
        // an exception's message can quote the provider's URL or answer
        LOG.warn("task {}: poll failed ({}); retrying after a back-off", ticket.taskId(), LogSafe.text(why));
        return TaskStep.error(schedule.backOff(ticket.pollFailed(false)));
    }

    /**
     * A poll without a usable answer (an error status, a 200 without a state, no answer at all) at or past the task's
     * deadline ends the task {@code timeout}, naming what the poll got: an API that never answers again, or answers
     * garbage for ever, must not keep a task (and its re-submissions, answered {@code in_flight}) for ever. Null before
     * the deadline, and in the media phase, which the media deadline bounds.
     */
    private TaskStep pastDeadlineWithoutAnswer(TaskTicket ticket, TaskTicket next, String lastError) {
        if (ticket.completedAt() > 0 || !schedule.pastDeadline(ticket)) {
            return null;
        }
        String detail = "no answer with the task's state by its deadline (" + (ticket.deadlineAt() - ticket.acceptedAt())
                + " ms, luma.tasks.deadline-ms); last poll: " + lastError;
        LOG.warn("task {}: {}; the task times out", ticket.taskId(), LogSafe.text(detail));
        return TaskStep.failed(next, new Failure(Failure.TIMEOUT, detail));
    }

    /** A media-phase re-poll past the media deadline ends the task, naming what the poll got; null otherwise. */
    private TaskStep pastMediaDeadline(TaskTicket clocked, String lastError) {
        if (!schedule.mediaDeadlinePassed(clocked)) {
            return null;
        }
        LOG.warn("task {}: media deadline passed (luma.harvest.deadline-ms), giving up: {}", clocked.taskId(),
                LogSafe.text(lastError));
        return TaskStep.failed(clocked.pollFailed(false), schedule.mediaDeadlineFailure(clocked, lastError));
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
