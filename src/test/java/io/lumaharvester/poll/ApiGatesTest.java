package io.lumaharvester.poll;

import static org.assertj.core.api.Assertions.assertThat;

import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.TimeUnit;

import io.lumaharvester.dev.HandClock;
import io.micrometer.core.instrument.Timer;
import io.micrometer.core.instrument.simple.SimpleMeterRegistry;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.CsvSource;

/** One budget per provider: each account's rate, in-flight cap and 429 back-off apart from the others'. */
class ApiGatesTest {

    private final HandClock clock = new HandClock(1_000_000);
    private final SimpleMeterRegistry registry = new SimpleMeterRegistry();
    /** 100 requests a second per provider, each provider's meters tagged with its name. */
    private final ApiGates budgets = new ApiGates(
            provider -> new ApiGate(1000, 100, 5_000, clock, registry, provider));

    /**
     * Acquires on each lane as often as allowed over {@code seconds} (up to 10 a millisecond each, the demand),
     * releasing each at once; returns how many went per lane.
     */
    private Map<String, Integer> sendFor(List<String> lanes, int seconds) {
        Map<String, Integer> sent = new HashMap<>();
        for (int ms = 0; ms < seconds * 1000; ms++) {
            clock.advance(1);
            for (String lane : lanes) {
                for (int i = 0; i < 10 && budgets.tryAcquire(lane); i++) {
                    sent.merge(lane, 1, Integer::sum);
                    budgets.release(lane);
                }
            }
        }
        return sent;
    }

    @ParameterizedTest(name = "a 429 from {0}")
    @CsvSource({"runway, kling", "kling, runway"})
    void a429FromOneProviderBacksOffThatProviderOnly(String throttled, String other) {
        List<String> lanes = List.of("runway", "kling");
        assertThat(sendFor(lanes, 1).values()).as("each its own 100 a second")
                .allSatisfy(sent -> assertThat(sent).isBetween(95, 101));

        budgets.gate(throttled).throttled();

        Map<String, Integer> sent = sendFor(lanes, 1);
        assertThat(sent.get(throttled)).as("halved").isBetween(50, 60);
        assertThat(sent.get(other)).as("untouched").isBetween(99, 101);
        assertThat(budgets.gate(throttled).currentRate()).isLessThan(100);
        assertThat(budgets.gate(other).currentRate()).isEqualTo(100.0);
    }

    @Test
    void eachProviderHasItsOwnSeriesOfTheSameMeters() {
        budgets.dispatched("runway", 2_000);
        budgets.dispatched("kling", 0);
        budgets.dispatched(300);

        assertThat(registry.find("luma.poll.lateness").timers()).hasSize(3);
        Timer runway = registry.get("luma.poll.lateness").tag("provider", "runway").timer();
        assertThat(runway.count()).isEqualTo(1);
        assertThat(runway.max(TimeUnit.MILLISECONDS)).isEqualTo(2_000);
        assertThat(registry.get("luma.poll.lateness").tag("provider", "").timer().max(TimeUnit.MILLISECONDS))
                .as("the lane-less methods are the lane \"\"").isEqualTo(300);
        assertThat(registry.find("luma.api.rate.limit").gauges()).hasSize(3);
        assertThat(registry.get("luma.api.rate.limit").tag("provider", "kling").gauge().value()).isEqualTo(100.0);
    }

    /** A provider first seen after a rebalance takes the instance's share of its account too. */
    @Test
    void aProviderFirstSeenAfterARebalanceTakesTheInstancesShare() {
        budgets.assigned(3, 12);
        assertThat(sendFor(List.of("runway"), 10).get("runway")).isBetween(245, 256);
        budgets.assigned(6, 12);
        assertThat(sendFor(List.of("runway"), 10).get("runway")).isBetween(495, 506);
    }

    @Test
    void pollsLagWhenThoseOfAnyProviderLag() {
        budgets.gate("runway");
        budgets.gate("kling").answeredLate(2_000);
        assertThat(budgets.pollsLag()).isTrue();
        clock.advance(1_000);
        assertThat(budgets.pollsLag()).isFalse();
    }
}
