package io.lumaharvester;

import java.net.URI;
import java.time.Clock;
import java.time.Duration;
import java.util.List;
import java.util.Map;

import io.micrometer.core.instrument.MeterRegistry;
import io.micrometer.prometheusmetrics.PrometheusConfig;
import io.micrometer.prometheusmetrics.PrometheusMeterRegistry;
import io.vertx.core.VertxOptions;
import org.apache.camel.BeanInject;
import org.apache.camel.BindToRegistry;
import org.apache.camel.CamelConfiguration;
import org.apache.camel.CamelContext;
import org.apache.camel.Configuration;
import org.apache.camel.PropertyInject;
import org.apache.camel.component.micrometer.MicrometerConstants;
import org.apache.camel.processor.idempotent.kafka.KafkaIdempotentRepository;
import software.amazon.awssdk.auth.credentials.AwsBasicCredentials;
import software.amazon.awssdk.auth.credentials.DefaultCredentialsProvider;
import software.amazon.awssdk.auth.credentials.StaticCredentialsProvider;
import software.amazon.awssdk.regions.Region;
import software.amazon.awssdk.services.s3.S3Client;

/** Binds the harvester's beans, each built from its documented settings in {@code application.properties}. */
@Configuration
public class HarvesterBeans implements CamelConfiguration {

    private final Clock clock = Clock.systemUTC();
    private final LumaApiAccessCheck apiAccess = new LumaApiAccessCheck();

    @BindToRegistry("taskIntake")
    public TaskIntake taskIntake(@PropertyInject("luma.poll.timeout-ms") long timeoutMs,
            @PropertyInject("luma.tasks.max-record-bytes") int maxRecordBytes) {
        return new TaskIntake(timeoutMs, maxRecordBytes, clock);
    }

    @BindToRegistry("pollSchedule")
    public PollSchedule pollSchedule(@PropertyInject("luma.poll.interval-ms") long intervalMs,
            @PropertyInject("luma.poll.max-head-wait-ms") long maxHeadWaitMs,
            @PropertyInject("luma.poll.max-backoff-ms") long maxBackoffMs) {
        return new PollSchedule(intervalMs, maxHeadWaitMs, maxBackoffMs, clock);
    }

    @BindToRegistry("generationReader")
    public GenerationReader generationReader(@BeanInject("pollSchedule") PollSchedule schedule,
            @PropertyInject("luma.poll.not-found-confirmations") int notFoundConfirmations) {
        return new GenerationReader(schedule, notFoundConfirmations, apiAccess);
    }

    /** A readiness check: DOWN while the API refuses the token. */
    @BindToRegistry("lumaApiAccess")
    public LumaApiAccessCheck lumaApiAccess() {
        return apiAccess;
    }

    /** kafka.brokers and every kafka.client.* setting: what each Kafka client in the process connects with. */
    @BindToRegistry("kafkaClients")
    public KafkaClients kafkaClients(CamelContext context, @PropertyInject("kafka.brokers") String brokers) {
        return KafkaClients.from(context, brokers);
    }

    /**
     * The kafka.client.* settings, for the routes' consumers and producers (camel.component.kafka.additional-properties).
     * Camel binds beans of JDK types before the harvester's own, so this one reads the settings itself.
     */
    @BindToRegistry("kafkaClientProperties")
    public Map<String, Object> kafkaClientProperties(CamelContext context) {
        return KafkaClients.passThrough(context);
    }

    /** A readiness check: DOWN while Kafka cannot be used (no answer, credentials refused, start waiting for it). */
    @BindToRegistry("kafkaAccess")
    public KafkaAccessCheck kafkaAccess(@BeanInject("kafkaClients") KafkaClients clients,
            @PropertyInject("luma.health.timeout-ms") int timeoutMs) {
        return new KafkaAccessCheck(clients, timeoutMs);
    }

