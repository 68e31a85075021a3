package io.lumaharvester.ops;

import io.lumaharvester.task.TaskTicket;
import static org.assertj.core.api.Assertions.assertThat;

import java.time.Clock;
import java.time.Duration;
import java.time.Instant;
import java.time.ZoneOffset;
import java.util.concurrent.TimeUnit;

import io.micrometer.core.instrument.simple.SimpleMeterRegistry;
import org.junit.jupiter.api.Test;

class TaskMetricsTest {

    private long now = 1_000_000;
    private final Clock clock = new Clock() {
        @Override
        public ZoneOffset getZone() {
            return ZoneOffset.UTC;
        }

        @Override
        public Clock withZone(java.time.ZoneId zone) {
            return this;
        }

        @Override
        public Instant instant() {
            return Instant.ofEpochMilli(now);
        }
    };
    private final SimpleMeterRegistry registry = new SimpleMeterRegistry();
    private final TaskMetrics metrics = new TaskMetrics(registry, clock, Duration.ofMinutes(10));

    private static TaskTicket ticket(String id, long acceptedAt) {
        return TaskTicket.accepted(id, null, acceptedAt, 60_000, 0);
    }

    private double inFlight() {
        return registry.get("luma.tasks.in.flight").gauge().value();
    }

    @Test
    void aTaskIsInFlightFromItsFirstStepUntilItsEvent() {
        metrics.step(ticket("a", now));
        metrics.step(ticket("a", now));
        metrics.step(ticket("b", now));
        assertThat(inFlight()).isEqualTo(2);

        metrics.noLongerInFlight(ticket("a", now));
        assertThat(inFlight()).isEqualTo(1);
    }

    @Test
    void aTaskWithoutAStepHereForLongerThanTheForgetWindowNoLongerCounts() {
        metrics.step(ticket("moved-away", now));
        now += Duration.ofMinutes(10).toMillis() + 1;
        metrics.step(ticket("still-here", now));
        assertThat(inFlight()).isEqualTo(1);
    }

    @Test
    void theDurationRunsFromTheFirstPollToTheEvent() {
        TaskTicket ticket = ticket("a", now);
        now += 42_000;
        metrics.finished(ticket);

        var timer = registry.get("luma.task.duration").timer();
        assertThat(timer.count()).isEqualTo(1);
        assertThat(timer.totalTime(TimeUnit.SECONDS)).isEqualTo(42.0);
    }
}
