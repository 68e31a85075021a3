package io.lumaharvester.harvest;

import static org.assertj.core.api.Assertions.assertThat;

import io.lumaharvester.dev.EmbeddedS3;
import java.io.ByteArrayInputStream;
import java.net.URI;
import java.nio.file.Path;
import java.security.MessageDigest;
import java.util.HexFormat;
import java.util.Random;

import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;
import software.amazon.awssdk.auth.credentials.AwsBasicCredentials;
import software.amazon.awssdk.auth.credentials.StaticCredentialsProvider;
import software.amazon.awssdk.core.sync.RequestBody;
import software.amazon.awssdk.http.apache.ApacheHttpClient;
import software.amazon.awssdk.regions.Region;
import software.amazon.awssdk.services.s3.S3Client;

/**
 * A single PUT's SHA-256 comes from the S3 client, which hashed the body for its checksum trailer, so a copy hashes
 * every byte once. Pinned against a real S3 server over plain HTTP (the tests' stand-in, where the SDK also signs each
 * chunk) and over HTTPS (production, where it sends the chunks unsigned), since the value is read from an SDK
 * attribute outside its public API.
 */
class S3ChecksumsTest {

    private static final String BUCKET = "checksums";

    @TempDir
    static Path dir;

    private static EmbeddedS3 s3;

    @BeforeAll
    static void startS3OverHttpAndHttps() throws Exception {
        s3 = EmbeddedS3.start(dir.resolve("s3"), 0);
        s3.createBucket(BUCKET);
        s3.tls();
    }

    @AfterAll
    static void stop() throws Exception {
        s3.close();
    }

    /** The harvester's own client for these settings ({@link S3Uploads#client}). */
    private static S3Client client(String scheme, boolean sha256) throws Exception {
        EmbeddedS3.Tls tls = s3.tls();
        return S3Uploads.from("none", "", "", "", sha256 ? "SHA256" : "NONE").client(S3Client.builder()
                .endpointOverride(URI.create("https".equals(scheme) ? tls.endpoint() : s3.endpoint()))
                .forcePathStyle(true).region(Region.US_EAST_1)
                .credentialsProvider(StaticCredentialsProvider.create(
                        AwsBasicCredentials.create(EmbeddedS3.ACCESS_KEY, EmbeddedS3.SECRET_KEY))),
                ApacheHttpClient.builder().tlsTrustManagersProvider(tls::trustManagers), o -> { }, 1024 * 1024);
    }

    /** A streamed body of known length, as the aws2-s3 producer hands the copy's stream to the client. */
    private static void put(S3Client s3, String key, byte[] body) {
        s3.putObject(b -> b.bucket(BUCKET).key(key),
                RequestBody.fromInputStream(new ByteArrayInputStream(body), body.length));
    }

    private static byte[] bytes(int size) {
        byte[] body = new byte[size];
        new Random(size).nextBytes(body);
        return body;
    }

    @ParameterizedTest
    @ValueSource(strings = {"http", "https"})
    void singlePutHandsBackTheSha256ItSentOnce(String scheme) throws Exception {
        byte[] body = bytes(3 * 1024 * 1024 + 17);
        String key = scheme + "/video.mp4";
        try (S3Client client = client(scheme, true)) {
            put(client, key, body);
            assertThat(client.getObjectAsBytes(b -> b.bucket(BUCKET).key(key)).asByteArray()).isEqualTo(body);
        }
        assertThat(S3Uploads.sha256OfPut(key))
                .hasValue(HexFormat.of().formatHex(MessageDigest.getInstance("SHA-256").digest(body)));
        assertThat(S3Uploads.sha256OfPut(key)).as("taken once").isEmpty();
    }

    @Test
    void anotherKeysPutOrNoChecksumHandsBackNothing() throws Exception {
        try (S3Client client = client("http", true)) {
            put(client, "first.webp", bytes(1000));
            assertThat(S3Uploads.sha256OfPut("second.webp")).isEmpty();
        }
        try (S3Client client = client("http", false)) {
            put(client, "unhashed.webp", bytes(1000));
            assertThat(S3Uploads.sha256OfPut("unhashed.webp")).isEmpty();
        }
    }
}
