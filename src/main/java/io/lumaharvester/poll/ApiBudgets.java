package io.lumaharvester.poll;

import java.util.Map;
import java.util.concurrent.ConcurrentHashMap;
import java.util.function.Function;

import io.lumaharvester.due.DueGate;

/**
 * One {@link ApiBudget} per provider: the poll consumer's lanes are providers, each with its own account and so its
 * own in-flight cap, request rate and 429 back-off. A provider's budget is made on first use by the function given,
 * which also names its meters (the {@code provider} tag, {@link ApiBudget}'s constructor with a provider), so that
 * each metric stays one meter with a series per provider. The lane-less methods act on the lane {@code ""}.
 */
public class ApiBudgets implements DueGate {

    private final Function<String, ApiBudget> budgetOf;
    private final Map<String, ApiBudget> budgets = new ConcurrentHashMap<>();
    /** The last {@link #assigned} share, for the budgets made after it; -1 before the first. */
    private int partitions = -1;
    private int ofPartitions;

    private final String unnamed;

    public ApiBudgets(Function<String, ApiBudget> budgetOf) {
        this(budgetOf, "");
    }

    /** {@code unnamed}: the provider of the records in lane {@code ""} (tickets written before they named theirs). */
    public ApiBudgets(Function<String, ApiBudget> budgetOf, String unnamed) {
        this.budgetOf = budgetOf;
        this.unnamed = unnamed;
    }

    /** The budget of {@code provider} ({@code ""} or null: the unnamed lane's provider), made on first use. */
    public ApiBudget budget(String provider) {
        String lane = provider == null || provider.isEmpty() ? unnamed : provider;
        ApiBudget budget = budgets.get(lane);
        return budget != null ? budget : make(lane);
    }

    private synchronized ApiBudget make(String lane) {
        return budgets.computeIfAbsent(lane, name -> {
            ApiBudget budget = budgetOf.apply(name);
            if (partitions >= 0) {
                budget.assigned(partitions, ofPartitions);
            }
            return budget;
        });
    }

    @Override
    public boolean tryAcquire(String lane) {
        return budget(lane).tryAcquire();
    }

    @Override
    public void release(String lane) {
        budget(lane).release();
    }

    @Override
    public long millisUntilOpen(String lane) {
        return budget(lane).millisUntilOpen();
    }

    @Override
    public void dispatched(String lane, long latenessMs) {
        budget(lane).dispatched(latenessMs);
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

    /** Every provider's budget takes the instance's share of its account's rate by partitions. */
    @Override
    public synchronized void assigned(int partitions, int ofPartitions) {
        this.partitions = partitions;
        this.ofPartitions = ofPartitions;
        budgets.values().forEach(budget -> budget.assigned(partitions, ofPartitions));
    }

    /** {@link ApiBudget#reportLag} for every provider. */
    public void reportLag() {
        budgets.values().forEach(ApiBudget::reportLag);
    }

    /** {@link ApiBudget#pollsLag}: polls of any provider lagged within the last second, not for a request rate. */
    public boolean pollsLag() {
        return budgets.values().stream().anyMatch(ApiBudget::pollsLag);
    }
}
