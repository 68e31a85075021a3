package io.lumaharvester.due;

import java.util.Arrays;
import java.util.List;
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

    /**
     * The exchange property holding which try of its record an exchange is (an int, 1 for the first), in the spirit of
     * Camel's redelivery counter: a record the route fails and does not handle is sent again after a back-off.
     */
    public static final String ATTEMPT = "lumaDueAttempt";
    /**
     * The exchange property saying this try is the record's last (a boolean): it has failed {@code maxAttempts - 1}
     * times and its back-offs add up to {@code minRetryMs}. The route must handle what fails now (a dead letter, or
     * its task's failure event), or its record is sent again at the longest back-off.
     */
    public static final String LAST_ATTEMPT = "lumaDueLastAttempt";

    @UriPath
    private final String topic;
    @UriParam(defaultValue = "16", description = "Records in flight through the route at once, when no gate is given")
    private int maxInFlight = 16;
    @UriParam(description = "Decides when the next due record may go into the route (a DueGate bean)")
    private DueGate gate;
    @UriParam(description = "Records go into the route, and more are read, only while this is true (a BooleanSupplier"
            + " bean)")
    private BooleanSupplier admitWhile;
    /**
     * Above any admission (luma.tasks.max-in-flight): a poll consumer holds one ticket per task running, 100,000 at
     * about 1.4 KB each (HeldTasksIT); luma.tasks.max-held-bytes bounds their memory.
     */
    @UriParam(defaultValue = "250000", description = "Stop reading while this many records wait or are in flight")
    private int maxHeld = 250_000;
    @UriParam(defaultValue = "100", description = "Read only while the records all due: consumers of the instance"
            + " hold take less than this percentage of their bytes cap (HeldBytes)")
    private int maxHeldBytesPercent = 100;
    @UriParam(defaultValue = "true", description = "Whether the records carry the harvester's due headers (luma-due-at,"
            + " luma-step, luma-wake, the laneHeader); false: every record is due when read, none is stale and each"
            + " is routed, whatever its headers say")
    private boolean dueHeaders = true;
    @UriParam(description = "The Kafka header naming a record's lane (with dueHeaders; without the header, the lane"
            + " \"\"): records leave in due order within their lane, and the gate decides per lane, so a lane it holds"
            + " back holds back no other")
    private String laneHeader;
    @UriParam(description = "Record headers copied into the route as text exchange headers, by name, comma-separated"
            + " (whatever dueHeaders says); no other header of a record reaches the route")
    private String copyHeaders;
    @UriParam(defaultValue = "100000", description = "Keys whose highest step number is remembered")
    private int rememberSteps = 100_000;
    @UriParam(defaultValue = "1000", description = "First wait before a record the route failed goes in again")
    private long retryDelayMs = 1000;
    @UriParam(defaultValue = "60000", description = "Longest wait before a record the route failed goes in again")
    private long maxRetryDelayMs = 60_000;
    @UriParam(defaultValue = "10", description = "Tries of a record the route fails, the last one marked (with "
            + "minRetryMs)")
    private int maxAttempts = 10;
    @UriParam(defaultValue = "600000", description = "The back-offs of a record the route fails add up to at least "
            + "this before its last try")
    private long minRetryMs = 600_000;
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

    public BooleanSupplier getAdmitWhile() {
        return admitWhile;
    }

    public void setAdmitWhile(BooleanSupplier admitWhile) {
        this.admitWhile = admitWhile;
    }

    public int getMaxHeldBytesPercent() {
        return maxHeldBytesPercent;
    }

    public void setMaxHeldBytesPercent(int maxHeldBytesPercent) {
        this.maxHeldBytesPercent = maxHeldBytesPercent;
    }

    public boolean isDueHeaders() {
        return dueHeaders;
    }

    public void setDueHeaders(boolean dueHeaders) {
        this.dueHeaders = dueHeaders;
    }

    public String getLaneHeader() {
        return laneHeader;
    }

    public void setLaneHeader(String laneHeader) {
        this.laneHeader = laneHeader;
    }

    public int getMaxHeld() {
        return maxHeld;
    }

    public void setMaxHeld(int maxHeld) {
        this.maxHeld = maxHeld;
    }

    public String getCopyHeaders() {
        return copyHeaders;
    }

    public void setCopyHeaders(String copyHeaders) {
        this.copyHeaders = copyHeaders;
    }

    /** The names of {@link #getCopyHeaders}, none when unset. */
    List<String> copiedHeaders() {
        return copyHeaders == null || copyHeaders.isBlank() ? List.of()
                : Arrays.stream(copyHeaders.split(",")).map(String::strip).filter(n -> !n.isEmpty()).toList();
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

    public int getMaxAttempts() {
        return maxAttempts;
    }

    public void setMaxAttempts(int maxAttempts) {
        this.maxAttempts = maxAttempts;
    }

    public long getMinRetryMs() {
        return minRetryMs;
    }

    public void setMinRetryMs(long minRetryMs) {
        this.minRetryMs = minRetryMs;
    }

    /** The back-off before a record goes in again after its {@code failures}-th failure in a row. */
    long retryDelayMs(int failures) {
        return Math.min(maxRetryDelayMs, retryDelayMs << Math.min(failures - 1, 16));
    }

    /**
     * Whether the try after {@code failures} failures is the record's last: at least {@code maxAttempts} tries, and
     * back-offs adding up to {@code minRetryMs}, so that Kafka away for a while (the commonest cause) costs nothing.
     */
    boolean lastAttempt(int failures) {
        if (failures + 1 < maxAttempts) {
            return false;
        }
        long waited = 0;
        for (int i = 1; i <= failures && waited < minRetryMs; i++) {
            waited += retryDelayMs(i);
        }
        return waited >= minRetryMs;
    }

    public long getShutdownTimeoutMs() {
        return shutdownTimeoutMs;
    }

    public void setShutdownTimeoutMs(long shutdownTimeoutMs) {
        this.shutdownTimeoutMs = shutdownTimeoutMs;
    }
}
