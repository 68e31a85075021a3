package io.lumaharvester.due;

import io.lumaharvester.kafka.KafkaClients;
import java.util.Map;

import org.apache.camel.Endpoint;
import org.apache.camel.support.DefaultComponent;

/**
 * The {@code due:} component: Kafka topics whose records go into the route when due, many in flight at once, offsets
 * committed only for what the route has finished. Every consumer connects with the shared {@link KafkaClients},
 * joins one consumer group, and counts the records it holds against one {@link HeldBytes}.
 */
public class DueComponent extends DefaultComponent {

    private final KafkaClients clients;
    private final String groupId;
    private final int fetchWaitMaxMs;
    private final HeldBytes heldBytes;

    /** Held records capped at 5 % of the heap. */
    public DueComponent(KafkaClients clients, String groupId, int fetchWaitMaxMs) {
        this(clients, groupId, fetchWaitMaxMs, HeldBytes.ofHeap(0, Runtime.getRuntime().maxMemory()));
    }

    public DueComponent(KafkaClients clients, String groupId, int fetchWaitMaxMs, HeldBytes heldBytes) {
        this.clients = clients;
        this.groupId = groupId;
        this.fetchWaitMaxMs = fetchWaitMaxMs;
        this.heldBytes = heldBytes;
    }

    @Override
    protected Endpoint createEndpoint(String uri, String remaining, Map<String, Object> parameters) throws Exception {
        DueEndpoint endpoint = new DueEndpoint(uri, this, remaining);
        setProperties(endpoint, parameters);
        return endpoint;
    }

    public KafkaClients getClients() {
        return clients;
    }

    public String getGroupId() {
        return groupId;
    }

    public int getFetchWaitMaxMs() {
        return fetchWaitMaxMs;
    }

    public HeldBytes getHeldBytes() {
        return heldBytes;
    }
}
