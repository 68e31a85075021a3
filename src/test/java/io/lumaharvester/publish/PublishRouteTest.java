package io.lumaharvester.publish;

import static org.assertj.core.api.Assertions.assertThat;

import java.time.Clock;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.concurrent.TimeUnit;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.node.JsonNodeFactory;
import io.lumaharvester.ops.TaskMetrics;
import io.lumaharvester.provider.TestProviders;
import io.lumaharvester.task.Failure;
import io.lumaharvester.task.TaskExchange;
import io.lumaharvester.task.TaskStep;
import io.lumaharvester.task.TaskTicket;
import io.lumaharvester.task.TraceContext;
import io.micrometer.core.instrument.MeterRegistry;
import io.micrometer.core.instrument.simple.SimpleMeterRegistry;
import org.apache.camel.BindToRegistry;
import org.apache.camel.EndpointInject;
import org.apache.camel.Exchange;
import org.apache.camel.ExchangeProperty;
import org.apache.camel.Headers;
import org.apache.camel.Produce;
import org.apache.camel.ProducerTemplate;
import org.apache.camel.builder.NotifyBuilder;
import org.apache.camel.component.mock.MockEndpoint;
import org.apache.camel.support.processor.idempotent.MemoryIdempotentRepository;
import org.apache.camel.test.main.junit5.CamelMainTest;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.CsvSource;

/**
 * Route test of routes/publish.camel.yaml (fail-task and publish-event) with the error policy it names
 * (caller-handles-errors, routes/error-policy.camel.yaml), in a camel-main context of its own:
 * no broker, no S3, no stand-ins. The Kafka endpoint is mocked and skipped; the beans the route calls are the real
 * ones where they are plain functions (generationEvents, taskMetrics), an in-memory idempotent repository for
 * publishedEvents (its real one reads the events topic back) and a recorder for taskStates (its real one writes
 * luma.tasks.accepted). Each test gets a fresh context.
 */
@CamelMainTest(
        // no application.properties: its camel.main.configuration-classes would bind every bean, Kafka's too
        propertyPlaceholderLocations = "false",
        properties = {
            "camel.main.routes-include-pattern=classpath:routes/publish.camel.yaml,classpath:routes/error-policy.camel.yaml",
            "luma.topics.events=luma.events",
            "luma.events.source=/luma-harvester",
            // the mock skips the Kafka producer, which then never starts (it would want brokers)
            "camel.component.kafka.lazy-start-producer=true"
        },
        mockEndpointsAndSkip = "kafka:*")
class PublishRouteTest {

    private static final ObjectMapper JSON = new ObjectMapper();
    private static final String TRACEPARENT = "00-4bf92f3577b34da6a3ce929d0e0e4736-00f067aa0ba902b7-01";

    @BindToRegistry("metricsRegistry")
    MeterRegistry meters = new SimpleMeterRegistry();

    @BindToRegistry("generationEvents")
    GenerationEvents generationEvents = new GenerationEvents("/luma-harvester", Clock.systemUTC(), false,
            TestProviders.builtIns());

    @BindToRegistry("taskMetrics")
    TaskMetrics taskMetrics = new TaskMetrics(meters, Clock.systemUTC(), Duration.ofMinutes(10));

    @BindToRegistry("publishedEvents")
    MemoryIdempotentRepository publishedEvents = new MemoryIdempotentRepository();

    @BindToRegistry("taskStates")
    EndedTasks taskStates = new EndedTasks();

    @EndpointInject("mock:kafka:luma.events")
    MockEndpoint events;

    @Produce("direct:fail-task")
    ProducerTemplate failTask;

    /** Stand-in for TaskStates: the events whose task end the route recorded, in order. */
    public static class EndedTasks {

        final List<GenerationEvent> ended = new ArrayList<>();

        public synchronized void ended(@ExchangeProperty(TaskExchange.EVENT) GenerationEvent event,
                @Headers Map<String, Object> headers) {
            ended.add(event);
        }
    }

    private static TaskTicket ticket(String taskId, String run) {
        return TaskTicket.accepted(taskId, JsonNodeFactory.instance.objectNode().put("user", "u-1"),
                System.currentTimeMillis(), 1_800_000, 30_000).withRun(run, 1);
    }

    /** What the poll or harvest route sends when a task ends without its media: the TaskStep, lumaTicket set. */
    private void fail(TaskTicket ticket, Failure failure) {
        failTask.send(exchange -> {
            exchange.getMessage().setBody(TaskStep.failed(ticket, failure));
            exchange.setProperty(TaskExchange.TICKET, ticket);
            // a header of the record the step read, which must not reach the event
            exchange.getMessage().setHeader("kafka.TOPIC", "luma.tasks.polling");
            exchange.getMessage().setHeader("Authorization", "Bearer secret");
        });
    }

    private NotifyBuilder published(int exchanges) {
        return new NotifyBuilder(events.getCamelContext()).fromRoute("fail-task").whenDone(exchanges).create();
    }

    private static JsonNode body(Exchange sent) throws Exception {
        return JSON.readTree(sent.getMessage().getBody(byte[].class));
    }

    private double finished(String reason) {
        var counter = meters.find("luma.tasks.finished").tags("status", "failed", "reason", reason).counter();
        return counter == null ? 0 : counter.count();
    }

