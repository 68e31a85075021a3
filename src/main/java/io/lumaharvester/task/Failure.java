package io.lumaharvester.task;

import com.fasterxml.jackson.annotation.JsonInclude;
import com.fasterxml.jackson.annotation.JsonProperty;

/**
 * Why a task ended without its media: {@code reason} is a stable code, {@code detail} is for people;
 * {@code retryable} (only when true) says the provider failed in a way a new generation may not (its profile's
 * failure.retryable, e.g. Runway's INTERNAL.* codes).
 */
public record Failure(@JsonProperty("reason") String reason, @JsonProperty("detail") String detail,
        @JsonProperty("retryable") @JsonInclude(JsonInclude.Include.NON_DEFAULT) boolean retryable) {

    public Failure(String reason, String detail) {
        this(reason, detail, false);
    }

    public static final String PROVIDER_FAILED = "provider_failed";
    public static final String TIMEOUT = "timeout";
    public static final String NOT_FOUND = "not_found";
    public static final String MEDIA_REJECTED = "media_rejected";
    public static final String MEDIA_UNAVAILABLE = "media_unavailable";
    public static final String STORAGE_REJECTED = "storage_rejected";
    /** Kafka refused a record of the task (its next ticket, which carries the completed generation) as too large. */
    public static final String RECORD_TOO_LARGE = "record_too_large";
    /**
     * A record of the task cannot be written: its next ticket as JSON (nested too deep, not serialisable; an API answer
     * nested too deep for a ticket is refused as it is read), or by Kafka on every try within the record's bound.
     */
    public static final String RECORD_UNWRITABLE = "record_unwritable";
}
