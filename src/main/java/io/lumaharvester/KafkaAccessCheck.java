package io.lumaharvester;

import java.util.Map;
import java.util.Properties;
import java.util.concurrent.TimeUnit;

import org.apache.camel.health.HealthCheckResultBuilder;
import org.apache.camel.impl.health.AbstractHealthCheck;
import org.apache.kafka.clients.admin.Admin;
import org.apache.kafka.clients.admin.AdminClientConfig;
import org.apache.kafka.clients.admin.DescribeClusterOptions;

/**
 * Readiness is DOWN while no Kafka broker answers. Camel's own Kafka checks do not show this: a consumer whose broker
 * is gone keeps polling without an error, and a producer that has sent nothing yet has no connection to report.
 * Asks the cluster for its id, with a bounded wait, on each call.
 */
public class KafkaAccessCheck extends AbstractHealthCheck implements AutoCloseable {

    private final String brokers;
    private final int timeoutMs;
    private Admin admin;

    public KafkaAccessCheck(String brokers, int timeoutMs) {
        super("luma", "kafka-access");
        this.brokers = brokers;
        this.timeoutMs = timeoutMs;
    }

    @Override
    public boolean isLiveness() {
        return false;
    }

    @Override
    protected void doCall(HealthCheckResultBuilder builder, Map<String, Object> options) {
        try {
            String clusterId = admin().describeCluster(new DescribeClusterOptions().timeoutMs(timeoutMs))
                    .clusterId().get(timeoutMs + 1000L, TimeUnit.MILLISECONDS);
            builder.up().detail("cluster.id", clusterId);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            builder.down().message("interrupted while asking Kafka at " + brokers);
        } catch (Exception e) {
            builder.down().message("no Kafka broker at " + brokers + " answered within " + timeoutMs + " ms")
                    .error(e);
        }
    }

    private synchronized Admin admin() {
        if (admin == null) {
            Properties props = new Properties();
            props.put(AdminClientConfig.BOOTSTRAP_SERVERS_CONFIG, brokers);
            props.put(AdminClientConfig.CLIENT_ID_CONFIG, "luma-harvester-health");
            props.put(AdminClientConfig.REQUEST_TIMEOUT_MS_CONFIG, timeoutMs);
            props.put(AdminClientConfig.DEFAULT_API_TIMEOUT_MS_CONFIG, timeoutMs);
            admin = Admin.create(props);
        }
        return admin;
    }

    @Override
    public synchronized void close() {
        if (admin != null) {
            admin.close(java.time.Duration.ofSeconds(1));
            admin = null;
        }
    }
}
