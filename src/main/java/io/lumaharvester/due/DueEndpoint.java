package io.lumaharvester.due;

import java.util.function.BooleanSupplier;

import org.apache.camel.Category;
import org.apache.camel.Consumer;
import org.apache.camel.Processor;
import org.apache.camel.Producer;
import org.apache.camel.spi.UriEndpoint;
import org.apache.camel.spi.UriParam;
import org.apache.camel.spi.UriPath;
import org.apache.camel.support.DefaultEndpoint;

/** {@code due:topic}: a Kafka topic whose records go into the route when due, many at once (see {@link DueConsumer}). */
@UriEndpoint(scheme = "due", title = "Due records", syntax = "due:topic", consumerOnly = true,
        category = Category.MESSAGING)
public class DueEndpoint extends DefaultEndpoint {

    @UriPath
    private final String topic;
    @UriParam(defaultValue = "16", description = "Records in flight through the route at once, when no gate is given")
    private int maxInFlight = 16;
    @UriParam(description = "Decides when the next due record may go into the route (a DueGate bean)")
    private DueGate gate;
    @UriParam(description = "Read more records only while this is true (a BooleanSupplier bean)")
    private BooleanSupplier readWhile;
    @UriParam(defaultValue = "50000", description = "Stop reading while this many records wait or are in flight")
    private int maxHeld = 50_000;
    @UriParam(defaultValue = "100000", description = "Keys whose highest step number is remembered")
    private int rememberSteps = 100_000;
    @UriParam(defaultValue = "1000", description = "First wait before a record the route failed goes in again")
    private long retryDelayMs = 1000;
    @UriParam(defaultValue = "60000", description = "Longest wait before a record the route failed goes in again")
    private long maxRetryDelayMs = 60_000;
    @UriParam(defaultValue = "10000", description = "On stop, and for the partitions a rebalance takes away, how long "
            + "records in flight may take to finish")
    private long shutdownTimeoutMs = 10_000;

    public DueEndpoint(String uri, DueComponent component, String topic) {
        super(uri, component);
        this.topic = topic;
    }

    @Override
    public DueComponent getComponent() {
        return (DueComponent) super.getComponent();
    }

    @Override
    public Producer createProducer() {
        throw new UnsupportedOperationException("due: only consumes; write records with the kafka component");
    }

    @Override
    public Consumer createConsumer(Processor processor) throws Exception {
        DueConsumer consumer = new DueConsumer(this, processor);
        configureConsumer(consumer);
        return consumer;
    }

    public String getTopic() {
        return topic;
    }

    public int getMaxInFlight() {
        return maxInFlight;
    }

    public void setMaxInFlight(int maxInFlight) {
        this.maxInFlight = maxInFlight;
    }

    public DueGate getGate() {
        return gate;
    }

    public void setGate(DueGate gate) {
        this.gate = gate;
    }

    public BooleanSupplier getReadWhile() {
        return readWhile;
    }

    public void setReadWhile(BooleanSupplier readWhile) {
        this.readWhile = readWhile;
    }

    public int getMaxHeld() {
        return maxHeld;
    }

    public void setMaxHeld(int maxHeld) {
        this.maxHeld = maxHeld;
    }

    public int getRememberSteps() {
        return rememberSteps;
    }

    public void setRememberSteps(int rememberSteps) {
        this.rememberSteps = rememberSteps;
    }

    public long getRetryDelayMs() {
        return retryDelayMs;
    }

    public void setRetryDelayMs(long retryDelayMs) {
        this.retryDelayMs = retryDelayMs;
    }

    public long getMaxRetryDelayMs() {
        return maxRetryDelayMs;
    }

    public void setMaxRetryDelayMs(long maxRetryDelayMs) {
        this.maxRetryDelayMs = maxRetryDelayMs;
    }

    public long getShutdownTimeoutMs() {
        return shutdownTimeoutMs;
    }

    public void setShutdownTimeoutMs(long shutdownTimeoutMs) {
        this.shutdownTimeoutMs = shutdownTimeoutMs;
    }
}
