package io.lumaharvester.provider;

import io.lumaharvester.task.LogSafe;
import java.net.URI;
import java.net.URISyntaxException;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.Base64;
import java.util.Collections;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.Set;
import java.util.concurrent.ConcurrentHashMap;
import java.util.regex.Pattern;

import javax.crypto.Mac;
import javax.crypto.spec.SecretKeySpec;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.node.JsonNodeFactory;
import com.fasterxml.jackson.databind.node.ObjectNode;
import com.fasterxml.jackson.databind.node.TextNode;
import net.thisptr.jackson.jq.exception.JsonQueryException;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * A provider profile compiled once, bound to its deployment's settings: builds the status request, and reads the
 * provider's answers (state, failure, media, event fields) with the profile's jq expressions.
 */
public final class Provider {

    private static final Logger LOG = LoggerFactory.getLogger(Provider.class);
    /** How many distinct unknown states a provider logs (each once); more are only counted. */
    private static final int MAX_LOGGED_STATES = 100;
    private static final long JWT_LIFETIME_S = 1800;
    /** {@code \($base)} or {@code \($id)} in a jq string literal. */
    private static final Pattern INTERPOLATION = Pattern.compile("\\\\\\(\\s*\\$(base|id)\\s*\\)");

    private final String name;
    private final ProviderProfile profile;
    private final ProviderSettings settings;
    private final String baseUrl;
    /** The base URL's scheme, host and port ({@link #origin}): the only place media-auth sends the auth to. */
    private final String baseOrigin;
    private final Pattern taskId;
    private final Jq statusUrl;
    /** status.url as literal text and variables, when it is a plain interpolation of $base and $id; else null. */
    private final List<String> statusUrlTemplate;
    private final Jq envelopeOk;
    private final Jq envelopeMessage;
    private final Jq stateValue;
    private final Set<String> running;
    private final Set<String> succeeded;
    private final Set<String> failed;
    private final Jq failureDetail;
    private final Jq failureRetryable;
    private final Map<String, Jq> media = new LinkedHashMap<>();
    private final Jq mediaRequestUrl;
    private final Jq mediaRequestFailed;
    private final Jq mediaRequestDetail;
    private final Map<String, Jq> event = new LinkedHashMap<>();
    private final Jq callbackTaskId;
    private final Set<String> unknownStatesLogged = ConcurrentHashMap.newKeySet();
    private final UnknownStates unknownStates;
    private final Map<String, String> fixedHeaders;
    private volatile String jwt;
    private volatile long jwtRenewAt;

    /** Counts answers whose state the profile does not list (a metric, wired by whoever builds the provider). */
    @FunctionalInterface
    public interface UnknownStates {
        void seen(String provider);
    }

