package io.lumaharvester.dev;

import static com.github.tomakehurst.wiremock.client.WireMock.aResponse;
import static com.github.tomakehurst.wiremock.client.WireMock.equalTo;
import static com.github.tomakehurst.wiremock.client.WireMock.get;
import static com.github.tomakehurst.wiremock.client.WireMock.getRequestedFor;
import static com.github.tomakehurst.wiremock.client.WireMock.urlEqualTo;
import static com.github.tomakehurst.wiremock.client.WireMock.urlPathEqualTo;
import static com.github.tomakehurst.wiremock.core.WireMockConfiguration.options;

import java.io.IOException;
import java.io.InputStream;
import java.io.UncheckedIOException;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.node.ObjectNode;
import com.github.tomakehurst.wiremock.WireMockServer;
import com.github.tomakehurst.wiremock.client.ResponseDefinitionBuilder;
import com.github.tomakehurst.wiremock.stubbing.Scenario;
import com.github.tomakehurst.wiremock.verification.LoggedRequest;

/**
 * Stands in for the aggregator's Luma API. A task answers a sequence of responses, one per poll, the last one
 * repeated: states built from the seed sample (whose media URLs are rewritten to the {@link CdnStandIn}), or any
 * raw response for faults.
 */
public final class LumaApiStandIn implements AutoCloseable {

    public static final String SEED = "/seed/luma-generation-completed.json";
    public static final String PATH = "/luma/generations/";

    private static final ObjectMapper JSON = new ObjectMapper();

    /** The media of one completed task as served by the CDN stand-in, by role. */
    public record ServedMedia(String taskId, Map<String, CdnStandIn.MediaFile> byRole, Map<String, String> urlByRole) {
    }

    private final WireMockServer server;
    private final CdnStandIn cdn;

    private LumaApiStandIn(WireMockServer server, CdnStandIn cdn) {
        this.server = server;
        this.cdn = cdn;
    }

    public static LumaApiStandIn start(String host, int port, CdnStandIn cdn) {
        WireMockServer server = new WireMockServer(options().bindAddress(host).port(port)
                .containerThreads(16).jettyAcceptors(1));
        server.start();
        return new LumaApiStandIn(server, cdn);
    }

    public String baseUrl() {
        return "http://127.0.0.1:" + server.port();
    }

