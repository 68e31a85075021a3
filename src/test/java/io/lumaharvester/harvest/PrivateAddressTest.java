package io.lumaharvester.harvest;

import io.lumaharvester.dev.Events;
import io.lumaharvester.dev.HarvesterExtension;
import static org.assertj.core.api.Assertions.assertThat;

import java.net.Inet6Address;
import java.net.InetAddress;
import java.net.URI;
import java.net.UnknownHostException;
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
import org.junit.jupiter.api.extension.RegisterExtension;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;

/**
 * An allowed host name that resolves to the pod's own machine is never connected to while
 * luma.harvest.allow-private-addresses is false: localhost (127.0.0.1 by the system's resolver), and a name whose
 * AAAA answer is the IPv4-mapped {@code ::ffff:127.0.0.1}, which a dual-stack socket would reach as 127.0.0.1. Both
 * with the CDN stand-in's port allowed, through the real media client and its resolver check; the mapped answer
 * comes from a resolver bound as mediaDnsResolver, as the system's resolver hands one over (an Inet6Address).
 */
class PrivateAddressTest {

    private static final int CDN_PORT = StandIns.sharedCdnPort();
    private static final String MAPPED_LOOPBACK = "mapped-loopback.cdn.test";

    @RegisterExtension
    static final HarvesterExtension harvester = new HarvesterExtension("private-address", Map.of(
            "luma.poll.interval-ms", "200",
            "luma.harvest.allow-private-addresses", "false",
            "luma.harvest.allowed-hosts", "localhost:" + CDN_PORT + "," + MAPPED_LOOPBACK + ":" + CDN_PORT),
            Map.of("mediaDnsResolver", new MappedLoopbackResolver()));

    private final StandIns standIns = harvester.standIns();

    /** {@link #MAPPED_LOOPBACK} is {@code ::ffff:127.0.0.1}; every other name is the system's. */
    private static final class MappedLoopbackResolver implements DnsResolver {

        @Override
        public InetAddress[] resolve(String host) throws UnknownHostException {
            if (!MAPPED_LOOPBACK.equals(host)) {
                return SystemDefaultDnsResolver.INSTANCE.resolve(host);
            }
            byte[] mapped = new byte[16];
            mapped[10] = (byte) 0xff;
            mapped[11] = (byte) 0xff;
            mapped[12] = 127;
            mapped[15] = 1;
            return new InetAddress[] {Inet6Address.getByAddress(host, mapped, -1)};
        }

        @Override
        public String resolveCanonicalHostname(String host) throws UnknownHostException {
            return MAPPED_LOOPBACK.equals(host) ? host
                    : SystemDefaultDnsResolver.INSTANCE.resolveCanonicalHostname(host);
        }
    }

    @ParameterizedTest(name = "{0}")
    @ValueSource(strings = {"localhost", MAPPED_LOOPBACK})
    void aNameThatResolvesToLoopbackIsRefusedBeforeAnyConnection(String host) throws Exception {
        String taskId = "private-" + UUID.randomUUID();
        LumaApiStandIn.ServedMedia media = standIns.api.completedMedia(taskId, 10_000);
        String body = LumaApiStandIn.completedBody(media).toString()
                .replace("//127.0.0.1:" + CDN_PORT + "/", "//" + host + ":" + CDN_PORT + "/");
        assertThat(body).contains("//" + host + ":" + CDN_PORT + "/").doesNotContain("127.0.0.1");
        standIns.api.answer(taskId, List.of(WireMock.aResponse().withStatus(200)
                .withHeader("Content-Type", "application/json").withBody(body)));
        harvester.submit(taskId);

        JsonNode event = Events.value(Events.awaitOnlyEvent(standIns, harvester.setting("luma.topics.events"), taskId,
                Duration.ofSeconds(40)));
        assertThat(event.get("status").asText()).isEqualTo("failed");
        assertThat(event.at("/failure/reason").asText()).isEqualTo("media_rejected");
        assertThat(event.at("/failure/detail").asText()).contains(host)
                .contains("luma.harvest.allow-private-addresses");
        for (String url : media.urlByRole().values()) {
            assertThat(standIns.cdn.hits(URI.create(url).getRawPath())).as("CDN requests for %s", url).isZero();
        }
    }
}
