package io.lumaharvester.task;

import io.lumaharvester.due.DueHeaders;
import java.util.Map;

import org.apache.camel.Body;
import org.apache.camel.ExchangeProperties;
import org.apache.camel.Headers;

/**
 * The fields of a step's ticket and outcome where the routes read them: the task id and trace id as exchange
 * properties at the start of a step, the outcome after a poll, the next ticket, and the due: consumer's headers on that
 * ticket's record. A bean step each, not a {@code setProperty} or {@code setHeader} per field: every
 * {@code ${body.x}} in a route is Camel's bean language, which copies the exchange (several µs each;
 * docs/performance.md), and a poll reads and writes a ticket every time.
 */
public class StepFields {

    /** lumaTaskId and lumaTraceId (empty without a trace context: see {@link TaskTicket#traceId()}). */
    public void remember(@Body TaskTicket ticket, @ExchangeProperties Map<String, Object> properties) {
        properties.put(TaskExchange.TASK_ID, ticket.taskId());
        properties.put(TaskExchange.TRACE_ID, ticket.traceId());
    }

    /** lumaOutcome and lumaStateChanged, read once: the route branches, counts and logs on them. */
    public void outcome(@Body TaskStep step, @ExchangeProperties Map<String, Object> properties) {
        properties.put(TaskExchange.OUTCOME, step.outcome());
        properties.put(TaskExchange.STATE_CHANGED, step.stateChanged());
    }

    /** The ticket of the task's next step. */
    public TaskTicket next(@Body TaskStep step) {
        return step.ticket();
    }

    /**
     * When the ticket is due (luma-due-at), its step number (luma-step: a stale copy of an older ticket is skipped)
     * and its provider (luma-provider: its lane in the API gate), as decimal text and a name.
     */
    public void dueHeaders(@Body TaskTicket ticket, @Headers Map<String, Object> headers) {
        headers.put(DueHeaders.DUE_AT, Long.toString(ticket.nextPollAt()));
        headers.put(DueHeaders.STEP, Long.toString(ticket.step()));
        headers.put(DueHeaders.PROVIDER, ticket.providerName());
    }
}
