package io.lumaharvester.callback;

import io.lumaharvester.dev.Events;
import io.lumaharvester.dev.HarvesterExtension;
import io.lumaharvester.dev.Probes;
import static org.assertj.core.api.Assertions.assertThat;

import java.io.IOException;
import java.io.UncheckedIOException;
import java.net.InetSocketAddress;
import java.net.ServerSocket;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.security.KeyPair;
import java.security.KeyPairGenerator;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.UUID;
import java.util.concurrent.CompletableFuture;
import java.util.function.Function;
import java.util.stream.Stream;

import com.fasterxml.jackson.databind.JsonNode;
import com.sun.net.httpserver.HttpServer;
import io.lumaharvester.intake.TaskState;
import io.lumaharvester.intake.TaskStates;
import org.apache.kafka.clients.consumer.ConsumerRecord;
import org.apache.kafka.common.header.Header;
import org.awaitility.Awaitility;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.MethodOrderer;
import org.junit.jupiter.api.Order;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.TestMethodOrder;
import org.junit.jupiter.api.extension.RegisterExtension;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.Arguments;
import org.junit.jupiter.params.provider.MethodSource;

/**
 * Callbacks posted to a running harvester (docs/how-it-works.md, Callbacks), one profile per verify scheme (loaded
 * from luma.providers.directory): a verified one for a running task puts a wake record keyed by the task id on the
 * polling topic; a forged, unsigned or stale one is 401, counted, and writes nothing; one for a task never seen is
 * 202 and writes nothing, or, with luma.callbacks.start-unknown, the task record a sender would write. A record the
 * route writes is acknowledged before the answer, so reading the topic after the answer shows all it wrote.
 */
@TestMethodOrder(MethodOrderer.OrderAnnotation.class)
class CallbackEndToEndTest {

    private static final String TOKEN = "cb-token-" + UUID.randomUUID();
    private static final byte[] WEBHOOK_KEY = "the standard webhooks secret".getBytes(StandardCharsets.UTF_8);
    private static final String VIDU_TOKEN = "vidu-token-" + UUID.randomUUID();
    private static final KeyPair FAL_KEY = keyPair();
    private static final KeyPair OTHER_KEY = keyPair();
    private static final HttpServer JWKS = jwksServer();
    private static final Path PROFILES = profiles();
    private static final HttpClient HTTP = HttpClient.newBuilder().connectTimeout(Duration.ofSeconds(5)).build();
    private static final Duration WITHIN = Duration.ofSeconds(30);

    @RegisterExtension
    static final HarvesterExtension harvester = new HarvesterExtension("callbacks", settings(Map.of()));

    /** The same, with luma.callbacks.start-unknown=true and 2 callbacks a second. */
    @RegisterExtension
    static final HarvesterExtension starting = new HarvesterExtension("callbacks-start", settings(Map.of(
            "luma.callbacks.start-unknown", "true",
            "luma.callbacks.max-per-second", "2")));

    private static Map<String, String> settings(Map<String, String> more) {
        Map<String, String> settings = new HashMap<>(Map.of(
                "luma.callbacks.port", String.valueOf(freePort()),
                "luma.callbacks.token", TOKEN,
                "luma.callbacks.max-body-bytes", "65536",
                "luma.callbacks.fal-jwks-url", "http://127.0.0.1:" + JWKS.getAddress().getPort() + "/jwks.json",
                "luma.providers.directory", PROFILES.toString(),
                "luma.providers.cb-webhooks.callback-secret",
                "whsec_" + java.util.Base64.getEncoder().encodeToString(WEBHOOK_KEY),
                "luma.providers.cb-vidu.token", VIDU_TOKEN,
                // no poll while the test runs: a task stays running, with its ticket waiting
                "luma.poll.first-delay-ms", "600000"));
        settings.putAll(more);
        return settings;
    }

    @AfterAll
    static void stopJwks() {
        JWKS.stop(0);
    }

    // what a provider would post

    /** A callback: path and query, headers, body. */
    record Callback(String provider, String query, Map<String, String> headers, byte[] body) {

        Callback with(String header, String value) {
            Map<String, String> changed = new HashMap<>(headers);
            changed.put(header, value);
            return new Callback(provider, query, changed, body);
        }

