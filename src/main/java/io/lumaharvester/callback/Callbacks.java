package io.lumaharvester.callback;

import java.io.IOException;
import java.net.URI;
import java.time.Clock;
import java.util.Locale;
import java.util.Map;
import java.util.concurrent.ConcurrentHashMap;
import java.util.function.Function;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import io.lumaharvester.task.LogSafe;
import io.lumaharvester.intake.TaskState;
import io.lumaharvester.intake.TaskStates;
import io.lumaharvester.provider.Provider;
import io.lumaharvester.provider.ProviderProfile;
import io.lumaharvester.provider.Providers;
import io.lumaharvester.provider.UnknownProviderException;
import org.apache.camel.Body;
import org.apache.camel.Exchange;
import org.apache.camel.Header;
import org.apache.camel.Headers;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * What a callback posted to {@code /callbacks/{provider}} means ({@link #check}): verified by its provider's scheme
 * ({@code callbacks.verify} of the profile), the task it names ({@code callbacks.task-id}), and whether that task
 * runs (asked of {@link TaskStates}, which follows every instance's tasks). A callback is only a signal: its state and
 * media are never read, the status GET stays the source of truth.
 */
public class Callbacks {

    private static final Logger LOG = LoggerFactory.getLogger(Callbacks.class);
    private static final ObjectMapper JSON = new ObjectMapper();
    private static final String PATH = "/callbacks/";

    private final Providers providers;
    private final TaskStates taskStates;
    private final Function<String, String> settings;
    private final boolean startUnknown;
    private final Clock clock;
    private final Map<String, CallbackVerifier> verifiers = new ConcurrentHashMap<>();

    /**
     * {@code settings}: a setting's value or null (luma.callbacks.token, luma.callbacks.fal-jwks-url and the
     * providers' secrets, read when a provider's first callback arrives).
     */
    public Callbacks(Providers providers, TaskStates taskStates, Function<String, String> settings,
            boolean startUnknown, Clock clock) {
        this.providers = providers;
        this.taskStates = taskStates;
        this.settings = settings;
        this.startUnknown = startUnknown;
        this.clock = clock;
    }

    /**
     * The callback's meaning. {@code path} and {@code rawQuery} are the request's as platform-http gives them
     * (CamelHttpPath, CamelHttpRawQuery: set by Camel, never from a request header); the provider is the path's last
     * segment, not a path parameter header, which a request header of the same name could shadow.
     */
    public CallbackCheck check(@Header(Exchange.HTTP_METHOD) String method, @Header(Exchange.HTTP_PATH) String path,
            @Header(Exchange.HTTP_RAW_QUERY) String rawQuery, @Headers Map<String, Object> headers,
            @Body byte[] body) {
        String name = providerOf(path);
        Provider provider;
        try {
            provider = providers.get(name);
        } catch (UnknownProviderException e) {
            return refused(name, "no such provider");
        }
        ProviderProfile.Callbacks callbacks = provider.profile().callbacks();
        if (callbacks == null) {
            return refused(name, "its profile takes no callbacks");
        }
        byte[] bytes = body == null ? new byte[0] : body;
        CallbackRequest request = new CallbackRequest(method == null ? "POST" : method, pathOf(path), rawQuery,
                header -> text(headers.get(header)), bytes);
        Verification verification = verifiers.computeIfAbsent(name, n -> verifier(n, callbacks.verify()))
                .verify(request);
        if (!verification.verified()) {
            return refused(name, verification.why());
        }
        String deliveryKey = name + ":" + (verification.deliveryId() != null ? "id:" + verification.deliveryId()
                : "sha256:" + FalEd25519Verifier.sha256Hex(bytes));
        String taskId;
        try {
            taskId = provider.callbackTaskId(JSON.readTree(bytes));
        } catch (IOException | RuntimeException e) {
            taskId = null;
        }
        if (taskId == null || !provider.acceptsTaskId(taskId)) {
            LOG.info("callback for {}: it names no task this provider's ids allow ({}), ignored", name,
                    taskId == null ? "none" : LogSafe.text(taskId));
            return new CallbackCheck(CallbackCheck.UNKNOWN, name, null, deliveryKey, "no task id");
        }
        TaskState state = taskStates.state(taskId);
        if (state != null && state.running()) {
            return new CallbackCheck(CallbackCheck.WOKEN, name, taskId, deliveryKey, null);
        }
        // an ended task is never started again by a callback: a late "completed" would publish its event again
        if (state == null && startUnknown) {
            return new CallbackCheck(CallbackCheck.STARTED, name, taskId, deliveryKey, null);
        }
        LOG.info("callback for {} names task {}, which {}: ignored", name, LogSafe.text(taskId),
                state == null ? "is not known here" : "has ended");
        return new CallbackCheck(CallbackCheck.UNKNOWN, name, taskId, deliveryKey,
                state == null ? "not known" : "ended");
    }

    private CallbackCheck refused(String provider, String why) {
        LOG.warn("callback for {} refused: {}", LogSafe.text(provider), why);
        return CallbackCheck.refused(provider, why);
    }

    /** A callback over luma.callbacks.max-per-second, before it was read. */
    public CallbackCheck limited(@Header(Exchange.HTTP_PATH) String path) {
        return new CallbackCheck(CallbackCheck.LIMITED, providerOf(path), null, null, "over the rate");
    }

    private CallbackVerifier verifier(String provider, String scheme) {
        String prefix = "luma.providers." + provider + ".";
        return switch (scheme) {
            case ProviderProfile.Callbacks.TOKEN -> new TokenVerifier(settings.apply("luma.callbacks.token"));
            case ProviderProfile.Callbacks.STANDARD_WEBHOOKS ->
                    new StandardWebhooksVerifier(settings.apply(prefix + "callback-secret"), clock);
            case ProviderProfile.Callbacks.FAL_ED25519 ->
                    new FalEd25519Verifier(new JwksKeys(URI.create(settings.apply("luma.callbacks.fal-jwks-url")),
                            clock), clock);
            // the doc: the key is "the token used when creating the task"; a callback secret set wins
            case ProviderProfile.Callbacks.VIDU_HMAC -> new ViduHmacVerifier(
                    settings.apply(prefix + "callback-secret") != null ? settings.apply(prefix + "callback-secret")
                            : settings.apply(prefix + "token"), clock);
            default -> request -> Verification.refused("unknown verify scheme " + scheme);
        };
    }

    /** The provider's name: the path's segment after /callbacks/ (the route takes no other path). */
    static String providerOf(String path) {
        String full = pathOf(path);
        int at = full.indexOf(PATH);
        String name = at < 0 ? full : full.substring(at + PATH.length());
        return name.toLowerCase(Locale.ROOT);
    }

    /** platform-http's CamelHttpPath, always from the root. */
    private static String pathOf(String path) {
        return path == null ? "/" : path.startsWith("/") ? path : "/" + path;
    }

    private static String text(Object value) {
        return value == null ? null : value instanceof Iterable<?> ? null : value.toString();
    }
}
