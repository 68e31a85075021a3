package io.lumaharvester.harvest;

import java.io.ByteArrayInputStream;
import java.io.IOException;
import java.io.InputStream;
import java.io.UncheckedIOException;
import java.security.MessageDigest;
import java.security.NoSuchAlgorithmException;
import java.util.Base64;
import java.util.HexFormat;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.concurrent.ConcurrentHashMap;
import java.util.function.Consumer;
import java.util.function.Function;

import org.apache.camel.component.aws2.s3.AWS2S3Configuration;
import software.amazon.awssdk.checksums.DefaultChecksumAlgorithm;
import software.amazon.awssdk.core.SdkResponse;
import software.amazon.awssdk.core.checksums.RequestChecksumCalculation;
import software.amazon.awssdk.core.client.config.ClientOverrideConfiguration;
import software.amazon.awssdk.core.interceptor.Context;
import software.amazon.awssdk.core.interceptor.ExecutionAttributes;
import software.amazon.awssdk.core.interceptor.ExecutionInterceptor;
import software.amazon.awssdk.core.interceptor.SdkInternalExecutionAttribute;
import software.amazon.awssdk.http.SdkHttpRequest;
import software.amazon.awssdk.http.apache.ApacheHttpClient;
import software.amazon.awssdk.http.auth.spi.signer.PayloadChecksumStore;
import software.amazon.awssdk.services.s3.DelegatingS3Client;
import software.amazon.awssdk.services.s3.S3Client;
import software.amazon.awssdk.services.s3.S3ClientBuilder;
import software.amazon.awssdk.services.s3.model.AbortMultipartUploadRequest;
import software.amazon.awssdk.services.s3.model.ChecksumAlgorithm;
import software.amazon.awssdk.services.s3.model.CompleteMultipartUploadRequest;
import software.amazon.awssdk.services.s3.model.CompletedPart;
import software.amazon.awssdk.services.s3.model.CreateMultipartUploadRequest;
import software.amazon.awssdk.services.s3.model.PutObjectRequest;
import software.amazon.awssdk.services.s3.model.PutObjectResponse;
import software.amazon.awssdk.services.s3.model.S3Request;
import software.amazon.awssdk.services.s3.model.StorageClass;
import software.amazon.awssdk.services.s3.model.UploadPartRequest;
import software.amazon.awssdk.services.s3.model.UploadPartResponse;
import software.amazon.awssdk.core.sync.RequestBody;

/**
 * What every upload asks of S3 besides the bytes, from the s3.sse, s3.kms-key-id, s3.storage-class, s3.tags and
 * s3.checksum-algorithm settings (checked at start-up). Encryption and storage class are the aws2-s3 component's own
 * options ({@link #applyTo}); tags and checksums, which the 4.18 producer cannot set, are added by the S3 client
 * ({@link #client}), to the single PUT and to the multipart upload alike. The client's interceptors hand a single
 * PUT's SHA-256 back to the copy where the SDK keeps it ({@link #sentChecksums}) and spare small bodies S3's
 * 100-continue ({@link #expectContinueAbove}).
 */
public final class S3Uploads {

    private static final List<String> SSE = List.of("none", "AES256", "aws:kms");
    private static final List<String> CHECKSUMS = List.of("SHA256", "NONE");

    /**
     * The last single PUT on this thread and its body's SHA-256. The 4.18 producer hands back only the ETag, and it
     * uploads on the copy's thread, which describes the stored object next ({@link #sha256OfPut}).
     */
    private static final ThreadLocal<Put> LAST_PUT = new ThreadLocal<>();

    private record Put(String key, String sha256Base64) {
    }

    /**
     * Whether this AWS SDK keeps the checksum it sent where {@link #sentChecksums} reads it: 2.41 (Camel 4.18) does,
     * 2.32 (Camel Quarkus 3.27) has no such attribute, and reading it there throws NoSuchFieldError, an Error that no
     * route's doCatch sees, so the copy never ended. Without it the copy hashes the body on the way.
     */
    private static final boolean SDK_KEEPS_SENT_CHECKSUM = sdkKeepsSentChecksum();