        Callback body(String text) {
            return new Callback(provider, query, headers, text.getBytes(StandardCharsets.UTF_8));
        }
    }

    private static byte[] json(String field, String taskId) {
        return ("{\"" + field + "\": \"" + taskId + "\", \"state\": \"completed\"}").getBytes(StandardCharsets.UTF_8);
    }

    static Callback token(String taskId) {
        return new Callback("cb-token", "token=" + TOKEN, Map.of(), json("id", taskId));
    }

    static Callback webhook(String taskId, byte[] key, long at) {
        byte[] body = json("id", taskId);
        try {
            return new Callback("cb-webhooks", null,
                    Signed.standardWebhook(key, "msg_" + UUID.randomUUID(), at, body), body);
        } catch (Exception e) {
            throw new IllegalStateException(e);
        }
    }

    static Callback fal(String taskId, KeyPair key) {
        byte[] body = ("{\"request_id\": \"" + taskId + "\", \"status\": \"OK\", \"payload\": {}}")
                .getBytes(StandardCharsets.UTF_8);
        try {
            return new Callback("cb-fal", null, Signed.fal(key, taskId, Instant.now().getEpochSecond(), body), body);
        } catch (Exception e) {
            throw new IllegalStateException(e);
        }
    }

    static Callback vidu(String taskId, String token) {
        try {
            return new Callback("cb-vidu", "n=1", Signed.vidu(token, "/callbacks/cb-vidu", "n=1", Instant.now(),
                    UUID.randomUUID().toString()), json("id", taskId));
        } catch (Exception e) {
            throw new IllegalStateException(e);
        }
    }

    private static long now() {
        return Instant.now().getEpochSecond();
    }

    // the tests

    static Stream<Arguments> verifiedCallbacks() {
        return Stream.of(
                row("token", CallbackEndToEndTest::token),
                row("standard-webhooks", id -> webhook(id, WEBHOOK_KEY, now())),
                row("fal-ed25519", id -> fal(id, FAL_KEY)),
                row("vidu-hmac", id -> vidu(id, VIDU_TOKEN)));
    }

    @ParameterizedTest(name = "{0}")
    @MethodSource("verifiedCallbacks")
    void aVerifiedCallbackForARunningTaskPutsOneWakeRecordKeyedByItsIdOnThePollingTopic(String scheme,
            Function<String, Callback> signed) throws Exception {
        String taskId = runningTask(harvester);
        double woken = counted(harvester, "woken");

        HttpResponse<String> answer = post(harvester, signed.apply(taskId));

        assertThat(answer.statusCode()).as(answer.body()).isEqualTo(202);
        assertThat(answer.body()).isEqualTo("woken");
        List<ConsumerRecord<byte[], byte[]>> wakes = wakes(harvester, taskId);
        assertThat(wakes).hasSize(1);
        // the wake carries its header only: no request header (signatures, the token) reaches Kafka
        assertThat(wakes.get(0).headers().toArray()).extracting(Header::key).containsExactly("luma-wake");
        assertThat(counted(harvester, "woken")).isEqualTo(woken + 1);
    }

    static Stream<Arguments> refusedCallbacks() {
        return Stream.of(
                row("no token", id -> new Callback("cb-token", null, Map.of(), json("id", id))),
                row("a wrong token", id -> new Callback("cb-token", "token=guess", Map.of(), json("id", id))),
                row("the token as a header", id -> new Callback("cb-token", null, Map.of("token", TOKEN),
                        json("id", id))),
                row("the token posted for a signed provider", id -> new Callback("cb-webhooks",
                        "token=" + TOKEN, Map.of(), json("id", id))),
                row("unsigned standard webhook", id -> new Callback("cb-webhooks", null, Map.of(),
                        json("id", id))),
                row("standard webhook signed with another secret",
                        id -> webhook(id, "another".getBytes(StandardCharsets.UTF_8), now())),
                row("standard webhook 10 minutes old", id -> webhook(id, WEBHOOK_KEY, now() - 600)),
                // signed for another task, then pointed at this one
                row("standard webhook with a tampered body", id -> webhook("another-task", WEBHOOK_KEY, now())
                        .body(new String(json("id", id), StandardCharsets.UTF_8))),
                row("fal callback signed by a key not in fal's set", id -> fal(id, OTHER_KEY)),
                row("vidu callback signed with another token", id -> vidu(id, "another-token")),
                row("a provider the harvester does not read", id -> new Callback("nobody", "token=" + TOKEN,
                        Map.of(), json("id", id))));
    }

