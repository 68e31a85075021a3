package io.lumaharvester.intake;

import java.time.Duration;
import java.util.List;
import java.util.Properties;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.Executor;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.TimeUnit;

import org.apache.kafka.clients.consumer.ConsumerConfig;
import org.apache.kafka.clients.consumer.ConsumerRecord;
import org.apache.kafka.clients.consumer.KafkaConsumer;
import org.apache.kafka.clients.consumer.OffsetOutOfRangeException;
import org.apache.kafka.common.TopicPartition;
import org.apache.kafka.common.errors.TimeoutException;

/**
 * Reads one record of {@code luma.tasks.accepted} back from its place: a completed task's state with its event, which
 * {@link TaskStates} does not hold in memory (it is as large as the task's metadata) and a re-submission publishes
 * again. Re-submissions are rare: one consumer, on a thread of its own, reads them one after the other, so no route
 * thread (intake's consumer) waits for Kafka.
 */
final class StateRecords {

    private final String topic;
    private final KafkaConsumer<String, byte[]> consumer;
    private final ExecutorService reader;
    private final Executor callbacks;
    private final long timeoutMs;

    /** {@code callbacks}: where the route goes on with a record read; {@code timeoutMs}: how long a read may take. */
    StateRecords(String topic, Properties consumerConfig, Executor callbacks, long timeoutMs) {
        Properties props = new Properties();
        props.putAll(consumerConfig);
        // a place before the log's start (deleted by retention) or past its end is an error, not a reset
        props.put(ConsumerConfig.AUTO_OFFSET_RESET_CONFIG, "none");
        // one batch per fetch (Kafka returns a batch larger than the limit whole): the record, not a megabyte around it
        props.put(ConsumerConfig.MAX_PARTITION_FETCH_BYTES_CONFIG, "1");
        props.put(ConsumerConfig.FETCH_MAX_BYTES_CONFIG, "1");
        props.put(ConsumerConfig.MAX_POLL_RECORDS_CONFIG, "1");
        this.topic = topic;
        this.consumer = new KafkaConsumer<>(props);
        this.callbacks = callbacks;
        this.timeoutMs = timeoutMs;
        this.reader = Executors.newSingleThreadExecutor(task -> {
            Thread thread = new Thread(task, "task-states-reads-" + topic);
            thread.setDaemon(true);
            return thread;
        });
    }

    /**
     * The value of the record at {@code partition} and {@code offset}, if it is {@code taskId}'s; {@code null} if that
     * record is no longer there (compacted away behind a newer one of its id, or deleted by retention). Completes on
     * the callbacks executor; with Kafka's {@link TimeoutException} if Kafka does not answer within the time-out,
     * counted from this call (reads queued behind others included).
     */
    CompletableFuture<byte[]> read(String taskId, int partition, long offset) {
        long deadline = System.nanoTime() + TimeUnit.MILLISECONDS.toNanos(timeoutMs);
        CompletableFuture<byte[]> read = new CompletableFuture<>();
        try {
            reader.execute(() -> {
                byte[] value;
                try {
                    value = readNow(taskId, new TopicPartition(topic, partition), offset, deadline);
                } catch (RuntimeException e) {
                    callbacks.execute(() -> read.completeExceptionally(e));
                    return;
                }
                callbacks.execute(() -> read.complete(value));
            });
        } catch (RuntimeException stopped) {
            read.completeExceptionally(stopped);
        }
        return read;
    }

    private byte[] readNow(String taskId, TopicPartition partition, long offset, long deadline) {
        consumer.assign(List.of(partition));
        try {
            consumer.seek(partition, offset);
            while (true) {
                long left = deadline - System.nanoTime();
                if (left <= 0) {
                    throw new TimeoutException("could not read the state of task " + taskId + " at " + partition
                            + ", offset " + offset + " within " + timeoutMs + " ms");
                }
                for (ConsumerRecord<String, byte[]> record : consumer.poll(Duration.ofNanos(Math.min(left,
                        TimeUnit.MILLISECONDS.toNanos(200)))).records(partition)) {
                    if (record.offset() >= offset) {
                        return record.offset() == offset && taskId.equals(record.key()) ? record.value() : null;
                    }
                }
                if (consumer.position(partition) > offset) {
                    return null; // read past it: its batch is empty after compaction
                }
            }
        } catch (OffsetOutOfRangeException gone) {
            return null;
        } finally {
            consumer.assign(List.of());
        }
    }

    /** Closes the consumer on its thread, after the reads asked for so far. */
    void close() throws InterruptedException {
        reader.execute(() -> consumer.close(Duration.ofSeconds(5)));
        reader.shutdown();
        reader.awaitTermination(10, TimeUnit.SECONDS);
    }
}