    /**
     * @throws IllegalArgumentException naming the profile's field and why, when an expression is not jq, a task-id
     *                                  pattern is not a regex, or a setting the profile needs is missing
     */
    public Provider(String name, ProviderProfile profile, ProviderSettings settings, UnknownStates unknownStates) {
        this.name = name;
        this.profile = profile;
        this.settings = settings;
        this.unknownStates = unknownStates;
        String base = settings.baseUrl() != null && !settings.baseUrl().isBlank() ? settings.baseUrl() : profile.baseUrl();
        if (base == null || base.isBlank()) {
            throw new IllegalArgumentException("base-url: the profile names none; set luma.providers." + name
                    + ".base-url");
        }
        this.baseUrl = base.strip().replaceAll("/+$", "");
        this.baseOrigin = origin(baseUrl);
        try {
            this.taskId = Pattern.compile(profile.taskId() == null ? ProviderProfile.DEFAULT_TASK_ID : profile.taskId());
        } catch (java.util.regex.PatternSyntaxException e) {
            throw new IllegalArgumentException("task-id: not a regular expression (" + e.getDescription() + ")");
        }
        this.statusUrl = compile("status.url", profile.status().url());
        this.statusUrlTemplate = plainInterpolation(profile.status().url());
        this.envelopeOk = profile.envelope() == null ? null : compile("envelope.ok", profile.envelope().ok());
        this.envelopeMessage = profile.envelope() == null ? null : compile("envelope.message", profile.envelope().message());
        this.stateValue = compile("state.value", profile.state().value());
        this.running = Set.copyOf(profile.state().running() == null ? List.of() : profile.state().running());
        this.succeeded = Set.copyOf(profile.state().succeeded());
        this.failed = Set.copyOf(profile.state().failed());
        this.failureDetail = profile.failure() == null ? null : compile("failure.detail", profile.failure().detail());
        this.failureRetryable = profile.failure() == null ? null
                : compile("failure.retryable", profile.failure().retryable());
        if (profile.media().isEmpty()) {
            throw new IllegalArgumentException("media: names no role");
        }
        profile.media().forEach((role, expression) -> {
            if (!role.matches("[a-z][a-z0-9_.]{0,31}")) {
                throw new IllegalArgumentException("media." + role + ": a role is 1-32 lower-case letters, digits, "
                        + "'_' or '.', starting with a letter");
            }
            media.put(role, compile("media." + role, expression));
        });
        this.mediaRequestUrl = profile.mediaRequest() == null ? null
                : compile("media-request.url", profile.mediaRequest().url());
        this.mediaRequestFailed = profile.mediaRequest() == null ? null
                : compile("media-request.failed", profile.mediaRequest().failed());
        this.mediaRequestDetail = profile.mediaRequest() == null ? null
                : compile("media-request.detail", profile.mediaRequest().detail());
        if (profile.event() != null) {
            profile.event().forEach((field, expression) -> event.put(field, compile("event." + field, expression)));
        }
        this.callbackTaskId = profile.callbacks() == null ? null
                : compile("callbacks.task-id", profile.callbacks().taskId());
        ProviderProfile.Auth auth = auth();
        switch (auth.type()) {
            case ProviderProfile.Auth.BEARER, ProviderProfile.Auth.NONE -> {
            }
            case ProviderProfile.Auth.HEADER -> {
                if (auth.name() == null || auth.name().isBlank()) {
                    throw new IllegalArgumentException("status.auth.name: a header auth names its header");
                }
            }
            case ProviderProfile.Auth.KLING_JWT -> {
            }
            default -> throw new IllegalArgumentException("status.auth.type: '" + auth.type()
                    + "' is none of bearer, header, kling-jwt, none");
        }
        this.fixedHeaders = fixedHeaders();
    }

    public String name() {
        return name;
    }

    public ProviderProfile profile() {
        return profile;
    }

    public String baseUrl() {
        return baseUrl;
    }

    /** The profile's poll interval in ms; 0 when it names none (luma.poll.interval-ms then). */
    public long pollIntervalMs() {
        return profile.poll() == null || profile.poll().intervalMs() == null ? 0 : profile.poll().intervalMs();
    }

    /** The response header whose value suggests the next poll of a running task; null when none. */
    public String pollAfterHeader() {
        return profile.poll() == null ? null : profile.poll().afterHeader();
    }

    /** {@code seconds} (the default) or {@code milliseconds}: the unit of {@link #pollAfterHeader}'s value. */
    public String pollAfterUnit() {
        return profile.poll() == null || profile.poll().afterUnit() == null ? "seconds" : profile.poll().afterUnit();
    }

    /**
     * The hosts the profile says its media come from (luma.harvest.allowed-hosts' syntax), allowed besides those; with
     * media-auth also the base URL's host and port, where its media are (the API's own, whatever base URL is set).
     */
    public List<String> mediaHosts() {
        List<String> hosts = new ArrayList<>(profile.mediaHosts() == null ? List.of() : profile.mediaHosts());
        if (mediaAuth() && baseOrigin != null) {
            URI base = URI.create(baseOrigin);
            hosts.add(base.getHost() + ":" + base.getPort());
        }
        return hosts;
    }

