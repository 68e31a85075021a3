package io.lumaharvester.kafka;

import java.time.Duration;
import java.util.List;
import java.util.Map;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.TimeUnit;
import java.util.function.Consumer;

import org.apache.kafka.clients.consumer.ConsumerRecord;
import org.apache.kafka.clients.consumer.KafkaConsumer;
import org.apache.kafka.common.TopicPartition;
import org.apache.kafka.common.errors.WakeupException;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * A consumer of assigned partitions that first reads them up to given ends on the caller's thread (a start-up that
 * needs what is on the topic), then keeps following them on a daemon thread of its own, so that what other instances
 * write is seen too. That thread also closes the consumer: a Kafka consumer is not safe for use from another one.
 */
public final class TopicFollower<K, V> {

    private static final Logger LOG = LoggerFactory.getLogger(TopicFollower.class);

    private final KafkaConsumer<K, V> consumer;
    private final String topic;
    private final Consumer<Iterable<ConsumerRecord<K, V>>> handler;
    private Thread thread;
    private volatile boolean following;

    public TopicFollower(KafkaConsumer<K, V> consumer, String topic, Consumer<Iterable<ConsumerRecord<K, V>>> handler) {
        this.consumer = consumer;
        this.topic = topic;
        this.handler = handler;
    }

    /** Hands every record before {@code ends} to the handler; {@code what} names them if that takes past the limit. */
    public void readTo(List<TopicPartition> partitions, Map<TopicPartition, Long> ends, Duration limit, String what) {
        long deadline = System.nanoTime() + limit.toNanos();
        while (partitions.stream().anyMatch(p -> consumer.position(p) < ends.get(p))) {
            if (System.nanoTime() > deadline) {
                throw new IllegalStateException("could not read " + what + " of " + topic + " within "
                        + limit.toSeconds() + " s");
            }
            handler.accept(consumer.poll(Duration.ofMillis(200)));
        }
    }

    /** From here on, records reach the handler on the thread {@code name}. */
    public void follow(String name) throws InterruptedException {
        following = true;
        CountDownLatch started = new CountDownLatch(1);
        thread = new Thread(() -> run(started), name);
        thread.setDaemon(true);
        thread.start();
        started.await(10, TimeUnit.SECONDS);
    }

    private void run(CountDownLatch started) {
        started.countDown();
        try {
            while (following) {
                handler.accept(consumer.poll(Duration.ofMillis(500)));
            }
        } catch (WakeupException stopping) {
            // stop() woke the consumer up
        } catch (RuntimeException e) {
            LOG.warn("stopped following {}: {}", topic, e.toString());
        } finally {
            // nothing to commit or leave: not waiting out the fetch the broker holds open (fetch.max.wait.ms)
            consumer.close(Duration.ZERO);
        }
    }

    /** Stops following and closes the consumer: on the following thread, or here if it never followed. */
    public void stop() throws InterruptedException {
        following = false;
        if (thread != null) {
            consumer.wakeup();
            thread.join(10_000);
        } else {
            consumer.close(Duration.ZERO);
        }
    }
}
