package io.lumaharvester.poll;

import io.lumaharvester.dev.Events;
import io.lumaharvester.dev.HarvesterExtension;
import io.lumaharvester.due.DueHeaders;
import static org.assertj.core.api.Assertions.assertThat;

import java.time.Duration;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.Map;
import java.util.UUID;

import org.apache.kafka.clients.consumer.ConsumerRecord;
import org.apache.kafka.common.header.Header;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.RegisterExtension;

/**
 * A ticket record (routes/tickets.camel.yaml) carries what the due: consumer reads and nothing more: a header on
 * every ticket is bytes on the broker and work for the producer on every poll.
 */
class TicketRecordTest {

    @RegisterExtension
    static final HarvesterExtension harvester = HarvesterExtension.shared("polls-200ms", Map.of(
            "luma.poll.interval-ms", "200",
            "luma.poll.max-backoff-ms", "400"));

    @Test
    void aTicketRecordCarriesOnlyTheDueConsumersHeaders() throws Exception {
        var standIns = harvester.standIns();
        String taskId = "ticket-record-" + UUID.randomUUID().toString().substring(0, 8);
        standIns.api.completesAfter(taskId, List.of("pending", "processing"), 100_000);

        harvester.submit(taskId);
        Events.awaitOnlyEvent(standIns, harvester.setting("luma.topics.events"), taskId, Duration.ofSeconds(40));

        List<ConsumerRecord<byte[], byte[]>> tickets = new ArrayList<>(Events.forKey(
                Events.records(standIns, harvester.setting("luma.topics.polling")), taskId));
        tickets.addAll(Events.forKey(Events.records(standIns, harvester.setting("luma.topics.harvest")), taskId));
        assertThat(tickets).as("the first ticket, two running polls', the harvest ticket").hasSizeGreaterThanOrEqualTo(4);
        assertThat(tickets).allSatisfy(ticket -> assertThat(Arrays.stream(ticket.headers().toArray())
                .map(Header::key).toList()).as("headers of the ticket at %s", ticket.offset())
                .containsExactlyInAnyOrder(DueHeaders.DUE_AT, DueHeaders.STEP, DueHeaders.PROVIDER));
    }
}
