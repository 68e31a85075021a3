package io.lumaharvester.intake;

import static org.assertj.core.api.Assertions.assertThat;

import java.nio.charset.StandardCharsets;
import java.time.Clock;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CompletionException;
import java.util.concurrent.CompletionStage;
import java.util.concurrent.TimeUnit;

import com.fasterxml.jackson.databind.node.JsonNodeFactory;
import io.lumaharvester.ops.TaskMetrics;
import io.lumaharvester.provider.TestProviders;
import io.lumaharvester.task.DeadLetters;
import io.lumaharvester.task.Failure;
import io.lumaharvester.task.PollSchedule;
import io.lumaharvester.task.StepFields;
import io.lumaharvester.task.TaskExchange;
import io.lumaharvester.task.TaskRecovery;
import io.lumaharvester.task.TaskStep;
import io.lumaharvester.task.TaskTicket;
import io.lumaharvester.task.TraceContext;
import io.micrometer.core.instrument.MeterRegistry;
import io.micrometer.core.instrument.simple.SimpleMeterRegistry;
import org.apache.camel.BindToRegistry;
import org.apache.camel.Body;
import org.apache.camel.EndpointInject;
import org.apache.camel.Exchange;
import org.apache.camel.Header;
import org.apache.camel.Produce;
import org.apache.camel.ProducerTemplate;
import org.apache.camel.builder.NotifyBuilder;
import org.apache.camel.component.mock.MockEndpoint;
import org.apache.camel.test.main.junit5.CamelMainTest;
import org.apache.kafka.common.KafkaException;
import org.apache.kafka.common.errors.RecordTooLargeException;
import org.apache.kafka.common.errors.TimeoutException;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.CsvSource;
import org.junit.jupiter.params.provider.EnumSource;

/**
 * Route test of routes/intake.camel.yaml with the error policy it names (routes/error-policy.camel.yaml), and no
 * other route file: its due: consumer replaced by direct:tasks, its Kafka endpoints and direct:schedule-poll
 * (tickets.camel.yaml, not loaded) mocked and skipped, direct:fail-task (publish.camel.yaml) likewise. The beans are
 * the real ones, but taskStates, whose real one reads and writes luma.tasks.accepted: a stand-in that answers the
 * decision a test gives it. Each test gets a fresh context.
 */
@CamelMainTest(
        // no application.properties: its camel.main.configuration-classes would bind every bean, Kafka's too
        propertyPlaceholderLocations = "false",
        properties = {
            "camel.main.routes-include-pattern=classpath:routes/intake.camel.yaml,classpath:routes/error-policy.camel.yaml",
            "luma.topics.dlq=luma.tasks.dlq",
            "luma.dlq.max-record-bytes=10485760",
            // the mock skips the Kafka producer, which then never starts (it would want brokers)
            "camel.component.kafka.lazy-start-producer=true"
        },
        replaceRouteFromWith = "intake=direct:tasks",
        mockEndpointsAndSkip = "kafka:.*|direct:schedule-poll|direct:fail-task")
class IntakeRouteTest {

    private static final String TRACEPARENT = "00-4bf92f3577b34da6a3ce929d0e0e4736-00f067aa0ba902b7-01";

    @BindToRegistry("metricsRegistry")
    MeterRegistry meters = new SimpleMeterRegistry();

    @BindToRegistry("taskIntake")
    TaskIntake taskIntake = new TaskIntake(1_800_000, 30_000, 65_536, Clock.systemUTC(), TestProviders.builtIns());

    @BindToRegistry("stepFields")
    StepFields stepFields = new StepFields();

    @BindToRegistry("taskMetrics")
    TaskMetrics taskMetrics = new TaskMetrics(meters, Clock.systemUTC(), Duration.ofMinutes(10));

    @BindToRegistry("taskRecovery")
    TaskRecovery taskRecovery = new TaskRecovery(new PollSchedule(5_000, 300_000, 3_600_000, Clock.systemUTC()), 5, 3,
            1_048_576, 262_144, 65_536);

    @BindToRegistry("taskStates")
    Decides taskStates = new Decides();

    @EndpointInject("mock:direct:schedule-poll")
    MockEndpoint firstTickets;

    @EndpointInject("mock:direct:fail-task")
    MockEndpoint failedTasks;

