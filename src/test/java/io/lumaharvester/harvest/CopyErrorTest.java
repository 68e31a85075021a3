package io.lumaharvester.harvest;

import io.lumaharvester.dev.Events;
import io.lumaharvester.dev.HarvesterExtension;
import static org.assertj.core.api.Assertions.assertThat;

import java.net.InetAddress;
import java.time.Duration;
import java.util.List;
import java.util.Map;
import java.util.UUID;

import com.fasterxml.jackson.databind.JsonNode;
import com.github.tomakehurst.wiremock.client.WireMock;
import io.lumaharvester.dev.LumaApiStandIn;
import io.lumaharvester.dev.StandIns;
import org.apache.hc.client5.http.DnsResolver;
import org.apache.hc.client5.http.SystemDefaultDnsResolver;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.RegisterExtension;

/**
 * A download that fails with an {@link Error}, not an exception (a library at another version than the one built
 * against: the AWS SDK's {@code NoSuchFieldError} on Camel Quarkus was one), ends like any failed copy:
 * the task is retried and ends with an event, never left waiting for a split that lost the error.
 */
class CopyErrorTest {

    private static final int CDN_PORT = StandIns.sharedCdnPort();
    private static final String BROKEN = "broken.cdn.test";

    @RegisterExtension
    static final HarvesterExtension harvester = new HarvesterExtension("copy-error", Map.of(
            "luma.poll.interval-ms", "200",
            "luma.harvest.max-attempts", "2",
            "luma.harvest.allowed-hosts", "127.0.0.1:" + CDN_PORT + "," + BROKEN + ":" + CDN_PORT),
            Map.of("mediaDnsResolver", new BrokenResolver()));

    private final StandIns standIns = harvester.standIns();

    /** Looking up {@link #BROKEN} throws an Error, as a class built against another library version does. */
    private static final class BrokenResolver implements DnsResolver {

        @Override
        public InetAddress[] resolve(String host) throws java.net.UnknownHostException {
            if (BROKEN.equals(host)) {
                throw new NoSuchFieldError("CHECKSUM_STORE");
            }
            return SystemDefaultDnsResolver.INSTANCE.resolve(host);
        }

        @Override
        public String resolveCanonicalHostname(String host) throws java.net.UnknownHostException {
            return SystemDefaultDnsResolver.INSTANCE.resolveCanonicalHostname(host);
        }
    }

    @Test
    void aCopyThatFailsWithAnErrorEndsItsTaskWithAnEventAndTheErrorsName() throws Exception {
        String taskId = "copy-error-" + UUID.randomUUID();
        LumaApiStandIn.ServedMedia media = standIns.api.completedMedia(taskId, 10_000);
        String body = LumaApiStandIn.completedBody(media).toString()
                .replace("//127.0.0.1:" + CDN_PORT + "/", "//" + BROKEN + ":" + CDN_PORT + "/");
        assertThat(body).contains("//" + BROKEN + ":" + CDN_PORT + "/");
        standIns.api.answer(taskId, List.of(WireMock.aResponse().withStatus(200)
                .withHeader("Content-Type", "application/json").withBody(body)));
        harvester.submit(taskId);

        JsonNode event = Events.value(Events.awaitOnlyEvent(standIns, harvester.setting("luma.topics.events"), taskId,
                Duration.ofSeconds(40)));
        assertThat(event.get("status").asText()).isEqualTo("failed");
        assertThat(event.at("/failure/reason").asText()).isEqualTo("media_unavailable");
        assertThat(event.at("/failure/detail").asText()).contains("NoSuchFieldError");
    }
}