    /** The profile's media-auth: media on the base URL's own scheme, host and port are fetched with the auth. */
    public boolean mediaAuth() {
        return Boolean.TRUE.equals(profile.mediaAuth());
    }

    /**
     * The headers a media GET to {@code scheme://host:port} sends: the status request's ({@link #requestHeaders}),
     * when the profile says media-auth and that is the base URL's scheme, host and port exactly (a port left out is
     * the scheme's default); none otherwise, so the token never reaches another host, nor one the API redirects to.
     */
    public Map<String, String> mediaHeaders(String scheme, String host, int port) {
        return mediaAuth() && baseOrigin != null && baseOrigin.equals(origin(scheme, host, port)) ? requestHeaders()
                : Map.of();
    }

    /** The URL's {@link #origin(String, String, int)}; null when it is none (then nothing is sent the auth). */
    private static String origin(String url) {
        try {
            URI uri = new URI(url);
            return origin(uri.getScheme(), uri.getHost(), uri.getPort());
        } catch (URISyntaxException e) {
            return null;
        }
    }

    /** {@code scheme://host:port}, lower-case, the default port spelled out; null unless http or https with a host. */
    static String origin(String scheme, String host, int port) {
        if (scheme == null || host == null || host.isEmpty()) {
            return null;
        }
        String s = scheme.toLowerCase(Locale.ROOT);
        int defaultPort = s.equals("https") ? 443 : s.equals("http") ? 80 : -1;
        if (defaultPort < 0) {
            return null;
        }
        // an IPv6 literal: java.net.URI keeps its brackets, HttpClient's authority does not
        String h = host.toLowerCase(Locale.ROOT).replaceAll("^\\[(.*)]$", "$1");
        return s + "://" + (h.contains(":") ? "[" + h + "]" : h) + ":" + (port < 0 ? defaultPort : port);
    }

    public boolean acceptsTaskId(String id) {
        return id != null && taskId.matcher(id).matches();
    }

    public String taskIdPattern() {
        return taskId.pattern();
    }

    /** The secrets this provider's auth needs and does not have, by setting name; empty when it can authenticate. */
    public List<String> missingSecrets() {
        List<String> missing = new ArrayList<>();
        switch (auth().type()) {
            case ProviderProfile.Auth.BEARER, ProviderProfile.Auth.HEADER -> {
                if (blank(settings.token())) {
                    missing.add("luma.providers." + name + ".token");
                }
            }
            case ProviderProfile.Auth.KLING_JWT -> {
                for (String secret : List.of("access-key", "secret-key")) {
                    if (blank(settings.secret(secret))) {
                        missing.add("luma.providers." + name + "." + secret);
                    }
                }
            }
            default -> {
            }
        }
        return missing;
    }

    /**
     * The status request's URL for task {@code id}. A status.url that only interpolates {@code $base} and {@code $id}
     * into literal text (every built-in's) is filled in without jq: the same text, at a fraction of a jq evaluation's
     * cost, on every poll.
     */
    public String statusUrl(String id, JsonNode metadata) {
        String url;
        if (statusUrlTemplate != null) {
            StringBuilder out = new StringBuilder(128);
            for (int i = 0; i < statusUrlTemplate.size(); i++) {
                String part = statusUrlTemplate.get(i);
                // odd places hold a variable's name
                out.append(i % 2 == 0 ? part : "base".equals(part) ? baseUrl : id == null ? "" : id);
            }
            url = out.toString();
        } else {
            JsonNode value = evaluate(statusUrl, JsonNodeFactory.instance.objectNode(), variables(id, metadata));
            url = value == null || !value.isTextual() ? null : value.textValue();
        }
        if (url == null || url.isBlank()) {
            throw new IllegalStateException("provider " + name + ": status.url gave no URL for task " + id);
        }
        return url;
    }

