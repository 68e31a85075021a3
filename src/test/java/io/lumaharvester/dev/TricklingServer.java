package io.lumaharvester.dev;

import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;
import java.net.InetAddress;
import java.net.ServerSocket;
import java.net.Socket;
import java.net.SocketTimeoutException;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.List;
import java.util.Map;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.atomic.AtomicLong;

/**
 * An HTTP server that answers a byte at a time, what no HTTP server library lets a test do: the status line and
 * headers, or the body, trickle out one byte every {@code pace}, never silent for a read time-out, until the client
 * drops the connection. Each path answers in its {@link Shape}; each connection is kept as a {@link Trickle}.
 */
public final class TricklingServer implements AutoCloseable {

    /** What trickles. */
    public enum Shape {
        /** the status line and headers, then header after header: the head never ends */
        HEAD,
        /** the head at once (a 200 with a Content-Length of 1 GB), then the body */
        BODY
    }

    /** One connection: when it started, the bytes sent, and when the client dropped it. */
    public static final class Trickle {
        private final long startedNanos = System.nanoTime();
        private final AtomicLong sent = new AtomicLong();
        private final CompletableFuture<Duration> dropped = new CompletableFuture<>();

        /** Completes with how long the connection lasted once the client has dropped it. */
        public CompletableFuture<Duration> dropped() {
            return dropped;
        }

        public long sent() {
            return sent.get();
        }
    }

    private final ServerSocket server;
    private final Duration pace;
    private final ExecutorService threads = Executors.newCachedThreadPool();
    private final Map<String, Shape> shapes = new ConcurrentHashMap<>();
    private final Map<String, List<Trickle>> trickles = new ConcurrentHashMap<>();

    private TricklingServer(ServerSocket server, Duration pace) {
        this.server = server;
        this.pace = pace;
    }

    public static TricklingServer start(Duration pace) throws IOException {
        TricklingServer trickling = new TricklingServer(new ServerSocket(0, 50, InetAddress.getLoopbackAddress()),
                pace);
        trickling.threads.execute(trickling::accept);
        return trickling;
    }

    /** host:port, as luma.harvest.allowed-hosts takes it. */
    public String authority() {
        return "127.0.0.1:" + server.getLocalPort();
    }

    /** A URL of this server whose answer trickles in {@code shape}. */
    public String url(String path, Shape shape) {
        shapes.put(path, shape);
        return "http://" + authority() + path;
    }

    /** The connections that asked for {@code path}, in order. */
    public List<Trickle> trickles(String path) {
        return List.copyOf(trickles.getOrDefault(path, List.of()));
    }

    private void accept() {
        while (!server.isClosed()) {
            try {
                Socket socket = server.accept();
                threads.execute(() -> serve(socket));
            } catch (IOException closed) {
                return;
            }
        }
    }

    private void serve(Socket socket) {
        try (socket) {
            InputStream in = socket.getInputStream();
            String path = requestPath(in);
            Shape shape = shapes.get(path);
            OutputStream out = socket.getOutputStream();
            if (shape == null) {
                out.write("HTTP/1.1 404 Not Found\r\nContent-Length: 0\r\n\r\n".getBytes(StandardCharsets.US_ASCII));
                return;
            }
            Trickle trickle = new Trickle();
            trickles.computeIfAbsent(path, p -> new CopyOnWriteArrayList<>()).add(trickle);
            try {
                String head = "HTTP/1.1 200 OK\r\nContent-Type: video/mp4\r\nContent-Length: 1073741824\r\n";
                if (shape == Shape.BODY) {
                    out.write((head + "\r\n").getBytes(StandardCharsets.US_ASCII));
                    out.flush();
                }
                socket.setSoTimeout((int) pace.toMillis());
                for (long i = 0; ; i++) {
                    int b = shape == Shape.BODY ? 'x' : i < head.length() ? head.charAt((int) i)
                            : "X-Trickle: 0\r\n".charAt((int) ((i - head.length()) % 14));
                    out.write(b);
                    out.flush();
                    trickle.sent.incrementAndGet();
                    // the pause: a read that ends at once when the client drops the connection
                    try {
                        if (in.read() < 0) {
                            break;
                        }
                    } catch (SocketTimeoutException stillThere) {
                        // the client is still reading
                    }
                }
            } catch (IOException dropped) {
                // the client dropped the connection: what this server waits for
            } finally {
                trickle.dropped.complete(Duration.ofNanos(System.nanoTime() - trickle.startedNanos));
            }
        } catch (IOException e) {
            // a connection that failed before its request was read
        }
    }

    /** Reads the request's head; its path. */
    private static String requestPath(InputStream in) throws IOException {
        StringBuilder head = new StringBuilder();
        while (head.indexOf("\r\n\r\n") < 0) {
            int b = in.read();
            if (b < 0) {
                throw new IOException("the request ended before its head");
            }
            head.append((char) b);
        }
        return head.toString().split(" ", 3)[1];
    }

    @Override
    public void close() throws IOException {
        server.close();
        threads.shutdownNow();
    }
}