    private static Arguments row(String name, Function<String, Callback> callback) {
        return Arguments.of(name, callback);
    }

    @ParameterizedTest(name = "{0}")
    @MethodSource("refusedCallbacks")
    void aForgedUnsignedOrStaleCallbackIsRefusedCountedAndWakesNothing(String name,
            Function<String, Callback> forged) throws Exception {
        String taskId = runningTask(harvester);
        double refused = counted(harvester, "refused");

        HttpResponse<String> answer = post(harvester, forged.apply(taskId));

        assertThat(answer.statusCode()).isEqualTo(401);
        assertThat(answer.body()).isEqualTo("refused");
        assertThat(wakes(harvester, taskId)).isEmpty();
        assertThat(counted(harvester, "refused")).isEqualTo(refused + 1);
    }

    @Test
    void aVerifiedCallbackForATaskNeverSeenIs202AndWritesNothing() throws Exception {
        String taskId = "never-seen-" + UUID.randomUUID();
        double unknown = counted(harvester, "unknown");

        HttpResponse<String> answer = post(harvester, token(taskId));

        assertThat(answer.statusCode()).isEqualTo(202);
        assertThat(answer.body()).isEqualTo("unknown");
        assertThat(keyed(harvester, "luma.topics.polling", taskId)).isEmpty();
        assertThat(keyed(harvester, "luma.topics.tasks", taskId)).isEmpty();
        assertThat(counted(harvester, "unknown")).isEqualTo(unknown + 1);
    }

    @Test
    void theSameDeliveryTwiceWakesOnceAndIsAnswered200TheSecondTime() throws Exception {
        String taskId = runningTask(harvester);
        Callback callback = webhook(taskId, WEBHOOK_KEY, now());

        HttpResponse<String> first = post(harvester, callback);
        HttpResponse<String> again = post(harvester, callback);

        assertThat(first.statusCode()).isEqualTo(202);
        assertThat(again.statusCode()).isEqualTo(200);
        assertThat(again.body()).isEqualTo("duplicate");
        assertThat(wakes(harvester, taskId)).hasSize(1);
    }

    @Test
    void aBodyOverTheCapIsAnswered413AndWakesNothing() throws Exception {
        String taskId = runningTask(harvester);
        byte[] large = ("{\"id\": \"" + taskId + "\", \"pad\": \"" + "x".repeat(70_000) + "\"}")
                .getBytes(StandardCharsets.UTF_8);

        HttpResponse<String> answer = post(harvester, new Callback("cb-token", "token=" + TOKEN, Map.of(), large));

        assertThat(answer.statusCode()).isEqualTo(413);
        assertThat(wakes(harvester, taskId)).isEmpty();
    }

    @Test
    void theCallbackPortServesNothingElseAndTheManagementPortServesNoCallback() throws Exception {
        String callbacks = "http://127.0.0.1:" + harvester.setting("luma.callbacks.port");
        String management = "http://127.0.0.1:" + harvester.setting("luma.http.port");

        assertThat(status(HttpRequest.newBuilder(URI.create(callbacks + "/observe/health/live")).GET())).isEqualTo(404);
        assertThat(status(HttpRequest.newBuilder(URI.create(callbacks + "/observe/metrics")).GET())).isEqualTo(404);
        assertThat(status(HttpRequest.newBuilder(URI.create(callbacks + "/callbacks/cb-token")).GET())).isEqualTo(405);
        assertThat(status(HttpRequest.newBuilder(URI.create(management + "/callbacks/cb-token?token=" + TOKEN))
                .POST(HttpRequest.BodyPublishers.ofString("{}")))).isEqualTo(404);
        assertThat(status(HttpRequest.newBuilder(URI.create(management + "/observe/health/live")).GET()))
                .isEqualTo(200);
    }

