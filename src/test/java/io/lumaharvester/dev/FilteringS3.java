package io.lumaharvester.dev;

import java.io.ByteArrayOutputStream;
import java.io.EOFException;
import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;
import java.net.InetAddress;
import java.net.ServerSocket;
import java.net.Socket;
import java.net.URI;
import java.nio.charset.StandardCharsets;
import java.security.MessageDigest;
import java.security.NoSuchAlgorithmException;
import java.util.ArrayList;
import java.util.Base64;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;

/**
 * A stand-in S3 in front of a real S3 server (S3Proxy, which has no bucket policies, limits or throttling): each
 * request is shown to a {@link Rule}, which either answers it with an S3 error, as S3 answers it, or lets it pass on
 * byte for byte (the signature stays valid). Every request is recorded with its headers, whether it was refused, and,
 * for a body that passed, the SHA-256 of the bytes it carried (aws-chunked bodies decoded) and the checksum trailer
 * that came with them. {@link #requiringKms} is a bucket whose policy requires SSE-KMS with one key.
 */
public final class FilteringS3 implements AutoCloseable {

    /** An S3 error answer: HTTP status, S3 error code and message. */
    public record Answer(int status, String code, String message) {
    }

    /** What S3 answers instead of the real server: null lets the request pass. */
    @FunctionalInterface
    public interface Rule {
        Answer answer(Seen request);
    }

    /** One request as the bucket saw it; header names lower case. */
    public record Seen(String method, String target, Map<String, String> headers, boolean refused, String bodySha256,
            Map<String, String> trailers, String body) {

        public String operation() {
            String path = URI.create(target).getPath();
            String query = target.contains("?") ? target.substring(target.indexOf('?')) : "";
            boolean object = path.indexOf('/', 1) > 0;
            if (method.equals("PUT") && query.contains("uploadId=")) {
                return "UploadPart";
            }
            if (method.equals("PUT") && object) {
                return "PutObject";
            }
            if (method.equals("POST") && query.matches("\\?uploads(=|&|$).*")) {
                return "CreateMultipartUpload";
            }
            if (method.equals("POST") && query.contains("uploadId=")) {
                return "CompleteMultipartUpload";
            }
            return method + " " + path;
        }

        public String header(String name) {
            return headers.get(name.toLowerCase(Locale.ROOT));
        }

        public boolean isFor(String key) {
            return URI.create(target).getPath().endsWith("/" + key);
        }
    }

    private final ServerSocket server;
    private final String upstreamHost;
    private final int upstreamPort;
    private final Rule rule;
    private final List<Seen> seen = new CopyOnWriteArrayList<>();
    private final ExecutorService connections = Executors.newCachedThreadPool(r -> {
        Thread thread = new Thread(r, "filtering-s3");
        thread.setDaemon(true);
        return thread;
    });

    private FilteringS3(ServerSocket server, URI upstream, Rule rule) {
        this.server = server;
        this.upstreamHost = upstream.getHost();
        this.upstreamPort = upstream.getPort();
        this.rule = rule;
    }

    /**
     * A stand-in whose rule is chosen per task: the rule under a task id answers the requests for that task's keys,
     * so that the rows of a test run side by side against one stand-in.
     */
    public static FilteringS3 perTask(String upstreamEndpoint, Map<String, Rule> rulesByTaskId) throws IOException {
        return inFrontOf(upstreamEndpoint, request -> rulesByTaskId.entrySet().stream()
                .filter(rule -> request.target().contains("/" + rule.getKey() + "/"))
                .map(rule -> rule.getValue().answer(request))
                .filter(answer -> answer != null)
                .findFirst().orElse(null));
    }

    public static FilteringS3 inFrontOf(String upstreamEndpoint, Rule rule) throws IOException {
        ServerSocket server = new ServerSocket(0, 50, InetAddress.getLoopbackAddress());
        FilteringS3 bucket = new FilteringS3(server, URI.create(upstreamEndpoint), rule);
        bucket.connections.execute(bucket::accept);
        return bucket;
    }

    /**
     * A bucket whose policy requires SSE-KMS with one key: a PutObject or CreateMultipartUpload without
     * {@code x-amz-server-side-encryption: aws:kms} and that key id is answered 403 AccessDenied.
     */
    public static FilteringS3 requiringKms(String upstreamEndpoint, String requiredKeyId) throws IOException {
        return inFrontOf(upstreamEndpoint, request -> {
            String operation = request.operation();
            boolean upload = operation.equals("PutObject") || operation.equals("CreateMultipartUpload");
            boolean encrypted = "aws:kms".equals(request.header("x-amz-server-side-encryption"))
                    && requiredKeyId.equals(request.header("x-amz-server-side-encryption-aws-kms-key-id"));
            return upload && !encrypted ? new Answer(403, "AccessDenied", "Access Denied: the bucket policy requires "
                    + "x-amz-server-side-encryption: aws:kms with its key") : null;
        });
    }

    public String endpoint() {
        return "http://127.0.0.1:" + server.getLocalPort();
    }

    public List<Seen> seen() {
        return List.copyOf(seen);
    }

    public List<Seen> seen(String operation, String key) {
        return seen.stream().filter(s -> s.operation().equals(operation) && s.isFor(key)).toList();
    }

    private void accept() {
        while (!server.isClosed()) {
            try {
                Socket client = server.accept();
                connections.execute(() -> serve(client));
            } catch (IOException e) {
                return;
            }
        }
    }

