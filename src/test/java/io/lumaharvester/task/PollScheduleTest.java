package io.lumaharvester.task;

import io.lumaharvester.task.TaskTicket;
import static org.assertj.core.api.Assertions.assertThat;

import java.time.Clock;
import java.time.Instant;
import java.time.ZoneOffset;

import org.junit.jupiter.api.Test;

class PollScheduleTest {

    private static final long NOW = 1_000_000;
    private final PollSchedule schedule = new PollSchedule(5_000, 60_000,
            Clock.fixed(Instant.ofEpochMilli(NOW), ZoneOffset.UTC));
    private final TaskTicket ticket = TaskTicket.accepted("t", null, NOW, 30_000, 0);

    @Test
    void theDeadlineCountsFromAdmission() {
        assertThat(schedule.pastDeadline(ticket)).isFalse();
        assertThat(schedule.pastDeadline(TaskTicket.accepted("t", null, NOW - 30_000, 30_000, 0))).isTrue();
    }

    @Test
    void theFirstPollWaitsTheFirstDelay() {
        assertThat(TaskTicket.accepted("t", null, NOW, 30_000, 20_000).nextPollAt()).isEqualTo(NOW + 20_000);
    }

    @Test
    void theNextPollIsDueOneIntervalAfterThisOneWasDueWhateverTheAnswerTook() {
        assertThat(schedule.nextPoll(ticket.dueAt(NOW - 300)).nextPollAt()).isEqualTo(NOW - 300 + 5_000);
        assertThat(schedule.nextPoll(ticket.dueAt(NOW - 60_000)).nextPollAt()).as("late: due at once").isEqualTo(NOW);
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
    void retryAfterIsHonouredButNeverShortensTheIntervalNorExceedsTheLongestBackOff() {
        assertThat(schedule.notBefore(ticket, 30_000).nextPollAt()).isEqualTo(NOW + 30_000);
        assertThat(schedule.notBefore(ticket, 1_000).nextPollAt()).isEqualTo(NOW + 5_000);
        assertThat(schedule.notBefore(ticket, 3_600_000).nextPollAt()).isEqualTo(NOW + 60_000);
    }

    @Test
    void aCompletedTasksCopyIsDueNowAlsoWhenAWakeMadeItsPollEarly() {
        // the poll was due in 50 s; a callback's wake sent it now, and the provider said completed
        TaskTicket completed = schedule.harvestNow(ticket.dueAt(NOW + 50_000).polled("completed", null));
        assertThat(completed.nextPollAt()).isEqualTo(NOW);
        assertThat(completed.completedAt()).isEqualTo(NOW);
    }

    @Test
    void everyNewTicketOfATaskHasAHigherStep() {
        TaskTicket next = schedule.nextPoll(ticket.polled("processing", null));
        TaskTicket failed = schedule.backOff(next.pollFailed(false));
        assertThat(ticket.step()).isZero();
        assertThat(next.step()).isEqualTo(1);
        assertThat(failed.step()).isEqualTo(2);
        assertThat(failed.mediaFailed().step()).isEqualTo(3);
    }
}
