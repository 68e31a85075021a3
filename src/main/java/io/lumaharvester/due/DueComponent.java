package io.lumaharvester.due;

import io.lumaharvester.kafka.KafkaClients;
import java.util.Map;

import org.apache.camel.Endpoint;
import org.apache.camel.support.DefaultComponent;

/**
 * The {@code due:} component: Kafka topics whose records go into the route when due, many in flight at once, offsets
 * committed only for what the route has finished. Every consumer connects with the shared {@link KafkaClients} and
 * joins one consumer group.
 */
public class DueComponent extends DefaultComponent {

    private final KafkaClients clients;
    private final String groupId;
    private final int fetchWaitMaxMs;

    public DueComponent(KafkaClients clients, String groupId, int fetchWaitMaxMs) {
        this.clients = clients;
        this.groupId = groupId;
        this.fetchWaitMaxMs = fetchWaitMaxMs;
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
}