    @EndpointInject("mock:kafka:luma.tasks.dlq")
    MockEndpoint deadLetters;

    @Produce("direct:tasks")
    ProducerTemplate tasks;

    /**
     * Stand-in for TaskStates: decides what the test set ({@link #next}), or fails as Kafka would ({@link #failure}),
     * and records what it was asked to republish.
     */
    public static class Decides {

        volatile Resubmission next = Resubmission.NEW;
        volatile RuntimeException failure;
        final List<TaskStates.Decision> decided = new ArrayList<>();
        final List<TaskStates.Decision> republished = new ArrayList<>();

        public synchronized CompletionStage<TaskStates.Decision> decide(@Body TaskTicket ticket,
                @Header("kafka.PARTITION") Object partition, @Header("kafka.OFFSET") Object offset) {
            if (failure != null) {
                // as TaskStates fails: a stage that depends on the write Kafka did not acknowledge
                return CompletableFuture.<TaskStates.Decision>failedFuture(failure).thenApply(decision -> decision);
            }
            String run = partition + "-" + offset;
            TaskState recorded = switch (next) {
                case NEW -> null;
                case REPLAYED -> TaskState.running(run, 1_000);
                case REPLAYED_ENDED -> TaskState.ended(run, "completed", null, Map.of());
                case IN_FLIGHT -> TaskState.running("0-1", 1_000);
                case REPUBLISHED -> TaskState.ended("0-1", "completed",
                        JsonNodeFactory.instance.objectNode().put("task_id", ticket.taskId()), Map.of());
                case RERUN -> TaskState.ended("0-1", "failed", null, Map.of());
            };
            TaskStates.Decision decision = new TaskStates.Decision(next,
                    next.runs() ? ticket.withRun(run, 2_000) : ticket, recorded);
            decided.add(decision);
            return CompletableFuture.completedFuture(decision);
        }

        public synchronized CompletionStage<Void> republish(@Body TaskStates.Decision decision) {
            republished.add(decision);
            return CompletableFuture.completedFuture(null);
        }
    }

    /** A record as the due: consumer hands it to the route: its value, key, topic, partition and offset. */
    private Exchange submit(byte[] value, long offset, boolean lastAttempt, Map<String, String> headers) {
        return tasks.send(exchange -> {
            exchange.getMessage().setBody(value);
            exchange.getMessage().setHeader("kafka.KEY", "key-" + offset);
            exchange.getMessage().setHeader("kafka.TOPIC", "luma.tasks");
            exchange.getMessage().setHeader("kafka.PARTITION", 0);
            exchange.getMessage().setHeader("kafka.OFFSET", offset);
            headers.forEach(exchange.getMessage()::setHeader);
            exchange.setProperty("lumaDueAttempt", lastAttempt ? 10 : 1);
            exchange.setProperty("lumaDueLastAttempt", lastAttempt);
        });
    }

    private Exchange submit(String value, long offset) {
        return submit(value.getBytes(StandardCharsets.UTF_8), offset, false, Map.of());
    }

    private NotifyBuilder intakeDone() {
        return new NotifyBuilder(tasks.getCamelContext()).fromRoute("intake").whenDone(1).create();
    }

    private static TaskTicket ticketOf(Exchange sent) {
        return sent.getMessage().getBody(TaskTicket.class);
    }

    // decisions

    @ParameterizedTest
    @EnumSource(Resubmission.class)
    void eachDecisionAboutATaskRecordStartsItsPollLoopRepublishesItsEventOrDoesNothing(Resubmission decision)
            throws Exception {
        taskStates.next = decision;
        NotifyBuilder done = intakeDone();

        Exchange result = submit("task-" + decision.name().toLowerCase(), 17);

        assertThat(done.matches(5, TimeUnit.SECONDS)).isTrue();
        assertThat(result.getException()).isNull();
        boolean runs = decision == Resubmission.NEW || decision == Resubmission.REPLAYED
                || decision == Resubmission.RERUN;
        assertThat(firstTickets.getReceivedExchanges()).hasSize(runs ? 1 : 0);
        assertThat(taskStates.republished).hasSize(decision == Resubmission.REPUBLISHED ? 1 : 0);
        assertThat(taskMetrics.inFlight()).isEqualTo(runs ? 1 : 0);
        assertThat(deadLetters.getReceivedExchanges()).isEmpty();
        if (runs) {
            Exchange first = firstTickets.getReceivedExchanges().get(0);
            TaskTicket ticket = ticketOf(first);
            assertThat(ticket.taskId()).isEqualTo("task-" + decision.name().toLowerCase());
            assertThat(ticket.run()).isEqualTo("0-17");
            // the record's key, topic, partition and offset go no further
            assertThat(first.getMessage().getHeaders()).isEmpty();
            assertThat(first.getProperty(TaskExchange.TICKET)).isEqualTo(ticket);
            assertThat(first.getProperty(TaskExchange.TASK_ID)).isEqualTo(ticket.taskId());
        }
    }

