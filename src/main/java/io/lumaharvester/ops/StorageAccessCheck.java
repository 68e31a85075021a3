package io.lumaharvester.ops;

import java.time.Duration;
import java.util.Map;

import org.apache.camel.health.HealthCheckResultBuilder;
import org.apache.camel.impl.health.AbstractHealthCheck;
import software.amazon.awssdk.services.s3.S3Client;
import software.amazon.awssdk.services.s3.model.HeadBucketRequest;

/**
 * Readiness is DOWN while the media bucket cannot be reached (store down, bucket missing, credentials refused):
 * Camel 4.18's aws2-s3 component has no health check. Asks for the bucket's head, with a bounded wait, on each call.
 */
public class StorageAccessCheck extends AbstractHealthCheck {

    private final S3Client s3;
    private final String bucket;
    private final Duration timeout;

    public StorageAccessCheck(S3Client s3, String bucket, Duration timeout) {
        super("luma", "s3-access");
        this.s3 = s3;
        this.bucket = bucket;
        this.timeout = timeout;
    }

    @Override
    public boolean isLiveness() {
        return false;
    }

    @Override
    protected void doCall(HealthCheckResultBuilder builder, Map<String, Object> options) {
        try {
            s3.headBucket(HeadBucketRequest.builder().bucket(bucket)
                    .overrideConfiguration(c -> c.apiCallTimeout(timeout)).build());
            builder.up().detail("bucket", bucket);
        } catch (RuntimeException e) {
            builder.down().message("S3 bucket " + bucket + " cannot be reached: " + e.getMessage()).error(e);
        }
    }
}
