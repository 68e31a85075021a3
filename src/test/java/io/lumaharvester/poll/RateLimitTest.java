package io.lumaharvester.poll;

import static org.assertj.core.api.Assertions.assertThat;

import org.junit.jupiter.api.Test;

class RateLimitTest {

    @Test
    void theCeilingIsTheInstancesShareOfTheAccountsRate() {
        RateLimit limit = new RateLimit(100);
        assertThat(limit.rate()).isEqualTo(100.0);
        limit.assigned(3, 12);
        assertThat(limit.rate()).isEqualTo(25.0);
        assertThat(new RateLimit(0).unlimited()).as("no account rate").isTrue();
    }

    @Test
    void aCutHalvesTheRateWhichGrowsBackByATwentiethOfTheCeilingPerSecond() {
        RateLimit limit = new RateLimit(100);
        limit.cut(1_000, 0);
        assertThat(limit.rate()).isEqualTo(50.0);
        assertThat(limit.cutLately(1_999)).as("one cut per second").isTrue();
        assertThat(limit.cutLately(2_000)).isFalse();
        limit.recover(1_000);
        assertThat(limit.rate()).isEqualTo(55.0);
        limit.recover(60_000);
        assertThat(limit.rate()).as("never above the ceiling").isEqualTo(100.0);
    }

    @Test
    void withoutARateACutHalvesWhatWasSentAndIsLiftedAtTwiceThat() {
        RateLimit limit = new RateLimit(0);
        limit.cut(1_000, 200);
        assertThat(limit.rate()).isEqualTo(100.0);
        limit.recover(10_000);
        assertThat(limit.rate()).as("grows by 10 a second").isEqualTo(200.0);
        limit.recover(19_000);
        assertThat(limit.unlimited()).as("not lifted below 400").isFalse();
        limit.recover(1_000);
        assertThat(limit.unlimited()).as("lifted at 400").isTrue();
    }
}
