package io.lumaharvester.ops;

import io.micrometer.core.instrument.MeterRegistry;
import io.micrometer.core.instrument.Metrics;
import io.micrometer.prometheusmetrics.PrometheusConfig;
import io.micrometer.prometheusmetrics.PrometheusMeterRegistry;
import org.apache.camel.CamelContext;
import org.apache.camel.component.micrometer.MicrometerConstants;
import org.apache.camel.component.micrometer.MicrometerUtils;

/**
 * The meter registry of the harvester's own meters, where the runtime serves it: the one Camel has
 * ({@code metricsRegistry}, as camel-micrometer finds it); else, under camel-main, a Prometheus registry bound as
 * {@code metricsRegistry} (which camel-main's /observe/metrics then serves); else Micrometer's global registry,
 * where Quarkus adds its registries (/q/metrics), also the ones it adds after the beans are made.
 * <p>
 * The Prometheus registry's class is only touched in {@link Prometheus}: Quarkus 3.27's Micrometer has no
 * {@code io.micrometer.prometheusmetrics}, and a class that refers to it in its own code does not load there.
 */
public final class MetricsRegistry {

    private static final String PROMETHEUS_CLASS = "io.micrometer.prometheusmetrics.PrometheusMeterRegistry";

    private MetricsRegistry() {
    }

    public static MeterRegistry of(CamelContext context) {
        MeterRegistry registry = MicrometerUtils.getMeterRegistryFromCamelRegistry(context.getRegistry(),
                MicrometerConstants.METRICS_REGISTRY_NAME);
        if (registry != null) {
            return registry;
        }
        return onClassPath(PROMETHEUS_CLASS) ? Prometheus.bind(context) : Metrics.globalRegistry;
    }

    private static boolean onClassPath(String className) {
        try {
            Class.forName(className, false, MetricsRegistry.class.getClassLoader());
            return true;
        } catch (ClassNotFoundException e) {
            return false;
        }
    }

    private static final class Prometheus {

        static MeterRegistry bind(CamelContext context) {
            MeterRegistry registry = new PrometheusMeterRegistry(PrometheusConfig.DEFAULT);
            context.getRegistry().bind(MicrometerConstants.METRICS_REGISTRY_NAME, registry);
            return registry;
        }
    }
}
