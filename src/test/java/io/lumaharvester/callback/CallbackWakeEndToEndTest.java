package io.lumaharvester.callback;

import io.lumaharvester.dev.Events;
import io.lumaharvester.dev.HarvesterExtension;
import static org.assertj.core.api.Assertions.assertThat;

import java.io.IOException;
import java.io.InputStream;
import java.io.UncheckedIOException;
import java.net.ServerSocket;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.List;
import java.util.Map;
import java.util.UUID;

import com.fasterxml.jackson.databind.JsonNode;
import io.lumaharvester.dev.LumaApiStandIn;
import io.lumaharvester.intake.TaskState;
import io.lumaharvester.intake.TaskStates;
import org.apache.kafka.clients.consumer.ConsumerRecord;
import org.awaitility.Awaitility;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.RegisterExtension;

/**
 * The test: with a 60 s first-poll delay and interval, a task whose provider completes at once ends within a
 * few seconds of its callback, and a forged callback changes nothing. The provider is luma-aggregator with a
 * callbacks block ({@code verify: token}) from luma.providers.directory, polled at the API stand-in.
 */
class CallbackWakeEndToEndTest {

    private static final String TOKEN = "e2e-token-" + UUID.randomUUID();
    /** Well below the 60 s the task would wait for its first poll without the callback, on a loaded machine too. */
    private static final Duration A_FEW_SECONDS = Duration.ofSeconds(15);

    @RegisterExtension
    static final HarvesterExtension harvester = new HarvesterExtension("callback-e2e", Map.of(
            "luma.callbacks.port", String.valueOf(freePort()),
            "luma.callbacks.token", TOKEN,
            "luma.providers.directory", profiles().toString(),
            "luma.poll.first-delay-ms", "60000",
            "luma.poll.interval-ms", "60000"));

    private static final HttpClient HTTP = HttpClient.newBuilder().connectTimeout(Duration.ofSeconds(5)).build();

    @Test
    void aTaskWhoseProviderCompletesAtOnceEndsWithinAFewSecondsOfItsCallbackAndAForgedOneChangesNothing()
            throws Exception {
        String taskId = "e2e-" + UUID.randomUUID();
        LumaApiStandIn.ServedMedia media = harvester.standIns().api.completesAfter(taskId, List.of(), 100_000);
        harvester.submit(taskId);
        TaskStates states = harvester.app().context().getRegistry().lookupByNameAndType("taskStates",
                TaskStates.class);
        Awaitility.await().atMost(Duration.ofSeconds(30)).pollInterval(Duration.ofMillis(100)).until(() -> {
            TaskState state = states.state(taskId);
            return state != null && state.running();
        });

        HttpResponse<String> forged = callback(taskId, "guess");

        assertThat(forged.statusCode()).isEqualTo(401);
        // the wake the forged callback would have written is acknowledged before its answer: there is none
        assertThat(Events.forKey(Events.records(harvester.standIns(),
                harvester.setting("luma.topics.polling")), taskId))
                .noneMatch(record -> record.headers().lastHeader("luma-wake") != null);
        assertThat(harvester.standIns().api.requestsFor(taskId)).isEmpty();

        long called = System.nanoTime();
        HttpResponse<String> signed = callback(taskId, TOKEN);
        System.out.println("callback answered after " + (System.nanoTime() - called) / 1_000_000 + " ms");

        assertThat(signed.statusCode()).as(signed.body()).isEqualTo(202);
        ConsumerRecord<byte[], byte[]> event = Events.awaitOnlyEvent(harvester.standIns(),
                harvester.setting("luma.topics.events"), taskId, A_FEW_SECONDS);
        Duration took = Duration.ofNanos(System.nanoTime() - called);
        JsonNode value = Events.value(event);
        assertThat(value.get("status").asText()).isEqualTo("completed");
        assertThat(Events.sha256OfObject(harvester.standIns().s3, io.lumaharvester.dev.StandIns.BUCKET,
                "luma/" + taskId + "/video.mp4")).isEqualTo(media.byRole().get("video").sha256());
        // one poll: the one the callback made due; the status GET said completed
        assertThat(harvester.standIns().api.requestsFor(taskId)).hasSize(1);
        System.out.println("callback to event: " + took.toMillis() + " ms (" + java.time.Instant.now() + ")");
        assertThat(took).isLessThan(A_FEW_SECONDS);
    }

    private static HttpResponse<String> callback(String taskId, String token) throws Exception {
        return HTTP.send(HttpRequest.newBuilder(URI.create("http://127.0.0.1:"
                + harvester.setting("luma.callbacks.port") + "/callbacks/luma-aggregator?token=" + token))
                .timeout(Duration.ofSeconds(30))
                .header("Content-Type", "application/json")
                // Luma posts the generation object; only its id is read
                .POST(HttpRequest.BodyPublishers.ofString("{\"id\": \"" + taskId + "\", \"state\": \"completed\"}"))
                .build(), HttpResponse.BodyHandlers.ofString());
    }

    /** The built-in luma-aggregator profile with a callbacks block, as a team would add one. */
    private static Path profiles() {
        try (InputStream builtIn = CallbackWakeEndToEndTest.class.getResourceAsStream(
                "/providers/luma-aggregator.yaml")) {
            Path directory = Files.createTempDirectory("callback-e2e-profiles");
            Files.writeString(directory.resolve("luma-aggregator.yaml"),
                    new String(builtIn.readAllBytes(), StandardCharsets.UTF_8)
                            + "callbacks:\n  task-id: '.id'\n  verify: token\n");
            return directory;
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
    }

    private static int freePort() {
        try (ServerSocket socket = new ServerSocket(0)) {
            return socket.getLocalPort();
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
    }
}
