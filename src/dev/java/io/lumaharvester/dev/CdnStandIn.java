package io.lumaharvester.dev;

import io.lumaharvester.harvest.MediaFile;
import java.io.IOException;
import java.io.OutputStream;
import java.net.InetSocketAddress;
import java.security.MessageDigest;
import java.util.HexFormat;
import java.util.List;
import java.util.Map;
import java.util.SplittableRandom;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.Executors;
import java.util.concurrent.atomic.AtomicInteger;

import com.sun.net.httpserver.Headers;
import com.sun.net.httpserver.HttpExchange;
import com.sun.net.httpserver.HttpServer;

/**
 * Stands in for the CDN that serves the generated media. Files are generated from a seed while they are sent, so a
 * file of any size costs no memory; a file can also be served truncated (fewer bytes than its Content-Length) or
 * without a Content-Length. Every request's headers are kept for assertions.
 */
public final class CdnStandIn implements AutoCloseable {

    static {
        // the JDK server writes headers and body apart; with Nagle on, each answer waited ~40 ms for a delayed ACK
        System.setProperty("sun.net.httpserver.nodelay", "true");
        // and it closes every idle keep-alive connection beyond 200 at once: a client with hundreds of requests in
        // flight then sends some on connections being closed ("Connection was closed"), which no internet API does
        System.setProperty("sun.net.httpserver.maxIdleConnections", "4096");
    }

    /** A file the stand-in serves: {@code size} bytes from {@code seed}. */
    public record MediaFile(String contentType, long size, long seed, boolean chunked, long truncateAfter) {

        public String sha256() {
            try {
                MessageDigest digest = MessageDigest.getInstance("SHA-256");
                byte[] buffer = new byte[64 * 1024];
                SplittableRandom random = new SplittableRandom(seed);
                long left = size;
                while (left > 0) {
                    int n = (int) Math.min(buffer.length, left);
                    fill(random, buffer, n);
                    digest.update(buffer, 0, n);
                    left -= n;
                }
                return HexFormat.of().formatHex(digest.digest());
            } catch (Exception e) {
                throw new IllegalStateException(e);
            }
        }
    }

    /**
     * One request's body as the CDN sent it: the bytes written so far, and whether the answer has ended (sent whole,
     * or the connection dropped).
     */
    public static final class Sending {
        private final java.util.concurrent.atomic.AtomicLong sent = new java.util.concurrent.atomic.AtomicLong();
        private final java.util.concurrent.CompletableFuture<Long> done = new java.util.concurrent.CompletableFuture<>();
        private final long startedNanos = System.nanoTime();
        private final long requestedAtMillis;
        private volatile long endedNanos;

        private Sending(long requestedAtMillis) {
            this.requestedAtMillis = requestedAtMillis;
        }

        /** When the request arrived (wall clock, before any first-byte delay). */
        public long requestedAtMillis() {
            return requestedAtMillis;
        }

        public long sent() {
            return sent.get();
        }

        /** Completes with the bytes sent once the answer has ended. */
        public java.util.concurrent.CompletableFuture<Long> done() {
            return done;
        }

        /** How long the answer lasted, once it has ended. */
        public java.time.Duration lasted() {
            return java.time.Duration.ofNanos(endedNanos - startedNanos);
        }
    }

    /** A per-file pace (see {@link #throttle(String, long, long)}). */
    private record Pace(long firstByteMs, long bytesPerSecond) {
    }

    /** One request as the CDN saw it: its path and query as sent (not decoded), and its headers. */
    public record SeenRequest(String path, String rawQuery, Map<String, List<String>> headers) {
    }

    private final HttpServer server;
    private final Map<String, MediaFile> files = new ConcurrentHashMap<>();
    private final Map<String, AtomicInteger> hits = new ConcurrentHashMap<>();
    private final List<SeenRequest> requests = new CopyOnWriteArrayList<>();
    private final Map<String, AtomicInteger> truncations = new ConcurrentHashMap<>();
    private final Map<String, Integer> statusOverrides = new ConcurrentHashMap<>();
    private final Map<String, String> redirects = new ConcurrentHashMap<>();
    private final Map<String, List<Sending>> sendings = new ConcurrentHashMap<>();
    private final Map<String, Pace> paces = new ConcurrentHashMap<>();
    private volatile long firstByteMs;
    private volatile long bytesPerSecond;
    private volatile CompletableFuture<Void> paused = CompletableFuture.completedFuture(null);
    /** Paths whose requests wait before their first byte until {@link #release(String)}. */
    private final Map<String, CompletableFuture<Void>> holds = new ConcurrentHashMap<>();

