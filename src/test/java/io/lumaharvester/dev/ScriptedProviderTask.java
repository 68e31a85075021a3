package io.lumaharvester.dev;

import java.net.URI;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.UUID;
import java.util.concurrent.ThreadLocalRandom;

import com.github.tomakehurst.wiremock.client.ResponseDefinitionBuilder;
import com.github.tomakehurst.wiremock.verification.LoggedRequest;
import io.lumaharvester.provider.Provider;
import io.lumaharvester.provider.ProviderSettings;

/**
 * A task of luma-aggregator, luma-official, fal or minimax whose answers a fault table scripts on the API stand-in
 * (WireMock, which can answer faults): luma-aggregator's are the seed's, the others' their documented answers (the
 * fixtures), at the paths their profiles name, each requiring the provider's auth. A two-step provider (fal, MiniMax)
 * has a second request, the media request, scripted apart. The media are served by the CDN stand-in.
 */
public final class ScriptedProviderTask {

    public static final String TOKEN = "provider-token-3d9f";
    private static final ProviderStandIn ANSWERS = ProviderStandIn.startForTheRun();

    public final String provider;
    public final String taskId;
    /** The record that starts the task on luma.tasks. */
    public final String record;
    public final String statusPath;
    /** The two-step provider's media request (with its query); null for the others. */
    public final String mediaPath;
    /** Each served file by its role, and its URL. */
    public final Map<String, CdnStandIn.MediaFile> byRole;
    public final Map<String, String> urlByRole;
    private final ResponseDefinitionBuilder running;
    private final ResponseDefinitionBuilder succeeded;
    private final ResponseDefinitionBuilder media;
    private final Map<String, String> headers;
    private final LumaApiStandIn api;

    private ScriptedProviderTask(String provider, String taskId, String record, String statusPath, String mediaPath,
            Map<String, CdnStandIn.MediaFile> byRole, Map<String, String> urlByRole, ResponseDefinitionBuilder running,
            ResponseDefinitionBuilder succeeded, ResponseDefinitionBuilder media, Map<String, String> headers,
            LumaApiStandIn api) {
        this.provider = provider;
        this.taskId = taskId;
        this.record = record;
        this.statusPath = statusPath;
        this.mediaPath = mediaPath;
        this.byRole = byRole;
        this.urlByRole = urlByRole;
        this.running = running;
        this.succeeded = succeeded;
        this.media = media;
        this.headers = headers;
        this.api = api;
    }

    private static String baseUrl(StandIns standIns, String provider) {
        return standIns.api.baseUrl() + ("fal".equals(provider) ? "/fal-ai/kling-video" : "");
    }

    /** The settings that point luma-official, fal and minimax at the API stand-in, with their token. */
    public static Map<String, String> settings(StandIns standIns) {
        Map<String, String> settings = new LinkedHashMap<>();
        for (String provider : List.of("luma-official", "fal", "minimax")) {
            settings.put("luma.providers." + provider + ".base-url", baseUrl(standIns, provider));
            settings.put("luma.providers." + provider + ".token", TOKEN);
        }
        return settings;
    }

    /** A new task of {@code provider} (its own id format), its video {@code videoBytes}; nothing scripted yet. */
    public static ScriptedProviderTask of(StandIns standIns, String provider, String prefix, long videoBytes) {
        if ("luma-aggregator".equals(provider)) {
            String taskId = prefix + "-" + UUID.randomUUID();
            LumaApiStandIn.ServedMedia served = standIns.api.completedMedia(taskId, videoBytes);
            return new ScriptedProviderTask(provider, taskId, taskId, LumaApiStandIn.PATH + taskId, null,
                    served.byRole(), served.urlByRole(),
                    LumaApiStandIn.json(LumaApiStandIn.runningBody(taskId, "processing")),
                    LumaApiStandIn.json(LumaApiStandIn.completedBody(served)), null,
                    Map.of("Authorization", "Bearer " + StandIns.TOKEN), standIns.api);
        }
        String taskId = switch (provider) {
            case "luma-official" -> UUID.randomUUID().toString();
            case "minimax" -> String.valueOf(ThreadLocalRandom.current().nextLong(100_000_000_000_000L,
                    999_999_999_999_999L));
            default -> prefix + "-" + UUID.randomUUID();
        };
        Provider profile = ProviderStandIn.builtIn(provider, new ProviderSettings(baseUrl(standIns, provider), TOKEN,
                Map.of()));
        ProviderStandIn.Answers answers = ANSWERS.answers(profile, taskId, null, standIns.api.baseUrl(), videoBytes);
        Map<String, CdnStandIn.MediaFile> byRole = new LinkedHashMap<>();
        Map<String, String> urlByRole = new LinkedHashMap<>();
        answers.filesByUrl().forEach((url, file) -> {
            // the stand-in serves each file at /<task>/<role>-<n>.<extension>
            String name = URI.create(url).getPath().substring(taskId.length() + 2);
            String role = name.substring(0, name.lastIndexOf('-'));
            byRole.putIfAbsent(role, file);
            urlByRole.putIfAbsent(role, url);
        });
        return new ScriptedProviderTask(provider, taskId,
                "{\"task_id\":\"" + taskId + "\",\"provider\":\"" + provider + "\"}", answers.statusPath(),
                answers.mediaPath(), byRole, urlByRole,
                json("fal".equals(provider) ? 202 : 200, answers.running()), json(200, answers.succeeded()),
                answers.media() == null ? null : json(200, answers.media()), profile.requestHeaders(),
                standIns.api);
    }

    private static ResponseDefinitionBuilder json(int status, String body) {
        return com.github.tomakehurst.wiremock.client.WireMock.aResponse().withStatus(status)
                .withHeader("Content-Type", "application/json").withBody(body);
    }

    /** The task's running answer, in its provider's shape (fal: 202). */
    public ResponseDefinitionBuilder running() {
        return running;
    }

    /**
     * The status GET answers {@code first}, then the provider's succeeded answer (repeated); a two-step provider's
     * media request answers {@code firstMedia}, then its media answer (repeated).
     */
    public void answers(List<ResponseDefinitionBuilder> first, List<ResponseDefinitionBuilder> firstMedia) {
        List<ResponseDefinitionBuilder> status = new ArrayList<>(first);
        status.add(succeeded);
        api.answerAt(statusPath, headers, status);
        if (mediaPath != null) {
            List<ResponseDefinitionBuilder> second = new ArrayList<>(firstMedia);
            second.add(media);
            api.answerAt(mediaPath, headers, second);
        } else if (!firstMedia.isEmpty()) {
            throw new IllegalArgumentException(provider + " has no media request");
        }
    }

    public List<LoggedRequest> statusRequests() {
        return api.requestsAt(statusPath);
    }

    public List<LoggedRequest> mediaRequests() {
        return mediaPath == null ? List.of() : api.requestsAt(mediaPath);
    }

    /** A body in the shape of the provider's status answer: its state field holding {@code state}. */
    public String statusBody(String state) {
        return switch (provider) {
            case "fal", "minimax" -> "{\"status\":\"" + state + "\"}";
            default -> "{\"state\":\"" + state + "\"}";
        };
    }
}