    /** The seed sample exactly as shipped. */
    public static ObjectNode seed() {
        try (InputStream in = LumaApiStandIn.class.getResourceAsStream(SEED)) {
            return (ObjectNode) JSON.readTree(in);
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
    }

    /**
     * The seed sample for {@code taskId}, its media served by the CDN stand-in under {@code /{taskId}/...}: an mp4
     * of {@code videoBytes}, a webp thumbnail and a jpg last frame.
     */
    public ServedMedia completedMedia(String taskId, long videoBytes) {
        long seed = taskId.hashCode();
        Map<String, CdnStandIn.MediaFile> byRole = new LinkedHashMap<>();
        Map<String, String> urlByRole = new LinkedHashMap<>();
        String video = "/" + taskId + "/storage.cdn-luma.com/video.mp4";
        String thumbnail = "/" + taskId + "/imagedelivery.net/thumbnail/public";
        String lastFrame = "/" + taskId + "/storage.cdn-luma.com/video_0_last_frame.jpg";
        byRole.put("video", cdn.serve(video, "video/mp4", videoBytes, seed));
        byRole.put("thumbnail", cdn.serve(thumbnail, "image/webp", 20_000, seed + 1));
        byRole.put("last_frame", cdn.serve(lastFrame, "image/jpeg", 30_000, seed + 2));
        urlByRole.put("video", cdn.baseUrl() + video);
        urlByRole.put("thumbnail", cdn.baseUrl() + thumbnail);
        urlByRole.put("last_frame", cdn.baseUrl() + lastFrame);
        return new ServedMedia(taskId, byRole, urlByRole);
    }

    /** The seed sample with this task's id and the served media's URLs. */
    public static ObjectNode completedBody(ServedMedia media) {
        String text = seed().toString()
                .replace("e70fdf3c-ce95-4dd1-a967-220ce957aff5", media.taskId())
                .replaceAll("https://storage\\.cdn-luma\\.com/[^\"]+\\.mp4", media.urlByRole().get("video"))
                .replaceAll("https://storage\\.cdn-luma\\.com/[^\"]+\\.jpg", media.urlByRole().get("last_frame"))
                .replaceAll("https://imagedelivery\\.net/[^\"]+", media.urlByRole().get("thumbnail"));
        try {
            return (ObjectNode) JSON.readTree(text);
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
    }

    /** A running state as aggregators answer it: no media yet. */
    public static ObjectNode runningBody(String taskId, String state) {
        ObjectNode body = JSON.createObjectNode();
        body.put("id", taskId);
        body.put("state", state);
        body.putNull("video");
        body.putNull("failure_reason");
        return body;
    }

    public static ObjectNode failedBody(String taskId, String reason) {
        ObjectNode body = runningBody(taskId, "failed");
        body.put("failure_reason", reason);
        return body;
    }

    public static ResponseDefinitionBuilder json(JsonNode body) {
        return aResponse().withStatus(200).withHeader("Content-Type", "application/json")
                .withBody(body.toString().getBytes(StandardCharsets.UTF_8));
    }

    /** Each poll of {@code taskId} gets the next response; the last one is repeated. */
    public void answer(String taskId, List<ResponseDefinitionBuilder> responses) {
        String scenario = "task-" + taskId;
        for (int i = 0; i < responses.size(); i++) {
            String state = i == 0 ? Scenario.STARTED : "poll-" + i;
            var stub = get(urlPathEqualTo(PATH + taskId)).inScenario(scenario).whenScenarioStateIs(state)
                    .willReturn(responses.get(i));
            if (i + 1 < responses.size()) {
                stub = stub.willSetStateTo("poll-" + (i + 1));
            }
            server.stubFor(stub);
        }
    }

    /**
     * Each GET of exactly {@code pathAndQuery} that carries {@code headers} gets the next response; the last one is
     * repeated. Another provider's path on this server (its answers in its own shape), or a two-step provider's second
     * request; a request without the headers matches nothing (404).
     */
    public void answerAt(String pathAndQuery, Map<String, String> headers, List<ResponseDefinitionBuilder> responses) {
        String scenario = "path-" + pathAndQuery;
        for (int i = 0; i < responses.size(); i++) {
            String state = i == 0 ? Scenario.STARTED : "request-" + i;
            var stub = get(urlEqualTo(pathAndQuery)).inScenario(scenario).whenScenarioStateIs(state);
            for (Map.Entry<String, String> header : headers.entrySet()) {
                stub = stub.withHeader(header.getKey(), equalTo(header.getValue()));
            }
            stub = stub.willReturn(responses.get(i));
            if (i + 1 < responses.size()) {
                stub = stub.willSetStateTo("request-" + (i + 1));
            }
            server.stubFor(stub);
        }
    }

    /** The GETs of exactly {@code pathAndQuery}, in order. */
    public List<LoggedRequest> requestsAt(String pathAndQuery) {
        return server.findAll(getRequestedFor(urlEqualTo(pathAndQuery)));
    }

    /** pending, processing, ..., then the seed's completed answer with served media. */
    public ServedMedia completesAfter(String taskId, List<String> runningStates, long videoBytes) {
        ServedMedia media = completedMedia(taskId, videoBytes);
        List<ResponseDefinitionBuilder> responses = new ArrayList<>();
        runningStates.forEach(s -> responses.add(json(runningBody(taskId, s))));
        responses.add(json(completedBody(media)));
        answer(taskId, responses);
        return media;
    }

    public List<LoggedRequest> requestsFor(String taskId) {
        return server.findAll(getRequestedFor(urlPathEqualTo(PATH + taskId)));
    }

    public List<LoggedRequest> allRequests() {
        return server.getAllServeEvents().stream().map(e -> e.getRequest()).map(LoggedRequest.class::cast).toList();
    }

    @Override
    public void close() {
        server.stop();
    }
}
