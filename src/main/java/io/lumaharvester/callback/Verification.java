package io.lumaharvester.callback;

/**
 * A verifier's answer: verified or not, why not (for the log; never sent back), and for a verified callback the id
 * its sender gives a delivery and keeps on retries (Standard Webhooks' webhook-id), or null: callbacks are then
 * deduplicated by their body's SHA-256.
 */
public record Verification(boolean verified, String why, String deliveryId) {

    public static Verification passed(String deliveryId) {
        return new Verification(true, null, deliveryId);
    }

    public static Verification refused(String why) {
        return new Verification(false, why, null);
    }
}