    private static boolean sdkKeepsSentChecksum() {
        try {
            SdkInternalExecutionAttribute.class.getField("CHECKSUM_STORE");
            return true;
        } catch (NoSuchFieldException e) {
            return false;
        }
    }

    private final String sse;
    private final String kmsKeyId;
    private final String storageClass;
    private final String tags;
    private final boolean sha256;

    private S3Uploads(String sse, String kmsKeyId, String storageClass, String tags, boolean sha256) {
        this.sse = sse;
        this.kmsKeyId = kmsKeyId;
        this.storageClass = storageClass;
        this.tags = tags;
        this.sha256 = sha256;
    }

    /** Fails with one line naming the setting, its value and what is allowed. */
    public static S3Uploads from(String sse, String kmsKeyId, String storageClass, String tags,
            String checksumAlgorithm) {
        sse = sse.strip();
        kmsKeyId = kmsKeyId.strip();
        storageClass = storageClass.strip();
        tags = tags.strip();
        checksumAlgorithm = checksumAlgorithm.strip();
        if (!SSE.contains(sse)) {
            throw invalid("s3.sse", sse, "none, AES256 or aws:kms");
        }
        // the component's single PUT asks for SSE-KMS only with a key id (its multipart upload asks without one),
        // so a key id is required: a bucket's default AWS-managed key is alias/aws/s3
        if ("aws:kms".equals(sse) && kmsKeyId.isEmpty()) {
            throw invalid("s3.kms-key-id", kmsKeyId, "a KMS key id, key ARN or alias (alias/aws/s3 for the AWS-managed "
                    + "key) when s3.sse=aws:kms");
        }
        if (!kmsKeyId.isEmpty() && !"aws:kms".equals(sse)) {
            throw invalid("s3.kms-key-id", kmsKeyId, "empty unless s3.sse=aws:kms (s3.sse is " + sse + ")");
        }
        if (!storageClass.isEmpty() && StorageClass.fromValue(storageClass) == StorageClass.UNKNOWN_TO_SDK_VERSION) {
            throw invalid("s3.storage-class", storageClass, "empty (the bucket's default) or one of "
                    + StorageClass.knownValues());
        }
        if (!tags.isEmpty() && !tags.matches("[^=&]+=[^&]*(&[^=&]+=[^&]*)*")) {
            throw invalid("s3.tags", tags, "empty or key=value pairs joined by & (team=media&retention=90d)");
        }
        if (!CHECKSUMS.contains(checksumAlgorithm)) {
            throw invalid("s3.checksum-algorithm", checksumAlgorithm, "SHA256 or NONE");
        }
        return new S3Uploads(sse, kmsKeyId, storageClass, tags, "SHA256".equals(checksumAlgorithm));
    }

    private static IllegalStateException invalid(String setting, String value, String allowed) {
        return new IllegalStateException(setting + "=" + value + " is not allowed: it must be " + allowed);
    }

    /**
     * Whether a single PUT's SHA-256 comes back from the client ({@link #sha256OfPut}): not for
     * s3.checksum-algorithm=NONE (the SDK sends no checksum of its own either), nor on an SDK that does not keep the
     * one it sent.
     */
    public boolean handsBackPutSha256() {
        return sha256 && SDK_KEEPS_SENT_CHECKSUM;
    }

    /**
     * The SHA-256 of the body of this thread's last single PUT, if it was to {@code key} and the SDK sent a SHA-256
     * checksum with it (s3.checksum-algorithm=SHA256); taken once. For a single PUT that is the object's own SHA-256,
     * so the copy need not hash every byte a second time.
     */
    public static Optional<String> sha256OfPut(String key) {
        Put put = LAST_PUT.get();
        LAST_PUT.remove();
        if (put == null || put.sha256Base64() == null || !put.key().equals(key)) {
            return Optional.empty();
        }
        return Optional.of(HexFormat.of().formatHex(Base64.getDecoder().decode(put.sha256Base64())));
    }

