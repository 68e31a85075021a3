package io.lumaharvester.intake;

import io.lumaharvester.dev.HarvesterExtension;
import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.catchThrowable;

import java.lang.management.ManagementFactory;
import java.net.ServerSocket;
import java.time.Clock;
import java.util.HashMap;
import java.util.Map;
import java.util.Set;
import java.util.UUID;

import javax.management.ObjectName;

import io.lumaharvester.kafka.KafkaClients;
import io.micrometer.core.instrument.simple.SimpleMeterRegistry;
import org.apache.camel.CamelContext;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.RegisterExtension;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;

/**
 * The task states are read back while the harvester starts, before any route starts, and only then: never on the
 * intake consumer's thread (where the read would hold it past max.poll.interval.ms). A start that fails closes every
 * Kafka client it made.
 */
class TaskStatesStartTest {

    @RegisterExtension
    static final HarvesterExtension harvester = new HarvesterExtension("states-start", Map.of());

    /**
     * Read while the harvester starts, and kept while a route that uses them stops and starts again (Camel's bean
     * processors stop a bean that is a Camel service with the route): the next task record would otherwise read the
     * whole topic again on the intake consumer's thread.
     */
    @Test
    void theTaskStatesAreReadAtStartUpAndStayReadWhileARouteThatUsesThemStops() throws Exception {
        CamelContext context = harvester.app().context();
        TaskStates states = context.getRegistry().lookupByNameAndType("taskStates", TaskStates.class);
        assertThat(states.isStarted()).as("the task states, before any task record").isTrue();

        context.getRouteController().stopRoute("publish-event");
        try {
            assertThat(context.getRouteController().getRouteStatus("publish-event").isStopped()).isTrue();
            assertThat(states.isStarted()).as("the task states, while the publish-event route is stopped").isTrue();
        } finally {
            context.getRouteController().startRoute("publish-event");
        }
        assertThat(states.isStarted()).isTrue();
    }

    /** No broker at the address given (each wait for Kafka bounded at 2 s), or the states topic missing. */
    @ParameterizedTest(name = "{0}")
    @ValueSource(strings = {"no broker answers", "the topic is not there"})
    void aStartThatFailsClosesEveryKafkaClientItMade(String fault) throws Exception {
        String clientId = "states-start-" + UUID.randomUUID();
        String topic = "states-missing-" + UUID.randomUUID();
        Map<String, String> settings = new HashMap<>(Map.of("client.id", clientId, "default.api.timeout.ms", "2000"));
        String brokers;
        if (fault.equals("no broker answers")) {
            try (ServerSocket unused = new ServerSocket(0)) {
                brokers = "127.0.0.1:" + unused.getLocalPort();
            }
        } else {
            brokers = harvester.standIns().kafka.bootstrapServers();
            settings.put("allow.auto.create.topics", "false");
        }
        TaskStates states = new TaskStates(topic, topic + ".events", new KafkaClients(brokers, settings),
                new SimpleMeterRegistry(), Clock.systemUTC(), 60_000, Runnable::run);

        Throwable failure = catchThrowable(states::start);

        assertThat(failure).isNotNull();
        assertThat(openClients(clientId)).as("Kafka clients left open").isEmpty();
        assertThat(failure).hasMessageContaining("the task states could not be read from " + topic);
    }

    /** The producers and consumers of this client id that are not closed (each registers its app-info MBean). */
    private static Set<ObjectName> openClients(String clientId) throws Exception {
        return ManagementFactory.getPlatformMBeanServer()
                .queryNames(new ObjectName("kafka.*:type=app-info,id=" + clientId), null);
    }
}