    /**
     * Starts the routes once Kafka accepts the harvester and every topic the routes use is there; the shared topics are
     * created only when luma.topics.create.
     */
    @BindToRegistry("kafkaStartup")
    public KafkaStartup kafkaStartup(@BeanInject("kafkaAccess") KafkaAccessCheck access,
            @BeanInject("kafkaClients") KafkaClients clients,
            @PropertyInject("luma.topics.tasks") String tasks, @PropertyInject("luma.topics.events") String events,
            @PropertyInject("luma.topics.dlq") String dlq, @PropertyInject("luma.topics.polling") String polling,
            @PropertyInject("luma.topics.harvest") String harvest,
            @PropertyInject("luma.topics.accepted") String accepted,
            @PropertyInject("luma.intake.consumers") int intakeConsumers,
            @PropertyInject("luma.poll.consumers") int pollConsumers,
            @PropertyInject("luma.media.consumers") int harvestConsumers,
            @PropertyInject("luma.dlq.max-record-bytes") String dlqMaxRecordBytes,
            @PropertyInject("luma.topics.create") boolean create,
            @PropertyInject("luma.topics.partitions") int partitions,
            @PropertyInject("luma.topics.replication-factor") int replicationFactor,
            @PropertyInject("luma.kafka.startup-retry-ms") long retryMs) {
        KafkaTopics topics = new KafkaTopics(List.of(
                KafkaTopics.Topic.shared("luma.topics.tasks", tasks, intakeConsumers),
                KafkaTopics.Topic.shared("luma.topics.events", events, 0),
                KafkaTopics.Topic.shared("luma.topics.dlq", dlq, 0).with("max.message.bytes", dlqMaxRecordBytes),
                KafkaTopics.Topic.internal("luma.topics.polling", polling, pollConsumers),
                KafkaTopics.Topic.internal("luma.topics.harvest", harvest, harvestConsumers),
                KafkaTopics.Topic.internal("luma.topics.accepted", accepted, 0).with("cleanup.policy", "compact")),
                create, partitions, replicationFactor, clients.brokers());
        return new KafkaStartup(access, topics, clients, retryMs);
    }

    /** Intake's record of the task ids it has started a poll loop for (a compacted topic). */
    @BindToRegistry("acceptedTasks")
    public KafkaIdempotentRepository acceptedTasks(@BeanInject("kafkaClients") KafkaClients clients,
            @PropertyInject("luma.topics.accepted") String topic,
            @PropertyInject("luma.events.dedup-cache-size") int cacheSize) {
        return new KafkaIdempotentRepository(topic, clients.client(), clients.producer(), cacheSize, 100);
    }

    /** The ids of the tasks that have their event: read back from the events topic itself. */
    @BindToRegistry("publishedEvents")
    public EventTopicIdempotentRepository publishedEvents(@BeanInject("kafkaClients") KafkaClients clients,
            @PropertyInject("luma.topics.events") String topic,
            @PropertyInject("luma.events.dedup-lookback-ms") long lookbackMs,
            @PropertyInject("luma.events.dedup-cache-size") int cacheSize) {
        return new EventTopicIdempotentRepository(topic, clients, lookbackMs, cacheSize);
    }

    /** A readiness check: DOWN while the media bucket cannot be reached. */
    @BindToRegistry("s3Access")
    public StorageAccessCheck s3Access(@BeanInject("s3Client") S3Client s3, @PropertyInject("s3.bucket") String bucket,
            @PropertyInject("luma.health.timeout-ms") int timeoutMs) {
        return new StorageAccessCheck(s3, bucket, Duration.ofMillis(timeoutMs));
    }

    /** Tasks in flight and task duration; a task unseen for longer than any wait between its steps is forgotten. */
    @BindToRegistry("taskMetrics")
    public TaskMetrics taskMetrics(CamelContext context, @PropertyInject("luma.poll.interval-ms") long intervalMs,
            @PropertyInject("luma.poll.max-backoff-ms") long maxBackoffMs,
            @PropertyInject("luma.media.max-transfer-ms") long maxTransferMs) {
        return new TaskMetrics(meterRegistry(context), clock,
                Duration.ofMillis(Math.max(maxBackoffMs, maxTransferMs) + 2 * intervalMs));
    }

    /**
     * Kafka is checked before any route or repository starts ({@link KafkaStartup}). camel-main picks up lifecycle
     * strategies from the registry before it binds the beans of this class, so this one is added here.
     */
    @Override
    public void configure(CamelContext context) throws Exception {
        KafkaStartup startup = context.getRegistry().lookupByNameAndType("kafkaStartup", KafkaStartup.class);
        context.addLifecycleStrategy(startup);
        context.addStartupListener(startup);
    }

