package io.lumaharvester.dev;

import java.io.IOException;
import java.io.OutputStream;
import java.net.InetSocketAddress;
import java.nio.charset.StandardCharsets;
import java.util.Map;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.Executors;
import java.util.concurrent.atomic.AtomicLong;

import com.sun.net.httpserver.HttpExchange;
import com.sun.net.httpserver.HttpServer;

/**
 * A fast stand-in for the Luma API, for benchmarks: every task runs for {@code generationMs} from its first poll,
 * then answers the seed's completed sample with media served by the CDN stand-in. Remembers when each task turned
 * completed, so that event latency can be measured from that moment.
 */
public final class FastApiStandIn implements AutoCloseable {

    static {
        // see CdnStandIn: without it every answer waited ~40 ms for a delayed ACK
        System.setProperty("sun.net.httpserver.nodelay", "true");
    }

    private final HttpServer server;
    private final LumaApiStandIn media;
    private final long generationMs;
    private final long videoBytes;
    private final Map<String, Long> firstPoll = new ConcurrentHashMap<>();
    private final Map<String, byte[]> completedBodies = new ConcurrentHashMap<>();
    private final AtomicLong polls = new AtomicLong();

    private FastApiStandIn(HttpServer server, LumaApiStandIn media, long generationMs, long videoBytes) {
        this.server = server;
        this.media = media;
        this.generationMs = generationMs;
        this.videoBytes = videoBytes;
    }

    /** {@code media} only builds the completed sample and registers its files with the CDN stand-in. */
    public static FastApiStandIn start(LumaApiStandIn media, long generationMs, long videoBytes) throws IOException {
        HttpServer server = HttpServer.create(new InetSocketAddress("127.0.0.1", 0), 256);
        FastApiStandIn api = new FastApiStandIn(server, media, generationMs, videoBytes);
        server.createContext(LumaApiStandIn.PATH, api::handle);
        server.setExecutor(Executors.newFixedThreadPool(4));
        server.start();
        return api;
    }

    public String baseUrl() {
        return "http://127.0.0.1:" + server.getAddress().getPort();
    }

    /** Epoch millis at which the task turned completed, or null when it has not been polled. */
    public Long completedAt(String taskId) {
        Long first = firstPoll.get(taskId);
        return first == null ? null : first + generationMs;
    }

    public long polls() {
        return polls.get();
    }

    private void handle(HttpExchange exchange) throws IOException {
        try (exchange) {
            polls.incrementAndGet();
            String taskId = exchange.getRequestURI().getPath().substring(LumaApiStandIn.PATH.length());
            long now = System.currentTimeMillis();
            long first = firstPoll.computeIfAbsent(taskId, id -> now);
            byte[] body = now - first >= generationMs
                    ? completedBodies.computeIfAbsent(taskId, id -> LumaApiStandIn.completedBody(
                            media.completedMedia(id, videoBytes)).toString().getBytes(StandardCharsets.UTF_8))
                    : LumaApiStandIn.runningBody(taskId, "processing").toString().getBytes(StandardCharsets.UTF_8);
            exchange.getResponseHeaders().set("Content-Type", "application/json");
            exchange.sendResponseHeaders(200, body.length);
            try (OutputStream out = exchange.getResponseBody()) {
                out.write(body);
            }
        }
    }

    @Override
    public void close() {
        server.stop(0);
    }
}
