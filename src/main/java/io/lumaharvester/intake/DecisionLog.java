package io.lumaharvester.intake;

import io.lumaharvester.task.TaskTicket;

import io.micrometer.core.instrument.Counter;
import io.micrometer.core.instrument.MeterRegistry;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * What intake decided about a task record, told: a line on the task log {@code io.lumaharvester.tasks} for each
 * decision, and the meter {@code luma.tasks.duplicate} (tagged with the decision) for a task id already accepted.
 */
final class DecisionLog {

    private static final Logger TASKS = LoggerFactory.getLogger("io.lumaharvester.tasks");

    private final MeterRegistry registry;

    DecisionLog(MeterRegistry registry) {
        this.registry = registry;
    }

    /** {@code run}: the record's run; {@code recorded}: the task's state the decision was made on (null if new). */
    void decided(TaskTicket ticket, String run, Resubmission decision, TaskState recorded) {
        switch (decision) {
            case NEW -> TASKS.info("task {} (run {}): accepted", ticket.taskId(), run);
            case REPLAYED -> TASKS.info("task {}: its intake record was read again (a restart), run {} goes on",
                    ticket.taskId(), run);
            case REPLAYED_ENDED -> TASKS.info("task {}: its intake record was read again (a restart) after run {} "
                    + "ended, nothing to do", ticket.taskId(), run);
            case IN_FLIGHT -> TASKS.info("task {}: sent again while run {} is in flight, ignored", ticket.taskId(),
                    recorded.run());
            case REPUBLISHED -> TASKS.info("task {}: sent again after it completed (run {}), its event is published "
                    + "again", ticket.taskId(), recorded.run());
            case RERUN -> TASKS.info("task {}: sent again after it failed (run {}), new run {}", ticket.taskId(),
                    recorded.run(), run);
        }
        if (decision != Resubmission.NEW) {
            Counter.builder("luma.tasks.duplicate")
                    .description("Task records for a task id already accepted, by what intake did with them")
                    .tag("decision", decision.tag())
                    .register(registry)
                    .increment();
        }
    }
}