    @Test
    void theAnswerCarriesNoHeaderOfTheRequest() throws Exception {
        HttpResponse<String> answer = post(harvester, token("never-seen-" + UUID.randomUUID())
                .with("X-Echo", "echo"));

        assertThat(answer.headers().map().keySet()).map(String::toLowerCase)
                .doesNotContain("token", "x-echo", "provider");
    }

    @Test
    void withStartUnknownAVerifiedCallbackForATaskNeverSeenWritesTheTaskRecordASenderWould() throws Exception {
        String taskId = "started-" + UUID.randomUUID();
        double started = counted(starting, "started");

        HttpResponse<String> answer = post(starting, token(taskId));

        assertThat(answer.statusCode()).isEqualTo(202);
        assertThat(answer.body()).isEqualTo("started");
        List<ConsumerRecord<byte[], byte[]>> records = keyed(starting, "luma.topics.tasks", taskId);
        assertThat(records).hasSize(1);
        JsonNode record = Events.JSON.readTree(records.get(0).value());
        assertThat(record.get("task_id").asText()).isEqualTo(taskId);
        assertThat(record.get("provider").asText()).isEqualTo("cb-token");
        assertThat(counted(starting, "started")).isEqualTo(started + 1);
    }

    @Test
    void withStartUnknownACallbackForATaskThatHasEndedStartsNothing() throws Exception {
        String taskId = "ended-" + UUID.randomUUID();
        // the task's state as publishing records it (a late "completed" callback after the event went out)
        starting.standIns().kafka.send(starting.setting("luma.topics.accepted"),
                taskId.getBytes(StandardCharsets.UTF_8), Events.JSON.writeValueAsBytes(
                        TaskState.ended("0-0", "failed", null, null)), Map.of());
        TaskStates states = starting.app().context().getRegistry().lookupByNameAndType("taskStates",
                TaskStates.class);
        Awaitility.await().atMost(WITHIN).pollInterval(Duration.ofMillis(100))
                .until(() -> states.state(taskId) != null);

        HttpResponse<String> answer = post(starting, token(taskId));

        assertThat(answer.statusCode()).isEqualTo(202);
        assertThat(answer.body()).isEqualTo("unknown");
        assertThat(keyed(starting, "luma.topics.tasks", taskId)).isEmpty();
    }

    @Test
    void withStartUnknownAForgedCallbackStartsNothing() throws Exception {
        String taskId = "forged-" + UUID.randomUUID();

        HttpResponse<String> answer = post(starting, new Callback("cb-token", "token=guess", Map.of(),
                json("id", taskId)));

        assertThat(answer.statusCode()).isEqualTo(401);
        assertThat(keyed(starting, "luma.topics.tasks", taskId)).isEmpty();
    }

    // last: it uses up the second's callbacks of the harvester it shares with the tests above
    @Test
    @Order(Integer.MAX_VALUE)
    void callbacksOverTheRateAreAnswered429AndCounted() throws Exception {
        double limited = counted(starting, "limited");
        long start = System.nanoTime();
        List<CompletableFuture<HttpResponse<String>>> sent = new ArrayList<>();
        for (int i = 0; i < 20; i++) {
            sent.add(HTTP.sendAsync(request(starting, new Callback("cb-token", "token=guess", Map.of(),
                    json("id", "rate-" + i))), HttpResponse.BodyHandlers.ofString()));
        }
        List<Integer> statuses = sent.stream().map(CompletableFuture::join).map(HttpResponse::statusCode).toList();
        double seconds = (System.nanoTime() - start) / 1e9;

        long over = statuses.stream().filter(s -> s == 429).count();
        assertThat(over).as(statuses.toString()).isGreaterThan(0);
        // 2 a second: those taken (refused, unsigned) fit the time the 20 took
        assertThat(statuses.size() - over).isLessThanOrEqualTo((long) (2 * (Math.ceil(seconds) + 1)));
        assertThat(counted(starting, "limited")).isEqualTo(limited + over);
    }

    // helpers

