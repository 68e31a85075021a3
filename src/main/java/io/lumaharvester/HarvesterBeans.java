package io.lumaharvester;

import io.lumaharvester.callback.Callbacks;
import io.lumaharvester.harvest.CopyErrors;
import io.lumaharvester.harvest.CopyLimit;
import io.lumaharvester.harvest.HarvestGate;
import io.lumaharvester.harvest.HarvestPlan;
import io.lumaharvester.harvest.MediaAddresses;
import io.lumaharvester.harvest.MediaAuthHeaders;
import io.lumaharvester.harvest.MediaCopy;
import io.lumaharvester.harvest.MediaPolicy;
import io.lumaharvester.harvest.MediaRedirects;
import io.lumaharvester.harvest.MediaSplitter;
import io.lumaharvester.harvest.S3Uploads;
import io.lumaharvester.harvest.SpoolSpace;
import io.lumaharvester.intake.TaskAdmission;
import io.lumaharvester.intake.TaskIntake;
import io.lumaharvester.intake.TaskStates;
import io.lumaharvester.kafka.KafkaClients;
import io.lumaharvester.kafka.SharedProducers;
import io.lumaharvester.ops.KafkaStartup;
import io.lumaharvester.kafka.KafkaTopics;
import io.lumaharvester.ops.KafkaAccessCheck;
import io.lumaharvester.ops.StorageAccessCheck;
import io.lumaharvester.ops.MetricsRegistry;
import io.lumaharvester.ops.TaskMetrics;
import io.lumaharvester.poll.ApiBudget;
import io.lumaharvester.poll.ApiBudgets;
import io.lumaharvester.poll.GenerationReader;
import io.lumaharvester.poll.LumaApiBinding;
import io.lumaharvester.task.PollSchedule;
import io.lumaharvester.poll.StatusRequests;
import io.lumaharvester.publish.EventTopicIdempotentRepository;
import io.lumaharvester.publish.GenerationEvents;
import io.lumaharvester.task.TaskRecovery;
import io.lumaharvester.ops.LumaApiAccessCheck;
import java.net.URI;
import java.time.Clock;
import java.time.Duration;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.ScheduledExecutorService;
import java.util.concurrent.ScheduledThreadPoolExecutor;
import java.util.concurrent.TimeUnit;

import io.micrometer.core.instrument.MeterRegistry;
import io.lumaharvester.due.DueComponent;
import io.lumaharvester.due.DueGate;
import io.lumaharvester.due.HeldBytes;
import io.vertx.core.Vertx;
import io.vertx.core.VertxOptions;
import io.vertx.ext.web.client.WebClientOptions;
import org.apache.hc.client5.http.DnsResolver;
import org.apache.hc.client5.http.SystemDefaultDnsResolver;
import org.apache.hc.client5.http.config.ConnectionConfig;
import org.apache.hc.client5.http.impl.io.PoolingHttpClientConnectionManagerBuilder;
import org.apache.hc.client5.http.io.HttpClientConnectionManager;
import org.apache.hc.core5.http.io.SocketConfig;
import org.apache.hc.core5.util.Timeout;
import io.lumaharvester.provider.ProviderProfile;
import io.lumaharvester.provider.ProviderProfiles;
import io.lumaharvester.provider.Providers;
import java.nio.file.Path;
import java.util.TreeMap;
import org.apache.camel.BeanInject;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;
import org.apache.camel.BindToRegistry;
import org.apache.camel.CamelConfiguration;
import org.apache.camel.CamelContext;
import org.apache.camel.CamelContextAware;
import org.apache.camel.Configuration;
import org.apache.camel.PropertyInject;
import org.apache.camel.component.aws2.s3.AWS2S3Component;
import org.apache.camel.component.http.CompositeHttpConfigurer;
import org.apache.camel.component.http.HttpClientConfigurer;
import org.apache.camel.builder.ThreadPoolProfileBuilder;
import org.apache.camel.spi.IdempotentRepository;
import org.apache.camel.spi.PropertiesComponent;
import org.apache.camel.support.processor.idempotent.MemoryIdempotentRepository;
import org.apache.camel.spi.ThreadPoolProfile;
import software.amazon.awssdk.auth.credentials.AwsBasicCredentials;
import software.amazon.awssdk.auth.credentials.DefaultCredentialsProvider;
import software.amazon.awssdk.auth.credentials.StaticCredentialsProvider;
import software.amazon.awssdk.http.apache.ApacheHttpClient;
import software.amazon.awssdk.regions.Region;
import software.amazon.awssdk.services.s3.S3Client;

