package io.lumaharvester;

import static org.assertj.core.api.Assertions.assertThat;

import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Future;
import java.util.concurrent.TimeUnit;
import java.util.function.Supplier;
import java.util.stream.Stream;

import org.apache.camel.impl.DefaultCamelContext;
import org.apache.camel.spi.ThreadPoolProfile;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.Arguments;
import org.junit.jupiter.params.provider.MethodSource;

/**
 * The harvester's own thread pools. Work handed to a busy pool waits in its queue: it never runs on the thread that
 * handed it over (the harvest consumer's for a copy, a Kafka producer's network thread for an acknowledgement).
 */
class ThreadPoolsTest {

    static Stream<Arguments> pools() {
        return Stream.of(
                // luma.harvest.max-copies-in-flight=1, three files of one task
                Arguments.of("copy", (Supplier<ThreadPoolProfile>) () -> io.lumaharvester.harvest.HarvestBeans.copyThreads(1), 3),
                // more acknowledgements at once than Camel's default queue (1,000) holds
                Arguments.of("kafka-callback", (Supplier<ThreadPoolProfile>) io.lumaharvester.kafka.KafkaClientBeans::callbackThreads, 1_500));
    }

    @ParameterizedTest(name = "{0}: {2} at once")
    @MethodSource("pools")
    void workThatFindsEveryThreadBusyWaitsAndNeverRunsOnTheThreadThatHandedItOver(String name,
            Supplier<ThreadPoolProfile> profile, int handed) throws Exception {
        try (DefaultCamelContext context = new DefaultCamelContext()) {
            context.start();
            ExecutorService pool = context.getExecutorServiceManager().newThreadPool(this, name, profile.get());
            CountDownLatch handedOver = new CountDownLatch(1);
            Thread caller = Thread.currentThread();
            List<Future<String>> ran = new ArrayList<>();
            long start = System.nanoTime();
            for (int i = 0; i < handed; i++) {
                // each holds a pool thread until all are handed over; one run by the caller says so at once
                ran.add(pool.submit(() -> {
                    if (Thread.currentThread() != caller) {
                        handedOver.await(5, TimeUnit.SECONDS);
                    }
                    return Thread.currentThread().getName();
                }));
            }
            long handOverMs = TimeUnit.NANOSECONDS.toMillis(System.nanoTime() - start);
            handedOver.countDown();
            for (Future<String> work : ran) {
                assertThat(work.get(10, TimeUnit.SECONDS)).contains(name).isNotEqualTo(caller.getName());
            }
            assertThat(handOverMs).as("handing work to busy threads does not wait for it").isLessThan(2_000);
        }
    }
}
