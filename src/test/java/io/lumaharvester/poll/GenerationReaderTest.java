package io.lumaharvester.poll;

import io.lumaharvester.task.PollSchedule;
import io.lumaharvester.provider.TestProviders;
import java.util.Map;
import io.lumaharvester.ops.LumaApiAccessCheck;
import io.lumaharvester.task.Failure;
import io.lumaharvester.task.TaskStep;
import io.lumaharvester.task.TaskTicket;
import static org.assertj.core.api.Assertions.assertThat;

import java.time.Clock;
import java.time.Instant;
import java.time.ZoneOffset;

import io.lumaharvester.dev.LumaApiStandIn;
import org.apache.camel.health.HealthCheck;
import org.junit.jupiter.api.Test;
import io.micrometer.core.instrument.simple.SimpleMeterRegistry;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.CsvSource;

class GenerationReaderTest {

    private static final long NOW = 1_000_000;
    private static final long INTERVAL = 5_000;
    private final Clock clock = Clock.fixed(Instant.ofEpochMilli(NOW), ZoneOffset.UTC);
    private final PollSchedule schedule = new PollSchedule(INTERVAL, 60_000, clock);
    private final LumaApiAccessCheck apiAccess = new LumaApiAccessCheck();
    private final ApiGate budget = new ApiGate(10, 0, INTERVAL, clock, new SimpleMeterRegistry());
    private final GenerationReader reader = new GenerationReader(schedule, 3, apiAccess, new ApiGates(p -> budget), TestProviders.builtIns());
    private final TaskTicket ticket = TaskTicket.accepted("task-1", null, NOW, 1_800_000, 0);

    private TaskStep answer(TaskTicket current, int status, String body, String retryAfter) {
        return reader.read(current, status, retryAfter == null ? Map.of() : Map.of("Retry-After", retryAfter), body);
    }

    @ParameterizedTest(name = "state {0} is still running")
    @CsvSource({"pending", "processing", "queued", "dreaming", "some_new_state"})
    void everyStateButCompletedOrFailedIsStillRunning(String state) {
        TaskStep step = answer(ticket, 200, LumaApiStandIn.runningBody("task-1", state).toString(), null);
        TaskTicket next = step.ticket();

        assertThat(step.outcome()).isEqualTo(TaskStep.RUNNING);
        assertThat(next.state()).isEqualTo(state);
        assertThat(next.polls()).isEqualTo(1);
        assertThat(next.nextPollAt()).isEqualTo(NOW + INTERVAL);
    }

    @Test
    void aRunningTaskWhoseStateMovedOnSaysSoAndOneThatStayedDoesNot() {
        TaskStep first = answer(ticket, 200, LumaApiStandIn.runningBody("task-1", "pending").toString(), null);
        TaskStep same = answer(first.ticket(), 200, LumaApiStandIn.runningBody("task-1", "pending").toString(), null);
        TaskStep moved = answer(same.ticket(), 200, LumaApiStandIn.runningBody("task-1", "dreaming").toString(),
                null);
        TaskStep unanswered = answer(moved.ticket(), 503, "", null);

        assertThat(first.stateChanged()).as("no state before the first poll").isTrue();
        assertThat(same.stateChanged()).isFalse();
        assertThat(moved.stateChanged()).isTrue();
        assertThat(unanswered.stateChanged()).as("a back-off reads no state").isFalse();
    }

    @Test
    void anAnswerReadAfterTheNextPollWasDueIsRecordedAsLateness() {
        SimpleMeterRegistry registry = new SimpleMeterRegistry();
        ApiGate watched = new ApiGate(10, 0, INTERVAL, clock, registry);
        GenerationReader slowReader = new GenerationReader(schedule, 3, apiAccess, new ApiGates(p -> watched), TestProviders.builtIns());
        // this poll was due 7 s ago: the next one was due 2 s ago, before the answer was read
        TaskTicket late = ticket.dueAt(NOW - 7_000);

        TaskStep step = slowReader.read(late, 200, Map.of(), LumaApiStandIn.runningBody("task-1", "processing").toString());

        assertThat(step.ticket().nextPollAt()).as("due at once").isEqualTo(NOW);
        assertThat(registry.get("luma.poll.lateness").timer().count()).isEqualTo(1);
        assertThat(registry.get("luma.poll.lateness").timer().max(java.util.concurrent.TimeUnit.MILLISECONDS))
                .isEqualTo(2_000);
        // an answer read in time records nothing
        slowReader.read(ticket, 200, Map.of(), LumaApiStandIn.runningBody("task-1", "processing").toString());
        assertThat(registry.get("luma.poll.lateness").timer().count()).isEqualTo(1);
    }

    @Test
    void theSeedSampleIsCompletedAndCarriesTheGeneration() {
        TaskStep step = answer(ticket, 200, LumaApiStandIn.seed().toString(), null);
        TaskTicket next = step.ticket();

        assertThat(step.outcome()).isEqualTo(TaskStep.COMPLETED);
        assertThat(next.generation().get("id").asText()).isEqualTo("e70fdf3c-ce95-4dd1-a967-220ce957aff5");
    }

