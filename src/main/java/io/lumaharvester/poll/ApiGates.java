package io.lumaharvester.poll;

import java.util.Map;
import java.util.concurrent.ConcurrentHashMap;
import java.util.function.Function;

import io.lumaharvester.due.DueGate;

/**
 * One {@link ApiGate} per provider: the poll consumer's lanes are providers, each with its own account and so its
 * own in-flight cap, request rate and 429 back-off. A provider's gate is made on first use by the function given,
 * which also names its meters (the {@code provider} tag, {@link ApiGate}'s constructor with a provider), so that
 * each metric stays one meter with a series per provider. The lane-less methods act on the lane {@code ""}.
 */
public class ApiGates implements DueGate {

    private final Function<String, ApiGate> gateOf;
    private final Map<String, ApiGate> gates = new ConcurrentHashMap<>();
    /** The last {@link #assigned} share, for the gates made after it; -1 before the first. */
    private int partitions = -1;
    private int ofPartitions;

    private final String unnamed;

    public ApiGates(Function<String, ApiGate> gateOf) {
        this(gateOf, "");
    }

    /** {@code unnamed}: the provider of the records in lane {@code ""} (tickets written before they named theirs). */
    public ApiGates(Function<String, ApiGate> gateOf, String unnamed) {
        this.gateOf = gateOf;
        this.unnamed = unnamed;
    }

    /** The gate of {@code provider} ({@code ""} or null: the unnamed lane's provider), made on first use. */
    public ApiGate gate(String provider) {
        String lane = provider == null || provider.isEmpty() ? unnamed : provider;
        ApiGate gate = gates.get(lane);
        return gate != null ? gate : make(lane);
    }

    private synchronized ApiGate make(String lane) {
        return gates.computeIfAbsent(lane, name -> {
            ApiGate gate = gateOf.apply(name);
            if (partitions >= 0) {
                gate.assigned(partitions, ofPartitions);
            }
            return gate;
        });
    }

    @Override
    public boolean tryAcquire(String lane) {
        return gate(lane).tryAcquire();
    }

    @Override
    public void release(String lane) {
        gate(lane).release();
    }

    @Override
    public long millisUntilOpen(String lane) {
        return gate(lane).millisUntilOpen();
    }

    @Override
    public void dispatched(String lane, long latenessMs) {
        gate(lane).dispatched(latenessMs);
    }

    @Override
    public boolean tryAcquire() {
        return tryAcquire("");
    }

    @Override
    public void release() {
        release("");
    }

    @Override
    public long millisUntilOpen() {
        return millisUntilOpen("");
    }

    @Override
    public void dispatched(long latenessMs) {
        dispatched("", latenessMs);
    }

    /** Every provider's gate takes the instance's share of its account's rate by partitions. */
    @Override
    public synchronized void assigned(int partitions, int ofPartitions) {
        this.partitions = partitions;
        this.ofPartitions = ofPartitions;
        gates.values().forEach(gate -> gate.assigned(partitions, ofPartitions));
    }

    /** {@link ApiGate#reportLag} for every provider. */
    public void reportLag() {
        gates.values().forEach(ApiGate::reportLag);
    }

    /** {@link ApiGate#pollsLag}: polls of any provider lagged within the last second, not for a request rate. */
    public boolean pollsLag() {
        return gates.values().stream().anyMatch(ApiGate::pollsLag);
    }
}
