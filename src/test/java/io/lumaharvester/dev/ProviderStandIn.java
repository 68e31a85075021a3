package io.lumaharvester.dev;

import java.io.IOException;
import java.io.InputStream;
import java.io.UncheckedIOException;
import java.net.InetSocketAddress;
import java.net.URI;
import java.nio.charset.StandardCharsets;
import java.security.GeneralSecurityException;
import java.security.MessageDigest;
import java.util.Base64;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.Executors;
import java.util.concurrent.ThreadLocalRandom;
import java.util.concurrent.atomic.AtomicInteger;

import javax.crypto.Mac;
import javax.crypto.spec.SecretKeySpec;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.sun.net.httpserver.HttpExchange;
import com.sun.net.httpserver.HttpServer;
import io.lumaharvester.provider.MediaUrl;
import io.lumaharvester.provider.Provider;
import io.lumaharvester.provider.ProviderAnswer;
import io.lumaharvester.provider.ProviderProfile;
import io.lumaharvester.provider.ProviderSettings;

/**
 * Stands in for any provider a profile describes: a task answers its provider's documented answers (the fixtures in
 * {@code src/test/resources/providers/<name>/}) at the path the profile's status URL names, one per poll — running,
 * running, succeeded, the last repeated — and, for a two-step provider, the media answer at its media-request URL.
 * Every media URL in the answers is rewritten to a file the {@link CdnStandIn} serves; a media-auth profile's media
 * are the API's own (OpenAI's content endpoint, Veo's file URIs), so this stand-in answers them, with the auth, by a
 * redirect to the CDN. A request without the auth the profile requires is answered 401 (a missing extra header, such
 * as Runway's version, 400). Each answer takes 100 to 300 ms, as the other stand-ins do.
 */
public final class ProviderStandIn implements AutoCloseable {

    private static final ObjectMapper JSON = new ObjectMapper();

    /**
     * One task as served: its status path, its media files on the CDN by the URL the answers name, their paths on the
     * CDN, and the paths here that redirect to them (a media-auth profile's).
     */
    public record ServedTask(String taskId, String statusPath, String mediaPath,
            Map<String, CdnStandIn.MediaFile> filesByUrl, List<String> cdnPaths, List<String> apiMediaPaths) {
    }

    /** What one path answers, in order, the last one repeated; and what a request must carry. */
    private record Script(List<Answer> answers, AtomicInteger next, Provider provider, ProviderSettings settings) {
    }

    private record Answer(int status, String body, String location) {

        Answer(int status, String body) {
            this(status, body, null);
        }
    }

    private final HttpServer server;
    private final CdnStandIn cdn;
    private final Map<String, Script> scripts = new ConcurrentHashMap<>();
    private final Map<String, AtomicInteger> hits = new ConcurrentHashMap<>();
    private final Map<String, List<Long>> requestTimes = new ConcurrentHashMap<>();
    private final List<String> refused = new CopyOnWriteArrayList<>();

    private ProviderStandIn(HttpServer server, CdnStandIn cdn) {
        this.server = server;
        this.cdn = cdn;
    }

    public static ProviderStandIn start(CdnStandIn cdn) throws IOException {
        HttpServer server = HttpServer.create(new InetSocketAddress("127.0.0.1", 0), 256);
        ProviderStandIn standIn = new ProviderStandIn(server, cdn);
        server.createContext("/", standIn::handle);
        server.setExecutor(Executors.newCachedThreadPool());
        server.start();
        return standIn;
    }

    /**
     * A stand-in for a test class's whole run, its media on the shared CDN stand-in, closed when the JVM exits (as
     * the shared stand-ins are).
     */
    public static ProviderStandIn startForTheRun() {
        try {
            ProviderStandIn standIn = start(io.lumaharvester.dev.StandIns.shared().cdn);
            Runtime.getRuntime().addShutdownHook(new Thread(standIn::close));
            return standIn;
        } catch (Exception e) {
            throw new ExceptionInInitializerError(e);
        }
    }

    public String baseUrl() {
        return "http://127.0.0.1:" + server.getAddress().getPort();
    }

