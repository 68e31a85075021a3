package io.lumaharvester.task;

import static org.assertj.core.api.Assertions.assertThat;

import java.nio.charset.StandardCharsets;
import java.time.Clock;
import java.time.Duration;
import java.util.Map;
import java.util.concurrent.TimeUnit;

import com.fasterxml.jackson.core.JsonProcessingException;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.node.JsonNodeFactory;
import io.lumaharvester.ops.TaskMetrics;
import io.micrometer.core.instrument.MeterRegistry;
import io.micrometer.core.instrument.simple.SimpleMeterRegistry;
import org.apache.camel.BindToRegistry;
import org.apache.camel.EndpointInject;
import org.apache.camel.Exchange;
import org.apache.camel.Produce;
import org.apache.camel.ProducerTemplate;
import org.apache.camel.builder.NotifyBuilder;
import org.apache.camel.component.mock.MockEndpoint;
import org.apache.camel.test.main.junit5.CamelMainTest;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.CsvSource;
import org.junit.jupiter.params.provider.ValueSource;

/**
 * Route test of routes/tickets.camel.yaml with the error policy it names (caller-handles-errors,
 * routes/error-policy.camel.yaml): read-ticket, and the write-ticket template's two routes
 * (schedule-poll, schedule-harvest), with their Kafka endpoints mocked and skipped. stepFields is the file's own bean,
 * taskMetrics the real one on a simple meter registry. Each test gets a fresh context.
 */
@CamelMainTest(
        // no application.properties: its camel.main.configuration-classes would bind every bean, Kafka's too
        propertyPlaceholderLocations = "false",
        properties = {
            "camel.main.routes-include-pattern=classpath:routes/tickets.camel.yaml,classpath:routes/error-policy.camel.yaml",
            "luma.topics.polling=luma.tasks.polling",
            "luma.topics.harvest=luma.tasks.harvest",
            // the mock skips the Kafka producer, which then never starts (it would want brokers)
            "camel.component.kafka.lazy-start-producer=true"
        },
        mockEndpointsAndSkip = "kafka:.*")
class TicketsRouteTest {

    private static final ObjectMapper JSON = new ObjectMapper();

    @BindToRegistry("metricsRegistry")
    MeterRegistry meters = new SimpleMeterRegistry();

    @BindToRegistry("taskMetrics")
    TaskMetrics taskMetrics = new TaskMetrics(meters, Clock.systemUTC(), Duration.ofMinutes(10));

    @EndpointInject("mock:kafka:luma.tasks.polling")
    MockEndpoint pollingTopic;

    @EndpointInject("mock:kafka:luma.tasks.harvest")
    MockEndpoint harvestTopic;

    @Produce("direct:read-ticket")
    ProducerTemplate readTicket;

    private static TaskTicket ticket() {
        return TaskTicket.accepted("ticket-task", JsonNodeFactory.instance.objectNode().put("user", "u-1"),
                1_700_000_000_000L, 1_800_000, 30_000).withRun("0-4", 4_000).withProvider("runway")
                .withTrace(new TraceContext("00-4bf92f3577b34da6a3ce929d0e0e4736-00f067aa0ba902b7-01", null));
    }

    private NotifyBuilder done(String routeId) {
        return new NotifyBuilder(readTicket.getCamelContext()).fromRoute(routeId).whenDone(1).create();
    }

    @ParameterizedTest(name = "{0} -> {1}")
    @CsvSource({
        "poll,    luma.tasks.polling",
        "harvest, luma.tasks.harvest"})
    void aTicketGoesOnItsStagesTopicKeyedByTaskIdWithTheDueConsumersHeadersAndNoOther(String stage, String topic)
            throws Exception {
        TaskTicket ticket = ticket();
        NotifyBuilder done = done("schedule-" + stage);

        readTicket.send("direct:schedule-" + stage, exchange -> {
            exchange.getMessage().setBody(ticket);
            exchange.setProperty(TaskExchange.TASK_ID, ticket.taskId());
            // a header of the step's own record, or of the API's answer, must not reach the ticket
            exchange.getMessage().setHeader("kafka.OFFSET", 12L);
            exchange.getMessage().setHeader("Content-Type", "application/json");
        });

        assertThat(done.matches(5, TimeUnit.SECONDS)).isTrue();
        MockEndpoint written = stage.equals("poll") ? pollingTopic : harvestTopic;
        MockEndpoint other = stage.equals("poll") ? harvestTopic : pollingTopic;
        assertThat(other.getReceivedExchanges()).isEmpty();
        assertThat(written.getReceivedExchanges()).hasSize(1);
        Exchange record = written.getReceivedExchanges().get(0);
        assertThat(record.getMessage().getHeaders()).containsOnly(
                Map.entry("kafka.KEY", "ticket-task"),
                Map.entry("luma-due-at", Long.toString(ticket.nextPollAt())),
                Map.entry("luma-step", "4000"),
                Map.entry("luma-provider", "runway"));
        assertThat(JSON.readValue(record.getMessage().getBody(byte[].class), TaskTicket.class)).isEqualTo(ticket);
        // kept for the error policy, should Kafka refuse the record as too large
        assertThat(record.getProperty(TaskExchange.NEXT_TICKET)).isEqualTo(ticket);
    }

    @Test
    void aTicketRecordIsReadIntoTheStepAndItsRecordHeadersGoNoFurther() throws Exception {
        TaskTicket ticket = ticket();
        NotifyBuilder done = done("read-ticket");

        Exchange step = readTicket.send(exchange -> {
            exchange.getMessage().setBody(JSON.writeValueAsBytes(ticket));
            exchange.getMessage().setHeader("kafka.KEY", "ticket-task");
            exchange.getMessage().setHeader("kafka.OFFSET", 12L);
            exchange.getMessage().setHeader("luma-due-at", "1");
        });

        assertThat(done.matches(5, TimeUnit.SECONDS)).isTrue();
        assertThat(step.getException()).isNull();
        assertThat(step.getMessage().getBody()).isEqualTo(ticket);
        assertThat(step.getMessage().getHeaders()).isEmpty();
        assertThat(step.getProperty(TaskExchange.TICKET)).isEqualTo(ticket);
        assertThat(step.getProperty(TaskExchange.TASK_ID)).isEqualTo("ticket-task");
        assertThat(step.getProperty(TaskExchange.TRACE_ID)).isEqualTo("4bf92f3577b34da6a3ce929d0e0e4736");
        assertThat(taskMetrics.inFlight()).isEqualTo(1);
    }

    @ParameterizedTest
    @ValueSource(strings = {"", "not json", "{\"task_id\": \"t\", \"polls\": \"many\"}", "[]"})
    void aTicketThatCannotBeReadFailsTheStepWithAJsonErrorAndNoTaskInHand(String value) throws Exception {
        NotifyBuilder done = done("read-ticket");

        Exchange step = readTicket.send(exchange -> exchange.getMessage()
                .setBody(value.getBytes(StandardCharsets.UTF_8)));

        assertThat(done.matches(5, TimeUnit.SECONDS)).isTrue();
        // the caller's error policy makes it a dead letter (unreadable_ticket): DeadLetters looks for this cause
        assertThat(step.getException()).isInstanceOf(JsonProcessingException.class);
        assertThat(step.getProperty(TaskExchange.TICKET)).isNull();
        assertThat(taskMetrics.inFlight()).isZero();
    }
}
