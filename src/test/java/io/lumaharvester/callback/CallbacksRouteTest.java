package io.lumaharvester.callback;

import static org.assertj.core.api.Assertions.assertThat;

import java.nio.charset.StandardCharsets;
import java.time.Clock;
import java.time.Instant;
import java.util.Base64;
import java.util.Map;
import java.util.UUID;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.TimeUnit;
import java.util.function.Function;
import java.util.stream.Stream;

import io.lumaharvester.intake.TaskState;
import io.lumaharvester.intake.TaskStates;
import io.lumaharvester.kafka.KafkaClients;
import io.lumaharvester.provider.TestProviders;
import io.micrometer.core.instrument.MeterRegistry;
import io.micrometer.core.instrument.simple.SimpleMeterRegistry;
import org.apache.camel.BindToRegistry;
import org.apache.camel.EndpointInject;
import org.apache.camel.Exchange;
import org.apache.camel.Produce;
import org.apache.camel.ProducerTemplate;
import org.apache.camel.builder.NotifyBuilder;
import org.apache.camel.component.mock.MockEndpoint;
import org.apache.camel.support.processor.idempotent.MemoryIdempotentRepository;
import org.apache.camel.test.main.junit5.CamelMainTest;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.Arguments;
import org.junit.jupiter.params.provider.MethodSource;

/**
 * Route test of routes/callbacks.camel.yaml with the error policy it names (callback-error-policy, in
 * routes/error-policy.camel.yaml), and no other route file: its platform-http consumer replaced by direct:callbacks
 * (the request as platform-http hands it over: CamelHttpMethod, CamelHttpPath, CamelHttpRawQuery, the body's bytes),
 * its Kafka endpoints mocked and skipped. The callbacks bean is the real one, on the built-in profiles (luma-official
 * verifies a token, replicate Standard Webhooks); the task states it asks are a stand-in. The whole-harvester
 * CallbackEndToEndTest posts over HTTP to a running harvester instead. Each test gets a fresh context.
 */
@CamelMainTest(
        // no application.properties: its camel.main.configuration-classes would bind every bean, Kafka's too
        propertyPlaceholderLocations = "false",
        properties = {
            "camel.main.routes-include-pattern=classpath:routes/callbacks.camel.yaml,classpath:routes/error-policy.camel.yaml",
            // the routes' precondition (callbacks on); nothing listens, the consumer is replaced
            "luma.callbacks.port=1",
            "luma.callbacks.max-per-second=1000",
            "luma.topics.polling=luma.tasks.polling",
            "luma.topics.tasks=luma.tasks",
            // the mock skips the Kafka producer, which then never starts (it would want brokers)
            "camel.component.kafka.lazy-start-producer=true"
        },
        replaceRouteFromWith = "callbacks=direct:callbacks",
        mockEndpointsAndSkip = "kafka:.*")
class CallbacksRouteTest {

    private static final String TOKEN = "cb-token-" + UUID.randomUUID();
    private static final byte[] WEBHOOK_KEY = "the standard webhooks secret".getBytes(StandardCharsets.UTF_8);
    private static final String RUNNING = "running";
    private static final String ENDED = "ended";
    private static final String NEVER_SEEN = "never seen";

    @BindToRegistry("metricsRegistry")
    MeterRegistry meters = new SimpleMeterRegistry();

    /** Stand-in for the task states, which the real one reads from luma.tasks.accepted. */
    KnownStates states = new KnownStates();

    @BindToRegistry("callbacks")
    Callbacks callbacks = new Callbacks(TestProviders.builtIns(), states, Map.of(
            "luma.callbacks.token", TOKEN,
            "luma.providers.replicate.callback-secret",
            "whsec_" + Base64.getEncoder().encodeToString(WEBHOOK_KEY))::get, false, Clock.systemUTC());

    @BindToRegistry("callbackDeliveries")
    MemoryIdempotentRepository callbackDeliveries = new MemoryIdempotentRepository();

    @EndpointInject("mock:kafka:luma.tasks.polling")
    MockEndpoint pollingTopic;

    @EndpointInject("mock:kafka:luma.tasks")
    MockEndpoint taskTopic;

    @Produce("direct:callbacks")
    ProducerTemplate callbacksRoute;

