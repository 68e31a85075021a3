package io.lumaharvester.callback;

import java.util.LinkedHashMap;
import java.util.Map;

import com.fasterxml.jackson.core.JsonProcessingException;
import com.fasterxml.jackson.databind.ObjectMapper;

/**
 * What a callback means ({@link Callbacks#check}): its outcome, the provider it was posted for, the task it names, the
 * key it is deduplicated by, and the HTTP status it is answered with. The route branches on {@link #outcome()}.
 */
public record CallbackCheck(String outcome, String provider, String taskId, String deliveryKey, String why) {

    /** The task runs: its next poll becomes due now (a wake record on the polling topic). */
    public static final String WOKEN = "woken";
    /** Verified, but no task of this harvester runs under the id it names: ignored. */
    public static final String UNKNOWN = "unknown";
    /** Verified, naming a task never seen, with luma.callbacks.start-unknown=true: a task record as a sender's. */
    public static final String STARTED = "started";
    /** Not verified (or posted for no provider that takes callbacks): 401, and nothing else happens. */
    public static final String REFUSED = "refused";
    /** A delivery taken already (the same webhook-id, or the same body): 200, nothing happens again. */
    public static final String DUPLICATE = "duplicate";
    /** Over luma.callbacks.max-per-second: 429, the provider sends it again later. */
    public static final String LIMITED = "limited";

    private static final ObjectMapper JSON = new ObjectMapper();

    static CallbackCheck refused(String provider, String why) {
        return new CallbackCheck(REFUSED, provider, null, null, why);
    }

    /** This check, now known to be a delivery taken already. */
    public CallbackCheck duplicate() {
        return new CallbackCheck(DUPLICATE, provider, taskId, deliveryKey, why);
    }

    /** The HTTP status the callback is answered with. */
    public int status() {
        return switch (outcome) {
            case WOKEN, UNKNOWN, STARTED -> 202;
            case DUPLICATE -> 200;
            case LIMITED -> 429;
            default -> 401;
        };
    }

    /** Whether the callback was verified, and so is deduplicated and may write a record. */
    public boolean verified() {
        return !REFUSED.equals(outcome) && !LIMITED.equals(outcome);
    }

    /** The task record a sender would write for the task ({@link #STARTED}): its id and provider. */
    public String taskRecord() throws JsonProcessingException {
        Map<String, String> record = new LinkedHashMap<>();
        record.put("task_id", taskId);
        record.put("provider", provider);
        return JSON.writeValueAsString(record);
    }
}
