package io.lumaharvester.poll;

import static org.assertj.core.api.Assertions.assertThat;

import java.time.Duration;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.TimeUnit;

import io.lumaharvester.dev.TricklingServer;
import io.vertx.core.Vertx;
import io.vertx.core.buffer.Buffer;
import io.vertx.ext.web.client.HttpResponse;
import io.vertx.ext.web.client.WebClient;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.EnumSource;

/**
 * An API answer that trickles fails within the time-out of the request's start: its status line and headers by the
 * web client's own time-out (which only the body re-arms), its body by the binding's codec.
 */
class LumaApiBindingTest {

    private static final long TIMEOUT_MS = 1_000;

    private static Vertx vertx;
    private static TricklingServer server;

    @BeforeAll
    static void start() throws Exception {
        vertx = Vertx.vertx();
        // a byte every 100 ms: never silent for the time-out
        server = TricklingServer.start(Duration.ofMillis(100));
    }

    @AfterAll
    static void stop() throws Exception {
        server.close();
        vertx.close().toCompletionStage().toCompletableFuture().get(10, TimeUnit.SECONDS);
    }

    @ParameterizedTest(name = "the {0} trickles")
    @EnumSource(TricklingServer.Shape.class)
    void aTrickledAnswerFailsAtTheTimeoutFromTheRequestsStart(TricklingServer.Shape shape) throws Exception {
        String path = "/luma/generations/" + shape;
        long started = System.nanoTime();
        // as vertx-http sends it: the endpoint's timeout on the request, the binding's codec for the body
        CompletableFuture<HttpResponse<Buffer>> answer = WebClient.create(vertx).getAbs(server.url(path, shape))
                .timeout(TIMEOUT_MS).as(new LumaApiBinding(262_144).codec(vertx, TIMEOUT_MS, started)).send()
                .toCompletionStage().toCompletableFuture();

        Throwable failure = answer.handle((response, error) -> error).get(20, TimeUnit.SECONDS);
        Duration took = Duration.ofNanos(System.nanoTime() - started);
        assertThat(failure).as("a trickled answer read whole").isNotNull();
        // the answer never ends: cut at the deadline, or at the next byte after it (100 ms); the first request of a
        // test JVM on a busy machine takes a second or two to connect
        assertThat(took).isLessThan(Duration.ofMillis(TIMEOUT_MS + 3_000));
        assertThat(server.trickles(path)).hasSize(1);
    }
}
