package io.lumaharvester;

import static org.assertj.core.api.Assertions.assertThat;

import java.time.Clock;
import java.time.Instant;
import java.time.ZoneOffset;

import org.junit.jupiter.api.Test;

class PollScheduleTest {

    private static final long NOW = 1_000_000;
    private final PollSchedule schedule = new PollSchedule(5_000, 10_000, 60_000,
            Clock.fixed(Instant.ofEpochMilli(NOW), ZoneOffset.UTC));
    private final TaskTicket ticket = TaskTicket.accepted("t", null, NOW, 30_000);

    @Test
    void theConsumerWaitsForTheHeadRecordOnlyBoundedly() {
        assertThat(schedule.millisUntilDue(ticket.dueAt(NOW - 5))).isZero();
        assertThat(schedule.millisUntilDue(ticket.dueAt(NOW + 3_000))).isEqualTo(3_000);
        assertThat(schedule.millisUntilDue(ticket.dueAt(NOW + 90_000))).isEqualTo(10_000);
        assertThat(schedule.notDueYet(ticket.dueAt(NOW + 1))).isTrue();
        assertThat(schedule.notDueYet(ticket.dueAt(NOW))).isFalse();
    }

    @Test
    void theDeadlineCountsFromAcceptance() {
        assertThat(schedule.pastDeadline(ticket)).isFalse();
        assertThat(schedule.pastDeadline(TaskTicket.accepted("t", null, NOW - 30_000, 30_000))).isTrue();
    }

    @Test
    void backOffDoublesPerErrorInARowUpToItsCap() {
        TaskTicket failing = ticket;
        long[] expected = {5_000, 10_000, 20_000, 40_000, 60_000, 60_000};
        for (long delay : expected) {
            failing = failing.pollFailed(false);
            assertThat(schedule.backOff(failing).nextPollAt()).isEqualTo(NOW + delay);
        }
    }

    @Test
    void retryAfterIsHonouredButNeverShortensTheInterval() {
        assertThat(schedule.notBefore(ticket, 30_000).nextPollAt()).isEqualTo(NOW + 30_000);
        assertThat(schedule.notBefore(ticket, 1_000).nextPollAt()).isEqualTo(NOW + 5_000);
    }
}
