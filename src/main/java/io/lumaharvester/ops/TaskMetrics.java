package io.lumaharvester.ops;

import io.lumaharvester.task.TaskTicket;
import java.time.Clock;
import java.time.Duration;
import java.util.Map;
import java.util.concurrent.ConcurrentHashMap;

import io.micrometer.core.instrument.Gauge;
import io.micrometer.core.instrument.MeterRegistry;
import io.micrometer.core.instrument.Timer;

/**
 * The two task meters that the routes' {@code micrometer:} counters cannot keep: tasks in flight (a gauge) and the
 * task duration (a histogram, from the first poll's due time to the event). The counters live in the YAML routes.
 * <p>
 * In flight counts the tasks whose steps run on this instance and have no event yet. A task whose steps moved to
 * another instance (a Kafka rebalance) drops out after {@code forgetAfter} without a step here.
 */
public class TaskMetrics {

    private static final String IN_FLIGHT = "luma.tasks.in.flight";
    /**
     * How often (by the clock) {@link #inFlight} walks every task held to forget those without a step here: intake
     * asks before each record it admits, and a walk per record made a burst's admission quadratic in the tasks held.
     */
    private static final long FORGET_EVERY_MS = 1_000;

    private final Map<String, Long> lastStep = new ConcurrentHashMap<>();
    private final Timer duration;
    private final Clock clock;
    private final long forgetAfterMs;
    private volatile long forgotAt;

    public TaskMetrics(MeterRegistry registry, Clock clock, Duration forgetAfter) {
        this.clock = clock;
        this.forgetAfterMs = forgetAfter.toMillis();
        this.forgotAt = clock.millis();
        Gauge.builder(IN_FLIGHT, this, TaskMetrics::inFlight)
                .description("Tasks accepted and not yet finished whose steps run on this instance")
                .strongReference(true)
                .register(registry);
        this.duration = Timer.builder("luma.task.duration")
                .description("From a task's first poll to its event")
                .publishPercentileHistogram()
                .minimumExpectedValue(Duration.ofSeconds(1))
                .maximumExpectedValue(Duration.ofHours(2))
                .register(registry);
    }

    /** A step of this task runs here: it is in flight until its event. */
    public void step(TaskTicket ticket) {
        lastStep.put(ticket.taskId(), clock.millis());
    }

    /** The task's event went out (once per task). */
    public void finished(TaskTicket ticket) {
        duration.record(Duration.ofMillis(Math.max(0, clock.millis() - ticket.acceptedAt())));
    }

    /** The task's step ended with its event, sent now or before (a replayed step). */
    public void noLongerInFlight(TaskTicket ticket) {
        lastStep.remove(ticket.taskId());
    }

    /** The tasks in flight; one without a step here for {@code forgetAfter} drops out within a second after. */
    public int inFlight() {
        long now = clock.millis();
        if (now - forgotAt >= FORGET_EVERY_MS) {
            forgotAt = now;
            long oldest = now - forgetAfterMs;
            lastStep.values().removeIf(seen -> seen < oldest);
        }
        return lastStep.size();
    }
}
