package io.lumaharvester.ops;

import io.lumaharvester.kafka.KafkaClients;
import java.time.Duration;
import java.util.Map;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.TimeUnit;

import org.apache.camel.health.HealthCheckResultBuilder;
import org.apache.camel.impl.health.AbstractHealthCheck;
import org.apache.kafka.clients.admin.Admin;
import org.apache.kafka.clients.admin.DescribeClusterOptions;
import org.apache.kafka.common.errors.AuthenticationException;
import org.apache.kafka.common.errors.AuthorizationException;

/**
 * Readiness is DOWN while Kafka cannot be used: no broker answers, it refuses the credentials, or the start is still
 * waiting for it ({@link KafkaStartup}). Camel's own Kafka checks do not show this: a consumer whose broker is gone
 * keeps polling without an error, and a producer that has sent nothing yet has no connection to report. Asks the
 * cluster for its id, with a bounded wait, on each call.
 */
public class KafkaAccessCheck extends AbstractHealthCheck implements AutoCloseable {

    private final KafkaClients clients;
    private final int timeoutMs;
    private volatile String held;
    private Admin admin;

    public KafkaAccessCheck(KafkaClients clients, int timeoutMs) {
        super("luma", "kafka-access");
        this.clients = clients;
        this.timeoutMs = timeoutMs;
    }

    @Override
    public boolean isLiveness() {
        return false;
    }

    @Override
    protected void doCall(HealthCheckResultBuilder builder, Map<String, Object> options) {
        String why = held;
        if (why == null) {
            why = problem();
        }
        if (why == null) {
            builder.up();
        } else {
            builder.down().message(why);
        }
    }

    /**
     * Null when the cluster answers within the timeout; otherwise what is wrong, in words an operator can act on. After
     * a failure the client is closed: left open, it would reconnect (and Kafka would log it) every second.
     */
    public synchronized String problem() {
        try {
            admin().describeCluster(new DescribeClusterOptions().timeoutMs(timeoutMs)).clusterId()
                    .get(timeoutMs + 1000L, TimeUnit.MILLISECONDS);
            return null;
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            return "interrupted while asking Kafka at " + clients.brokers();
        } catch (ExecutionException e) {
            close();
            return explain(e.getCause());
        } catch (java.util.concurrent.TimeoutException e) {
            close();
            return explain(e);
        }
    }

    /** One sentence for a failed call to Kafka: whose fault, and which settings to look at. */
    public String explain(Throwable failure) {
        String what = failure.getClass().getSimpleName() + ": " + failure.getMessage();
        if (failure instanceof AuthenticationException) {
            return "Kafka at " + clients.brokers() + " refused the harvester's credentials (" + what
                    + "); check kafka.client.* (security protocol " + clients.describe() + ")";
        }
        if (failure instanceof AuthorizationException) {
            return "Kafka at " + clients.brokers() + " does not authorize the harvester (" + what
                    + "); grant its principal the ACLs listed in docs/kafka.md (Permissions)";
        }
        if (failure instanceof org.apache.kafka.common.errors.TimeoutException
                || failure instanceof java.util.concurrent.TimeoutException) {
            return "no Kafka broker at " + clients.brokers() + " answered within " + timeoutMs + " ms (security "
                    + "protocol " + clients.describe() + ")";
        }
        return "Kafka at " + clients.brokers() + " failed (" + what + ")";
    }

    /** DOWN with this reason, without asking Kafka, until {@link #release()}. */
    public void hold(String reason) {
        held = reason;
    }

    public void release() {
        held = null;
    }

    /** One Admin client for the process: readiness and the start share it. */
    public synchronized Admin admin() {
        if (admin == null) {
            admin = Admin.create(clients.client());
        }
        return admin;
    }

    @Override
    public synchronized void close() {
        if (admin != null) {
            admin.close(Duration.ZERO);
            admin = null;
        }
    }
}
