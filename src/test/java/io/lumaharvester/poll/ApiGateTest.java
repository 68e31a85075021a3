package io.lumaharvester.poll;

import io.lumaharvester.dev.HandClock;
import io.lumaharvester.dev.LogCapture;
import static org.assertj.core.api.Assertions.assertThat;

import io.micrometer.core.instrument.simple.SimpleMeterRegistry;
import org.junit.jupiter.api.Test;

class ApiGateTest {

    private final HandClock clock = new HandClock(1_000_000);
    private final SimpleMeterRegistry registry = new SimpleMeterRegistry();

    /**
     * Acquires as often as allowed over {@code seconds} (up to 10 a millisecond, the demand), releasing each at once;
     * returns how many went.
     */
    private int sendFor(ApiGate budget, int seconds) {
        int sent = 0;
        for (int ms = 0; ms < seconds * 1000; ms++) {
            clock.advance(1);
            for (int i = 0; i < 10 && budget.tryAcquire(); i++) {
                sent++;
                budget.release();
            }
        }
        return sent;
    }

    @Test
    void noMoreThanMaxInFlightRequestsAtOnce() {
        ApiGate budget = new ApiGate(3, 0, 5_000, clock, registry);
        assertThat(budget.tryAcquire()).isTrue();
        assertThat(budget.tryAcquire()).isTrue();
        assertThat(budget.tryAcquire()).isTrue();
        assertThat(budget.tryAcquire()).isFalse();
        budget.release();
        assertThat(budget.tryAcquire()).isTrue();
        assertThat(budget.currentRate()).as("no rate limit").isNaN();
    }

    @Test
    void theRequestRateStaysWithinTheBudget() {
        ApiGate budget = new ApiGate(1000, 100, 5_000, clock, registry);
        int sent = sendFor(budget, 10);
        assertThat(sent).isBetween(995, 1_006);
    }

    @Test
    void eachInstanceTakesItsShareOfTheBudgetByPartitions() {
        ApiGate budget = new ApiGate(1000, 100, 5_000, clock, registry);
        budget.assigned(3, 12);
        assertThat(sendFor(budget, 10)).isBetween(245, 256);
        budget.assigned(6, 12);
        assertThat(sendFor(budget, 10)).isBetween(495, 506);
    }

    @Test
    void a429HalvesTheRateAtOnceAndItGrowsBackGradually() {
        ApiGate budget = new ApiGate(1000, 100, 5_000, clock, registry);
        sendFor(budget, 1);
        budget.throttled();
        budget.throttled();
        assertThat(budget.currentRate()).as("halved once, not per 429").isEqualTo(50.0);
        int firstSecond = sendFor(budget, 1);
        assertThat(firstSecond).isBetween(50, 60);
        sendFor(budget, 5);
        assertThat(budget.currentRate()).isGreaterThan(70).isLessThan(100);
        sendFor(budget, 20);
        assertThat(budget.currentRate()).isEqualTo(100.0);
    }

    @Test
    void withoutABudgetA429LimitsTheRateToHalfOfWhatWasSentUntilItRecovers() {
        ApiGate budget = new ApiGate(1000, 0, 5_000, clock, registry);
        // 200 requests a second
        for (int ms = 0; ms < 2_000; ms += 5) {
            clock.advance(5);
            assertThat(budget.tryAcquire()).isTrue();
            budget.release();
        }
        budget.throttled();
        assertThat(budget.currentRate()).isBetween(99.0, 101.0);
        sendFor(budget, 60);
        assertThat(budget.currentRate()).as("back to no limit").isNaN();
    }

    @Test
    void lateDispatchesAreMeasured() {
        ApiGate budget = new ApiGate(10, 0, 5_000, clock, registry);
        budget.dispatched(0);
        budget.dispatched(2_000);
        assertThat(registry.get("luma.poll.lateness").timer().count()).isEqualTo(2);
        assertThat(registry.get("luma.poll.lateness").timer().max(java.util.concurrent.TimeUnit.MILLISECONDS))
                .isEqualTo(2_000);
    }

    /**
     * Answers read late say the instance is short of CPU for its polls, for a second; late dispatches (the budget
     * holding requests back) and answers read only a little late do not.
     */
    @Test
    void answersReadLateSayPollsLagForASecond() {
        ApiGate budget = new ApiGate(10, 1, 5_000, clock, registry);
        budget.dispatched(30_000);
        budget.answeredLate(400);
        assertThat(budget.pollsLag()).as("a dispatch held back by the budget, an answer 400 ms late").isFalse();

        budget.answeredLate(2_000);
        assertThat(budget.pollsLag()).isTrue();
        clock.advance(999);
        assertThat(budget.pollsLag()).isTrue();
        clock.advance(1);
        assertThat(budget.pollsLag()).isFalse();
    }

    /**
     * Without a request rate, a poll that goes out late says the instance itself lags (its CPU, its in-flight cap), for
     * a second; a little late does not.
     */
    @Test
    void pollsGoingOutLateWithoutABudgetSayPollsLagForASecond() {
        ApiGate budget = new ApiGate(10, 0, 5_000, clock, registry);
        budget.dispatched(500);
        assertThat(budget.pollsLag()).as("a tenth of the interval late").isFalse();

        budget.dispatched(501);
        assertThat(budget.pollsLag()).isTrue();
        clock.advance(1_000);
        assertThat(budget.pollsLag()).isFalse();
    }

    /** After a 429 the instance runs under a rate: its late dispatches are that rate's doing. */
    @Test
    void pollsHeldBackAfterA429DoNotSayPollsLag() {
        ApiGate budget = new ApiGate(10, 0, 5_000, clock, registry);
        budget.throttled();
        budget.dispatched(2_000);
        assertThat(budget.pollsLag()).isFalse();
    }

    /**
     * One WARN line for a minute with late polls: the next dispatch writes it, and when polling stops, the timer's
     * {@code reportLag} writes the last minute's.
     */
    @Test
    void aMinuteOfLatePollsIsReportedOnceEvenWhenPollingStops() {
        ApiGate budget = new ApiGate(10, 0, 5_000, clock, registry);
        try (LogCapture log = new LogCapture()) {
            budget.dispatched(0);
            budget.dispatched(1_200);
            clock.advance(30_000);
            budget.reportLag();
            assertThat(log.text()).as("within the minute").doesNotContain("polling lags");

            clock.advance(30_000);
            budget.dispatched(0);
            assertThat(log.text()).contains("polling lags its interval (5000 ms): 1 of 3 polls in the last minute went "
                    + "out late, up to 1200 ms").containsOnlyOnce("polling lags");

            // the last polls, then none: the timer writes their minute
            budget.dispatched(2_500);
            clock.advance(60_000);
            budget.reportLag();
            budget.reportLag();
            assertThat(log.text()).contains("1 of 1 polls in the last minute went out late, up to 2500 ms");
            assertThat(log.text().split("polling lags", -1)).as("each minute once").hasSize(3);

            clock.advance(60_000);
            budget.reportLag();
            assertThat(log.text().split("polling lags", -1)).as("a minute without late polls writes nothing")
                    .hasSize(3);
        }
    }
}
