package io.lumaharvester.intake;

import io.lumaharvester.kafka.KafkaClients;
import io.lumaharvester.publish.GenerationEvent;
import static org.assertj.core.api.Assertions.assertThat;

import java.lang.management.ManagementFactory;
import java.lang.ref.Reference;
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
 * a store with the states holds beyond a store with one, after full collections, over their number (the figure in
 * docs/performance.md).
 */
class HeldStateBytesTest {

    private static final int STATES = 3_000;
    private static final int METADATA_BYTES = 60 * 1024;
    private static final ObjectMapper JSON = new ObjectMapper();

    @Test
    void aCompletedTasksStateHeldInMemoryCostsUnderAKilobyteWhateverItsMetadata() throws Exception {
        // at least its 40-character task id: a measurement that saw no state at all fails
        assertThat(bytesPerState()).as("bytes per state held").isBetween(40L, 1023L);
    }

    private static long bytesPerState() throws Exception {
        String note = "m".repeat(METADATA_BYTES);
        // two stores, each with its first state read (which loads and caches what reading any takes): one holds
        // STATES more. What the many-state store holds beyond the one-state store, over STATES, is a state's cost
        TaskStates one = store();
        remember(one, -1, note);
        TaskStates many = store();
        remember(many, -1, note);
        for (int i = 0; i < STATES; i++) {
            remember(many, i, note);
        }
        assertThat(many.held()).isEqualTo(STATES + 1);
        assertThat(many.state("heap-bound-task-" + String.format("%024d", 7)).status())
                .isEqualTo(GenerationEvent.COMPLETED);
        // three readings back to back, so that what other threads of this JVM hold meanwhile hardly moves between them
        long both = usedAfterFullCollection();
        // reachable until here, however the JIT reads the locals' lives
        Reference.reachabilityFence(many);
        many = null;
        long oneLeft = usedAfterFullCollection();
        Reference.reachabilityFence(one);
        one = null;
        long none = usedAfterFullCollection();
        long perState = ((both - oneLeft) - (oneLeft - none)) / STATES;
        System.out.printf("HeldStateBytesTest: %d completed states with %d KB of metadata each: %d bytes of heap "
                + "each (after a full collection: %d bytes with both stores, %d with the one-state store, %d with "
                + "none)%n", STATES, METADATA_BYTES / 1024, perState, both, oneLeft, none);
        return perState;
    }

    private static TaskStates store() {
        return new TaskStates("states", "events", new KafkaClients("localhost:9092", Map.of()),
                new SimpleMeterRegistry(), Clock.systemUTC(), 7 * 24 * 3_600_000L, Runnable::run);
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
