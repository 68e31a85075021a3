package io.lumaharvester;

import io.lumaharvester.dev.Events;

import static org.assertj.core.api.Assertions.assertThat;

import java.time.Duration;
import java.util.List;
import java.util.Map;
import java.util.UUID;

import com.fasterxml.jackson.databind.JsonNode;
import io.lumaharvester.dev.EmbeddedS3;
import io.lumaharvester.dev.LumaApiStandIn;
import io.lumaharvester.dev.StandIns;
import org.apache.camel.main.KameletMain;
import org.junit.jupiter.api.Test;

/**
 * The route files run unmodified on Camel's own runtime for YAML routes (KameletMain, the engine behind
 * {@code camel run} and Camel K), with only application.properties and the beans on the classpath.
 */
class KameletMainPortabilityTest {

    @Test
    void theRouteFilesRunUnmodifiedUnderKameletMain() throws Exception {
        StandIns standIns = StandIns.shared();
        Map<String, String> props = standIns.properties("kamelet-main", Map.of(
                "luma.poll.interval-ms", "200",
                // the files in routes/ themselves, not the copies packaged into target/classes
                "camel.main.routes-include-pattern", "file:routes/*.camel.yaml",
                // S3 keys as properties, the way Camel K mounts a Secret (the AWS chain is emptied below)
                "s3.access-key", EmbeddedS3.ACCESS_KEY,
                "s3.secret-key", EmbeddedS3.SECRET_KEY));
        String taskId = "kamelet-main-" + UUID.randomUUID();
        LumaApiStandIn.ServedMedia media = standIns.api.completesAfter(taskId, List.of("dreaming"), 100_000);

        KameletMain main = new KameletMain("luma-harvester");
        main.setDownload(false);
        props.forEach(main::addOverrideProperty);
        String chainKey = System.clearProperty("aws.accessKeyId");
        String chainSecret = System.clearProperty("aws.secretAccessKey");
        main.start();
        try {
            standIns.kafka.send(props.get("luma.topics.tasks"), taskId);
            JsonNode event = Events.value(Events.awaitOnlyEvent(standIns, props.get("luma.topics.events"), taskId,
                    Duration.ofSeconds(40)));
            assertThat(event.get("status").asText()).isEqualTo("completed");
            assertThat(Events.sha256OfObject(standIns.s3, StandIns.BUCKET, "luma/" + taskId + "/video.mp4"))
                    .isEqualTo(media.byRole().get("video").sha256());
        } finally {
            main.stop();
            System.setProperty("aws.accessKeyId", chainKey);
            System.setProperty("aws.secretAccessKey", chainSecret);
        }
    }
}
