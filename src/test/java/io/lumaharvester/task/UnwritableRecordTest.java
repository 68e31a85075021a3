package io.lumaharvester.task;

import io.lumaharvester.dev.Events;
import io.lumaharvester.dev.HarvesterExtension;
import static org.assertj.core.api.Assertions.assertThat;

import java.time.Duration;
import java.util.List;
import java.util.Map;
import java.util.UUID;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.node.ObjectNode;
import com.github.tomakehurst.wiremock.client.WireMock;
import io.lumaharvester.dev.LumaApiStandIn;
import io.lumaharvester.dev.StandIns;
import io.lumaharvester.poll.GenerationReader;
import org.apache.camel.builder.AdviceWith;
import org.apache.kafka.clients.consumer.ConsumerRecord;
import org.awaitility.Awaitility;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.parallel.Execution;
import org.junit.jupiter.api.parallel.ExecutionMode;
import org.junit.jupiter.api.extension.RegisterExtension;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.CsvSource;

/**
 * A record of a task that cannot be written is that task's failure, with an event, never a dead letter: only reading a
 * record is. An API answer nested deeper than a ticket can carry is refused as it is read. Each test is a task of its
 * own, found by its id: they run side by side.
 */
@Execution(ExecutionMode.CONCURRENT)
class UnwritableRecordTest {

    /** The task ids whose poll step the route-level test replaces with a ticket no mapper writes. */
    private static final String UNWRITABLE = "unwritable-ticket-";

    @RegisterExtension
    static final HarvesterExtension harvester = new HarvesterExtension("unwritable", Map.of(
            "luma.poll.interval-ms", "200"));

    private final StandIns standIns = harvester.standIns();

    /**
     * The poll route's read-generation step, for {@link #UNWRITABLE} tasks only, answers completed with a generation
     * nested 1,000 deep: its harvest ticket is 1,001 deep, beyond what the tickets' mapper (camel-jackson's) writes.
     */
    @BeforeAll
    static void aStepThatMakesATicketNoMapperWrites() throws Exception {
        JsonNode deep = new ObjectMapper().readTree("{\"state\":\"completed\",\"x\":" + "[".repeat(999)
                + "]".repeat(999) + "}");
        AdviceWith.adviceWith(harvester.app().context(), "poll", route -> route.weaveById("read-generation").after()
                .process(exchange -> {
                    TaskTicket ticket = exchange.getProperty(TaskExchange.TICKET, TaskTicket.class);
                    if (ticket.taskId().startsWith(UNWRITABLE)) {
                        exchange.getMessage().setBody(TaskStep.completed(ticket.polled("completed", deep)));
                    }
                }));
    }

    /** An answer {@code depth} levels deep: a completed generation with arrays nested in a field. */
    private static String nested(int depth) {
        return "{\"state\":\"completed\",\"x\":" + "[".repeat(depth - 1) + "]".repeat(depth - 1) + "}";
    }

    private List<ConsumerRecord<byte[], byte[]>> events(String taskId) {
        return Events.forKey(Events.records(standIns, harvester.setting("luma.topics.events")), taskId);
    }

    private List<ConsumerRecord<byte[], byte[]>> deadLetters(String taskId) {
        return Events.forKey(Events.records(standIns, harvester.setting("luma.topics.dlq")), taskId);
    }

    /**
     * The ended task's id sent again is not {@code in_flight}: its state ended, so it starts a new run, which ends
     * with its own event (the API answers the same).
     */
    private void sentAgainRunsAgain(String taskId, JsonNode first) throws Exception {
        Events.awaitEnded(standIns, harvester.setting("luma.topics.accepted"), taskId);
        harvester.submit(taskId);
        Awaitility.await().atMost(Duration.ofSeconds(40)).pollInterval(Duration.ofMillis(200))
                .until(() -> events(taskId).size() == 2);
        JsonNode second = Events.value(events(taskId).get(1));
        Events.assertValidEvent(second);
        assertThat(second.at("/failure/reason").asText()).isEqualTo("record_unwritable");
        assertThat(second.get("run").asText()).as("a new run").isNotEqualTo(first.get("run").asText());
    }