    /** TaskStates as the callbacks bean asks it (state by task id), with no Kafka behind it: never started. */
    static final class KnownStates extends TaskStates {

        final Map<String, TaskState> known = new ConcurrentHashMap<>();

        KnownStates() {
            super("luma.tasks.accepted", "luma.events", new KafkaClients("127.0.0.1:9", Map.of()),
                    new SimpleMeterRegistry(), Clock.systemUTC(), 60_000, Runnable::run);
        }

        @Override
        public TaskState state(String taskId) {
            return known.get(taskId);
        }
    }

    /** A callback as platform-http hands it to the route. */
    record Post(String provider, String query, Map<String, String> headers, byte[] body) {
    }

    private static byte[] json(String field, String taskId) {
        return ("{\"" + field + "\": \"" + taskId + "\", \"state\": \"completed\"}").getBytes(StandardCharsets.UTF_8);
    }

    static Post token(String taskId) {
        return new Post("luma-official", "token=" + TOKEN, Map.of(), json("id", taskId));
    }

    static Post webhook(String taskId, byte[] key, long at) {
        byte[] body = json("id", taskId);
        try {
            return new Post("replicate", null, Signed.standardWebhook(key, "msg_" + UUID.randomUUID(), at, body),
                    body);
        } catch (Exception e) {
            throw new IllegalStateException(e);
        }
    }

    private static long now() {
        return Instant.now().getEpochSecond();
    }

    private Exchange post(Post post) {
        return callbacksRoute.send(exchange -> {
            exchange.getMessage().setHeader(Exchange.HTTP_METHOD, "POST");
            exchange.getMessage().setHeader(Exchange.HTTP_PATH, "/callbacks/" + post.provider());
            exchange.getMessage().setHeader(Exchange.HTTP_RAW_QUERY, post.query());
            post.headers().forEach(exchange.getMessage()::setHeader);
            exchange.getMessage().setBody(post.body());
        });
    }

    private NotifyBuilder answered(int callbacks) {
        return new NotifyBuilder(callbacksRoute.getCamelContext()).fromRoute("callbacks").whenDone(callbacks).create();
    }

    private String taskIn(String state) {
        String taskId = UUID.randomUUID().toString();
        switch (state) {
            case RUNNING -> states.known.put(taskId, TaskState.running("0-1", 1_000));
            case ENDED -> states.known.put(taskId, TaskState.ended("0-1", "completed", null, Map.of()));
            default -> {
            }
        }
        return taskId;
    }

    private double counted(String outcome) {
        var counter = meters.find("luma.callbacks").tag("outcome", outcome).counter();
        return counter == null ? 0 : counter.count();
    }

    private static Arguments row(String name, Function<String, Post> callback, String task, int status,
            String outcome) {
        return Arguments.of(name, callback, task, status, outcome);
    }

    static Stream<Arguments> callbacks() {
        return Stream.of(
                row("token, running task", CallbacksRouteTest::token, RUNNING, 202, "woken"),
                row("standard webhook, running task", id -> webhook(id, WEBHOOK_KEY, now()), RUNNING, 202, "woken"),
                row("a wrong token", id -> new Post("luma-official", "token=guess", Map.of(), json("id", id)),
                        RUNNING, 401, "refused"),
                row("no token", id -> new Post("luma-official", null, Map.of(), json("id", id)), RUNNING, 401,
                        "refused"),
                row("the token as a header", id -> new Post("luma-official", null, Map.of("token", TOKEN),
                        json("id", id)), RUNNING, 401, "refused"),
                row("standard webhook signed with another secret",
                        id -> webhook(id, "another".getBytes(StandardCharsets.UTF_8), now()), RUNNING, 401, "refused"),
                row("standard webhook 10 minutes old", id -> webhook(id, WEBHOOK_KEY, now() - 600), RUNNING, 401,
                        "refused"),
                row("a provider whose profile takes no callbacks",
                        id -> new Post("runway", "token=" + TOKEN, Map.of(), json("id", id)), RUNNING, 401, "refused"),
                row("token, task ended", CallbacksRouteTest::token, ENDED, 202, "unknown"),
                row("token, task never seen", CallbacksRouteTest::token, NEVER_SEEN, 202, "unknown"),
                row("token, a body that names no task",
                        id -> new Post("luma-official", "token=" + TOKEN, Map.of(), json("other", id)), RUNNING, 202,
                        "unknown"));
    }

