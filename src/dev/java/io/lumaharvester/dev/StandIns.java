package io.lumaharvester.dev;

import java.nio.file.Path;
import java.util.LinkedHashMap;
import java.util.Map;
import java.util.concurrent.Callable;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.ExecutionException;

/**
 * Everything the harvester talks to, on this machine: a Kafka broker, an S3 server, and stand-ins for the Luma
 * API and its CDN. {@link #properties} points the harvester at them.
 */
public final class StandIns implements AutoCloseable {

    public static final String BUCKET = "luma-media";
    public static final String TOKEN = "test-token-6f1c2a9e";

    private static StandIns shared;

    public final EmbeddedKafka kafka;
    public final EmbeddedS3 s3;
    public final CdnStandIn cdn;
    public final LumaApiStandIn api;
    /** What runs on the stand-ins until they close (a harvester that test classes share): closed first. */
    private final java.util.List<AutoCloseable> users = new java.util.concurrent.CopyOnWriteArrayList<>();

    private StandIns(EmbeddedKafka kafka, EmbeddedS3 s3, CdnStandIn cdn, LumaApiStandIn api) {
        this.kafka = kafka;
        this.s3 = s3;
        this.cdn = cdn;
        this.api = api;
    }

    /** The four start side by side: most of a broker's start is waiting (a controller elected, a broker registered). */
    public static StandIns start(Path s3Dir, int s3Port) throws Exception {
        CompletableFuture<EmbeddedKafka> startingKafka = starting(EmbeddedKafka::start, "stand-ins-kafka");
        CompletableFuture<EmbeddedS3> startingS3 = starting(() -> {
            EmbeddedS3 started = EmbeddedS3.start(s3Dir, s3Port);
            started.createBucket(BUCKET);
            return started;
        }, "stand-ins-s3");
        CdnStandIn cdn = CdnStandIn.start("127.0.0.1", 0);
        LumaApiStandIn api = LumaApiStandIn.start("127.0.0.1", 0, cdn);
        EmbeddedKafka kafka = started(startingKafka);
        EmbeddedS3 s3 = started(startingS3);
        // the AWS default credentials chain reads these
        System.setProperty("aws.accessKeyId", EmbeddedS3.ACCESS_KEY);
        System.setProperty("aws.secretAccessKey", EmbeddedS3.SECRET_KEY);
        return new StandIns(kafka, s3, cdn, api);
    }

    /** {@code start} on a thread of its own (not a daemon: the threads it makes take after it). */
    private static <T> CompletableFuture<T> starting(Callable<T> start, String name) {
        CompletableFuture<T> result = new CompletableFuture<>();
        new Thread(() -> {
            try {
                result.complete(start.call());
            } catch (Throwable e) {
                result.completeExceptionally(e);
            }
        }, name).start();
        return result;
    }

    private static <T> T started(CompletableFuture<T> starting) throws Exception {
        try {
            return starting.get();
        } catch (ExecutionException e) {
            throw e.getCause() instanceof Exception cause ? cause : e;
        }
    }

    /**
     * One set for the whole test JVM, closed when it exits. Its S3 files are under {@code luma.test.s3-dir}
     * ({@code target/test-s3}): test JVMs that run side by side each name their own (pom.xml).
     */
    /** The shared CDN stand-in's port, for a test's static settings, where {@link #shared()} may not throw. */
    public static int sharedCdnPort() {
        try {
            return shared().cdn.port();
        } catch (Exception e) {
            throw new IllegalStateException(e);
        }
    }

    public static synchronized StandIns shared() throws Exception {
        if (shared == null) {
            shared = start(Path.of(System.getProperty("luma.test.s3-dir", "target/test-s3")), 0);
            Runtime.getRuntime().addShutdownHook(new Thread(shared::closeWithin10Seconds));
        }
        return shared;
    }

    /** Topic names with this prefix, so that each application under test has its own. */
    public static Map<String, String> topics(String prefix) {
        Map<String, String> topics = new LinkedHashMap<>();
        topics.put("luma.topics.tasks", prefix + ".tasks");
        topics.put("luma.topics.events", prefix + ".events");
        topics.put("luma.topics.dlq", prefix + ".tasks.dlq");
        topics.put("luma.topics.polling", prefix + ".tasks.polling");
        topics.put("luma.topics.harvest", prefix + ".tasks.harvest");
        topics.put("luma.topics.accepted", prefix + ".tasks.accepted");
        return topics;
    }

    /**
     * Settings that point the harvester at these stand-ins, with its topics under {@code prefix}. No topic is made by
     * hand: the harvester creates them all at start-up, as on a fresh broker.
     */
    public Map<String, String> properties(String prefix) throws Exception {
        Map<String, String> props = new LinkedHashMap<>(topics(prefix));
        props.put("luma.topics.create", "true");
        props.put("luma.topics.partitions", "2");
        // the stand-in answers at once: no generation time to wait out before the first poll
        props.put("luma.poll.first-delay-ms", "0");
        props.put("kafka.brokers", kafka.bootstrapServers());
        // a broker on a busy test machine can miss the start's first check: ask again soon, not after 5 s
        props.put("luma.kafka.startup-retry-ms", "500");
        props.put("luma.kafka.group-id", prefix + "-harvester");
        props.put("luma.api.base-url", api.baseUrl());
        props.put("luma.api.token", TOKEN);
        // the API stand-in serves plain http on loopback: the token may go there in clear
        props.put("luma.api.allow-insecure", "true");
        // the CDN stand-in is on 127.0.0.1
        props.put("luma.harvest.allow-private-addresses", "true");
        // the CDN stand-in's own port: an allowed host without a port means the scheme's default one
        props.put("luma.harvest.allowed-hosts", java.net.URI.create(cdn.baseUrl()).getAuthority());
        props.put("luma.harvest.allowed-schemes", "http");
        props.put("s3.endpoint", s3.endpoint());
        props.put("s3.bucket", BUCKET);
        props.put("luma.http.port", String.valueOf(freePort()));
        return props;
    }

    /**
     * For shutdown hooks: a broker that takes long to stop must not hold the JVM (a test JVM that does not exit in
     * time fails the build).
     */
    public void closeWithin10Seconds() {
        Thread closer = new Thread(() -> {
            try {
                close();
            } catch (Exception ignored) {
                // the JVM is exiting
            }
        }, "stand-ins-close");
        closer.setDaemon(true);
        closer.start();
        try {
            closer.join(10_000);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
        }
    }

    private static int freePort() throws java.io.IOException {
        try (java.net.ServerSocket socket = new java.net.ServerSocket(0)) {
            return socket.getLocalPort();
        }
    }

    /** {@link #properties(String)} with some settings changed. */
    public Map<String, String> properties(String prefix, Map<String, String> overrides) throws Exception {
        Map<String, String> props = properties(prefix);
        props.putAll(overrides);
        return props;
    }

    /** {@code user} is closed before the stand-ins are, while they still answer. */
    public void closeFirst(AutoCloseable user) {
        users.add(user);
    }

    @Override
    public void close() throws Exception {
        for (AutoCloseable user : users) {
            try {
                user.close();
            } catch (Exception e) {
                System.err.println("closing " + user + " before the stand-ins: " + e);
            }
        }
        api.close();
        cdn.close();
        s3.close();
        kafka.close();
    }
}