    /**
     * Puts the SHA-256 the SDK sent in a single PUT's checksum trailer into the PUT's response, where S3 echoes it
     * and S3-compatible stores need not (S3Proxy 4.1 does not). The SDK keeps the value for its retries, in an
     * execution attribute of its own (protected API): a test pins that it is there (S3ChecksumsTest).
     */
    private static ExecutionInterceptor sentChecksums() {
        return new ExecutionInterceptor() {
            @Override
            public SdkResponse modifyResponse(Context.ModifyResponse context, ExecutionAttributes attributes) {
                if (context.response() instanceof PutObjectResponse put && put.checksumSHA256() == null) {
                    PayloadChecksumStore sent = attributes.getAttribute(SdkInternalExecutionAttribute.CHECKSUM_STORE);
                    byte[] sha256 = sent == null ? null : sent.getChecksumValue(DefaultChecksumAlgorithm.SHA256);
                    if (sha256 != null) {
                        return put.toBuilder().checksumSHA256(Base64.getEncoder().encodeToString(sha256)).build();
                    }
                }
                return context.response();
            }
        };
    }

    /**
     * Drops the {@code Expect: 100-continue} the SDK adds to every PutObject and UploadPart when the body is at most
     * {@code bytes} (s3.expect-continue-threshold-bytes): for a small body, waiting for S3's go-ahead costs a round
     * trip, and sending it to a store that refuses it costs little. The HTTP client must not add one of its own.
     */
    private static ExecutionInterceptor expectContinueAbove(long bytes) {
        return new ExecutionInterceptor() {
            @Override
            public SdkHttpRequest modifyHttpRequest(Context.ModifyHttpRequest context, ExecutionAttributes attributes) {
                SdkHttpRequest request = context.httpRequest();
                if (request.firstMatchingHeader("Expect").isEmpty()) {
                    return request;
                }
                long length = request.firstMatchingHeader("x-amz-decoded-content-length")
                        .or(() -> request.firstMatchingHeader("Content-Length"))
                        .map(Long::parseLong).orElse(Long.MAX_VALUE);
                return length <= bytes ? request.toBuilder().removeHeader("Expect").build() : request;
            }
        };
    }

    /** Server-side encryption as the component's own options, for its single PUT and its multipart upload. */
    public void applyTo(AWS2S3Configuration configuration) {
        configuration.setUseSSES3("AES256".equals(sse));
        configuration.setUseAwsKMS("aws:kms".equals(sse));
        configuration.setAwsKMSKeyId(kmsKeyId.isEmpty() ? null : kmsKeyId);
        // set here, not as camel.component.aws2-s3.storage-class: under Camel Quarkus an empty s3.storage-class reached
        // the component as a storage class S3 refuses (InvalidStorageClass)
        configuration.setStorageClass(storageClass.isEmpty() ? null : storageClass);
    }

    /**
     * The client the harvester uploads with, from {@code s3} (region, endpoint, credentials), {@code http} (its pool)
     * and {@code overrides} (the caller's own, such as its timers): the checksum calculation s3.checksum-algorithm
     * asks for, the interceptors, an HTTP client that adds no {@code Expect} of its own, and the requests changed
     * before the SDK sees them ({@link #wrap}).
     */
    public S3Client client(S3ClientBuilder s3, ApacheHttpClient.Builder http,
            Consumer<ClientOverrideConfiguration.Builder> overrides, long expectContinueThreshold) {
        return wrap(s3
                .overrideConfiguration(o -> {
                    if (SDK_KEEPS_SENT_CHECKSUM) {
                        o.addExecutionInterceptor(sentChecksums());
                    }
                    overrides.accept(o.addExecutionInterceptor(expectContinueAbove(expectContinueThreshold)));
                })
                // only the uploads above s3.expect-continue-threshold-bytes wait for S3's go-ahead
                .httpClientBuilder(http.expectContinueEnabled(false))
                // s3.checksum-algorithm=NONE: not even the SDK's default CRC32, for stores that refuse checksums
                .requestChecksumCalculation(sha256 ? RequestChecksumCalculation.WHEN_SUPPORTED
                        : RequestChecksumCalculation.WHEN_REQUIRED)
                .build());
    }