    /** The built-in profile {@code name} as shipped (src/main/resources/providers/), bound to {@code settings}. */
    public static Provider builtIn(String name, ProviderSettings settings) {
        try (InputStream in = java.nio.file.Files.newInputStream(
                java.nio.file.Path.of("src/main/resources/providers/" + name + ".yaml"))) {
            return new Provider(name, io.lumaharvester.provider.ProviderProfiles.parse("providers/" + name + ".yaml",
                    in), settings, p -> { });
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
    }

    /**
     * A task's documented answers, ready to serve: {@code running.json} and {@code succeeded.json} as its status
     * answers, and for a profile with a media-request {@code media.json} at {@code mediaPath}; every media URL in them
     * is rewritten to a file the CDN stand-in serves ({@code filesByUrl}). Paths hold their query.
     */
    public record Answers(String taskId, String statusPath, String running, String succeeded, String mediaPath,
            String media, Map<String, CdnStandIn.MediaFile> filesByUrl, List<String> cdnPaths,
            Map<String, String> apiRedirects) {
    }

    /**
     * Serves task {@code taskId} of {@code provider} (built with the settings the harvester has, and this stand-in's
     * base URL or one under it): {@code running.json} twice, then {@code succeeded.json}; for a profile with a
     * media-request, {@code media.json} at its URL. {@code runningStatus} is the HTTP status of the running answers
     * (fal answers 202 while a request is pending).
     */
    public ServedTask completes(Provider provider, ProviderSettings settings, String taskId, JsonNode metadata,
            int runningStatus) {
        Answers answers = answers(provider, taskId, metadata, baseUrl(), 300_000);
        scripts.put(answers.statusPath(), new Script(List.of(new Answer(runningStatus, answers.running()),
                new Answer(runningStatus, answers.running()), new Answer(200, answers.succeeded())),
                new AtomicInteger(), provider, settings));
        if (answers.mediaPath() != null) {
            scripts.put(answers.mediaPath(), new Script(List.of(new Answer(200, answers.media())), new AtomicInteger(),
                    provider, settings));
        }
        // with the auth, the API redirects to the CDN (as OpenAI's content endpoint may)
        answers.apiRedirects().forEach((apiPath, served) -> scripts.put(apiPath,
                new Script(List.of(new Answer(302, "", served)), new AtomicInteger(), provider, settings)));
        return new ServedTask(taskId, answers.statusPath(), answers.mediaPath(), answers.filesByUrl(),
                answers.cdnPaths(), List.copyOf(answers.apiRedirects().keySet()));
    }

    /** Serves task {@code taskId} of {@code provider} as still running, for ever ({@code running.json}). */
    public ServedTask runs(Provider provider, ProviderSettings settings, String taskId, JsonNode metadata,
            int runningStatus) {
        Answers answers = answers(provider, taskId, metadata, baseUrl(), 300_000);
        scripts.put(answers.statusPath(), new Script(List.of(new Answer(runningStatus, answers.running())),
                new AtomicInteger(), provider, settings));
        return new ServedTask(taskId, answers.statusPath(), null, Map.of(), List.of(), List.of());
    }

    /**
     * The answers of task {@code taskId} of {@code provider}, its media on the CDN stand-in (each video
     * {@code videoBytes}, each other file 20,000 bytes), served by nobody yet: a test serves them where it likes. A
     * media-request URL the answer names (fal's response_url) is rewritten to {@code mediaRequestBase}'s
     * {@code /media-request/<taskId>}.
     */
    public Answers answers(Provider provider, String taskId, JsonNode metadata, String mediaRequestBase,
            long videoBytes) {
        String running = fixture(provider.name(), "running.json");
        String succeeded = fixture(provider.name(), "succeeded.json");
        String named = provider.namedMediaRequestUrl(taskId, metadata, json(succeeded));
        String mediaAnswer = null;
        String mediaPath = null;
        if (named != null) {
            mediaAnswer = fixture(provider.name(), "media.json");
            if (named.startsWith(provider.baseUrl() + "/")) {
                // a URL the profile builds from $base already points here (MiniMax's files/retrieve)
                mediaPath = pathAndQuery(named);
            } else {
                // a URL the answer names (fal's response_url): this task's own, on the stand-in
                String url = mediaRequestBase + "/media-request/" + taskId;
                succeeded = succeeded.replace(named, url);
                running = running.replace(named, url);
                mediaPath = pathAndQuery(url);
            }
        }
        ProviderAnswer read = provider.read(taskId, metadata, json(succeeded));
        if (read.outcome() != ProviderAnswer.Outcome.SUCCEEDED) {
            throw new IllegalStateException(provider.name() + "'s succeeded.json reads " + read);
        }
        Map<String, CdnStandIn.MediaFile> files = new LinkedHashMap<>();
        List<String> cdnPaths = new java.util.ArrayList<>();
        Map<String, String> apiRedirects = new LinkedHashMap<>();
        String withMedia = mediaAnswer != null ? mediaAnswer : succeeded;
        String documentedBase = provider.profile().baseUrl();
        if (provider.mediaAuth() && documentedBase != null) {
            // the API's own media URLs, on this stand-in
            withMedia = withMedia.replace(documentedBase.replaceAll("/+$", "") + "/", provider.baseUrl() + "/");
        }
        List<MediaUrl> urls = provider.media(taskId, metadata, json(withMedia));
        int n = 0;
        for (MediaUrl media : urls) {
            if (files.containsKey(media.url())) {
                continue;
            }
            String extension = extension(media.url());
            if (extension.equals("bin")) {
                extension = media.role().startsWith("video") ? "mp4" : "webp";
            }
            String path = "/" + taskId + "/" + media.role() + "-" + n++ + "." + extension;
            long size = contentType(extension).startsWith("video/") ? videoBytes : 20_000;
            CdnStandIn.MediaFile file = cdn.serve(path, contentType(extension), size, (taskId + path).hashCode());
            String served = cdn.baseUrl() + path;
            cdnPaths.add(path);
            if (provider.mediaAuth() && media.url().startsWith(provider.baseUrl() + "/")) {
                // with the auth, the API redirects to the CDN (as OpenAI's content endpoint may)
                apiRedirects.put(pathAndQuery(media.url()), served);
                files.put(media.url(), file);
            } else {
                withMedia = withMedia.replace(media.url(), served);
                files.put(served, file);
            }
        }
        if (mediaAnswer != null) {
            mediaAnswer = withMedia;
        } else {
            succeeded = withMedia;
        }
        String statusPath = pathAndQuery(provider.statusUrl(taskId, metadata));
        return new Answers(taskId, statusPath, running, succeeded, mediaPath, mediaAnswer, files, cdnPaths,
                apiRedirects);
    }

    /** Requests that reached {@code path} (with its query), refused or not. */
    public int hits(String path) {
        AtomicInteger count = hits.get(path);
        return count == null ? 0 : count.get();
    }

    /** When each request for {@code path} (with its query) arrived, epoch millis, in order. */
    public List<Long> requestTimes(String path) {
        return List.copyOf(requestTimes.getOrDefault(path, List.of()));
    }

    /** The paths of requests answered 401 or 400, with why. */
    public List<String> refused() {
        return List.copyOf(refused);
    }

    private void handle(HttpExchange exchange) throws IOException {
        try (exchange) {
            long arrived = System.currentTimeMillis();
            pause(ThreadLocalRandom.current().nextLong(100, 301));
            String path = exchange.getRequestURI().getRawPath()
                    + (exchange.getRequestURI().getRawQuery() == null ? "" : "?" + exchange.getRequestURI().getRawQuery());
            hits.computeIfAbsent(path, p -> new AtomicInteger()).incrementAndGet();
            requestTimes.computeIfAbsent(path, p -> new CopyOnWriteArrayList<>()).add(arrived);
            Script script = scripts.get(path);
            if (script == null || !"GET".equals(exchange.getRequestMethod())) {
                exchange.sendResponseHeaders(404, -1);
                return;
            }
            String why = refusal(script, exchange);
            if (why != null) {
                refused.add(path + ": " + why);
                send(exchange, why.startsWith("auth") ? 401 : 400, "{\"error\":\"" + why + "\"}");
                return;
            }
            int i = script.next().getAndIncrement();
            Answer answer = script.answers().get(Math.min(i, script.answers().size() - 1));
            if (answer.location() != null) {
                exchange.getResponseHeaders().set("Location", answer.location());
                exchange.sendResponseHeaders(answer.status(), -1);
                return;
            }
            send(exchange, answer.status(), answer.body());
        }
    }

    /** Why a request is refused: it lacks the auth or a header the profile requires; null when it has them. */
    private static String refusal(Script script, HttpExchange exchange) {
        ProviderProfile.Auth auth = script.provider().profile().status().auth();
        String type = auth == null ? ProviderProfile.Auth.BEARER : auth.type();
        // the auth first: a request without it is 401 whatever else it lacks
        for (boolean authPass : new boolean[] {true, false}) {
            for (Map.Entry<String, String> header : script.provider().requestHeaders().entrySet()) {
                boolean isAuth = header.getKey().equalsIgnoreCase("Authorization")
                        || (auth != null && header.getKey().equalsIgnoreCase(auth.name()));
                if (isAuth != authPass) {
                    continue;
                }
                String sent = exchange.getRequestHeaders().getFirst(header.getKey());
                if (isAuth && ProviderProfile.Auth.KLING_JWT.equals(type)) {
                    String problem = klingJwtProblem(sent, script.settings());
                    if (problem != null) {
                        return "auth: " + problem;
                    }
                } else if (sent == null || !sent.equals(header.getValue())) {
                    return (isAuth ? "auth: " : "header: ") + header.getKey() + " missing or wrong";
                }
            }
        }
        return null;
    }

    /**
     * What is wrong with a Kling {@code Authorization} header: a Bearer HS256 JWT issued by the access key, signed with
     * the secret key, valid now; null when nothing is.
     */
    public static String klingJwtProblem(String authorization, ProviderSettings settings) {
        if (authorization == null || !authorization.startsWith("Bearer ")) {
            return "no Bearer token";
        }
        String[] parts = authorization.substring("Bearer ".length()).split("\\.");
        if (parts.length != 3) {
            return "not a JWT";
        }
        try {
            Base64.Decoder b64 = Base64.getUrlDecoder();
            JsonNode header = JSON.readTree(b64.decode(parts[0]));
            JsonNode claims = JSON.readTree(b64.decode(parts[1]));
            Mac mac = Mac.getInstance("HmacSHA256");
            mac.init(new SecretKeySpec(settings.secret("secret-key").getBytes(StandardCharsets.UTF_8), "HmacSHA256"));
            byte[] signature = mac.doFinal((parts[0] + "." + parts[1]).getBytes(StandardCharsets.US_ASCII));
            long now = System.currentTimeMillis() / 1000;
            if (!"HS256".equals(header.path("alg").asText())) {
                return "not HS256";
            }
            if (!MessageDigest.isEqual(signature, b64.decode(parts[2]))) {
                return "signature does not verify with the secret key";
            }
            if (!settings.secret("access-key").equals(claims.path("iss").asText())) {
                return "not issued by the access key";
            }
            if (claims.path("nbf").asLong(Long.MAX_VALUE) > now || claims.path("exp").asLong(0) <= now) {
                return "not valid now";
            }
            return null;
        } catch (IOException | IllegalArgumentException | GeneralSecurityException e) {
            return "unreadable JWT (" + e.getMessage() + ")";
        }
    }

    private static void send(HttpExchange exchange, int status, String body) throws IOException {
        byte[] bytes = body.getBytes(StandardCharsets.UTF_8);
        exchange.getResponseHeaders().set("Content-Type", "application/json");
        exchange.sendResponseHeaders(status, bytes.length);
        exchange.getResponseBody().write(bytes);
    }

    private static String pathAndQuery(String url) {
        URI uri = URI.create(url);
        return uri.getRawPath() + (uri.getRawQuery() == null ? "" : "?" + uri.getRawQuery());
    }

    /** A fixture's text: the provider's documented answer (its folder's SOURCE.md says where it comes from). */
    public static String fixture(String provider, String file) {
        try (InputStream in = ProviderStandIn.class.getResourceAsStream("/providers/" + provider + "/" + file)) {
            if (in == null) {
                throw new IllegalArgumentException("no fixture providers/" + provider + "/" + file);
            }
            return new String(in.readAllBytes(), StandardCharsets.UTF_8);
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
    }

    private static JsonNode json(String text) {
        try {
            return JSON.readTree(text);
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
    }

    private static String extension(String url) {
        String path = URI.create(url).getPath();
        int dot = path.lastIndexOf('.');
        String extension = dot < 0 ? "" : path.substring(dot + 1).toLowerCase(java.util.Locale.ROOT);
        return extension.matches("[a-z0-9]{1,5}") ? extension : "bin";
    }

    private static String contentType(String extension) {
        return switch (extension) {
            case "mp4" -> "video/mp4";
            case "webm" -> "video/webm";
            case "jpg", "jpeg" -> "image/jpeg";
            case "png" -> "image/png";
            case "webp" -> "image/webp";
            case "mp3" -> "audio/mpeg";
            default -> "application/octet-stream";
        };
    }

    private static void pause(long millis) throws IOException {
        try {
            Thread.sleep(millis);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            throw new IOException("interrupted", e);
        }
    }

    @Override
    public void close() {
        server.stop(0);
    }
}
