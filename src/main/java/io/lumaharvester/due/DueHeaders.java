package io.lumaharvester.due;

/**
 * The Kafka headers a route writes on a record for {@link DueConsumer}. They count only on an endpoint with
 * {@code dueHeaders} (topics the harvester alone writes).
 */
public final class DueHeaders {

    /** Epoch milliseconds (decimal text) at which the record is due; without it, a record is due when read. */
    public static final String DUE_AT = "luma-due-at";

    /**
     * The step number (decimal text) of the record's key (the task): a record whose number is not above the highest
     * seen for its key is stale and skipped. Without it, every record is routed.
     */
    public static final String STEP = "luma-step";

    /**
     * The provider a ticket belongs to, named as the polling topic's {@code laneHeader}: records of one lane leave in
     * due order, and a lane its gate holds back does not hold back the others.
     */
    public static final String PROVIDER = "luma-provider";

    /**
     * Present (any value) on a wake record: the record waiting with the same key becomes due now. The wake itself is
     * done at once and never routed; with no record of its key waiting (in flight, or unknown), it is ignored.
     */
    public static final String WAKE = "luma-wake";

    private DueHeaders() {
    }
}