    /**
     * A jq string literal such as {@code "\($base)/v1/tasks/\($id)"} as its parts: literal text at even places,
     * a variable's name ({@code base} or {@code id}) at odd ones. Null for any other expression, and for a literal
     * with an escape or a quote in its text, which jq reads.
     */
    static List<String> plainInterpolation(String expression) {
        String literal = expression == null ? "" : expression.strip();
        if (literal.length() < 2 || literal.charAt(0) != '"' || literal.charAt(literal.length() - 1) != '"') {
            return null;
        }
        String text = literal.substring(1, literal.length() - 1);
        List<String> parts = new ArrayList<>();
        java.util.regex.Matcher variable = INTERPOLATION.matcher(text);
        int at = 0;
        while (variable.find()) {
            parts.add(text.substring(at, variable.start()));
            parts.add(variable.group(1));
            at = variable.end();
        }
        parts.add(text.substring(at));
        for (int i = 0; i < parts.size(); i += 2) {
            if (parts.get(i).indexOf('\\') >= 0 || parts.get(i).indexOf('"') >= 0) {
                return null;
            }
        }
        return List.copyOf(parts);
    }

    /** The headers every request to the provider carries: its auth and the profile's extra headers. */
    public Map<String, String> requestHeaders() {
        if (!ProviderProfile.Auth.KLING_JWT.equals(auth().type())) {
            return fixedHeaders;
        }
        // the JWT is renewed before it ends: the only header that changes
        Map<String, String> headers = new LinkedHashMap<>(fixedHeaders);
        headers.put("Authorization", "Bearer " + klingJwt());
        return headers;
    }

    /** The profile's extra headers and a token auth's header: the same for every request, built once. */
    private Map<String, String> fixedHeaders() {
        Map<String, String> headers = new LinkedHashMap<>();
        if (profile.status().headers() != null) {
            headers.putAll(profile.status().headers());
        }
        ProviderProfile.Auth auth = auth();
        switch (auth.type()) {
            case ProviderProfile.Auth.BEARER -> headers.put("Authorization", "Bearer " + settings.token());
            case ProviderProfile.Auth.HEADER -> headers.put(auth.name(),
                    (auth.prefix() == null ? "" : auth.prefix()) + settings.token());
            default -> {
            }
        }
        return Collections.unmodifiableMap(headers);
    }

    /** What one status answer says. */
    public ProviderAnswer read(String id, JsonNode metadata, JsonNode answer) {
        if (answer == null || answer.isMissingNode() || answer.isNull()) {
            return ProviderAnswer.invalid("the answer is not JSON");
        }
        Map<String, JsonNode> variables = variables(id, metadata);
        if (envelopeOk != null) {
            JsonNode ok = evaluate(envelopeOk, answer, variables);
            if (ok == null || !ok.asBoolean(false)) {
                JsonNode message = envelopeMessage == null ? null : evaluate(envelopeMessage, answer, variables);
                return ProviderAnswer.invalid("the answer's envelope says it is not ok"
                        + (message == null ? "" : ": " + text(message)));
            }
        }
        JsonNode value = evaluate(stateValue, answer, variables);
        if (value == null || !value.isValueNode()) {
            return ProviderAnswer.invalid("the answer holds no state");
        }
        String state = value.asText();
        if (succeeded.contains(state)) {
            String mediaRequest = null;
            if (mediaRequestUrl != null) {
                mediaRequest = namedMediaRequestUrl(answer, variables);
                if (mediaRequest == null) {
                    return ProviderAnswer.invalid("the answer says " + state + " but names no media-request URL");
                }
                // it goes with the provider's auth: only to the provider's own API (a forged answer must not be able
                // to send the token elsewhere)
                if (baseOrigin == null || !baseOrigin.equals(origin(mediaRequest))) {
                    return ProviderAnswer.invalid("the answer says " + state + " but its media-request URL is not on "
                            + "the provider's API (" + baseOrigin + "); not requested");
                }
            }
            return new ProviderAnswer(ProviderAnswer.Outcome.SUCCEEDED, state, null, false, mediaRequest, null);
        }
        if (failed.contains(state)) {
            JsonNode detail = failureDetail == null ? null : evaluate(failureDetail, answer, variables);
            JsonNode retryable = failureRetryable == null ? null : evaluate(failureRetryable, answer, variables);
            return new ProviderAnswer(ProviderAnswer.Outcome.FAILED, state, detail == null ? null : text(detail),
                    retryable != null && retryable.asBoolean(false), null, null);
        }
        if (!running.contains(state)) {
            unknownStates.seen(name);
            if (unknownStatesLogged.size() < MAX_LOGGED_STATES && unknownStatesLogged.add(state)) {
                LOG.warn("task {}: provider {} answered state '{}', in none of its profile's lists; it counts as running "
                        + "(logged once per provider and state)", id, name, LogSafe.text(state));
            }
        }
        return new ProviderAnswer(ProviderAnswer.Outcome.RUNNING, state, null, false, null, null);
    }