/**
 * Binds the harvester's beans, each built from its documented settings in {@code application.properties}, once
 * {@link SettingsCheck} has found them all allowed.
 */
@Configuration
public class HarvesterBeans implements CamelConfiguration, CamelContextAware {

    // the S3 client's own default pool; an instance that copies more files at once gets as many connections, so that
    // no upload waits for one (and fails after the SDK's 10 s wait)
    private static final int S3_CONNECTIONS = 50;

    private static final Logger LOG = LoggerFactory.getLogger(HarvesterBeans.class);

    private final Clock clock = Clock.systemUTC();
    private final LumaApiAccessCheck apiAccess = new LumaApiAccessCheck();
    // camel-main calls each method below twice (its injector post-processes this class as it creates it, then again
    // with the other configurations); what owns threads or meters is created once
    private ApiBudgets apiBudget;
    private Providers providers;
    private TaskMetrics taskMetrics;
    private TaskStates taskStates;
    private Vertx vertx;
    private ExecutorService copies;
    private ExecutorService kafkaCallbacks;
    private HttpClientConnectionManager mediaConnections;
    private ScheduledExecutorService timers;
    private SharedProducers kafkaClientFactory;
    // what s3.sse and the other upload settings ask of every upload (s3Client adds tags and checksums; configure()
    // gives the aws2-s3 component its encryption options from it)
    private volatile S3Uploads s3Uploads;
    private CamelContext camelContext;
    // settings more than one bean needs, each read once, right after the check
    private PollSchedule pollSchedule;
    private Duration healthTimeout;
    private String bucket;
    private String eventsTopic;
    private String pollingTopic;
    private String harvestTopic;
    private String acceptedTopic;
    private long stateRetentionMs;
    private int maxTaskRecordBytes;
    private long taskDeadlineMs;
    private String groupId;
    private int maxConcurrentCopies;
    private boolean includePrompt;
    private long maxResponseBytes;
    private int maxApiInFlight;

    /**
     * Camel's bean post-processor sets the context before it calls any method below: the settings are checked here,
     * before any of them is read, so that every bad value is reported together (and not only the first one a bean
     * happens to read) and the start fails with that report.
     */
    @Override
    public void setCamelContext(CamelContext context) {
        PropertiesComponent properties = context.getPropertiesComponent();
        List<String> problems = SettingsCheck.problems(setting -> properties.resolveProperty(setting).orElse(null));
        if (!problems.isEmpty()) {
            throw new IllegalStateException(SettingsCheck.report(problems));
        }
        pollSchedule = new PollSchedule(setting(properties, "luma.poll.interval-ms"),
                setting(properties, "luma.poll.max-backoff-ms"), setting(properties, "luma.harvest.deadline-ms"),
                clock);
        healthTimeout = Duration.ofMillis(setting(properties, "luma.health.timeout-ms"));
        bucket = properties.resolveProperty("s3.bucket").orElseThrow();
        eventsTopic = properties.resolveProperty("luma.topics.events").orElseThrow().strip();
        pollingTopic = properties.resolveProperty("luma.topics.polling").orElseThrow().strip();
        harvestTopic = properties.resolveProperty("luma.topics.harvest").orElseThrow().strip();
        acceptedTopic = properties.resolveProperty("luma.topics.accepted").orElseThrow().strip();
        stateRetentionMs = setting(properties, "luma.tasks.state-retention-ms");
        maxTaskRecordBytes = (int) setting(properties, "luma.tasks.max-record-bytes");
        taskDeadlineMs = setting(properties, "luma.tasks.deadline-ms");
        groupId = properties.resolveProperty("luma.kafka.group-id").orElseThrow().strip();
        maxConcurrentCopies = (int) setting(properties, "luma.harvest.max-concurrent-copies");
        includePrompt = Boolean.parseBoolean(
                properties.resolveProperty("luma.events.include-prompt").orElseThrow().strip());
        maxResponseBytes = setting(properties, "luma.api.max-response-bytes");
        maxApiInFlight = (int) setting(properties, "luma.api.max-in-flight");
        providers = providers(context, properties);
        this.camelContext = context;
    }

