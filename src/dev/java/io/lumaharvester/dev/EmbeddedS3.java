package io.lumaharvester.dev;

import java.io.InputStream;
import java.net.URI;
import java.nio.file.Files;
import java.nio.file.Path;
import java.security.KeyStore;
import java.util.List;
import java.util.concurrent.TimeUnit;

import javax.net.ssl.TrustManager;
import javax.net.ssl.TrustManagerFactory;

import org.gaul.s3proxy.S3Proxy;
import org.gaul.s3proxy.auth.AuthenticationType;
import org.gaul.s3proxy.blobstore.BlobStore;
import org.gaul.s3proxy.blobstore.ForwardingBlobStore;
import org.gaul.s3proxy.nio2blob.FilesystemNio2BlobStore;
import software.amazon.awssdk.auth.credentials.AwsBasicCredentials;
import software.amazon.awssdk.auth.credentials.StaticCredentialsProvider;
import software.amazon.awssdk.http.apache.ApacheHttpClient;
import software.amazon.awssdk.regions.Region;
import software.amazon.awssdk.services.s3.S3Client;
import software.amazon.awssdk.services.s3.S3ClientBuilder;

/**
 * A real S3 server (S3Proxy, filesystem backend) on loopback; its objects are plain files under {@link #dir()}. Plain
 * HTTP, and on request the same objects over HTTPS as well ({@link #tls()}).
 */
public final class EmbeddedS3 implements AutoCloseable {

    public static final String ACCESS_KEY = "harvester-dev";
    public static final String SECRET_KEY = "harvester-dev-secret";
    private static final String KEY_STORE_PASSWORD = "embedded-s3";

    private final Path dir;
    private volatile S3Proxy proxy;
    private final int port;
    private S3Proxy tlsProxy;
    private Tls tls;

    /**
     * The HTTPS endpoint, with a certificate for 127.0.0.1 made at start (keytool) and the trust store that accepts
     * it: AWS S3 is reached over HTTPS, where the SDK sends an upload's chunks unsigned and TLS encrypts them instead.
     */
    public record Tls(String endpoint, Path trustStore, TrustManager[] trustManagers) {

        /** A client of this endpoint that trusts its certificate. */
        public S3Client client() {
            return builder(endpoint).httpClientBuilder(ApacheHttpClient.builder()
                    .tlsTrustManagersProvider(() -> trustManagers)).build();
        }

        /** For a JVM of its own: the system properties that make its default trust store this one. */
        public List<String> jvmOptions() {
            return List.of("-Djavax.net.ssl.trustStore=" + trustStore, "-Djavax.net.ssl.trustStoreType=PKCS12",
                    "-Djavax.net.ssl.trustStorePassword=" + KEY_STORE_PASSWORD);
        }
    }

    private EmbeddedS3(S3Proxy proxy, Path dir) {
        this.proxy = proxy;
        this.dir = dir;
        this.port = proxy.getPort();
    }

    public static EmbeddedS3 start(Path dir, int port) throws Exception {
        return new EmbeddedS3(startProxy(dir, port), dir);
    }

    /** Stops the server: clients see connection refused until {@link #restart()}. */
    public void stop() throws Exception {
        proxy.stop();
    }

    /** Starts the server again, on the same port and files. */
    public void restart() throws Exception {
        proxy = startProxy(dir, port);
    }

