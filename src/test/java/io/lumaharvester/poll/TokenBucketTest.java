package io.lumaharvester.poll;

import static org.assertj.core.api.Assertions.assertThat;

import org.junit.jupiter.api.Test;

class TokenBucketTest {

    @Test
    void aBurstIsATwentiethOfASecondsWorthAndAtLeastOne() {
        TokenBucket tokens = new TokenBucket(0);
        tokens.add(100, tokens.sinceLastRefill(60_000));
        int taken = 0;
        while (tokens.take()) {
            taken++;
        }
        assertThat(taken).isEqualTo(5);
        tokens.add(2, tokens.sinceLastRefill(120_000));
        assertThat(tokens.take()).isTrue();
        assertThat(tokens.take()).isFalse();
    }

    @Test
    void theNextTokenComesAtTheRate() {
        TokenBucket tokens = new TokenBucket(0);
        tokens.add(10, tokens.sinceLastRefill(50));
        assertThat(tokens.take()).as("half a token").isFalse();
        assertThat(tokens.millisUntilToken(10)).isEqualTo(50);
    }

    @Test
    void anInfiniteRateAddsNoTokensAndAfterA429NoBurstIsLeft() {
        TokenBucket tokens = new TokenBucket(0);
        tokens.add(Double.POSITIVE_INFINITY, tokens.sinceLastRefill(1_000));
        assertThat(tokens.take()).isFalse();
        tokens.add(1_000, tokens.sinceLastRefill(2_000));
        tokens.atMostOne();
        assertThat(tokens.take()).isTrue();
        assertThat(tokens.take()).isFalse();
    }
}