    /**
     * 999 and 1,000 levels parse with Jackson's defaults (before: the first completed, the second's harvest ticket
     * could not be written and the task went to the dead-letter topic as unreadable_ticket, no event, in_flight for
     * ever); 1,002 does not (before: a garbage answer, polled for ever). Each ends the task after one poll.
     */
    @ParameterizedTest(name = "an answer {0} levels deep")
    @CsvSource({"999", "1000", "1002"})
    void anAnswerNestedTooDeepToTravelEndsTheTaskWithAnEventAndItsStateEnds(int depth) throws Exception {
        String taskId = "deep-" + depth + "-" + UUID.randomUUID();
        standIns.api.answer(taskId, List.of(WireMock.aResponse().withStatus(200)
                .withHeader("Content-Type", "application/json").withBody(nested(depth))));

        harvester.submit(taskId);

        JsonNode event = Events.value(Events.awaitOnlyEvent(standIns, harvester.setting("luma.topics.events"), taskId,
                Duration.ofSeconds(40)));
        assertThat(event.get("status").asText()).isEqualTo("failed");
        assertThat(event.at("/failure/reason").asText()).isEqualTo("record_unwritable");
        assertThat(event.at("/failure/detail").asText()).contains("nesting depth (501) exceeds the maximum allowed "
                + "(" + GenerationReader.MAX_NESTING_DEPTH);
        assertThat(standIns.api.requestsFor(taskId)).as("one poll").hasSize(1);
        sentAgainRunsAgain(taskId, event);
        assertThat(deadLetters(taskId)).as("no dead letter").isEmpty();
    }

    /** An answer at the limit travels: the task completes. */
    @Test
    void anAnswerNestedAsDeepAsTheLimitCompletes() throws Exception {
        String taskId = "deep-ok-" + UUID.randomUUID();
        ObjectNode answer = LumaApiStandIn.completedBody(standIns.api.completedMedia(taskId, 10_000));
        answer.set("extra", new ObjectMapper().readTree("[".repeat(GenerationReader.MAX_NESTING_DEPTH - 1)
                + "]".repeat(GenerationReader.MAX_NESTING_DEPTH - 1)));
        standIns.api.answer(taskId, List.of(LumaApiStandIn.json(answer)));

        harvester.submit(taskId);

        JsonNode event = Events.value(Events.awaitOnlyEvent(standIns, harvester.setting("luma.topics.events"), taskId,
                Duration.ofSeconds(40)));
        assertThat(event.get("status").asText()).isEqualTo("completed");
    }

    /**
     * A step whose next ticket cannot be written as JSON (here 1,001 levels deep) ends the task record_unwritable,
     * through the error policy and fail-task. Before: the policy dead-lettered it as unreadable_ticket, no event.
     */
    @Test
    void aTicketThatCannotBeWrittenEndsTheTaskRecordUnwritableNotADeadLetter() throws Exception {
        String taskId = UNWRITABLE + UUID.randomUUID();
        standIns.api.completesAfter(taskId, List.of(), 10_000);

        harvester.submit(taskId);

        JsonNode event = Events.value(Events.awaitOnlyEvent(standIns, harvester.setting("luma.topics.events"), taskId,
                Duration.ofSeconds(40)));
        assertThat(event.get("status").asText()).isEqualTo("failed");
        assertThat(event.at("/failure/reason").asText()).isEqualTo("record_unwritable");
        assertThat(event.at("/failure/detail").asText()).startsWith("the task's next ticket could not be written as "
                + "JSON (").contains("Document nesting depth (1001) exceeds the maximum allowed (1000");
        sentAgainRunsAgain(taskId, event);
        assertThat(deadLetters(taskId)).as("no dead letter").isEmpty();
        assertThat(Events.forKey(Events.records(standIns, harvester.setting("luma.topics.harvest")), taskId))
                .as("nothing on the harvest topic").isEmpty();
    }
}