    /**
     * The built-in profiles and those of luma.providers.directory, each with its luma.providers.NAME.* settings. A
     * profile that is not valid stops the start, naming its file, field and why.
     */
    private static Providers providers(CamelContext context, PropertiesComponent properties) {
        Map<String, ProviderProfile> profiles = new TreeMap<>(ProviderProfiles.builtIns(context));
        String directory = properties.resolveProperty("luma.providers.directory").orElse("").strip();
        if (!directory.isEmpty()) {
            profiles.putAll(ProviderProfiles.load(Path.of(directory)));
        }
        return Providers.build(profiles, properties::resolveProperty,
                properties.resolveProperty("luma.providers.default").orElse(Providers.LUMA_AGGREGATOR).strip(),
                provider -> MetricsRegistry.of(context).counter("luma.provider.unknown.states", "provider", provider)
                        .increment());
    }

    private static long setting(PropertiesComponent properties, String name) {
        return Long.parseLong(properties.resolveProperty(name).orElseThrow().strip());
    }

    @Override
    public CamelContext getCamelContext() {
        return camelContext;
    }

    @BindToRegistry("taskIntake")
    public TaskIntake taskIntake(@PropertyInject("luma.poll.first-delay-ms") long firstDelayMs) {
        return new TaskIntake(taskDeadlineMs, firstDelayMs, maxTaskRecordBytes, clock, providers);
    }

    /** The providers whose answers this harvester reads (docs/providers.md), built with the settings' check. */
    @BindToRegistry("providers")
    public Providers providers() {
        return providers;
    }

    @BindToRegistry("statusRequests")
    public StatusRequests statusRequests() {
        return new StatusRequests(providers);
    }

    @BindToRegistry("pollSchedule")
    public PollSchedule pollSchedule() {
        return pollSchedule;
    }

    /**
     * The poll consumer's gate: API requests in flight and per second, per provider (each account has its own quota):
     * luma.api.max-in-flight and luma.api.max-requests-per-second, or a provider's own luma.providers.NAME.*.
     */
    @BindToRegistry("apiBudget")
    public synchronized ApiBudgets apiBudget(CamelContext context) {
        if (apiBudget == null) {
            PropertiesComponent properties = context.getPropertiesComponent();
            MeterRegistry meters = MetricsRegistry.of(context);
            apiBudget = new ApiBudgets(provider -> {
                String prefix = Providers.LUMA_AGGREGATOR.equals(provider) ? "luma.api." : "luma.providers." + provider + ".";
                int maxInFlight = properties.resolveProperty(prefix + "max-in-flight").map(v -> Integer.parseInt(v.strip()))
                        .orElse(maxApiInFlight);
                double rate = Double.parseDouble(properties.resolveProperty(prefix + "max-requests-per-second")
                        .or(() -> properties.resolveProperty("luma.api.max-requests-per-second")).orElseThrow().strip());
                return new ApiBudget(maxInFlight, rate, pollSchedule.intervalMs(), clock, meters, provider);
            }, Providers.LUMA_AGGREGATOR);
            // the minute's WARN line is otherwise written by the next dispatch, which may never come
            timers(context).scheduleWithFixedDelay(apiBudget::reportLag, 5, 5, TimeUnit.SECONDS);
        }
        return apiBudget;
    }

