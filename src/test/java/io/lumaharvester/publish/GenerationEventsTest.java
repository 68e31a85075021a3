package io.lumaharvester.publish;

import io.lumaharvester.provider.TestProviders;
import io.lumaharvester.dev.Events;
import io.lumaharvester.task.Failure;
import io.lumaharvester.harvest.MediaFile;
import io.lumaharvester.harvest.MediaSplitter;
import io.lumaharvester.task.StoredMedia;
import io.lumaharvester.task.TaskTicket;
import static org.assertj.core.api.Assertions.assertThat;

import java.time.Clock;
import java.time.Instant;
import java.time.ZoneOffset;
import java.util.List;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.node.ObjectNode;
import io.lumaharvester.dev.LumaApiStandIn;
import org.apache.camel.Exchange;
import org.apache.camel.impl.DefaultCamelContext;
import org.apache.camel.support.DefaultExchange;
import org.junit.jupiter.api.Test;

class GenerationEventsTest {

    private static final ObjectMapper JSON = new ObjectMapper();
    private final GenerationEvents events = new GenerationEvents("/luma-harvester",
            Clock.fixed(Instant.parse("2026-01-02T03:04:05Z"), ZoneOffset.UTC), true, TestProviders.builtIns());

    private static TaskTicket completedSeedTicket() {
        ObjectNode metadata = JSON.createObjectNode().put("customer", "acme");
        TaskTicket ticket = TaskTicket.accepted("e70fdf3c-ce95-4dd1-a967-220ce957aff5", metadata, 0, 1000, 0)
                .polled("completed", LumaApiStandIn.seed());
        List<StoredMedia> stored = new java.util.ArrayList<>();
        for (MediaFile file : new MediaSplitter().split(TestProviders.builtIns().get(ticket.providerName()).media(ticket.taskId(),
                ticket.metadata(), ticket.generation()))) {
            String key = "luma/" + ticket.taskId() + "/" + file.keyRole() + ".bin";
            stored.add(new StoredMedia(file.roles(), file.sourceUrl(), "bucket", key, "s3://bucket/" + key,
                    "application/octet-stream", 10, "0".repeat(64), file.width(), file.height(), file.duration()));
        }
        return ticket.withStored(stored);
    }

    @Test
    void theCompletedEventOfTheSeedSampleCarriesRequestMediaAndMetadata() {
        GenerationEvent event = events.completed(completedSeedTicket());
        JsonNode json = JSON.valueToTree(event);

        Events.assertValidEvent(json);
        assertThat(json.get("task_id").asText()).isEqualTo("e70fdf3c-ce95-4dd1-a967-220ce957aff5");
        assertThat(json.get("status").asText()).isEqualTo("completed");
        assertThat(json.get("state").asText()).isEqualTo("completed");
        assertThat(json.get("prompt").asText()).isEqualTo("美人鱼");
        assertThat(json.get("aspect_ratio").asText()).isEqualTo("16:9");
        assertThat(json.get("metadata").get("customer").asText()).isEqualTo("acme");
        assertThat(json.get("polls").asInt()).isEqualTo(1);
        assertThat(json.get("finished_at").asText()).isEqualTo("2026-01-02T03:04:05Z");
        assertThat(json.get("media")).hasSize(3);
        assertThat(json.at("/media/0/duration").asDouble()).isEqualTo(5.041667);
        assertThat(json.at("/media/1/duration").isMissingNode()).isTrue();
        assertThat(json.has("failure")).isFalse();
    }

    @Test
    void withIncludePromptFalseTheEventCarriesNoPrompt() {
        GenerationEvents withoutPrompt = new GenerationEvents("/luma-harvester", Clock.systemUTC(), false, TestProviders.builtIns());
        JsonNode json = JSON.valueToTree(withoutPrompt.completed(completedSeedTicket()));

        Events.assertValidEvent(json);
        assertThat(json.has("prompt")).isFalse();
        assertThat(json.get("aspect_ratio").asText()).isEqualTo("16:9");
        assertThat(json.get("media")).hasSize(3);
    }

    @Test
    void aFailureEventCarriesReasonAndDetailAndNoMedia() {
        TaskTicket ticket = TaskTicket.accepted("t-1", null, 0, 1000, 0).polled("failed", null);
        JsonNode json = JSON.valueToTree(events.failed(ticket, new Failure("provider_failed", null)));

        Events.assertValidEvent(json);
        assertThat(json.get("metadata").isEmpty()).isTrue();
        assertThat(json.at("/failure/reason").asText()).isEqualTo("provider_failed");
        assertThat(json.has("media")).isFalse();
    }

    @Test
    void theCloudEventIdIsStableForATaskRunAndStatusAndDiffersForAnotherRun() {
        GenerationEvent first = events.completed(completedSeedTicket());
        GenerationEvent again = events.completed(completedSeedTicket());
        GenerationEvent otherRun = events.completed(completedSeedTicket().withRun("0-99", 1));

        assertThat(first.cloudEventId()).isEqualTo(again.cloudEventId());
        assertThat(first.cloudEventId()).isNotEqualTo(otherRun.cloudEventId());
        assertThat(java.util.UUID.fromString(first.cloudEventId())).isNotNull();
    }
}
