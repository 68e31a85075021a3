package io.lumaharvester.poll;

import static org.assertj.core.api.Assertions.assertThat;

import org.junit.jupiter.api.Test;

class LatePollsTest {

    @Test
    void laterThanATenthOfTheIntervalIsLate() {
        LatePolls polls = new LatePolls(5_000, 8, "", 0);
        assertThat(polls.late(500)).isFalse();
        assertThat(polls.late(501)).isTrue();
    }

    @Test
    void oneWarningAMinuteNamesTheLatePollsTheWorstAndTheLimits() {
        LatePolls polls = new LatePolls(5_000, 8, "provider fal: ", 0);
        for (long lateness : new long[] {0, 900, 2_000}) {
            polls.polled();
            polls.late(lateness);
        }
        polls.throttled();
        assertThat(polls.endedMinute(59_999, 12.5)).as("the minute is not over").isNull();
        assertThat(polls.endedMinute(60_000, 12.5)).isEqualTo("provider fal: polling lags its interval (5000 ms): 2 "
                + "of 3 polls in the last minute went out late, up to 2000 ms; limits: luma.api.max-in-flight=8, this "
                + "instance's share of luma.api.max-requests-per-second " + String.format("%.1f/s", 12.5)
                + ", 1 answers 429");
        polls.polled();
        assertThat(polls.endedMinute(120_000, Double.POSITIVE_INFINITY)).as("no late poll in that minute").isNull();
    }
}