    /** A task id submitted and running (its state on luma.tasks.accepted), its first poll ten minutes away. */
    private static String runningTask(HarvesterExtension h) throws Exception {
        String taskId = "cb-" + UUID.randomUUID();
        h.submit(taskId);
        TaskStates states = h.app().context().getRegistry().lookupByNameAndType("taskStates", TaskStates.class);
        Awaitility.await().atMost(WITHIN).pollInterval(Duration.ofMillis(100)).until(() -> {
            TaskState state = states.state(taskId);
            return state != null && state.running();
        });
        return taskId;
    }

    private static HttpRequest request(HarvesterExtension h, Callback callback) {
        HttpRequest.Builder request = HttpRequest.newBuilder(URI.create("http://127.0.0.1:"
                + h.setting("luma.callbacks.port") + "/callbacks/" + callback.provider()
                + (callback.query() == null ? "" : "?" + callback.query())))
                .timeout(Duration.ofSeconds(30))
                .header("Content-Type", "application/json")
                .POST(HttpRequest.BodyPublishers.ofByteArray(callback.body()));
        callback.headers().forEach(request::header);
        return request.build();
    }

    private static HttpResponse<String> post(HarvesterExtension h, Callback callback) throws Exception {
        return HTTP.send(request(h, callback), HttpResponse.BodyHandlers.ofString());
    }

    private static int status(HttpRequest.Builder request) throws Exception {
        return HTTP.send(request.timeout(Duration.ofSeconds(30)).build(), HttpResponse.BodyHandlers.discarding())
                .statusCode();
    }

    /** The wake records for the task on the polling topic, as it is now. */
    private static List<ConsumerRecord<byte[], byte[]>> wakes(HarvesterExtension h, String taskId) {
        return keyed(h, "luma.topics.polling", taskId).stream()
                .filter(record -> record.headers().lastHeader("luma-wake") != null).toList();
    }

    private static List<ConsumerRecord<byte[], byte[]>> keyed(HarvesterExtension h, String topicSetting,
            String key) {
        return Events.forKey(Events.records(h.standIns(), h.setting(topicSetting)),
                key);
    }

    private static double counted(HarvesterExtension h, String outcome) throws Exception {
        return Probes.sample(Probes.scrape(h.setting("luma.http.port")), "luma_callbacks_total",
                "outcome=" + outcome);
    }

    private static int freePort() {
        try (ServerSocket socket = new ServerSocket(0)) {
            return socket.getLocalPort();
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
    }

    private static KeyPair keyPair() {
        try {
            return KeyPairGenerator.getInstance("Ed25519").generateKeyPair();
        } catch (Exception e) {
            throw new IllegalStateException(e);
        }
    }

    /** fal's key set, as fal serves it: the public key of FAL_KEY only. */
    private static HttpServer jwksServer() {
        try {
            HttpServer server = HttpServer.create(new InetSocketAddress("127.0.0.1", 0), 0);
            byte[] jwks = Signed.jwks(FAL_KEY);
            server.createContext("/jwks.json", exchange -> {
                exchange.sendResponseHeaders(200, jwks.length);
                exchange.getResponseBody().write(jwks);
                exchange.close();
            });
            server.start();
            return server;
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
    }

    /** One profile per verify scheme, in the aggregator's answer format; none of them is polled here. */
    private static Path profiles() {
        try {
            Path directory = Files.createTempDirectory("callback-profiles");
            Map<String, String> schemes = Map.of("cb-token", "token", "cb-webhooks", "standard-webhooks",
                    "cb-fal", "fal-ed25519", "cb-vidu", "vidu-hmac");
            for (Map.Entry<String, String> scheme : schemes.entrySet()) {
                Files.writeString(directory.resolve(scheme.getKey() + ".yaml"), profile(scheme.getValue(),
                        scheme.getValue().equals("fal-ed25519") ? ".request_id" : ".id"));
            }
            return directory;
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
    }

    static String profile(String verify, String taskId) {
        return """
                description: a test provider whose callbacks are verified by %s
                base-url: http://127.0.0.1:9
                status:
                  url: '"\\($base)/luma/generations/\\($id)"'
                  auth: {type: bearer}
                state:
                  value: '.state'
                  running: [queued, dreaming]
                  succeeded: [completed]
                  failed: [failed]
                media:
                  video: '.video.url'
                callbacks:
                  task-id: '%s'
                  verify: %s
                """.formatted(verify, taskId, verify);
    }
}
