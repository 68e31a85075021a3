package io.lumaharvester.intake;

import io.lumaharvester.kafka.KafkaClients;
import io.lumaharvester.publish.GenerationEvent;
import static org.assertj.core.api.Assertions.assertThat;

import java.lang.management.ManagementFactory;
import java.time.Clock;
import java.util.List;
import java.util.Map;
import java.util.Optional;

import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.node.ObjectNode;
import io.micrometer.core.instrument.simple.SimpleMeterRegistry;
import org.apache.kafka.clients.consumer.ConsumerRecord;
import org.apache.kafka.common.header.internals.RecordHeaders;
import org.apache.kafka.common.record.TimestampType;
import org.junit.jupiter.api.Test;

/**
 * What a task's state costs in memory: its id, run, status and where its record is, not its event. Measured as the heap
 * used after a full collection with the states held, minus before, over their number (the figure in README,
 * Performance, and docs/operate.md, Known limits).
 */
class HeldStateBytesTest {

    private static final int STATES = 3_000;
    private static final int METADATA_BYTES = 60 * 1024;
    private static final ObjectMapper JSON = new ObjectMapper();

    @Test
    void aCompletedTasksStateHeldInMemoryCostsUnderAKilobyteWhateverItsMetadata() throws Exception {
        TaskStates states = new TaskStates("states", "events", new KafkaClients("localhost:9092", Map.of()),
                new SimpleMeterRegistry(), Clock.systemUTC(), 7 * 24 * 3_600_000L, Runnable::run);
        String note = "m".repeat(METADATA_BYTES);
        // the first state read loads and caches what reading any takes: not counted
        remember(states, -1, note);
        long before = usedAfterFullCollection();
        for (int i = 0; i < STATES; i++) {
            remember(states, i, note);
        }
        long after = usedAfterFullCollection();
        assertThat(states.held()).isEqualTo(STATES + 1);
        assertThat(states.state("heap-bound-task-" + String.format("%024d", 7)).status())
                .isEqualTo(GenerationEvent.COMPLETED);
        long perState = (after - before) / STATES;
        System.out.printf("HeldStateBytesTest: %d completed states with %d KB of metadata each: %d bytes of heap "
                + "each (%d bytes after a full collection, %d before)%n", STATES, METADATA_BYTES / 1024, perState,
                after, before);
        assertThat(perState).isLessThan(1024);
    }

    /**
     * As the follower reads it: a completed state's record (a task id of 40 characters), its event carrying the task's
     * metadata.
     */
    private static void remember(TaskStates states, int i, String note) throws Exception {
        String taskId = "heap-bound-task-" + String.format("%024d", i);
        ObjectNode event = JSON.createObjectNode().put("task_id", taskId).put("status", GenerationEvent.COMPLETED);
        event.putObject("metadata").put("note", note);
        byte[] value = JSON.writeValueAsBytes(TaskState.ended("3-" + (1_000_000 + i), GenerationEvent.COMPLETED,
                event, Map.of("ce_id", "luma-" + taskId, "content-type", "application/json")));
        states.remember(List.of(new ConsumerRecord<>("states", Math.floorMod(i, 4), 1_000_000L + i,
                System.currentTimeMillis(), TimestampType.CREATE_TIME, taskId.length(), value.length, taskId, value,
                new RecordHeaders(), Optional.empty())));
    }

    /** The least heap used of three full collections: what other threads allocate meanwhile does not count. */
    private static long usedAfterFullCollection() {
        long least = Long.MAX_VALUE;
        for (int i = 0; i < 3; i++) {
            System.gc();
            least = Math.min(least, ManagementFactory.getMemoryMXBean().getHeapMemoryUsage().getUsed());
        }
        return least;
    }
}