    /** camel-micrometer's registry, which /observe/metrics serves; bound here if Camel has not bound it yet. */
    private static MeterRegistry meterRegistry(CamelContext context) {
        MeterRegistry registry = context.getRegistry()
                .lookupByNameAndType(MicrometerConstants.METRICS_REGISTRY_NAME, MeterRegistry.class);
        if (registry == null) {
            registry = new PrometheusMeterRegistry(PrometheusConfig.DEFAULT);
            context.getRegistry().bind(MicrometerConstants.METRICS_REGISTRY_NAME, registry);
        }
        return registry;
    }

    /**
     * The management server (probes, metrics) answers a few requests a minute: one event loop and two workers, not
     * Vert.x's default of twenty worker threads.
     */
    @BindToRegistry("managementServerOptions")
    public VertxOptions managementServerOptions() {
        return new VertxOptions().setEventLoopPoolSize(1).setWorkerPoolSize(2).setInternalBlockingPoolSize(2);
    }

    @BindToRegistry("taskRecovery")
    public TaskRecovery taskRecovery(@BeanInject("pollSchedule") PollSchedule schedule,
            @PropertyInject("luma.media.max-attempts") int maxMediaAttempts) {
        return new TaskRecovery(schedule, maxMediaAttempts);
    }

    @BindToRegistry("mediaPolicy")
    public MediaPolicy mediaPolicy(@PropertyInject("luma.media.allowed-hosts") String allowedHosts,
            @PropertyInject("luma.media.allowed-schemes") String allowedSchemes) {
        return new MediaPolicy(allowedHosts, allowedSchemes);
    }

    @BindToRegistry("harvestPlan")
    public HarvestPlan harvestPlan(@BeanInject("mediaPolicy") MediaPolicy policy) {
        return new HarvestPlan(new ArtifactSplitter(), policy);
    }

    @BindToRegistry("mediaTransfer")
    public MediaTransfer mediaTransfer(@PropertyInject("s3.key-prefix") String keyPrefix,
            @PropertyInject("s3.bucket") String bucket, @BeanInject("mediaPolicy") MediaPolicy policy) {
        return new MediaTransfer(new MediaNaming(keyPrefix), policy, bucket);
    }

    @BindToRegistry("mediaRedirects")
    public MediaRedirects mediaRedirects(@BeanInject("mediaPolicy") MediaPolicy policy) {
        return new MediaRedirects(policy);
    }

    @BindToRegistry("generationEvents")
    public GenerationEvents generationEvents(@PropertyInject("luma.events.source") String source) {
        return new GenerationEvents(source, clock);
    }

    @BindToRegistry("deadLetters")
    public DeadLetters deadLetters() {
        return new DeadLetters();
    }

    @BindToRegistry("lumaApiAuthentication")
    public LumaApiAuthentication lumaApiAuthentication(
            // the trailing ':' makes a missing token empty, so that the bean can say what to do about it
            @PropertyInject("luma.api.token:") String token) {
        return new LumaApiAuthentication(token);
    }

    /**
     * Empty {@code s3.endpoint} means AWS; a set one means an S3-compatible store, addressed path-style. Keys set as
     * properties (Camel K mounts a Secret that way) win over the AWS default chain (environment, profile, role).
     */
    @BindToRegistry("s3Client")
    public S3Client s3Client(@PropertyInject("s3.endpoint:") String endpoint,
            @PropertyInject("s3.region") String region, @PropertyInject("s3.access-key:") String accessKey,
            @PropertyInject("s3.secret-key:") String secretKey) {
        var builder = S3Client.builder()
                .region(Region.of(region))
                .credentialsProvider(accessKey.isBlank() || secretKey.isBlank()
                        ? DefaultCredentialsProvider.builder().build()
                        : StaticCredentialsProvider.create(AwsBasicCredentials.create(accessKey, secretKey)));
        if (!endpoint.isBlank()) {
            builder.endpointOverride(URI.create(endpoint.strip())).forcePathStyle(true);
        }
        return builder.build();
    }
}