    private CdnStandIn(HttpServer server) {
        this.server = server;
    }

    public static CdnStandIn start(String host, int port) throws IOException {
        HttpServer server = HttpServer.create(new InetSocketAddress(host, port), 1024);
        CdnStandIn cdn = new CdnStandIn(server);
        server.createContext("/", cdn::handle);
        // a request being served holds a thread (its first-byte delay and pace are sleeps); a CDN serves any number of
        // connections at once, so the stand-in must not queue them: 32 threads did, at 50 tasks a second
        server.setExecutor(Executors.newCachedThreadPool());
        server.start();
        return cdn;
    }

    public String baseUrl() {
        return "http://" + server.getAddress().getHostString() + ":" + server.getAddress().getPort();
    }

    public int port() {
        return server.getAddress().getPort();
    }

    public MediaFile serve(String path, String contentType, long size, long seed) {
        return put(path, new MediaFile(contentType, size, seed, false, -1));
    }

    public MediaFile put(String path, MediaFile file) {
        files.put(path, file);
        return file;
    }

    /**
     * Serves as a CDN on the internet does: the first byte {@code firstByteMs} after the request, then at most
     * {@code bytesPerSecond} per connection (0: as fast as this machine goes).
     */
    public void throttle(long firstByteMs, long bytesPerSecond) {
        this.firstByteMs = firstByteMs;
        this.bytesPerSecond = bytesPerSecond;
    }

    /** As {@link #throttle(long, long)}, for {@code path} only; {@code bytesPerSecond} 0 lifts it. */
    public void throttle(String path, long firstByteMs, long bytesPerSecond) {
        if (bytesPerSecond == 0 && firstByteMs == 0) {
            paces.remove(path);
        } else {
            paces.put(path, new Pace(firstByteMs, bytesPerSecond));
        }
    }

    /**
     * Requests for files that arrive from now on wait, before their first byte, until {@link #resume()}: a test holds
     * work back until the moment it needs it, whatever the machine's speed.
     */
    public synchronized void pauseNewRequests() {
        if (paused.isDone()) {
            paused = new CompletableFuture<>();
        }
    }

    /**
     * The paused requests go on at once (they have waited already: no first-byte delay), and new ones are no longer
     * paused.
     */
    public synchronized void resume() {
        paused.complete(null);
    }

    /**
     * Requests for {@code path} wait before their first byte until {@link #release(String)}: a test keeps a copy in
     * flight until the moment it needs it to end, whatever the machine's speed.
     */
    public void hold(String path) {
        holds.putIfAbsent(path, new CompletableFuture<>());
    }

    /** The held requests for {@code path} go on at once (no first-byte delay), and new ones are no longer held. */
    public void release(String path) {
        CompletableFuture<Void> hold = holds.remove(path);
        if (hold != null) {
            hold.complete(null);
        }
    }

    /** Each request's body for {@code path}, in order: what the CDN actually sent. */
    public List<Sending> sendings(String path) {
        return List.copyOf(sendings.getOrDefault(path, List.of()));
    }

    /** The next {@code times} requests for {@code path} get half the body, then the connection drops. */
    public void truncateNext(String path, int times) {
        truncations.put(path, new AtomicInteger(times));
    }

    /** Every request for {@code path} gets this status and no body (0 restores the file). */
    public void answerStatus(String path, int status) {
        if (status == 0) {
            statusOverrides.remove(path);
        } else {
            statusOverrides.put(path, status);
        }
    }

    /** Every request for {@code path} is redirected (302) to {@code location}. */
    public void redirect(String path, String location) {
        redirects.put(path, location);
    }

    public int hits(String path) {
        AtomicInteger count = hits.get(path);
        return count == null ? 0 : count.get();
    }

    public List<SeenRequest> requests() {
        return List.copyOf(requests);
    }