    @Test
    void aFailedStateEndsTheTaskWithTheProvidersReason() {
        TaskStep step = answer(ticket, 200, LumaApiStandIn.failedBody("task-1", "nsfw").toString(), null);

        assertThat(step.outcome()).isEqualTo(TaskStep.FAILED);
        assertThat(step.failure())
                .isEqualTo(new Failure("provider_failed", "nsfw"));
    }

    /**
     * An answer nested deeper than {@link GenerationReader#MAX_NESTING_DEPTH} could not travel in the task's next
     * ticket: it is refused as it is read and the task ends; one at the limit is read, and its ticket can be written.
     */
    @ParameterizedTest(name = "an answer {0} levels deep")
    @CsvSource({"501", "1000", "1002", "100000"})
    void anAnswerNestedDeeperThanATicketCanCarryEndsTheTaskRecordUnwritable(int depth) {
        TaskStep step = answer(ticket, 200, nested(depth), null);

        assertThat(step.outcome()).isEqualTo(TaskStep.FAILED);
        assertThat(step.failure().reason()).isEqualTo(Failure.RECORD_UNWRITABLE);
        assertThat(step.failure().detail()).startsWith("the API answered a generation the task's next ticket cannot "
                + "carry: Document nesting depth (501) exceeds the maximum allowed (500");
        assertThat(step.ticket().generation()).isNull();
    }

    @Test
    void anAnswerAtTheNestingLimitIsReadAndItsTicketCanBeWrittenAndReadBack() throws Exception {
        TaskStep step = answer(ticket, 200, nested(GenerationReader.MAX_NESTING_DEPTH), null);

        assertThat(step.outcome()).isEqualTo(TaskStep.COMPLETED);
        // the tickets' mapper (camel-jackson's) has Jackson's default constraints
        com.fasterxml.jackson.databind.ObjectMapper tickets = new com.fasterxml.jackson.databind.ObjectMapper();
        byte[] written = tickets.writeValueAsBytes(step.ticket());
        assertThat(tickets.readValue(written, TaskTicket.class).generation()).isEqualTo(step.ticket().generation());
        assertThat(GenerationReader.MAX_NESTING_DEPTH + 1)
                .as("an answer's depth in its ticket, within what the tickets' mapper writes and reads")
                .isLessThanOrEqualTo(com.fasterxml.jackson.core.StreamWriteConstraints.defaults().getMaxNestingDepth())
                .isLessThanOrEqualTo(com.fasterxml.jackson.core.StreamReadConstraints.defaults().getMaxNestingDepth());
    }

    /** A completed answer {@code depth} levels deep: its object, then arrays in a field. */
    private static String nested(int depth) {
        return "{\"state\":\"completed\",\"x\":" + "[".repeat(depth - 1) + "]".repeat(depth - 1) + "}";
    }

    @ParameterizedTest(name = "HTTP {0} with {1} backs off")
    @CsvSource(delimiter = '|', nullValues = "null", textBlock = """
            200 | <html>maintenance</html>
            200 | {"state": 
            200 | {"id":"task-1"}
            200 | {"state":7}
            500 | null
            502 | null
            503 | null
            """)
    void anUnusableAnswerBacksOffAndKeepsTheTask(int status, String body) {
        TaskStep step = answer(ticket, status, body, null);
        TaskTicket next = step.ticket();

        assertThat(step.outcome()).isEqualTo(TaskStep.RUNNING);
        assertThat(next.errors()).isEqualTo(1);
        assertThat(next.nextPollAt()).isEqualTo(NOW + INTERVAL);
        assertThat(answer(next, status, body, null).ticket().nextPollAt()).isEqualTo(NOW + 2 * INTERVAL);
    }

    @ParameterizedTest(name = "HTTP {0}")
    @CsvSource({"401", "403"})
    void aRefusedTokenBacksOffAsFarAsAllowedAtOnceAndKeepsTheTask(int status) {
        TaskStep step = answer(ticket, status, "{\"error\":\"invalid token\"}", null);
        TaskTicket next = step.ticket();

        assertThat(step.outcome()).isEqualTo(TaskStep.RUNNING);
        assertThat(next.nextPollAt()).isEqualTo(NOW + 60_000);
        assertThat(apiAccess.call().getState()).isEqualTo(HealthCheck.State.DOWN);
        assertThat(apiAccess.call().getMessage()).hasValueSatisfying(m -> assertThat(m).contains("luma.api.token"));

        answer(next, 500, null, null);
        assertThat(apiAccess.call().getState()).isEqualTo(HealthCheck.State.UP);
    }

    @Test
    void tooManyRequestsWaitsAsLongAsRetryAfterSays() {
        TaskStep step = answer(ticket, 429, null, "42");
        TaskTicket next = step.ticket();

        assertThat(step.outcome()).isEqualTo(TaskStep.RUNNING);
        assertThat(next.nextPollAt()).isEqualTo(NOW + 42_000);
    }

