package io.lumaharvester.ops;

import io.lumaharvester.kafka.KafkaClients;
import io.lumaharvester.kafka.KafkaTopics;
import java.util.List;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.ExecutionException;

import org.apache.camel.CamelContext;
import org.apache.camel.Ordered;
import org.apache.camel.StartupListener;
import org.apache.camel.VetoCamelContextStartException;
import org.apache.camel.support.LifecycleStrategySupport;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Before any route or repository starts, Kafka must accept the harvester and every topic it uses must be there:
 * <ul>
 * <li>Kafka answers: missing topics are created ({@link KafkaTopics}); a missing topic the harvester may not create
 * fails the start with one line naming every such topic and how to create it.</li>
 * <li>Kafka does not answer or refuses the credentials: one ERROR line says so, and the start waits, asking again
 * every {@code luma.kafka.startup-retry-ms} without logging it again. Readiness is DOWN meanwhile, naming
 * {@code kafka-access}. Without this, every consumer and repository would log its own failure on each
 * reconnect.</li>
 * </ul>
 * Then what reads a topic back before the routes may use it ({@link #then}) starts, in the same wait: readiness is
 * DOWN until it has (the context is still starting), and one that fails fails the start in one line.
 */
public class KafkaStartup extends LifecycleStrategySupport implements StartupListener, Ordered {

    private static final Logger LOG = LoggerFactory.getLogger(KafkaStartup.class);

    private final KafkaAccessCheck access;
    private final KafkaTopics topics;
    private final KafkaClients clients;
    private final long retryMs;
    private final List<Runnable> then = new CopyOnWriteArrayList<>();
    private String logged;

    public KafkaStartup(KafkaAccessCheck access, KafkaTopics topics, KafkaClients clients, long retryMs) {
        this.access = access;
        this.topics = topics;
        this.clients = clients;
        this.retryMs = retryMs;
    }

    /**
     * Runs {@code start} once Kafka accepts the harvester and the topics are there, before any route starts: what
     * reads a topic back before the routes may use it. What it throws fails the start, in its own words.
     */
    public void then(Runnable start) {
        then.add(start);
    }

    /**
     * Last among the start-up listeners, so after Camel has started the management server (readiness answers while
     * the start waits), and before the routes and the repositories start.
     */
    @Override
    public int getOrder() {
        return Ordered.LOWEST;
    }

    @Override
    public void onCamelContextStarting(CamelContext context, boolean alreadyStarted)
            throws VetoCamelContextStartException {
        if (alreadyStarted) {
            return;
        }
        // SIGTERM while the start waits: the context has not started, so only the JVM's shutdown tells us
        Thread starting = Thread.currentThread();
        Thread stopWaiting = new Thread(starting::interrupt, "kafka-startup-stop");
        Runtime.getRuntime().addShutdownHook(stopWaiting);
        try {
            while (!attempt()) {
                Thread.sleep(retryMs);
            }
            if (logged != null) {
                LOG.info("Kafka at {} accepts the harvester now", clients.brokers());
            }
            access.release();
            for (Runnable start : then) {
                try {
                    start.run();
                } catch (RuntimeException e) {
                    // the service's own words (TaskStates names its topic), as the launcher's one line
                    throw new VetoCamelContextStartException((Thread.currentThread().isInterrupted()
                            ? "stopped while starting: " : "") + e.getMessage(), context, true);
                }
            }
        } catch (KafkaTopics.MissingTopicsException e) {
            // a veto, not an error: Camel stops without a stack trace, and the launcher prints this as its one line
            throw new VetoCamelContextStartException(e.getMessage(), context, true);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            throw new VetoCamelContextStartException("stopped while waiting for Kafka at " + clients.brokers(),
                    context, true);
        } finally {
            try {
                Runtime.getRuntime().removeShutdownHook(stopWaiting);
            } catch (IllegalStateException shuttingDown) {
                // the hook has run
            }
        }
    }

    @Override
    public void onCamelContextStarted(CamelContext context, boolean alreadyStarted) {
        // checked before the routes started
    }

    @Override
    public void onContextStopping(CamelContext context) {
        access.close();
    }

    /** True when Kafka answered and the topics are there; false (held, logged once) when Kafka cannot be used. */
    private boolean attempt() throws KafkaTopics.MissingTopicsException, InterruptedException {
        String problem = access.problem();
        if (Thread.currentThread().isInterrupted()) {
            // a stop while asking: not a Kafka problem to report
            throw new InterruptedException();
        }
        if (problem == null) {
            try {
                KafkaTopics.Report report = topics.provision(access.admin());
                if (!report.created().isEmpty()) {
                    LOG.info("created Kafka topics {}", String.join(", ", report.created()));
                }
                report.warnings().forEach(LOG::warn);
                return true;
            } catch (ExecutionException e) {
                problem = access.explain(e.getCause());
            }
        }
        access.hold(problem);
        // the same problem again is not news: one ERROR line per kind of problem, not one per attempt
        String kind = problem.replaceAll("\\(.*\\)", "");
        if (!kind.equals(logged)) {
            logged = kind;
            LOG.error("{}. The start waits, and readiness is DOWN (kafka-access); asking again every {} ms", problem,
                    retryMs);
        }
        return false;
    }
}