    @ParameterizedTest(name = "{0}")
    @CsvSource({
        "provider_failed, the provider said failed",
        "timeout,         still processing at the deadline",
        "not_found,       three 404s in a row",
        "media_rejected,  413 from the CDN",
        "storage_rejected, the bucket refused the object",
        "record_too_large, the next ticket was too large"})
    void aFailedTaskGetsOneEventKeyedByItsTaskIdWithItsCloudEventsHeadersAndNoOther(String reason, String detail)
            throws Exception {
        TaskTicket ticket = ticket("task-" + reason, "0-42");
        NotifyBuilder done = published(1);

        fail(ticket, new Failure(reason, detail));

        assertThat(done.matches(5, TimeUnit.SECONDS)).isTrue();
        assertThat(events.getReceivedExchanges()).hasSize(1);
        Exchange sent = events.getReceivedExchanges().get(0);
        GenerationEvent event = generationEvents.failed(ticket, new Failure(reason, detail));
        assertThat(sent.getMessage().getHeaders()).containsOnly(
                Map.entry("kafka.KEY", ticket.taskId()),
                Map.entry("ce_specversion", "1.0"),
                Map.entry("ce_id", event.cloudEventId()),
                Map.entry("ce_source", "/luma-harvester"),
                Map.entry("ce_type", "luma.generation.failed"),
                Map.entry("ce_subject", ticket.taskId()),
                Map.entry("ce_time", sent.getMessage().getHeader("ce_time", String.class)),
                Map.entry("ce_lumarun", "0-42"),
                Map.entry("content-type", "application/json"));
        JsonNode json = body(sent);
        assertThat(json.path("task_id").asText()).isEqualTo(ticket.taskId());
        assertThat(json.path("status").asText()).isEqualTo("failed");
        assertThat(json.path("failure").path("reason").asText()).isEqualTo(reason);
        assertThat(json.path("run").asText()).isEqualTo("0-42");
        assertThat(json.path("metadata").path("user").asText()).isEqualTo("u-1");
        assertThat(json.path("finished_at").asText()).isEqualTo(sent.getMessage().getHeader("ce_time"));
        assertThat(finished(reason)).isEqualTo(1.0);
        assertThat(taskStates.ended).extracting(GenerationEvent::taskId).containsExactly(ticket.taskId());
    }

    @ParameterizedTest(name = "traceparent {0}, tracestate {1}")
    @CsvSource(nullValues = "none", value = {
        "none,  none,     ,           ",
        "valid, none,     traceparent,",
        "valid, vendor=1, traceparent, tracestate"})
    void theEventCarriesTheTaskRecordsTraceContextAsItWasSent(String traceparent, String tracestate,
            String expected1, String expected2) throws Exception {
        TaskTicket ticket = ticket("traced-task", "0-7");
        if (traceparent != null) {
            ticket = ticket.withTrace(new TraceContext(TRACEPARENT, tracestate));
        }
        NotifyBuilder done = published(1);

        fail(ticket, new Failure(Failure.TIMEOUT, "late"));

        assertThat(done.matches(5, TimeUnit.SECONDS)).isTrue();
        Map<String, Object> headers = events.getReceivedExchanges().get(0).getMessage().getHeaders();
        List<String> expected = new ArrayList<>();
        if (expected1 != null) {
            expected.add(expected1);
        }
        if (expected2 != null) {
            expected.add(expected2);
        }
        assertThat(headers.keySet().stream().filter(name -> name.startsWith("trace")))
                .containsExactlyInAnyOrderElementsOf(expected);
        if (traceparent != null) {
            assertThat(headers).containsEntry("traceparent", TRACEPARENT);
        }
        if (tracestate != null) {
            assertThat(headers).containsEntry("tracestate", tracestate);
        }
    }

    @Test
    void theSameTaskAndRunIsPublishedOnceButItsEndIsRecordedEachTime() throws Exception {
        TaskTicket ticket = ticket("replayed-task", "0-3");
        NotifyBuilder done = published(2);

        fail(ticket, new Failure(Failure.PROVIDER_FAILED, "failed"));
        // the same step read again (a crash before its offset was committed)
        fail(ticket, new Failure(Failure.PROVIDER_FAILED, "failed"));

        assertThat(done.matches(5, TimeUnit.SECONDS)).isTrue();
        assertThat(events.getReceivedExchanges()).hasSize(1);
        assertThat(finished(Failure.PROVIDER_FAILED)).isEqualTo(1.0);
        // a crash between the event and luma.tasks.accepted is repaired by the replay
        assertThat(taskStates.ended).hasSize(2);
    }

    @Test
    void aNewRunOfTheSameTaskGetsAnEventOfItsOwn() throws Exception {
        NotifyBuilder done = published(2);

        fail(ticket("rerun-task", "0-3"), new Failure(Failure.PROVIDER_FAILED, "failed"));
        fail(ticket("rerun-task", "0-9"), new Failure(Failure.PROVIDER_FAILED, "failed again"));

        assertThat(done.matches(5, TimeUnit.SECONDS)).isTrue();
        assertThat(events.getReceivedExchanges()).extracting(sent -> sent.getMessage().getHeader("ce_lumarun"))
                .containsExactly("0-3", "0-9");
        assertThat(events.getReceivedExchanges()).extracting(sent -> sent.getMessage().getHeader("ce_id"))
                .doesNotHaveDuplicates();
    }
}