    @ParameterizedTest(name = "{0} -> {3} {4}")
    @MethodSource("callbacks")
    void aCallbackWakesItsTaskOnlyWhenVerifiedAndTheTaskRunsAndIsAnsweredWithItsOutcome(String name,
            Function<String, Post> callback, String task, int status, String outcome) throws Exception {
        String taskId = taskIn(task);
        NotifyBuilder done = answered(1);

        Exchange answer = post(callback.apply(taskId));

        assertThat(done.matches(5, TimeUnit.SECONDS)).isTrue();
        assertThat(answer.getException()).isNull();
        assertThat(answer.getMessage().getHeader(Exchange.HTTP_RESPONSE_CODE, Integer.class)).isEqualTo(status);
        assertThat(answer.getMessage().getBody(String.class)).isEqualTo(outcome);
        // the answer carries its status and type, no header of the request
        assertThat(answer.getMessage().getHeaders()).containsOnlyKeys(Exchange.HTTP_RESPONSE_CODE, "Content-Type");
        assertThat(counted(outcome)).isEqualTo(1.0);
        assertThat(taskTopic.getReceivedExchanges()).isEmpty();
        if (outcome.equals("woken")) {
            assertThat(pollingTopic.getReceivedExchanges()).hasSize(1);
            Exchange wake = pollingTopic.getReceivedExchanges().get(0);
            // keyed by the task id, one header (the due: consumer makes the task's ticket due now), no body, and no
            // request header (signatures, the token) reaches Kafka
            assertThat(wake.getMessage().getHeaders()).containsOnly(Map.entry("kafka.KEY", taskId),
                    Map.entry("luma-wake", callback.apply(taskId).provider()));
            assertThat(wake.getMessage().getBody(String.class)).isEmpty();
        } else {
            assertThat(pollingTopic.getReceivedExchanges()).isEmpty();
        }
    }

    @Test
    void theSameDeliveryAgainWakesNothingTwiceAndIsAnswered200() throws Exception {
        String taskId = taskIn(RUNNING);
        Post delivery = webhook(taskId, WEBHOOK_KEY, now());
        NotifyBuilder done = answered(2);

        Exchange first = post(delivery);
        Exchange again = post(delivery);

        assertThat(done.matches(5, TimeUnit.SECONDS)).isTrue();
        assertThat(first.getMessage().getHeader(Exchange.HTTP_RESPONSE_CODE, Integer.class)).isEqualTo(202);
        assertThat(again.getMessage().getHeader(Exchange.HTTP_RESPONSE_CODE, Integer.class)).isEqualTo(200);
        assertThat(again.getMessage().getBody(String.class)).isEqualTo("duplicate");
        assertThat(pollingTopic.getReceivedExchanges()).hasSize(1);
        assertThat(counted("duplicate")).isEqualTo(1.0);
    }

    @Test
    void aDeliveryWhoseWakeRecordKafkaRefusedIsForgottenSoTheProvidersRetryGetsThrough() throws Exception {
        String taskId = taskIn(RUNNING);
        Post delivery = token(taskId);
        pollingTopic.whenExchangeReceived(1, exchange -> {
            throw new org.apache.kafka.common.errors.TimeoutException("wake not acknowledged");
        });
        NotifyBuilder done = answered(2);

        Exchange first = post(delivery);
        Exchange retry = post(delivery);

        assertThat(done.matches(5, TimeUnit.SECONDS)).isTrue();
        // not handled by callback-error-policy: platform-http answers 500
        assertThat(first.getException()).isInstanceOf(org.apache.kafka.common.KafkaException.class);
        assertThat(retry.getException()).isNull();
        assertThat(retry.getMessage().getHeader(Exchange.HTTP_RESPONSE_CODE, Integer.class)).isEqualTo(202);
        assertThat(retry.getMessage().getBody(String.class)).isEqualTo("woken");
        assertThat(pollingTopic.getReceivedExchanges()).hasSize(2);
    }
}
