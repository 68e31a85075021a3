package io.lumaharvester.poll;

import io.lumaharvester.ops.LumaApiAccessCheck;
import io.lumaharvester.provider.Providers;
import io.lumaharvester.task.PollSchedule;
import io.vertx.core.Vertx;
import io.vertx.core.VertxOptions;
import io.vertx.ext.web.client.WebClientOptions;
import org.apache.camel.BeanInject;
import org.apache.camel.BindToRegistry;
import org.apache.camel.CamelConfiguration;
import org.apache.camel.Configuration;
import org.apache.camel.PropertyInject;

/**
 * The API client (vertx-http) and what reads its answers. In Java: camel.component.vertx-http.vertx-http-binding
 * names lumaApiBinding, and Camel Quarkus configures the components before it loads the route files.
 */
@Configuration
public class ApiClientBeans implements CamelConfiguration {

    // camel-main calls each bind method twice: the event loops are started once
    private Vertx vertx;

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

    /**
     * The API client: one connection per request in flight, redirects not followed (a redirect is an error). A
     * connection idle for luma.api.keep-alive-ms (whole seconds, rounded up) is dropped by the client first: servers
     * close idle ones after their own time-out (30 s for many), and a poll sent on a connection the server is closing
     * fails and backs off a whole interval.
     */
    @BindToRegistry("lumaApiClientOptions")
    public WebClientOptions lumaApiClientOptions(@PropertyInject("luma.api.connect-timeout-ms") int connectTimeoutMs,
            @PropertyInject("luma.api.max-in-flight") int maxApiInFlight,
            @PropertyInject("luma.api.keep-alive-ms") int keepAliveMs) {
        return new WebClientOptions().setMaxPoolSize(maxApiInFlight)
                .setHttp2MaxPoolSize(Math.max(1, maxApiInFlight / 64))
                .setFollowRedirects(false).setConnectTimeout(connectTimeoutMs).setKeepAlive(true)
                .setKeepAliveTimeout(Math.max(1, (int) ((keepAliveMs + 999L) / 1000)))
                .setTcpNoDelay(true).setUserAgent("luma-harvester");
    }

    /** How vertx-http reads the API's answers: at most luma.api.max-response-bytes each. */
    @BindToRegistry("lumaApiBinding")
    public LumaApiBinding lumaApiBinding(@PropertyInject("luma.api.max-response-bytes") long maxResponseBytes) {
        return new LumaApiBinding(maxResponseBytes);
    }

    @BindToRegistry("statusRequests")
    public StatusRequests statusRequests(@BeanInject("providers") Providers providers) {
        return new StatusRequests(providers);
    }

    @BindToRegistry("generationReader")
    public GenerationReader generationReader(@BeanInject("pollSchedule") PollSchedule schedule,
            @PropertyInject("luma.poll.not-found-confirmations") int notFoundConfirmations,
            @BeanInject("lumaApiAccess") LumaApiAccessCheck apiAccess,
            @BeanInject("apiGate") ApiGates apiGate, @BeanInject("providers") Providers providers) {
        return new GenerationReader(schedule, notFoundConfirmations, apiAccess, apiGate, providers);
    }
}
