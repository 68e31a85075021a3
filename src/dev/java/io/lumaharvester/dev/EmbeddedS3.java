package io.lumaharvester.dev;

import java.net.URI;
import java.nio.file.Files;
import java.nio.file.Path;

import org.gaul.s3proxy.S3Proxy;
import org.gaul.s3proxy.auth.AuthenticationType;
import org.gaul.s3proxy.blobstore.BlobStore;
import org.gaul.s3proxy.blobstore.ForwardingBlobStore;
import org.gaul.s3proxy.nio2blob.FilesystemNio2BlobStore;
import software.amazon.awssdk.auth.credentials.AwsBasicCredentials;
import software.amazon.awssdk.auth.credentials.StaticCredentialsProvider;
import software.amazon.awssdk.regions.Region;
import software.amazon.awssdk.services.s3.S3Client;

/** A real S3 server (S3Proxy, filesystem backend) on loopback; its objects are plain files under {@link #dir()}. */
public final class EmbeddedS3 implements AutoCloseable {

    public static final String ACCESS_KEY = "harvester-dev";
    public static final String SECRET_KEY = "harvester-dev-secret";

    private final Path dir;
    private volatile S3Proxy proxy;
    private final int port;

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

    private static S3Proxy startProxy(Path dir, int port) throws Exception {
        Files.createDirectories(dir);
        S3Proxy proxy = S3Proxy.builder()
                .blobStore(acceptingEncryptionHeaders(new FilesystemNio2BlobStore(dir.toAbsolutePath().toString())))
                .awsAuthentication(AuthenticationType.AWS_V2_OR_V4, ACCESS_KEY, SECRET_KEY)
                .endpoint(URI.create("http://127.0.0.1:" + port))
                // S3Proxy 4.1 has no object tags and answers 501 to x-amz-tagging (s3.tags); AWS stores them
                .ignoreUnknownHeaders(true)
                .build();
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
        return S3Client.builder()
                .endpointOverride(URI.create(endpoint))
                .forcePathStyle(true)
                .region(Region.US_EAST_1)
                .credentialsProvider(StaticCredentialsProvider.create(AwsBasicCredentials.create(ACCESS_KEY, SECRET_KEY)))
                .build();
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
    }
}