    @BindToRegistry("generationReader")
    public GenerationReader generationReader(@BeanInject("pollSchedule") PollSchedule schedule,
            @PropertyInject("luma.poll.not-found-confirmations") int notFoundConfirmations,
            @BeanInject("apiBudget") ApiBudgets budget) {
        return new GenerationReader(schedule, notFoundConfirmations, apiAccess, budget, providers);
    }

    /**
     * The harvest consumer's gate: luma.harvest.max-concurrent-copies tasks, fewer while polls lag
     * (luma.harvest.max-concurrent-copies-while-polls-lag).
     */
    @BindToRegistry("harvestGate")
    public DueGate harvestGate(@BeanInject("apiBudget") ApiBudgets budget,
            @PropertyInject("luma.harvest.max-concurrent-copies-while-polls-lag") int whilePollsLag) {
        return HarvestGate.of(maxConcurrentCopies, whilePollsLag, budget::pollsLag);
    }

    /** Intake reads on while this instance holds fewer tasks than luma.tasks.max-in-flight. */
    @BindToRegistry("taskAdmission")
    public TaskAdmission taskAdmission(@BeanInject("taskMetrics") TaskMetrics metrics,
            @PropertyInject("luma.tasks.max-in-flight") int maxTasks) {
        return new TaskAdmission(metrics, maxTasks);
    }

    /**
     * The API client: one connection per request in flight, redirects not followed (a redirect is an error). A
     * connection idle for 20 s is dropped by the client first: servers close idle ones after their own time-out (30 s
     * for many), and a poll sent on a connection the server is closing fails and backs off a whole interval.
     */
    @BindToRegistry("lumaApiClientOptions")
    public WebClientOptions lumaApiClientOptions(@PropertyInject("luma.api.connect-timeout-ms") int connectTimeoutMs) {
        return new WebClientOptions().setMaxPoolSize(maxApiInFlight)
                .setHttp2MaxPoolSize(Math.max(1, maxApiInFlight / 64))
                .setFollowRedirects(false).setConnectTimeout(connectTimeoutMs).setKeepAlive(true)
                .setKeepAliveTimeout(20)
                .setTcpNoDelay(true).setUserAgent("luma-harvester");
    }

    /** How vertx-http reads the API's answers: at most luma.api.max-response-bytes each. */
    @BindToRegistry("lumaApiBinding")
    public LumaApiBinding lumaApiBinding() {
        return new LumaApiBinding(maxResponseBytes);
    }

    /**
     * One Vert.x for the process: the API client (vertx-http) and the management server (probes, metrics) both take it
     * from the registry. Two event loops carry every API request in flight.
     */
    @BindToRegistry(value = "vertx", destroyMethod = "close")
    public synchronized Vertx vertx() {
        if (vertx == null) {
            vertx = Vertx.vertx(new VertxOptions().setEventLoopPoolSize(2).setWorkerPoolSize(2)
                    .setInternalBlockingPoolSize(2));
        }
        return vertx;
    }

    /** The threads media copies run on: luma.harvest.max-concurrent-copies for the whole instance. */
    @BindToRegistry("copies")
    public synchronized ExecutorService copies(CamelContext context) {
        if (copies == null) {
            copies = context.getExecutorServiceManager().newThreadPool(this, "copy", copyThreads(maxConcurrentCopies));
        }
        return copies;
    }

    /**
     * {@code max} threads; idle ones end after a minute (a quiet harvester holds none). A copy that finds them all
     * busy waits in the queue. Camel's pools hand over directly when the queue size is 0 or less, and a full pool then
     * runs the copy on the thread that handed it over: the harvest consumer's, which would stop dispatching and
     * committing for as long as the file takes. harvestGate bounds the queue (its tasks × their files).
     */
    static ThreadPoolProfile copyThreads(int max) {
        return new ThreadPoolProfileBuilder("copy").poolSize(max).maxPoolSize(max).keepAliveTime(60L)
                .allowCoreThreadTimeOut(true).maxQueueSize(Integer.MAX_VALUE).build();
    }

