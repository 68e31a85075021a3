package io.lumaharvester.harvest;

import io.lumaharvester.dev.Events;
import io.lumaharvester.dev.HarvesterExtension;
import static io.lumaharvester.dev.Events.value;
import static org.assertj.core.api.Assertions.assertThat;

import java.time.Duration;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.UUID;

import com.fasterxml.jackson.databind.JsonNode;
import io.lumaharvester.dev.CdnStandIn;
import io.lumaharvester.dev.LumaApiStandIn;
import io.lumaharvester.dev.StandIns;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.RegisterExtension;

/**
 * The media URL the route sets for the download (harvest.camel.yaml, step media-url) reaches the CDN as the provider's
 * answer gave it: a signed URL's query, whose signature and policy hold {@code %2F}, {@code +}, {@code %3D} and
 * {@code =}, is neither decoded nor re-encoded (a CDN would refuse the signature).
 */
class SignedMediaUrlTest {

    private static final Duration WITHIN = Duration.ofSeconds(40);
    private static final String SIGNED_QUERY = "Expires=1767225600&Policy=eyJTdGF0ZW1lbnQiOlt7IlJlc291cmNlIjoi"
            + "aHR0cHM6Ly9jZG4vKiJ9XX0%3D&Signature=Ab%2Fcd+Ef%2Bgh%3D%3D&Key-Pair-Id=K2JCJMDEHXQW5F&x=a=b";

    @RegisterExtension
    static final HarvesterExtension harvester = HarvesterExtension.shared("polls-200ms", Map.of(
            "luma.poll.interval-ms", "200",
            "luma.poll.max-backoff-ms", "400"));

    @Test
    void aSignedCdnUrlReachesTheCdnByteForByte() throws Exception {
        StandIns standIns = harvester.standIns();
        String taskId = "signed-" + UUID.randomUUID();
        LumaApiStandIn.ServedMedia served = standIns.api.completedMedia(taskId, 200_000);
        Map<String, String> urls = new LinkedHashMap<>(served.urlByRole());
        String videoPath = urls.get("video").substring(standIns.cdn.baseUrl().length());
        urls.put("video", urls.get("video") + "?" + SIGNED_QUERY);
        standIns.api.answer(taskId, List.of(LumaApiStandIn.json(LumaApiStandIn.completedBody(
                new LumaApiStandIn.ServedMedia(taskId, served.byRole(), urls)))));
        harvester.submit(taskId);

        JsonNode event = value(Events.awaitOnlyEvent(standIns, harvester.setting("luma.topics.events"), taskId,
                WITHIN));
        assertThat(event.get("status").asText()).isEqualTo("completed");
        assertThat(standIns.cdn.requests()).filteredOn(request -> request.path().equals(videoPath))
                .extracting(CdnStandIn.SeenRequest::rawQuery).containsExactly(SIGNED_QUERY);
        JsonNode video = event.get("media").get(0);
        assertThat(video.get("sha256").asText()).isEqualTo(served.byRole().get("video").sha256());
        assertThat(video.get("source_url").asText()).isEqualTo(urls.get("video"));
    }
}