    private void handle(HttpExchange exchange) throws IOException {
        long requestedAtMillis = System.currentTimeMillis();
        String path = exchange.getRequestURI().getRawPath();
        Headers seen = exchange.getRequestHeaders();
        requests.add(new SeenRequest(path, exchange.getRequestURI().getRawQuery(), Map.copyOf(seen)));
        hits.computeIfAbsent(path, p -> new AtomicInteger()).incrementAndGet();
        MediaFile file = files.get(path);
        try (exchange) {
            String location = redirects.get(path);
            if (location != null) {
                exchange.getResponseHeaders().set("Location", location);
                exchange.sendResponseHeaders(302, -1);
                return;
            }
            Integer status = statusOverrides.get(path);
            if (file == null || status != null) {
                exchange.sendResponseHeaders(status != null ? status : 404, -1);
                return;
            }
            boolean waited = awaitResume(paused);
            CompletableFuture<Void> hold = holds.get(path);
            if (hold != null) {
                waited |= awaitResume(hold);
            }
            Pace pace = paces.get(path);
            long rate = pace != null ? pace.bytesPerSecond() : bytesPerSecond;
            if (!waited) {
                pause((pace != null ? pace.firstByteMs() : firstByteMs) * 1_000_000);
            }
            Sending sending = new Sending(requestedAtMillis);
            sendings.computeIfAbsent(path, p -> new CopyOnWriteArrayList<>()).add(sending);
            try {
                send(exchange, path, file, rate, sending);
            } finally {
                sending.endedNanos = System.nanoTime();
                sending.done.complete(sending.sent());
            }
        }
    }

    /** Whether the request was paused. */
    private static boolean awaitResume(CompletableFuture<Void> gate) throws IOException {
        if (gate.isDone()) {
            return false;
        }
        try {
            gate.get(5, java.util.concurrent.TimeUnit.MINUTES);
            return true;
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            throw new IOException("interrupted while paused", e);
        } catch (java.util.concurrent.ExecutionException | java.util.concurrent.TimeoutException e) {
            throw new IOException("paused for 5 minutes and never resumed", e);
        }
    }

    private void send(HttpExchange exchange, String path, MediaFile file, long rate, Sending sending)
            throws IOException {
        exchange.getResponseHeaders().set("Content-Type", file.contentType());
        exchange.sendResponseHeaders(200, file.chunked() ? 0 : file.size());
        long started = System.nanoTime();
        AtomicInteger truncate = truncations.get(path);
        long limit = truncate != null && truncate.getAndDecrement() > 0 ? file.size() / 2
                : file.truncateAfter() >= 0 ? Math.min(file.truncateAfter(), file.size()) : file.size();
        OutputStream out = exchange.getResponseBody();
        byte[] buffer = new byte[64 * 1024];
        SplittableRandom random = new SplittableRandom(file.seed());
        long left = file.size();
        long sent = 0;
        while (left > 0 && sent < limit) {
            int n = (int) Math.min(buffer.length, left);
            fill(random, buffer, n);
            int send = (int) Math.min(n, limit - sent);
            out.write(buffer, 0, send);
            sent += send;
            sending.sent.addAndGet(send);
            left -= n;
            if (rate > 0) {
                // pace the body: no faster than the connection's bandwidth
                pause(started + sent * 1_000_000_000L / rate - System.nanoTime());
            }
        }
        if (sent < file.size()) {
            // a truncated body: drop the connection before Content-Length is reached
            throw new IOException("truncated on purpose after " + sent + " bytes");
        }
        out.flush();
    }

    /** The stand-in's own latency: a request being served holds one of its threads, as a connection would. */
    private static void pause(long nanos) throws IOException {
        if (nanos <= 0) {
            return;
        }
        try {
            Thread.sleep(nanos / 1_000_000, (int) (nanos % 1_000_000));
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            throw new IOException("interrupted", e);
        }
    }

    private static void fill(SplittableRandom random, byte[] buffer, int n) {
        for (int i = 0; i < n; i += 8) {
            long v = random.nextLong();
            for (int j = 0; j < 8 && i + j < n; j++) {
                buffer[i + j] = (byte) (v >>> (8 * j));
            }
        }
    }

    @Override
    public void close() {
        server.stop(0);
    }
}
