package io.lumaharvester.provider;

/**
 * What one status answer says about its task, as the provider's profile reads it: {@code outcome}, the provider's
 * {@code state} text, and for a failed task its {@code failureDetail} and whether a new attempt may succeed; for a task
 * whose media come from a second request, its {@code mediaRequestUrl}. {@code invalidWhy} says why an answer could not
 * be read (an envelope that is not ok, no state).
 */
public record ProviderAnswer(Outcome outcome, String state, String failureDetail, boolean retryable,
        String mediaRequestUrl, String invalidWhy) {

    public enum Outcome { RUNNING, SUCCEEDED, FAILED, INVALID }

    static ProviderAnswer invalid(String why) {
        return new ProviderAnswer(Outcome.INVALID, null, null, false, null, why);
    }
}