    /**
     * The same objects over HTTPS, from a second server on the same files, started on the first call. {@link #stop}
     * and {@link #restart} leave it alone.
     */
    public synchronized Tls tls() throws Exception {
        if (tls == null) {
            Path keyStore = dir.resolveSibling(dir.getFileName() + "-tls.p12");
            Files.deleteIfExists(keyStore);
            Process keytool = new ProcessBuilder(Path.of(System.getProperty("java.home"), "bin", "keytool").toString(),
                    "-genkeypair", "-alias", "s3", "-keyalg", "EC", "-dname", "CN=127.0.0.1",
                    "-ext", "SAN=ip:127.0.0.1", "-validity", "7", "-storetype", "PKCS12", "-keystore",
                    keyStore.toString(), "-storepass", KEY_STORE_PASSWORD, "-keypass", KEY_STORE_PASSWORD)
                    .redirectErrorStream(true).start();
            String out = new String(keytool.getInputStream().readAllBytes());
            if (!keytool.waitFor(60, TimeUnit.SECONDS) || keytool.exitValue() != 0) {
                throw new IllegalStateException("keytool could not make the S3 stand-in's certificate: " + out);
            }
            KeyStore store = KeyStore.getInstance("PKCS12");
            try (InputStream in = Files.newInputStream(keyStore)) {
                store.load(in, KEY_STORE_PASSWORD.toCharArray());
            }
            TrustManagerFactory trust = TrustManagerFactory.getInstance(TrustManagerFactory.getDefaultAlgorithm());
            trust.init(store);
            tlsProxy = started(proxyBuilder(dir).secureEndpoint(URI.create("https://127.0.0.1:0"))
                    .keyStore(keyStore.toString(), KEY_STORE_PASSWORD).build());
            tls = new Tls("https://127.0.0.1:" + tlsProxy.getSecurePort(), keyStore, trust.getTrustManagers());
        }
        return tls;
    }

    private static S3Proxy.Builder proxyBuilder(Path dir) throws Exception {
        Files.createDirectories(dir);
        return S3Proxy.builder()
                .blobStore(acceptingEncryptionHeaders(new FilesystemNio2BlobStore(dir.toAbsolutePath().toString())))
                .awsAuthentication(AuthenticationType.AWS_V2_OR_V4, ACCESS_KEY, SECRET_KEY)
                // S3Proxy 4.1 has no object tags and answers 501 to x-amz-tagging (s3.tags); AWS stores them
                .ignoreUnknownHeaders(true);
    }

    private static S3Proxy startProxy(Path dir, int port) throws Exception {
        return started(proxyBuilder(dir).endpoint(URI.create("http://127.0.0.1:" + port)).build());
    }

    private static S3Proxy started(S3Proxy proxy) throws Exception {
        proxy.start();
        long deadline = System.nanoTime() + 30_000_000_000L;
        while (!"STARTED".equals(proxy.getState())) {
            if (System.nanoTime() > deadline) {
                throw new IllegalStateException("S3Proxy did not start: " + proxy.getState());
            }
            Thread.sleep(10);
        }
        return proxy;
    }

    /**
     * S3Proxy answers 501 to an upload that asks for server-side encryption unless its store supports it; as on AWS,
     * such an upload is accepted here (the files stay plain: the request is what the tests look at).
     */
    private static BlobStore acceptingEncryptionHeaders(BlobStore store) {
        return new ForwardingBlobStore(store) {
            @Override
            public boolean supportsServerSideEncryption() {
                return true;
            }
        };
    }

    public String endpoint() {
        return "http://127.0.0.1:" + port;
    }

    public Path dir() {
        return dir;
    }

    /** A client of this server, for setting up buckets and reading objects back. */
    public S3Client client() {
        return client(endpoint());
    }

    /** A client of the server at {@code endpoint} (one started in another JVM). */
    public static S3Client client(String endpoint) {
        return builder(endpoint).build();
    }

    private static S3ClientBuilder builder(String endpoint) {
        return S3Client.builder()
                .endpointOverride(URI.create(endpoint))
                .forcePathStyle(true)
                .region(Region.US_EAST_1)
                .credentialsProvider(StaticCredentialsProvider.create(AwsBasicCredentials.create(ACCESS_KEY, SECRET_KEY)));
    }

    public void createBucket(String bucket) {
        try (S3Client s3 = client()) {
            if (s3.listBuckets().buckets().stream().noneMatch(b -> b.name().equals(bucket))) {
                s3.createBucket(b -> b.bucket(bucket));
            }
        }
    }

    @Override
    public void close() throws Exception {
        proxy.stop();
        synchronized (this) {
            if (tlsProxy != null) {
                tlsProxy.stop();
            }
        }
    }
}