    @Test
    void aTaskRecordsTraceContextGoesOnInItsFirstTicket() throws Exception {
        NotifyBuilder done = intakeDone();

        submit("traced-task".getBytes(StandardCharsets.UTF_8), 3, false,
                Map.of("traceparent", TRACEPARENT, "tracestate", "vendor=1"));

        assertThat(done.matches(5, TimeUnit.SECONDS)).isTrue();
        TaskTicket ticket = ticketOf(firstTickets.getReceivedExchanges().get(0));
        assertThat(ticket.trace()).isEqualTo(new TraceContext(TRACEPARENT, "vendor=1"));
    }

    // records that are not tasks: dead letters (error-policy.camel.yaml, dead-letter-rejected-record)

    @ParameterizedTest(name = "{0} -> {1}")
    @CsvSource(delimiter = '|', value = {
        "''                                        | empty",
        "'   '                                     | empty",
        "'{\"task_id\": '                          | malformed_json",
        "'[\"task-1\"]'                            | not_an_object",
        "'{\"metadata\": {}}'                      | missing_task_id",
        "'{\"task_id\": 7}'                        | invalid_task_id",
        "'{\"task_id\": \"t-1\", \"metadata\": 1}' | invalid_metadata",
        "'{\"task_id\": \"t-1\", \"provider\": \"nobody\"}' | unknown_provider",
        "'a task id with spaces'                   | invalid_task_id"})
    void aRecordThatIsNotATaskIsADeadLetterWithItsReasonItsOriginAndItsBytesAsSent(String value, String reason)
            throws Exception {
        NotifyBuilder done = intakeDone();

        Exchange result = submit(value, 21);

        assertThat(done.matches(5, TimeUnit.SECONDS)).isTrue();
        assertThat(result.getException()).isNull();
        assertThat(deadLetters.getReceivedExchanges()).hasSize(1);
        Exchange letter = deadLetters.getReceivedExchanges().get(0);
        assertThat(letter.getMessage().getBody(byte[].class)).isEqualTo(value.getBytes(StandardCharsets.UTF_8));
        assertThat(letter.getMessage().getHeaders()).containsEntry("luma.dlq.reason", reason)
                .containsEntry("kafka.KEY", "key-21")
                .containsEntry("luma.dlq.source-topic", "luma.tasks")
                .containsEntry("luma.dlq.source-partition", "0")
                .containsEntry("luma.dlq.source-offset", "21")
                .containsEntry("luma.dlq.attempt", "1")
                .containsKey("luma.dlq.detail");
        assertThat(letter.getMessage().getHeaders().keySet())
                .allMatch(name -> name.startsWith("luma.dlq.") || name.equals("kafka.KEY"));
        assertThat(taskStates.decided).isEmpty();
        assertThat(firstTickets.getReceivedExchanges()).isEmpty();
        assertThat(meters.find("luma.dlq.records").tag("reason", reason).counter().count()).isEqualTo(1.0);
    }

    // faults after the record was read (error-policy.camel.yaml): by what failed, and whether it was the last try

    /** What fails, where, and on which try. */
    enum Fault {
        KAFKA_FAILS_THE_DECISION(new TimeoutException("accepted state not acknowledged"), false, false),
        KAFKA_FAILS_THE_DECISION_ON_THE_LAST_TRY(new TimeoutException("accepted state not acknowledged"), false, true),
        KAFKA_FAILS_THE_FIRST_TICKET(new TimeoutException("ticket not acknowledged"), true, false),
        KAFKA_FAILS_THE_FIRST_TICKET_ON_THE_LAST_TRY(new TimeoutException("ticket not acknowledged"), true, true),
        KAFKA_REFUSES_THE_FIRST_TICKET_AS_TOO_LARGE(new RecordTooLargeException("too large"), true, false),
        THE_FIRST_TICKET_FAILS_OTHERWISE(new IllegalStateException("boom"), true, false);