    /** Where every Kafka producer's acknowledgement continues its exchange: light work, two threads. */
    @BindToRegistry("kafkaCallbacks")
    public synchronized ExecutorService kafkaCallbacks(CamelContext context) {
        if (kafkaCallbacks == null) {
            kafkaCallbacks = context.getExecutorServiceManager().newThreadPool(this, "kafka-callback",
                    callbackThreads());
        }
        return kafkaCallbacks;
    }

    /**
     * Two threads and a queue. Camel's default queue holds 1,000, and past it the producer's own network thread would
     * run the route on: every write of the instance would wait meanwhile. What waits here is bounded by the records
     * in flight (luma.api.max-in-flight, the harvest and intake consumers' own bounds).
     */
    static ThreadPoolProfile callbackThreads() {
        return new ThreadPoolProfileBuilder("kafka-callback").poolSize(2).maxPoolSize(2).keepAliveTime(0L)
                .allowCoreThreadTimeOut(false).maxQueueSize(Integer.MAX_VALUE).build();
    }

    /**
     * The due: consumers (intake, poll, harvest) connect with the shared Kafka settings and one consumer group, and hold
     * records of luma.tasks.max-held-bytes together (0: 5 % of the heap).
     */
    @BindToRegistry("due")
    public DueComponent due(@BeanInject("kafkaClients") KafkaClients clients,
            @PropertyInject("luma.kafka.fetch-wait-max-ms") int fetchWaitMaxMs,
            @PropertyInject("luma.tasks.max-held-bytes") long maxHeldBytes) {
        return new DueComponent(clients, groupId, fetchWaitMaxMs,
                HeldBytes.ofHeap(maxHeldBytes, Runtime.getRuntime().maxMemory()));
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
    public KafkaAccessCheck kafkaAccess(@BeanInject("kafkaClients") KafkaClients clients) {
        return new KafkaAccessCheck(clients, (int) healthTimeout.toMillis());
    }

    /**
     * Starts the routes once Kafka accepts the harvester and every topic the routes use is there; the shared topics are
     * created only when luma.topics.create.
     */
    @BindToRegistry("kafkaStartup")
    public KafkaStartup kafkaStartup(@BeanInject("kafkaAccess") KafkaAccessCheck access,
            @BeanInject("kafkaClients") KafkaClients clients,
            @PropertyInject("luma.topics.tasks") String tasks,
            @PropertyInject("luma.topics.dlq") String dlq,
            @PropertyInject("luma.dlq.max-record-bytes") String dlqMaxRecordBytes,
            @PropertyInject("luma.topics.create") boolean create,
            @PropertyInject("luma.topics.partitions") int partitions,
            @PropertyInject("luma.topics.replication-factor") int replicationFactor,
            @PropertyInject("luma.kafka.startup-retry-ms") long retryMs) {
        KafkaTopics topics = new KafkaTopics(List.of(
                KafkaTopics.Topic.shared("luma.topics.tasks", tasks),
                KafkaTopics.Topic.shared("luma.topics.events", eventsTopic),
                KafkaTopics.Topic.shared("luma.topics.dlq", dlq).with("max.message.bytes", dlqMaxRecordBytes),
                KafkaTopics.Topic.internal("luma.topics.polling", pollingTopic),
                KafkaTopics.Topic.internal("luma.topics.harvest", harvestTopic),
                KafkaTopics.Topic.internal("luma.topics.accepted", acceptedTopic)
                        .with(TaskStates.topicConfigs(stateRetentionMs), "luma.tasks.state-retention-ms")),
                create, partitions, replicationFactor, clients.brokers());
        return new KafkaStartup(access, topics, clients, retryMs);
    }

    /**
     * Every task's state (running with its run, or ended with its event) on the compacted luma.topics.accepted: what
     * intake decides a re-submitted task id means (docs/how-it-works.md, Re-submission); an ended state is forgotten after
     * luma.tasks.state-retention-ms. {@link KafkaStartup} starts it (reads the topic back) once the topics are checked,
     * before any route starts; it stops with the context.
     */
    @BindToRegistry(value = "taskStates", destroyMethod = "stop")
    public synchronized TaskStates taskStates(CamelContext context, @BeanInject("kafkaClients") KafkaClients clients) {
        if (taskStates == null) {
            taskStates = new TaskStates(acceptedTopic, eventsTopic, clients, MetricsRegistry.of(context), clock,
                    stateRetentionMs, kafkaCallbacks(context));
        }
        return taskStates;
    }

    /**
     * The ids (and runs) of the tasks that have their event: read back from the events topic itself, from before the
     * oldest poll or harvest record the group has not committed.
     */
    @BindToRegistry("publishedEvents")
    public EventTopicIdempotentRepository publishedEvents(@BeanInject("kafkaClients") KafkaClients clients,
            @PropertyInject("luma.events.dedup-lookback-ms") long lookbackMs,
            @PropertyInject("luma.events.dedup-cache-size") int cacheSize) {
        return new EventTopicIdempotentRepository(eventsTopic, clients, lookbackMs, cacheSize, groupId,
                List.of(pollingTopic, harvestTopic));
    }

    /** A readiness check: DOWN while the media bucket cannot be reached. */
    @BindToRegistry("s3Access")
    public StorageAccessCheck s3Access(@BeanInject("s3Client") S3Client s3) {
        return new StorageAccessCheck(s3, bucket, healthTimeout);
    }

    /** Tasks in flight and task duration; a task unseen for longer than any wait between its steps is forgotten. */
    @BindToRegistry("taskMetrics")
    public synchronized TaskMetrics taskMetrics(CamelContext context) {
        if (taskMetrics == null) {
            taskMetrics = new TaskMetrics(MetricsRegistry.of(context), clock,
                    Duration.ofMillis(taskDeadlineMs + 2 * pollSchedule.intervalMs()));
        }
        return taskMetrics;
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
        startup.then(context.getRegistry().lookupByNameAndType("taskStates", TaskStates.class)::start);
        s3Uploads.applyTo(context.getComponent("aws2-s3", AWS2S3Component.class).getConfiguration());
    }

    @BindToRegistry("taskRecovery")
    public TaskRecovery taskRecovery(@BeanInject("pollSchedule") PollSchedule schedule,
            @PropertyInject("luma.harvest.max-attempts") int maxMediaAttempts,
            @PropertyInject("luma.harvest.max-storage-rejections") int maxStorageRejections,
            @BeanInject("kafkaClients") KafkaClients clients) {
        return new TaskRecovery(schedule, maxMediaAttempts, maxStorageRejections, clients.maxRequestSize(),
                maxResponseBytes, maxTaskRecordBytes);
    }

    @BindToRegistry("mediaPolicy")
    public MediaPolicy mediaPolicy(@PropertyInject("luma.harvest.allowed-hosts") String allowedHosts,
            @PropertyInject("luma.harvest.allowed-schemes") String allowedSchemes) {
        // each provider's profile adds the hosts its media come from (media-hosts)
        StringBuilder hosts = new StringBuilder(allowedHosts);
        providers.names().forEach(name -> providers.get(name).mediaHosts().forEach(h -> hosts.append(',').append(h)));
        return new MediaPolicy(hosts.toString(), allowedSchemes);
    }

    @BindToRegistry("harvestPlan")
    public HarvestPlan harvestPlan(@BeanInject("mediaPolicy") MediaPolicy policy) {
        return new HarvestPlan(new MediaSplitter(), policy, providers);
    }

    @BindToRegistry("mediaCopy")
    public MediaCopy mediaCopy(CamelContext context, @BeanInject("mediaPolicy") MediaPolicy policy,
            @BeanInject("s3Client") S3Client s3, @PropertyInject("luma.harvest.max-spool-bytes") long maxSpoolBytes,
            @PropertyInject("luma.harvest.spool-dir:") String spoolDir,
            @PropertyInject("luma.harvest.max-copy-ms") long maxCopyMs,
            @PropertyInject("s3.multipart.threshold-bytes") long multipartThreshold) {
        return new MediaCopy(policy, bucket, s3, new SpoolSpace(SpoolSpace.directory(spoolDir), maxSpoolBytes),
                includePrompt, maxCopyMs, timers(context), s3Uploads.handsBackPutSha256() ? multipartThreshold : -1);
    }

    /**
     * One thread for the timers: every copy's wall-clock limit (it only drops connections), the S3 client's own
     * time-outs, which would otherwise start five threads of the SDK's, and the polling-lag WARN line. Shut down with
     * the context.
     */
    private synchronized ScheduledExecutorService timers(CamelContext context) {
        if (timers == null) {
            timers = context.getExecutorServiceManager().newSingleThreadScheduledExecutor(this, "timers");
            if (timers instanceof ScheduledThreadPoolExecutor pool) {
                // every copy that ends in time cancels its watchdog: it leaves the queue at once
                pool.setRemoveOnCancelPolicy(true);
            }
        }
        return timers;
    }

    /**
     * Every kafka endpoint's producer: one per distinct configuration, not one per endpoint and route. In Java, not in
     * a route file's beans: camel.component.kafka.kafka-client-factory names it, and Camel Quarkus configures the
     * components before it loads the route files (their beans are not bound yet).
     */
    @BindToRegistry(value = "kafkaClientFactory", destroyMethod = "close")
    public synchronized SharedProducers kafkaClientFactory() {
        if (kafkaClientFactory == null) {
            kafkaClientFactory = new SharedProducers();
        }
        return kafkaClientFactory;
    }

    /**
     * The media client's connections, for both the http and https components: every name is resolved through
     * {@link MediaAddresses}, and the CDN timeouts apply to every connection. A {@link DnsResolver} bound as
     * {@code mediaDnsResolver} answers the look-ups in place of the system's (the tests map names to addresses);
     * MediaAddresses checks its answers all the same.
     */
    @BindToRegistry(value = "mediaConnections", destroyMethod = "close")
    public synchronized HttpClientConnectionManager mediaConnections(CamelContext context,
            @PropertyInject("luma.harvest.allow-private-addresses") boolean allowPrivate,
            @PropertyInject("luma.harvest.connect-timeout-ms") long connectTimeoutMs,
            @PropertyInject("luma.harvest.read-timeout-ms") long readTimeoutMs) {
        if (mediaConnections == null) {
            mediaConnections = PoolingHttpClientConnectionManagerBuilder.create()
                    .setDnsResolver(new MediaAddresses(Optional.ofNullable(context.getRegistry()
                            .lookupByNameAndType("mediaDnsResolver", DnsResolver.class))
                            .orElse(SystemDefaultDnsResolver.INSTANCE), allowPrivate))
                    .setDefaultConnectionConfig(ConnectionConfig.custom()
                            .setConnectTimeout(Timeout.ofMilliseconds(connectTimeoutMs))
                            .setSocketTimeout(Timeout.ofMilliseconds(readTimeoutMs)).build())
                    .setDefaultSocketConfig(SocketConfig.custom()
                            .setSoTimeout(Timeout.ofMilliseconds(readTimeoutMs)).build())
                    .setMaxConnTotal(2 * maxConcurrentCopies).setMaxConnPerRoute(2 * maxConcurrentCopies)
                    .build();
        }
        return mediaConnections;
    }

    /** A media request's provider auth: with media-auth, only to the provider's own API host (docs/providers.md). */
    @BindToRegistry("mediaAuthHeaders")
    public MediaAuthHeaders mediaAuthHeaders() {
        return new MediaAuthHeaders(providers);
    }

    @BindToRegistry("mediaRedirects")
    public MediaRedirects mediaRedirects(@BeanInject("mediaPolicy") MediaPolicy policy) {
        return new MediaRedirects(policy);
    }

    /** The media client's configuration: redirects only to allowed hosts, luma.harvest.max-copy-ms from the start. */
    @BindToRegistry("mediaClient")
    public HttpClientConfigurer mediaClient(CamelContext context,
            @BeanInject("mediaRedirects") MediaRedirects redirects,
            @PropertyInject("luma.harvest.max-copy-ms") long maxCopyMs) {
        CompositeHttpConfigurer configurers = new CompositeHttpConfigurer();
        configurers.addConfigurer(redirects);
        configurers.addConfigurer(new CopyLimit(maxCopyMs, timers(context)));
        configurers.addConfigurer(new CopyErrors());
        return configurers;
    }

    @BindToRegistry("generationEvents")
    public GenerationEvents generationEvents(@PropertyInject("luma.events.source") String source) {
        return new GenerationEvents(source, clock, includePrompt, providers);
    }

    /**
     * What a callback posted to luma.callbacks.port means (routes/callbacks.camel.yaml): verified by its provider's
     * scheme, the task it names, whether that task runs. Secrets are read when a provider's first callback arrives.
     */
    @BindToRegistry("callbacks")
    public Callbacks callbacks(CamelContext context, @BeanInject("providers") Providers providers,
            @BeanInject("taskStates") TaskStates states,
            @PropertyInject("luma.callbacks.start-unknown") boolean startUnknown) {
        PropertiesComponent properties = context.getPropertiesComponent();
        return new Callbacks(providers, states,
                setting -> properties.resolveProperty(setting).filter(value -> !value.isBlank()).orElse(null),
                startUnknown, clock);
    }

    /**
     * The callback deliveries taken lately, so that one sent again wakes nothing twice. In Java, not YAML: the
     * callbacks route file loads without the settings when callbacks are off (its precondition), and YAML beans are
     * built whatever a route's precondition says.
     */
    @BindToRegistry("callbackDeliveries")
    public IdempotentRepository callbackDeliveries(
            @PropertyInject("luma.callbacks.dedup-cache-size") int cacheSize) {
        return MemoryIdempotentRepository.memoryIdempotentRepository(cacheSize);
    }

    /**
     * Empty {@code s3.endpoint} means AWS; a set one means an S3-compatible store, addressed path-style. Keys set as
     * properties (Camel K mounts a Secret that way) win over the AWS default chain (environment, profile, role). Bad
     * upload settings (s3.sse, s3.kms-key-id, s3.storage-class, s3.tags, s3.checksum-algorithm) stop the start.
     */
    @BindToRegistry("s3Client")
    public S3Client s3Client(CamelContext context, @PropertyInject("s3.endpoint:") String endpoint,
            @PropertyInject("s3.region") String region, @PropertyInject("s3.access-key:") String accessKey,
            @PropertyInject("s3.secret-key:") String secretKey, @PropertyInject("s3.sse") String sse,
            @PropertyInject("s3.kms-key-id:") String kmsKeyId, @PropertyInject("s3.storage-class:") String storageClass,
            @PropertyInject("s3.tags:") String tags, @PropertyInject("s3.checksum-algorithm") String checksumAlgorithm,
            @PropertyInject("s3.expect-continue-threshold-bytes") long expectContinueThreshold) {
        S3Uploads uploads = S3Uploads.from(sse, kmsKeyId, storageClass, tags, checksumAlgorithm);
        s3Uploads = uploads;
        var builder = S3Client.builder()
                .region(Region.of(region))
                .credentialsProvider(accessKey.isBlank() || secretKey.isBlank()
                        ? DefaultCredentialsProvider.builder().build()
                        : StaticCredentialsProvider.create(AwsBasicCredentials.create(accessKey, secretKey)));
        if (!endpoint.isBlank()) {
            builder.endpointOverride(URI.create(endpoint.strip())).forcePathStyle(true);
        }
        return uploads.client(builder, ApacheHttpClient.builder().maxConnections(Math.max(S3_CONNECTIONS,
                maxConcurrentCopies)), o -> o.scheduledExecutorService(timers(context)), expectContinueThreshold);
    }
}