    /**
     * The media-request URL an answer names as its profile reads it, before any check; null when it names none (or the
     * profile has no media-request). {@link #read} sends nothing off the provider's API; a stand-in serving a
     * documented answer from elsewhere uses this to find the URL it replaces.
     */
    public String namedMediaRequestUrl(String id, JsonNode metadata, JsonNode answer) {
        return mediaRequestUrl == null || answer == null ? null : namedMediaRequestUrl(answer, variables(id, metadata));
    }

    private String namedMediaRequestUrl(JsonNode answer, Map<String, JsonNode> variables) {
        JsonNode url = evaluate(mediaRequestUrl, answer, variables);
        return url == null || !url.isTextual() || url.textValue().isBlank() ? null : url.textValue();
    }

    /**
     * Why the task failed, when the media request's {@code answer} says it did (the profile's
     * {@code media-request.failed}); null when it does not say so, or the profile has no such rule.
     */
    public String mediaRequestFailure(String id, JsonNode metadata, JsonNode answer) {
        if (mediaRequestFailed == null || answer == null || !answer.isContainerNode()) {
            return null;
        }
        Map<String, JsonNode> variables = variables(id, metadata);
        JsonNode failed = evaluate(mediaRequestFailed, answer, variables);
        if (failed == null || !failed.asBoolean(false)) {
            return null;
        }
        JsonNode detail = mediaRequestDetail == null ? null : evaluate(mediaRequestDetail, answer, variables);
        return detail == null ? "the provider's result says the task failed" : text(detail);
    }

    /** The media URLs of a completed task's {@code generation}, by role in the profile's order. */
    public List<MediaUrl> media(String id, JsonNode metadata, JsonNode generation) {
        List<MediaUrl> urls = new ArrayList<>();
        if (generation == null) {
            return urls;
        }
        Map<String, JsonNode> variables = variables(id, metadata);
        media.forEach((role, expression) -> {
            for (JsonNode value : evaluateAll(expression, generation, variables)) {
                MediaUrl url = mediaUrl(role, value);
                if (url != null) {
                    urls.add(url);
                }
            }
        });
        return urls;
    }

    /** An event field the profile names ({@code prompt}, {@code aspect_ratio}), as text; null when absent. */
    public String eventField(String field, String id, JsonNode metadata, JsonNode generation) {
        Jq expression = event.get(field);
        if (expression == null || generation == null) {
            return null;
        }
        JsonNode value = evaluate(expression, generation, variables(id, metadata));
        return value == null ? null : text(value);
    }

    /** The task a callback body names; null when it names none (or the profile takes no callbacks). */
    public String callbackTaskId(JsonNode body) {
        if (callbackTaskId == null || body == null) {
            return null;
        }
        JsonNode id = evaluate(callbackTaskId, body, variables("", null));
        return id == null || !id.isValueNode() ? null : id.asText();
    }

    private ProviderProfile.Auth auth() {
        ProviderProfile.Auth auth = profile.status().auth();
        return auth == null ? new ProviderProfile.Auth(ProviderProfile.Auth.BEARER, null, null) : auth;
    }