        final RuntimeException error;
        final boolean atTheTicket;
        final boolean lastTry;

        Fault(RuntimeException error, boolean atTheTicket, boolean lastTry) {
            this.error = error;
            this.atTheTicket = atTheTicket;
            this.lastTry = lastTry;
        }
    }

    @ParameterizedTest
    @CsvSource({
        // fault,                                       outcome
        "KAFKA_FAILS_THE_DECISION,                      record tried again",
        "KAFKA_FAILS_THE_DECISION_ON_THE_LAST_TRY,      dead letter attempts_exhausted",
        "KAFKA_FAILS_THE_FIRST_TICKET,                  record tried again",
        "KAFKA_FAILS_THE_FIRST_TICKET_ON_THE_LAST_TRY,  task fails record_unwritable",
        "KAFKA_REFUSES_THE_FIRST_TICKET_AS_TOO_LARGE,   task fails record_too_large",
        "THE_FIRST_TICKET_FAILS_OTHERWISE,              task polled again after a back-off"})
    void aFaultAfterTheRecordWasReadEndsAsTheErrorPolicySays(Fault fault, String outcome) throws Exception {
        if (fault.atTheTicket) {
            firstTickets.whenExchangeReceived(1, exchange -> {
                throw fault.error;
            });
        } else {
            taskStates.failure = fault.error;
        }
        NotifyBuilder done = intakeDone();
        long before = System.currentTimeMillis();

        Exchange result = submit("faulty-task".getBytes(StandardCharsets.UTF_8), 30, fault.lastTry, Map.of());

        assertThat(done.matches(5, TimeUnit.SECONDS)).isTrue();
        switch (outcome) {
            case "record tried again" -> {
                // unhandled: the due: consumer keeps the record and sends it again after its back-off
                // a failed write arrives wrapped, as a dependent stage of TaskStates' completes
                Throwable error = result.getException();
                assertThat(error instanceof CompletionException ? error.getCause() : error)
                        .isInstanceOf(KafkaException.class);
                assertThat(deadLetters.getReceivedExchanges()).isEmpty();
                assertThat(failedTasks.getReceivedExchanges()).isEmpty();
            }
            case "dead letter attempts_exhausted" -> {
                assertThat(result.getException()).isNull();
                assertThat(deadLetters.getReceivedExchanges()).singleElement()
                        .extracting(letter -> letter.getMessage().getHeader("luma.dlq.reason"))
                        .isEqualTo(DeadLetters.ATTEMPTS_EXHAUSTED);
            }
            case "task fails record_unwritable", "task fails record_too_large" -> {
                assertThat(result.getException()).isNull();
                assertThat(failedTasks.getReceivedExchanges()).singleElement()
                        .extracting(failed -> failed.getMessage().getBody(TaskStep.class).failure().reason())
                        .isEqualTo(outcome.equals("task fails record_unwritable") ? Failure.RECORD_UNWRITABLE
                                : Failure.RECORD_TOO_LARGE);
                assertThat(deadLetters.getReceivedExchanges()).isEmpty();
            }
            case "task polled again after a back-off" -> {
                assertThat(result.getException()).isNull();
                assertThat(firstTickets.getReceivedExchanges()).hasSize(2);
                TaskTicket first = ticketOf(firstTickets.getReceivedExchanges().get(0));
                TaskTicket retry = ticketOf(firstTickets.getReceivedExchanges().get(1));
                assertThat(retry.taskId()).isEqualTo(first.taskId());
                assertThat(retry.errors()).isEqualTo(first.errors() + 1);
                // due after its back-off (PollSchedule's 5 s at the least), not at once
                assertThat(retry.nextPollAt()).isGreaterThanOrEqualTo(before + 5_000);
                assertThat(failedTasks.getReceivedExchanges()).isEmpty();
            }
            default -> throw new IllegalArgumentException(outcome);
        }
    }
}
