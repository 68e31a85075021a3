package io.lumaharvester;

import static org.assertj.core.api.Assertions.assertThat;

import java.net.URI;
import java.time.Duration;
import java.util.List;
import java.util.Map;
import java.util.UUID;

import com.fasterxml.jackson.databind.JsonNode;
import com.github.tomakehurst.wiremock.client.WireMock;
import io.lumaharvester.dev.LumaApiStandIn;
import io.lumaharvester.dev.StandIns;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.RegisterExtension;

/**
 * An allowed host name that resolves to 127.0.0.1 (here: localhost, with the CDN stand-in's port allowed) is never
 * connected to while luma.harvest.allow-private-addresses is false.
 */
class PrivateAddressTest {

    private static final int CDN_PORT = cdnPort();

    @RegisterExtension
    static final HarvesterExtension harvester = new HarvesterExtension("private-address", Map.of(
            "luma.poll.interval-ms", "200",
            "luma.harvest.allow-private-addresses", "false",
            "luma.harvest.allowed-hosts", "localhost:" + CDN_PORT));

    private final StandIns standIns = harvester.standIns();

    private static int cdnPort() {
        try {
            return URI.create(StandIns.shared().cdn.baseUrl()).getPort();
        } catch (Exception e) {
            throw new IllegalStateException(e);
        }
    }

    @Test
    void aNameThatResolvesToLoopbackIsRefusedBeforeAnyConnection() throws Exception {
        String taskId = "private-" + UUID.randomUUID();
        LumaApiStandIn.ServedMedia media = standIns.api.completedMedia(taskId, 10_000);
        String body = LumaApiStandIn.completedBody(media).toString()
                .replace("//127.0.0.1:" + CDN_PORT + "/", "//localhost:" + CDN_PORT + "/");
        assertThat(body).contains("//localhost:" + CDN_PORT + "/").doesNotContain("127.0.0.1");
        standIns.api.answer(taskId, List.of(WireMock.aResponse().withStatus(200)
                .withHeader("Content-Type", "application/json").withBody(body)));
        harvester.submit(taskId);

        JsonNode event = Events.value(Events.awaitOnlyEvent(standIns, harvester.setting("luma.topics.events"), taskId,
                Duration.ofSeconds(40)));
        assertThat(event.get("status").asText()).isEqualTo("failed");
        assertThat(event.at("/failure/reason").asText()).isEqualTo("media_rejected");
        assertThat(event.at("/failure/detail").asText()).contains("localhost")
                .contains("luma.harvest.allow-private-addresses");
        for (String url : media.urlByRole().values()) {
            assertThat(standIns.cdn.hits(URI.create(url).getRawPath())).as("CDN requests for %s", url).isZero();
        }
    }
}
