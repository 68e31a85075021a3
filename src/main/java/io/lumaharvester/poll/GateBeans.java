package io.lumaharvester.poll;

import java.time.Clock;
import java.util.concurrent.ScheduledExecutorService;
import java.util.concurrent.TimeUnit;

import io.lumaharvester.due.DueGate;
import io.lumaharvester.harvest.HarvestGate;
import io.lumaharvester.ops.MetricsRegistry;
import io.lumaharvester.provider.Providers;
import io.micrometer.core.instrument.MeterRegistry;
import org.apache.camel.BeanInject;
import org.apache.camel.BindToRegistry;
import org.apache.camel.CamelConfiguration;
import org.apache.camel.CamelContext;
import org.apache.camel.Configuration;
import org.apache.camel.PropertyInject;
import org.apache.camel.spi.PropertiesComponent;

/**
 * The gates of the poll and harvest consumers: how fast this instance calls each provider's API, and how many harvests
 * it lets in, fewer while polls lag.
 */
@Configuration
public class GateBeans implements CamelConfiguration {

    // camel-main calls each bind method twice: the API gates (meters, a timer task) are created once
    private ApiGates apiGate;

    /**
     * The poll consumer's gate: API requests in flight and per second, per provider (each account has its own quota):
     * luma.api.max-in-flight and luma.api.max-requests-per-second, or a provider's own luma.providers.NAME.*.
     */
    @BindToRegistry("apiGate")
    public synchronized ApiGates apiGate(CamelContext context, @BeanInject("timers") ScheduledExecutorService timers,
            @PropertyInject("luma.api.max-in-flight") int maxApiInFlight,
            @PropertyInject("luma.poll.interval-ms") long intervalMs) {
        if (apiGate == null) {
            PropertiesComponent properties = context.getPropertiesComponent();
            MeterRegistry meters = MetricsRegistry.of(context);
            Clock clock = Clock.systemUTC();
            apiGate = new ApiGates(provider -> {
                String prefix = Providers.LUMA_AGGREGATOR.equals(provider) ? "luma.api." : "luma.providers." + provider + ".";
                int maxInFlight = properties.resolveProperty(prefix + "max-in-flight").map(v -> Integer.parseInt(v.strip()))
                        .orElse(maxApiInFlight);
                double rate = Double.parseDouble(properties.resolveProperty(prefix + "max-requests-per-second")
                        .or(() -> properties.resolveProperty("luma.api.max-requests-per-second")).orElseThrow().strip());
                return new ApiGate(maxInFlight, rate, intervalMs, clock, meters, provider);
            }, Providers.LUMA_AGGREGATOR);
            // the minute's WARN line is otherwise written by the next dispatch, which may never come
            timers.scheduleWithFixedDelay(apiGate::reportLag, 5, 5, TimeUnit.SECONDS);
        }
        return apiGate;
    }

    /**
     * The harvest consumer's gate: luma.harvest.max-copies-in-flight harvests, fewer while polls lag
     * (luma.harvest.max-copies-in-flight-while-polls-lag).
     */
    @BindToRegistry("harvestGate")
    public DueGate harvestGate(@BeanInject("apiGate") ApiGates apiGate,
            @PropertyInject("luma.harvest.max-copies-in-flight") int maxCopiesInFlight,
            @PropertyInject("luma.harvest.max-copies-in-flight-while-polls-lag") int whilePollsLag) {
        return HarvestGate.of(maxCopiesInFlight, whilePollsLag, apiGate::pollsLag);
    }
}
