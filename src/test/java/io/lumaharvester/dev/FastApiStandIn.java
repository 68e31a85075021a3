package io.lumaharvester.dev;

import java.io.IOException;
import java.io.OutputStream;
import java.net.InetSocketAddress;
import java.nio.charset.StandardCharsets;
import java.util.List;
import java.util.Map;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.Executors;
import java.util.concurrent.ScheduledExecutorService;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.concurrent.atomic.AtomicLong;

import com.sun.net.httpserver.HttpExchange;
import com.sun.net.httpserver.HttpServer;

/**
 * A stand-in for the Luma API as it is for real, for benchmarks: an internet API that answers each request
 * {@code latencyMs} after it arrived (without holding a thread meanwhile). Every task runs for {@code generationMs}
 * from its first poll, then answers the seed's completed sample with media served by the CDN stand-in. It records
 * when each task turned completed, every poll's arrival per task, and the most requests it had open at once.
 */
public final class FastApiStandIn implements AutoCloseable {

    static {
        // see CdnStandIn (the first JDK server of a JVM fixes these for all): a delayed ACK, idle connections closed
        System.setProperty("sun.net.httpserver.nodelay", "true");
        System.setProperty("sun.net.httpserver.maxIdleConnections", "4096");
    }

    private final HttpServer server;
    private final ScheduledExecutorService answers;
    private final LumaApiStandIn media;
    private final long generationMs;
    private final long videoBytes;
    private final long latencyMs;
    private final Map<String, Long> firstPoll = new ConcurrentHashMap<>();
    private final Map<String, List<Long>> pollTimes = new ConcurrentHashMap<>();
    private final Map<String, byte[]> completedBodies = new ConcurrentHashMap<>();
    private final AtomicLong polls = new AtomicLong();
    private final AtomicInteger open = new AtomicInteger();
    private final AtomicInteger mostOpen = new AtomicInteger();
    /** Generation and video size of the tasks whose ids start with a prefix: runs that share this API. */
    private final Map<String, long[]> runs = new ConcurrentHashMap<>();

    private FastApiStandIn(HttpServer server, LumaApiStandIn media, long generationMs, long videoBytes,
            long latencyMs) {
        this.server = server;
        this.media = media;
        this.generationMs = generationMs;
        this.videoBytes = videoBytes;
        this.latencyMs = latencyMs;
        this.answers = Executors.newScheduledThreadPool(2);
    }

    /** An API on this machine that answers at once. */
    public static FastApiStandIn start(LumaApiStandIn media, long generationMs, long videoBytes) throws IOException {
        return start(media, generationMs, videoBytes, 0);
    }

    /** {@code media} only builds the completed sample and registers its files with the CDN stand-in. */
    public static FastApiStandIn start(LumaApiStandIn media, long generationMs, long videoBytes, long latencyMs)
            throws IOException {
        HttpServer server = HttpServer.create(new InetSocketAddress("127.0.0.1", 0), 4096);
        FastApiStandIn api = new FastApiStandIn(server, media, generationMs, videoBytes, latencyMs);
        server.createContext(LumaApiStandIn.PATH, api::handle);
        server.setExecutor(Executors.newFixedThreadPool(4));
        server.start();
        return api;
    }

    public String baseUrl() {
        return "http://127.0.0.1:" + server.getAddress().getPort();
    }

    /**
     * Tasks whose ids start with {@code prefix} run for {@code generationMs} and complete with a video of
     * {@code videoBytes}: benchmark runs that share one harvester, and so this API, or a run's warm-up batch.
     */
    public void run(String prefix, long generationMs, long videoBytes) {
        runs.put(prefix, new long[] {generationMs, videoBytes});
    }

    private long[] run(String taskId) {
        // the longest prefix that matches: a run named "cap-" and one named "cap-big-" do not mix
        return runs.isEmpty() ? null : runs.entrySet().stream().filter(e -> taskId.startsWith(e.getKey()))
                .max(Map.Entry.comparingByKey(java.util.Comparator.comparingInt(String::length)))
                .map(Map.Entry::getValue).orElse(null);
    }

    private long generationMs(String taskId) {
        long[] run = run(taskId);
        return run != null ? run[0] : generationMs;
    }

    private long videoBytes(String taskId) {
        long[] run = run(taskId);
        return run != null ? run[1] : videoBytes;
    }

    /** Epoch millis at which the task turned completed, or null when it has not been polled. */
    public Long completedAt(String taskId) {
        Long first = firstPoll.get(taskId);
        return first == null ? null : first + generationMs(taskId);
    }

    /** How many tasks have been polled at least once. */
    public int tasksPolled() {
        return firstPoll.size();
    }

    public long polls() {
        return polls.get();
    }

    /** The most requests this API had received and not yet answered, at any moment. */
    public int mostOpenRequests() {
        return mostOpen.get();
    }

    /** Requests received and not yet answered, now. */
    public int openRequests() {
        return open.get();
    }

    /** When each poll of the task arrived, in order. */
    public List<Long> pollTimes(String taskId) {
        return pollTimes.getOrDefault(taskId, List.of());
    }

    private void handle(HttpExchange exchange) {
        long now = System.currentTimeMillis();
        polls.incrementAndGet();
        mostOpen.accumulateAndGet(open.incrementAndGet(), Math::max);
        String taskId = exchange.getRequestURI().getPath().substring(LumaApiStandIn.PATH.length());
        long first = firstPoll.computeIfAbsent(taskId, id -> now);
        pollTimes.computeIfAbsent(taskId, id -> new CopyOnWriteArrayList<>()).add(now);
        byte[] body = now - first >= generationMs(taskId)
                ? completedBodies.computeIfAbsent(taskId, id -> LumaApiStandIn.completedBody(
                        media.completedMedia(id, videoBytes(id))).toString().getBytes(StandardCharsets.UTF_8))
                : LumaApiStandIn.runningBody(taskId, "processing").toString().getBytes(StandardCharsets.UTF_8);
        if (latencyMs <= 0) {
            answer(exchange, body);
        } else {
            // the request stays open while the "internet" takes its time; no thread waits for it
            answers.schedule(() -> answer(exchange, body), latencyMs, TimeUnit.MILLISECONDS);
        }
    }

    private void answer(HttpExchange exchange, byte[] body) {
        try (exchange) {
            exchange.getResponseHeaders().set("Content-Type", "application/json");
            exchange.sendResponseHeaders(200, body.length);
            try (OutputStream out = exchange.getResponseBody()) {
                out.write(body);
            }
        } catch (IOException e) {
            // the client gave up
        } finally {
            open.decrementAndGet();
        }
    }

    @Override
    public void close() {
        server.stop(0);
        answers.shutdownNow();
    }
}
