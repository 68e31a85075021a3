package io.lumaharvester.provider;

import java.util.List;
import java.util.Map;

import com.fasterxml.jackson.annotation.JsonProperty;

/**
 * A provider profile as its YAML file says it (docs/providers.md; JSON Schema
 * {@code schema/provider-profile.schema.json}). Every expression is jq over the provider's JSON answer, with
 * {@code $id}, {@code $base} and {@code $metadata}, after the profile's own jq {@code functions} (definitions
 * its expressions share); {@link Provider} compiles them.
 */
public record ProviderProfile(
        @JsonProperty("description") String description,
        @JsonProperty("base-url") String baseUrl,
        @JsonProperty("task-id") String taskId,
        @JsonProperty("functions") String functions,
        @JsonProperty(value = "status", required = true) Status status,
        @JsonProperty("envelope") Envelope envelope,
        @JsonProperty(value = "state", required = true) State state,
        @JsonProperty("failure") FailureRule failure,
        @JsonProperty(value = "media", required = true) Map<String, String> media,
        @JsonProperty("media-request") MediaRequest mediaRequest,
        @JsonProperty("media-auth") Boolean mediaAuth,
        @JsonProperty("media-hosts") List<String> mediaHosts,
        @JsonProperty("event") Map<String, String> event,
        @JsonProperty("poll") Poll poll,
        @JsonProperty("callbacks") Callbacks callbacks) {

    /** Task ids a profile accepts when it names no pattern of its own. */
    public static final String DEFAULT_TASK_ID = "[A-Za-z0-9_-]{1,128}";

    /** The status request: a GET of {@code url} (jq) with the provider's auth and {@code headers}. */
    public record Status(
            @JsonProperty(value = "url", required = true) String url,
            @JsonProperty("auth") Auth auth,
            @JsonProperty("headers") Map<String, String> headers) {
    }

    /**
     * How requests authenticate: {@code bearer} (the token), {@code header} ({@code name}: {@code prefix} + the token),
     * {@code kling-jwt} (an HS256 JWT from the access key and secret key, as Bearer), or {@code none}.
     */
    public record Auth(
            @JsonProperty(value = "type", required = true) String type,
            @JsonProperty("name") String name,
            @JsonProperty("prefix") String prefix) {

        public static final String BEARER = "bearer";
        public static final String HEADER = "header";
        public static final String KLING_JWT = "kling-jwt";
        public static final String NONE = "none";
    }

    /** An answer whose envelope is not {@code ok} is a poll error (the task polls again), not a task failure. */
    public record Envelope(
            @JsonProperty(value = "ok", required = true) String ok,
            @JsonProperty("message") String message) {
    }

    /** The task's state: {@code value} (jq) and which values mean what; any other value counts as running. */
    public record State(
            @JsonProperty(value = "value", required = true) String value,
            @JsonProperty("running") List<String> running,
            @JsonProperty(value = "succeeded", required = true) List<String> succeeded,
            @JsonProperty(value = "failed", required = true) List<String> failed) {
    }

    /** What a failed task's event says: {@code detail} (jq), and whether a new attempt may succeed. */
    public record FailureRule(
            @JsonProperty("detail") String detail,
            @JsonProperty("retryable") String retryable) {
    }

    /**
     * A second GET after the task succeeded, at {@code url} (jq over the status answer), whose answer holds the media;
     * {@code failed} (jq over that answer, whatever its HTTP status) says the task failed there after all, as fal's
     * result does for a request its status calls COMPLETED, and {@code detail} says why.
     */
    public record MediaRequest(
            @JsonProperty(value = "url", required = true) String url,
            @JsonProperty("failed") String failed,
            @JsonProperty("detail") String detail) {
    }

    /** Poll hints: the provider's own interval, and a response header that suggests the next poll. */
    public record Poll(
            @JsonProperty("interval-ms") Long intervalMs,
            @JsonProperty("after-header") String afterHeader,
            @JsonProperty("after-unit") String afterUnit) {
    }

    /** Callbacks: which task a callback body names ({@code task-id}, jq), and how a callback is verified. */
    public record Callbacks(
            @JsonProperty(value = "task-id", required = true) String taskId,
            @JsonProperty(value = "verify", required = true) String verify) {

        public static final String TOKEN = "token";
        public static final String STANDARD_WEBHOOKS = "standard-webhooks";
        public static final String FAL_ED25519 = "fal-ed25519";
        public static final String VIDU_HMAC = "vidu-hmac";
    }
}
