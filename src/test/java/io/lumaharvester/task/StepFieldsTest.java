package io.lumaharvester.task;

import static org.assertj.core.api.Assertions.assertThat;

import java.util.HashMap;
import java.util.Map;

import org.junit.jupiter.api.Test;

/** A step's fields as the routes read them: properties at its start and after a poll, due headers on its record. */
class StepFieldsTest {

    private static final String TRACEPARENT = "00-4bf92f3577b34da6a3ce929d0e0e4736-00f067aa0ba902b7-01";
    private final StepFields fields = new StepFields();

    @Test
    void aStepRemembersItsTaskIdAndTraceId() {
        TaskTicket ticket = TaskTicket.accepted("veo/operations/op-1", null, 1_000, 60_000, 5_000)
                .withTrace(TraceContext.read(TRACEPARENT, null).context());
        Map<String, Object> properties = new HashMap<>(Map.of("lumaOther", "kept"));

        fields.remember(ticket, properties);

        assertThat(properties).containsEntry(TaskExchange.TASK_ID, "veo/operations/op-1")
                .containsEntry(TaskExchange.TRACE_ID, "4bf92f3577b34da6a3ce929d0e0e4736")
                .containsEntry("lumaOther", "kept");
    }

    @Test
    void aTaskWithoutTraceContextHasAnEmptyTraceIdSoNoEarlierTaskOnTheThreadLeaksIntoItsLogLines() {
        Map<String, Object> properties = new HashMap<>(Map.of(TaskExchange.TRACE_ID, "an earlier task's"));

        fields.remember(TaskTicket.accepted("task-1", null, 1_000, 60_000, 5_000), properties);

        assertThat(properties).containsEntry(TaskExchange.TRACE_ID, "");
    }

    @Test
    void aTicketIsWrittenWithWhenItIsDueItsStepAndItsProviderAsText() {
        TaskTicket ticket = TaskTicket.accepted("task-1", null, 1_000, 60_000, 5_000).withProvider("fal");
        Map<String, Object> headers = new HashMap<>();

        fields.dueHeaders(ticket, headers);

        assertThat(headers).containsExactlyInAnyOrderEntriesOf(Map.of(
                "luma-due-at", "6000", "luma-step", Long.toString(ticket.step()), "luma-provider", "fal"));
    }

    @Test
    void aTicketWrittenBeforeProvidersIsInTheAggregatorsLane() {
        Map<String, Object> headers = new HashMap<>();

        fields.dueHeaders(TaskTicket.accepted("task-1", null, 1_000, 60_000, 5_000), headers);

        assertThat(headers).containsEntry("luma-provider", TaskTicket.FIRST_PROVIDER);
    }

    @Test
    void aPollsOutcomeAndWhetherTheStateChangedAreRememberedAndItsNextTicketTaken() {
        TaskTicket before = TaskTicket.accepted("task-1", null, 1_000, 60_000, 5_000);
        TaskTicket next = before.polled("dreaming", null).dueAt(9_000);
        Map<String, Object> changed = new HashMap<>();
        Map<String, Object> same = new HashMap<>();

        fields.outcome(TaskStep.running(before, next), changed);
        fields.outcome(TaskStep.running(next, next), same);

        assertThat(changed).containsEntry(TaskExchange.OUTCOME, "running")
                .containsEntry(TaskExchange.STATE_CHANGED, true);
        assertThat(same).containsEntry(TaskExchange.STATE_CHANGED, false);
        assertThat(fields.next(TaskStep.running(before, next))).isSameAs(next);
    }
}
