package io.lumaharvester.due;

import static org.assertj.core.api.Assertions.assertThat;

import java.util.stream.IntStream;

import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.CsvSource;

/** When a record the route keeps failing gets its last try: after so many tries AND so much back-off, both. */
class DueEndpointTest {

    private static DueEndpoint endpoint(int maxAttempts, long minRetryMs) {
        DueEndpoint endpoint = new DueEndpoint("due:t", null, "t");
        endpoint.setMaxAttempts(maxAttempts);
        endpoint.setMinRetryMs(minRetryMs);
        return endpoint;
    }

    /** The first try that is the last, with the shipped back-off (1 s doubling up to 60 s). */
    @ParameterizedTest(name = "{0} tries, {1} ms: try {2} is the last")
    @CsvSource({
            "10, 600000, 16",   // the shipped settings: before try 10, 243 s of back-off; before try 16, 603 s
            "10, 0, 10",
            "3, 0, 3",
            "1, 0, 1",
            "3, 60000, 7",      // 1+2+4+8+16+32 = 63 s of back-off before try 7
            "20, 60000, 20"})
    void theLastTryComesAfterEnoughTriesAndEnoughBackOff(int maxAttempts, long minRetryMs, int lastTry) {
        DueEndpoint endpoint = endpoint(maxAttempts, minRetryMs);
        // try n comes after n - 1 failures
        assertThat(IntStream.rangeClosed(1, 40).filter(n -> endpoint.lastAttempt(n - 1)).findFirst().orElseThrow())
                .isEqualTo(lastTry);
        assertThat(endpoint.lastAttempt(lastTry + 5)).as("and every try after it").isTrue();
    }
}