    private static MediaUrl mediaUrl(String role, JsonNode value) {
        if (value.isTextual()) {
            return value.textValue().isBlank() ? null : new MediaUrl(role, value.textValue(), null, null, null);
        }
        if (!value.isObject()) {
            return null;
        }
        // url: a URL, or a list of candidates of which the first that is not blank counts (download_url, else url)
        JsonNode url = value.get("url");
        String chosen = null;
        for (JsonNode candidate : url == null ? List.<JsonNode>of() : url.isArray() ? url : List.of(url)) {
            if (candidate.isTextual() && !candidate.textValue().isBlank()) {
                chosen = candidate.textValue();
                break;
            }
        }
        return chosen == null ? null : new MediaUrl(role, chosen, integer(value.get("width")),
                integer(value.get("height")), number(value.get("duration")));
    }

    private JsonNode evaluate(Jq expression, JsonNode input, Map<String, JsonNode> variables) {
        try {
            return expression.first(input, variables);
        } catch (JsonQueryException e) {
            // an answer of another shape than the profile expects: the expression yields nothing
            LOG.debug("provider {}: {} failed on an answer: {}", name, expression, e.getMessage());
            return null;
        }
    }

    private List<JsonNode> evaluateAll(Jq expression, JsonNode input, Map<String, JsonNode> variables) {
        try {
            return expression.all(input, variables);
        } catch (JsonQueryException e) {
            LOG.debug("provider {}: {} failed on an answer: {}", name, expression, e.getMessage());
            return List.of();
        }
    }

    private Map<String, JsonNode> variables(String id, JsonNode metadata) {
        return Map.of("id", TextNode.valueOf(id == null ? "" : id), "base", TextNode.valueOf(baseUrl),
                "metadata", metadata == null ? JsonNodeFactory.instance.objectNode() : metadata);
    }

    private Jq compile(String field, String expression) {
        if (expression == null) {
            return null;
        }
        try {
            return Jq.compile(profile.functions() == null ? expression : profile.functions() + " " + expression);
        } catch (IllegalArgumentException e) {
            throw new IllegalArgumentException(field + ": " + e.getMessage(), e);
        }
    }

    /** Kling's HS256 JWT: issued by the access key, valid 30 minutes, signed with the secret key; renewed early. */
    private String klingJwt() {
        long now = System.currentTimeMillis() / 1000;
        String token = jwt;
        if (token != null && now < jwtRenewAt) {
            return token;
        }
        synchronized (this) {
            if (jwt != null && now < jwtRenewAt) {
                return jwt;
            }
            ObjectNode header = JsonNodeFactory.instance.objectNode().put("alg", "HS256").put("typ", "JWT");
            ObjectNode claims = JsonNodeFactory.instance.objectNode().put("iss", settings.secret("access-key"))
                    .put("exp", now + JWT_LIFETIME_S).put("nbf", now - 5);
            Base64.Encoder b64 = Base64.getUrlEncoder().withoutPadding();
            String unsigned = b64.encodeToString(header.toString().getBytes(StandardCharsets.UTF_8)) + "."
                    + b64.encodeToString(claims.toString().getBytes(StandardCharsets.UTF_8));
            try {
                Mac mac = Mac.getInstance("HmacSHA256");
                mac.init(new SecretKeySpec(settings.secret("secret-key").getBytes(StandardCharsets.UTF_8),
                        "HmacSHA256"));
                jwt = unsigned + "." + b64.encodeToString(mac.doFinal(unsigned.getBytes(StandardCharsets.US_ASCII)));
            } catch (java.security.GeneralSecurityException e) {
                throw new IllegalStateException("HmacSHA256 is not available", e);
            }
            jwtRenewAt = now + JWT_LIFETIME_S - 300;
            return jwt;
        }
    }

    private static String text(JsonNode value) {
        return value.isTextual() ? value.textValue() : value.toString();
    }

    private static boolean blank(String value) {
        return value == null || value.isBlank();
    }

    private static Integer integer(JsonNode node) {
        return node != null && node.isNumber() ? node.intValue() : null;
    }

    private static Double number(JsonNode node) {
        return node != null && node.isNumber() ? node.doubleValue() : null;
    }
}
