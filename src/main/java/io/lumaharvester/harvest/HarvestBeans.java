package io.lumaharvester.harvest;

import java.net.URI;
import java.util.Optional;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.ScheduledExecutorService;

import io.lumaharvester.provider.Providers;
import org.apache.camel.BeanInject;
import org.apache.camel.BindToRegistry;
import org.apache.camel.CamelConfiguration;
import org.apache.camel.CamelContext;
import org.apache.camel.Configuration;
import org.apache.camel.PropertyInject;
import org.apache.camel.builder.ThreadPoolProfileBuilder;
import org.apache.camel.component.aws2.s3.AWS2S3Component;
import org.apache.camel.component.http.CompositeHttpConfigurer;
import org.apache.camel.component.http.HttpClientConfigurer;
import org.apache.camel.spi.ThreadPoolProfile;
import org.apache.hc.client5.http.DnsResolver;
import org.apache.hc.client5.http.SystemDefaultDnsResolver;
import org.apache.hc.client5.http.config.ConnectionConfig;
import org.apache.hc.client5.http.impl.io.PoolingHttpClientConnectionManagerBuilder;
import org.apache.hc.client5.http.io.HttpClientConnectionManager;
import org.apache.hc.core5.http.io.SocketConfig;
import org.apache.hc.core5.util.Timeout;
import software.amazon.awssdk.auth.credentials.AwsBasicCredentials;
import software.amazon.awssdk.auth.credentials.DefaultCredentialsProvider;
import software.amazon.awssdk.auth.credentials.StaticCredentialsProvider;
import software.amazon.awssdk.http.apache.ApacheHttpClient;
import software.amazon.awssdk.regions.Region;
import software.amazon.awssdk.services.s3.S3Client;

/**
 * The harvest stage's beans: which media may be fetched, the media client and its connections, the copy threads, the
 * S3 client and the copy itself.
 */
@Configuration
public class HarvestBeans implements CamelConfiguration {

    // the S3 client's own default pool; an instance that copies more files at once gets as many connections, so that
    // no upload waits for one (and fails after the SDK's 10 s wait)
    private static final int S3_CONNECTIONS = 50;

    // camel-main calls each bind method twice: what owns threads or connections is created once
    private ExecutorService copies;
    private HttpClientConnectionManager mediaConnections;
    // what s3.sse and the other upload settings ask of every upload (s3Client adds tags and checksums; configure()
    // gives the aws2-s3 component its encryption options from it)
    private volatile S3Uploads s3Uploads;

    @BindToRegistry("mediaPolicy")
    public MediaPolicy mediaPolicy(@BeanInject("providers") Providers providers,
            @PropertyInject("luma.harvest.allowed-hosts") String allowedHosts,
            @PropertyInject("luma.harvest.allowed-schemes") String allowedSchemes) {
        // each provider's profile adds the hosts its media come from (media-hosts)
        StringBuilder hosts = new StringBuilder(allowedHosts);
        providers.names().forEach(name -> providers.get(name).mediaHosts().forEach(h -> hosts.append(',').append(h)));
        return new MediaPolicy(hosts.toString(), allowedSchemes);
    }

    @BindToRegistry("harvestPlan")
    public HarvestPlan harvestPlan(@BeanInject("mediaPolicy") MediaPolicy policy,
            @BeanInject("providers") Providers providers) {
        return new HarvestPlan(new MediaSplitter(), policy, providers);
    }

    @BindToRegistry("mediaCopy")
    public MediaCopy mediaCopy(@BeanInject("mediaPolicy") MediaPolicy policy,
            @BeanInject("s3Client") S3Client s3, @PropertyInject("luma.harvest.max-spool-bytes") long maxSpoolBytes,
            @PropertyInject("luma.harvest.spool-dir:") String spoolDir,
            @PropertyInject("luma.harvest.max-copy-ms") long maxCopyMs,
            @PropertyInject("s3.multipart.threshold-bytes") long multipartThreshold,
            @PropertyInject("s3.bucket") String bucket,
            @PropertyInject("luma.events.include-prompt") boolean includePrompt,
            @BeanInject("timers") ScheduledExecutorService timers) {
        return new MediaCopy(policy, bucket, s3, new SpoolSpace(SpoolSpace.directory(spoolDir), maxSpoolBytes),
                includePrompt, maxCopyMs, timers, s3Uploads.handsBackPutSha256() ? multipartThreshold : -1);
    }