    /** One request per connection: the request goes on with Connection: close, so the answer ends at end of stream. */
    private void serve(Socket client) {
        try (client) {
            InputStream in = client.getInputStream();
            OutputStream out = client.getOutputStream();
            List<String> head = readHead(in);
            if (head.isEmpty()) {
                return;
            }
            String[] requestLine = head.get(0).split(" ");
            Map<String, String> headers = new LinkedHashMap<>();
            for (String line : head.subList(1, head.size())) {
                int colon = line.indexOf(':');
                headers.put(line.substring(0, colon).strip().toLowerCase(Locale.ROOT), line.substring(colon + 1).strip());
            }
            if (headers.containsKey("transfer-encoding")) {
                throw new IOException("Transfer-Encoding is not supported by this stand-in");
            }
            long length = Long.parseLong(headers.getOrDefault("content-length", "0"));
            boolean expectContinue = "100-continue".equalsIgnoreCase(headers.get("expect"));
            Seen request = new Seen(requestLine[0], requestLine[1], headers, false, null, Map.of(), null);
            Answer answer = rule.answer(request);
            if (answer != null) {
                if (!expectContinue) {
                    in.skipNBytes(length);
                }
                seen.add(new Seen(request.method(), request.target(), headers, true, null, Map.of(), null));
                byte[] error = ("<?xml version=\"1.0\" encoding=\"UTF-8\"?>\n<Error><Code>" + answer.code()
                        + "</Code><Message>" + answer.message() + "</Message><RequestId>stand-in</RequestId></Error>")
                        .getBytes(StandardCharsets.UTF_8);
                out.write(("HTTP/1.1 " + answer.status() + " " + answer.code() + "\r\nContent-Type: application/xml"
                        + "\r\nContent-Length: " + error.length + "\r\nConnection: close\r\n\r\n")
                        .getBytes(StandardCharsets.ISO_8859_1));
                out.write(error);
                out.flush();
                return;
            }
            try (Socket upstream = new Socket(upstreamHost, upstreamPort)) {
                OutputStream toUpstream = upstream.getOutputStream();
                StringBuilder forwarded = new StringBuilder(head.get(0)).append("\r\n");
                for (String line : head.subList(1, head.size())) {
                    String name = line.substring(0, line.indexOf(':')).strip().toLowerCase(Locale.ROOT);
                    // neither is signed: this side answers 100 Continue itself and ends each connection
                    if (!name.equals("expect") && !name.equals("connection")) {
                        forwarded.append(line).append("\r\n");
                    }
                }
                forwarded.append("Connection: close\r\n\r\n");
                toUpstream.write(forwarded.toString().getBytes(StandardCharsets.ISO_8859_1));
                if (expectContinue) {
                    out.write("HTTP/1.1 100 Continue\r\n\r\n".getBytes(StandardCharsets.ISO_8859_1));
                    out.flush();
                }
                ByteArrayOutputStream body = new ByteArrayOutputStream();
                byte[] buffer = new byte[64 * 1024];
                for (long left = length; left > 0;) {
                    int n = in.read(buffer, 0, (int) Math.min(buffer.length, left));
                    if (n < 0) {
                        throw new EOFException("the client ended the body " + left + " bytes early");
                    }
                    body.write(buffer, 0, n);
                    toUpstream.write(buffer, 0, n);
                    left -= n;
                }
                toUpstream.flush();
                seen.add(withBody(request, body.toByteArray()));
                upstream.getInputStream().transferTo(out);
                out.flush();
            }
        } catch (Exception e) {
            // the client sees the connection end, as with a store that fails mid-request
        }
    }

    /** The SHA-256 (base64) of the bytes the body carries: an aws-chunked body is decoded, its trailers kept. */
    private static Seen withBody(Seen request, byte[] body) throws IOException, NoSuchAlgorithmException {
        MessageDigest digest = MessageDigest.getInstance("SHA-256");
        Map<String, String> trailers = new LinkedHashMap<>();
        String contentSha256 = request.headers().getOrDefault("x-amz-content-sha256", "");
        String encoding = request.headers().getOrDefault("content-encoding", "");
        if (contentSha256.startsWith("STREAMING-") || encoding.contains("aws-chunked")) {
            InputStream chunks = new java.io.ByteArrayInputStream(body);
            while (true) {
                String size = readLine(chunks);
                int length = Integer.parseInt(size.split(";", 2)[0].strip(), 16);
                if (length == 0) {
                    break;
                }
                digest.update(chunks.readNBytes(length));
                readLine(chunks);
            }
            for (String line; !(line = readLine(chunks)).isEmpty();) {
                int colon = line.indexOf(':');
                trailers.put(line.substring(0, colon).strip().toLowerCase(Locale.ROOT),
                        line.substring(colon + 1).strip());
            }
        } else {
            digest.update(body);
        }
        String text = body.length < 64 * 1024 ? new String(body, StandardCharsets.UTF_8) : null;
        return new Seen(request.method(), request.target(), request.headers(), false,
                Base64.getEncoder().encodeToString(digest.digest()), trailers, text);
    }

    private static List<String> readHead(InputStream in) throws IOException {
        List<String> lines = new ArrayList<>();
        for (String line; !(line = readLine(in)).isEmpty();) {
            lines.add(line);
        }
        return lines;
    }

    /** A CRLF-terminated line; empty at end of stream. */
    private static String readLine(InputStream in) throws IOException {
        ByteArrayOutputStream line = new ByteArrayOutputStream();
        for (int b; (b = in.read()) >= 0;) {
            if (b == '\n') {
                break;
            }
            if (b != '\r') {
                line.write(b);
            }
        }
        return line.toString(StandardCharsets.ISO_8859_1);
    }

    @Override
    public void close() throws IOException {
        server.close();
        connections.shutdownNow();
    }
}