    /**
     * The request is changed before the SDK sees it (an SDK interceptor comes too late for the checksum algorithm,
     * which the SDK resolves from the request as it was given).
     */
    private S3Client wrap(S3Client s3) {
        return new DelegatingS3Client(s3) {
            // each part's SHA-256 by upload id: an upload created with a checksum algorithm completes only when the
            // complete request names every part's checksum (the 4.18 producer names only the ETags)
            private final Map<String, Map<Integer, String>> partChecksums = new ConcurrentHashMap<>();

            @Override
            @SuppressWarnings("unchecked")
            protected <T extends S3Request, R> R invokeOperation(T request, Function<T, R> operation) {
                R response = operation.apply((T) withUploadSettings(request, partChecksums));
                if (request instanceof PutObjectRequest put && response instanceof PutObjectResponse answer) {
                    LAST_PUT.set(new Put(put.key(), answer.checksumSHA256()));
                }
                return response;
            }

            /**
             * A part is read and hashed before it is sent (one more copy of it in memory: parts are held anyway, for
             * the SDK's retries), and its SHA-256 goes in a header: the complete request needs the value, and a
             * trailer's value is known only to the store, which need not echo it (S3Proxy 4.1 does not).
             */
            @Override
            public UploadPartResponse uploadPart(UploadPartRequest request, RequestBody body) {
                if (!sha256 || request.checksumSHA256() != null) {
                    return super.uploadPart(request, body);
                }
                byte[] bytes;
                try (InputStream in = body.contentStreamProvider().newStream()) {
                    bytes = in.readNBytes(Math.toIntExact(body.optionalContentLength().orElseThrow()));
                } catch (IOException e) {
                    throw new UncheckedIOException(e);
                }
                String checksum = sha256Base64(bytes);
                UploadPartResponse response = super.uploadPart(request.toBuilder().checksumSHA256(checksum).build(),
                        RequestBody.fromContentProvider(() -> new ByteArrayInputStream(bytes), bytes.length,
                                body.contentType()));
                partChecksums.computeIfAbsent(request.uploadId(), id -> new ConcurrentHashMap<>())
                        .put(request.partNumber(), checksum);
                return response;
            }
        };
    }

    private static String sha256Base64(byte[] bytes) {
        try {
            return Base64.getEncoder().encodeToString(MessageDigest.getInstance("SHA-256").digest(bytes));
        } catch (NoSuchAlgorithmException e) {
            throw new IllegalStateException(e);
        }
    }

    private S3Request withUploadSettings(S3Request request, Map<String, Map<Integer, String>> partChecksums) {
        if (request instanceof PutObjectRequest put) {
            PutObjectRequest.Builder builder = put.toBuilder();
            if (!tags.isEmpty() && put.tagging() == null) {
                builder.tagging(tags);
            }
            if (sha256 && put.checksumAlgorithm() == null) {
                builder.checksumAlgorithm(ChecksumAlgorithm.SHA256);
            }
            return builder.build();
        }
        if (request instanceof CreateMultipartUploadRequest create) {
            CreateMultipartUploadRequest.Builder builder = create.toBuilder();
            if (!tags.isEmpty() && create.tagging() == null) {
                builder.tagging(tags);
            }
            if (sha256 && create.checksumAlgorithm() == null) {
                builder.checksumAlgorithm(ChecksumAlgorithm.SHA256);
            }
            return builder.build();
        }
        if (request instanceof CompleteMultipartUploadRequest complete) {
            Map<Integer, String> checksums = partChecksums.remove(complete.uploadId());
            if (checksums != null && complete.multipartUpload() != null) {
                List<CompletedPart> parts = complete.multipartUpload().parts().stream()
                        .map(p -> p.checksumSHA256() != null ? p
                                : p.toBuilder().checksumSHA256(checksums.get(p.partNumber())).build())
                        .toList();
                return complete.toBuilder().multipartUpload(m -> m.parts(parts)).build();
            }
        }
        if (request instanceof AbortMultipartUploadRequest abort) {
            partChecksums.remove(abort.uploadId());
        }
        return request;
    }
}
