package io.lumaharvester.task;

/**
 * The exchange properties that cross from one step of a route to the next, in one place. Everything else a bean
 * needs comes in as its parameters and goes out as its result. The tweak guide (docs/tweaking.md) lists what exists
 * after each step id.
 */
public final class TaskExchange {

    /** The task's ticket as read at the start of a poll or harvest step ({@link TaskTicket}). */
    public static final String TICKET = "lumaTicket";
    /** The ticket being written for the task's next step (route template write-ticket), should Kafka refuse it. */
    public static final String NEXT_TICKET = "lumaNextTicket";
    /** The task id, also in the MDC of every log line with camel.mdc.enabled=true (camel.mdc.custom-properties). */
    public static final String TASK_ID = "lumaTaskId";
    /**
     * The trace id of the task's W3C trace context ({@link TraceContext}), empty when its record had none: also in
     * the MDC (camel.mdc.custom-properties).
     */
    public static final String TRACE_ID = "lumaTraceId";
    /**
     * The poll's {@link TaskStep#outcome()}, read once after the API call ({@link StepFields}): every
     * {@code ${body.outcome}} in a route copies the exchange, {@code ${exchangeProperty.lumaOutcome}} does not.
     */
    public static final String OUTCOME = "lumaOutcome";
    /** Whether the poll saw the task's state change ({@link TaskStep#stateChanged()}): its line is logged. */
    public static final String STATE_CHANGED = "lumaStateChanged";
    /**
     * Whether intake's decision starts or continues the task's run, and whether it publishes the task's event again
     * (io.lumaharvester.intake.DecisionFields): the intake route branches on them.
     */
    public static final String RUNS = "lumaRuns";
    public static final String REPUBLISHES = "lumaRepublishes";
    /** The task's event, once built ({@link GenerationEvent}). */
    public static final String EVENT = "lumaEvent";
    /** The media file a copy is working on ({@link MediaFile}). */
    public static final String MEDIA = "lumaMedia";
    /** The provider request a poll sends next (StatusRequests.ProviderRequest: url, query, headers). */
    public static final String REQUEST = "lumaRequest";
    /**
     * The HTTP status of the provider's answer to a poll (routes/poll.camel.yaml), for its counter and log line once
     * the answer's headers are dropped: a removeHeaders that keeps one header matches every other as a regular
     * expression.
     */
    public static final String HTTP_STATUS = "lumaHttpStatus";
    /** The poll's {@code media_request} step while its second GET is answered (routes/poll.camel.yaml). */
    public static final String MEDIA_STEP = "lumaMediaStep";
    /** The key of a record on its way to the dead-letter topic, kept while its other headers are dropped. */
    public static final String DEAD_LETTER_KEY = "lumaDeadLetterKey";
    /** Which try of its record the exchange is, set by the due: consumer (1 for the first; the dead letter's header). */
    public static final String ATTEMPT = io.lumaharvester.due.DueEndpoint.ATTEMPT;
    /** A callback's {@link io.lumaharvester.callback.CallbackCheck}, which its answer says (callbacks.camel.yaml). */
    public static final String CALLBACK = "lumaCallback";
    /** Set by Camel's idempotent consumer on a callback delivery taken before (routes/callbacks.camel.yaml). */
    public static final String DUPLICATE = org.apache.camel.Exchange.DUPLICATE_MESSAGE;

    private TaskExchange() {
    }
}
