package io.lumaharvester.due;

/** The Kafka headers a route writes on a record for {@link DueConsumer}; both are decimal text. */
public final class DueHeaders {

    /** Epoch milliseconds at which the record is due; without it, a record is due when read. */
    public static final String DUE_AT = "luma-due-at";

    /**
     * The step number of the record's key (the task): a record whose number is not above the highest seen for its
     * key is stale and skipped. Without it, every record is routed.
     */
    public static final String STEP = "luma-step";

    private DueHeaders() {
    }
}