    @Test
    void notFoundNeedsSeveral404sInARow() {
        TaskTicket current = ticket;
        for (int i = 1; i < 3; i++) {
            TaskStep step = answer(current, 404, null, null);
            current = step.ticket();
            assertThat(step.outcome()).isEqualTo(TaskStep.RUNNING);
        }
        // a 200 in between resets the count
        TaskTicket afterBlip = answer(current, 200,
                LumaApiStandIn.runningBody("task-1", "processing").toString(), null).ticket();
        assertThat(afterBlip.notFound()).isZero();

        current = afterBlip;
        TaskStep last = null;
        for (int i = 0; i < 3; i++) {
            last = answer(current, 404, null, null);
            current = last.ticket();
        }
        assertThat(last.outcome()).isEqualTo(TaskStep.FAILED);
        assertThat(last.failure().reason()).isEqualTo("not_found");
    }

    @ParameterizedTest(name = "{0}")
    @CsvSource({"java.net.ConnectException", "java.util.concurrent.TimeoutException"})
    void aPollWithoutAnAnswerIsAnErrorThatBacksOffAndKeepsTheTask(String error) throws Exception {
        Exception cause = (Exception) Class.forName(error).getConstructor(String.class).newInstance("no answer");

        TaskStep step = reader.unanswered(ticket, cause);

        assertThat(step.outcome()).isEqualTo(TaskStep.ERROR);
        assertThat(step.ticket().errors()).isEqualTo(1);
        assertThat(step.ticket().nextPollAt()).isEqualTo(NOW + INTERVAL);
    }

    @ParameterizedTest(name = "HTTP {0} {1} at the deadline: timeout")
    @CsvSource(delimiter = '|', nullValues = "null", textBlock = """
            503 | ''                     | 30
            500 | ''                     | null
            502 | <html>bad gateway</html> | null
            429 | ''                     | 30
            401 | ''                     | null
            403 | ''                     | null
            200 | <html>maintenance</html> | null
            200 | '{"id":"task-1"}'      | null
            200 | '{"state":7}'          | null
            """)
    void aPollWithoutTheTasksStateAtItsDeadlineEndsTheTaskTimeout(int status, String body, String retryAfter) {
        TaskTicket atDeadline = TaskTicket.accepted("task-1", null, NOW - 1_800_000, 1_800_000, 0);

        TaskStep step = answer(atDeadline, status, body, retryAfter);
        TaskStep before = answer(ticket, status, body, retryAfter);

        assertThat(step.outcome()).isEqualTo(TaskStep.FAILED);
        assertThat(step.failure().reason()).isEqualTo(Failure.TIMEOUT);
        assertThat(step.failure().detail()).contains("luma.tasks.deadline-ms").contains("last poll:");
        assertThat(before.outcome()).as("before the deadline the task is kept").isEqualTo(TaskStep.RUNNING);
    }

    @Test
    void aPollWithoutAnAnswerAtTheTasksDeadlineEndsTheTaskTimeoutButNotInTheMediaPhase() {
        TaskTicket atDeadline = TaskTicket.accepted("task-1", null, NOW - 1_800_000, 1_800_000, 0);
        TaskTicket harvesting = atDeadline.polled("completed", LumaApiStandIn.seed()).mediaSince(NOW - 1_000);

        TaskStep step = reader.unanswered(atDeadline, new java.util.concurrent.TimeoutException("no answer"));
        TaskStep rePoll = reader.unanswered(harvesting, new java.util.concurrent.TimeoutException("no answer"));

        assertThat(step.outcome()).isEqualTo(TaskStep.FAILED);
        assertThat(step.failure().reason()).isEqualTo(Failure.TIMEOUT);
        assertThat(step.failure().detail()).contains("TimeoutException: no answer");
        assertThat(rePoll.outcome()).as("the media deadline bounds a re-poll").isEqualTo(TaskStep.ERROR);
    }

    @Test
    void aMediaPhaseRePollWithoutAnAnswerPastTheMediaDeadlineEndsTheTask() {
        TaskTicket completedLongAgo = ticket.polled("completed", LumaApiStandIn.seed()).mediaSince(NOW - 61_000);
        GenerationReader strict = new GenerationReader(new PollSchedule(INTERVAL, 60_000, 60_000, clock), 3,
                apiAccess, new ApiGates(p -> budget), TestProviders.builtIns());

        TaskStep step = strict.unanswered(completedLongAgo, new java.net.ConnectException("refused"));

        assertThat(step.outcome()).isEqualTo(TaskStep.FAILED);
        assertThat(step.failure().reason()).isEqualTo(Failure.MEDIA_UNAVAILABLE);
        assertThat(step.failure().detail()).contains("luma.harvest.deadline-ms");
    }

    @ParameterizedTest(name = "Retry-After {0} -> {1} ms")
    @CsvSource(delimiter = '|', nullValues = "null", textBlock = """
            120   | 120000
            0     | 0
            -5    | 0
            soon  | 0
            null  | 0
            """)
    void retryAfterIsReadInSeconds(String header, long millis) {
        assertThat(reader.retryAfterMillis(header)).isEqualTo(millis);
    }
}