    /** The threads media copies run on: luma.harvest.max-copies-in-flight for the whole instance. */
    @BindToRegistry("copies")
    public synchronized ExecutorService copies(CamelContext context,
            @PropertyInject("luma.harvest.max-copies-in-flight") int maxCopiesInFlight) {
        if (copies == null) {
            copies = context.getExecutorServiceManager().newThreadPool(this, "copy", copyThreads(maxCopiesInFlight));
        }
        return copies;
    }

    /**
     * {@code max} threads; idle ones end after a minute (a quiet harvester holds none). A copy that finds them all
     * busy waits in the queue. Camel's pools hand over directly when the queue size is 0 or less, and a full pool then
     * runs the copy on the thread that handed it over: the harvest consumer's, which would stop dispatching and
     * committing for as long as the file takes. harvestGate bounds the queue (its tasks × their files).
     */
    public static ThreadPoolProfile copyThreads(int max) {
        return new ThreadPoolProfileBuilder("copy").poolSize(max).maxPoolSize(max).keepAliveTime(60L)
                .allowCoreThreadTimeOut(true).maxQueueSize(Integer.MAX_VALUE).build();
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
            @PropertyInject("luma.harvest.read-timeout-ms") long readTimeoutMs,
            @PropertyInject("luma.harvest.max-copies-in-flight") int maxCopiesInFlight) {
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
                    .setMaxConnTotal(2 * maxCopiesInFlight).setMaxConnPerRoute(2 * maxCopiesInFlight)
                    .build();
        }
        return mediaConnections;
    }

    /** A media request's provider auth: with media-auth, only to the provider's own API host (docs/providers.md). */
    @BindToRegistry("mediaAuthHeaders")
    public MediaAuthHeaders mediaAuthHeaders(@BeanInject("providers") Providers providers) {
        return new MediaAuthHeaders(providers);
    }

    @BindToRegistry("mediaRedirects")
    public MediaRedirects mediaRedirects(@BeanInject("mediaPolicy") MediaPolicy policy) {
        return new MediaRedirects(policy);
    }

    /** The media client's configuration: redirects only to allowed hosts, luma.harvest.max-copy-ms from the start. */
    @BindToRegistry("mediaClient")
    public HttpClientConfigurer mediaClient(@BeanInject("mediaRedirects") MediaRedirects redirects,
            @PropertyInject("luma.harvest.max-copy-ms") long maxCopyMs,
            @BeanInject("timers") ScheduledExecutorService timers) {
        CompositeHttpConfigurer configurers = new CompositeHttpConfigurer();
        configurers.addConfigurer(redirects);
        configurers.addConfigurer(new CopyLimit(maxCopyMs, timers));
        configurers.addConfigurer(new CopyErrors());
        return configurers;
    }

    /**
     * Empty {@code s3.endpoint} means AWS; a set one means an S3-compatible store, addressed path-style. Keys set as
     * properties (Camel K mounts a Secret that way) win over the AWS default chain (environment, profile, role). Bad
     * upload settings (s3.sse, s3.kms-key-id, s3.storage-class, s3.tags, s3.checksum-algorithm) stop the start.
     */
    @BindToRegistry("s3Client")
    public S3Client s3Client(@PropertyInject("s3.endpoint:") String endpoint,
            @PropertyInject("s3.region") String region, @PropertyInject("s3.access-key:") String accessKey,
            @PropertyInject("s3.secret-key:") String secretKey, @PropertyInject("s3.sse") String sse,
            @PropertyInject("s3.kms-key-id:") String kmsKeyId, @PropertyInject("s3.storage-class:") String storageClass,
            @PropertyInject("s3.tags:") String tags, @PropertyInject("s3.checksum-algorithm") String checksumAlgorithm,
            @PropertyInject("s3.expect-continue-threshold-bytes") long expectContinueThreshold,
            @PropertyInject("luma.harvest.max-copies-in-flight") int maxCopiesInFlight,
            @BeanInject("timers") ScheduledExecutorService timers) {
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
                maxCopiesInFlight)), o -> o.scheduledExecutorService(timers), expectContinueThreshold);
    }

    /** The aws2-s3 component takes s3.sse, s3.kms-key-id and s3.storage-class from what s3Client was built with. */
    @Override
    public void configure(CamelContext context) {
        s3Uploads.applyTo(context.getComponent("aws2-s3", AWS2S3Component.class).getConfiguration());
    }
}
