package io.lumaharvester.ops;

import java.time.Duration;

import io.lumaharvester.kafka.KafkaClients;
import org.apache.camel.BeanInject;
import org.apache.camel.BindToRegistry;
import org.apache.camel.CamelConfiguration;
import org.apache.camel.Configuration;
import org.apache.camel.PropertyInject;
import software.amazon.awssdk.services.s3.S3Client;

/** The readiness checks (/observe/health/ready): each DOWN while what it names cannot be used. */
@Configuration
public class HealthCheckBeans implements CamelConfiguration {

    // one check for the process: the poll stage's reader tells it what the API answered (generationReader)
    private final LumaApiAccessCheck apiAccess = new LumaApiAccessCheck();

    /** DOWN while Kafka cannot be used (no answer, credentials refused, start waiting for it). */
    @BindToRegistry("kafkaAccess")
    public KafkaAccessCheck kafkaAccess(@BeanInject("kafkaClients") KafkaClients clients,
            @PropertyInject("luma.health.timeout-ms") int timeoutMs) {
        return new KafkaAccessCheck(clients, timeoutMs);
    }

    /** DOWN while the media bucket cannot be reached. */
    @BindToRegistry("s3Access")
    public StorageAccessCheck s3Access(@BeanInject("s3Client") S3Client s3, @PropertyInject("s3.bucket") String bucket,
            @PropertyInject("luma.health.timeout-ms") long timeoutMs) {
        return new StorageAccessCheck(s3, bucket, Duration.ofMillis(timeoutMs));
    }

    /** DOWN while the API refuses the token. */
    @BindToRegistry("lumaApiAccess")
    public LumaApiAccessCheck lumaApiAccess() {
        return apiAccess;
    }
}
