package io.lumaharvester;

import static org.assertj.core.api.Assertions.assertThat;

import java.lang.management.ManagementFactory;
import java.lang.management.ThreadMXBean;
import java.nio.ByteBuffer;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.HashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.Properties;
import java.util.Set;
import java.util.UUID;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.ConcurrentSkipListSet;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicLong;
import java.util.concurrent.atomic.AtomicReference;

import io.lumaharvester.dev.EmbeddedKafka;
import org.apache.kafka.clients.admin.Admin;
import org.apache.kafka.clients.consumer.ConsumerConfig;
import org.apache.kafka.clients.consumer.ConsumerRecord;
import org.apache.kafka.clients.consumer.ConsumerRecords;
import org.apache.kafka.clients.consumer.KafkaConsumer;
import org.apache.kafka.clients.consumer.OffsetAndMetadata;
import org.apache.kafka.clients.producer.KafkaProducer;
import org.apache.kafka.clients.producer.ProducerConfig;
import org.apache.kafka.clients.producer.ProducerRecord;
import org.apache.kafka.common.TopicPartition;
import org.apache.kafka.common.serialization.ByteArrayDeserializer;
import org.apache.kafka.common.serialization.ByteArraySerializer;
import org.apache.kafka.common.serialization.StringDeserializer;
import org.apache.kafka.common.serialization.StringSerializer;
import org.junit.jupiter.api.Test;

/**
 * What Kafka transactions would cost a step of the harvester, on the in-JVM broker: N records consumed from one topic,
 * each producing one record to another, read by a {@code read_committed} reader. (a) the harvester's way: asynchronous
 * sends (acks=all, idempotent, linger 2 ms, as the routes' producer) and offsets committed asynchronously once their
 * sends are acknowledged; (b) a transactional producer, the batch's offsets sent to the transaction and the
 * transaction committed every 1, 10 and 100 records of a poll (at most). Two runs of each: a backlog of N records
 * gives records/s (first record read to last record visible to the reader) and CPU per record (the worker's own
 * threads, and the whole JVM, broker included); records written at a steady rate give the latency from the input
 * record's write to the reader seeing its output, p50/p99 (a backlog would measure its own queue).
 * <p>
 * Run on demand, not by {@code mvn verify} (the pom excludes it):
 * {@code mvn verify -Dtest=NoSuchTest -Dsurefire.failIfNoSpecifiedTests=false -Dit.test=KafkaTransactionCostIT}
 * ({@code -Dtxcost.records=N}, 2000; {@code -Dtxcost.rate=R} records/s, 100, for {@code -Dtxcost.paced-records=M},
 * 500; {@code -Dtxcost.producer.<property>=value} for both ways' producers). Results in
 * {@code target/bench/kafka-transactions.md}; docs/kafka.md has the figures and what was chosen.
 */
class KafkaTransactionCostIT {

    private static final int RECORDS = Integer.getInteger("txcost.records", 2000);
    private static final int RATE = Integer.getInteger("txcost.rate", 100);
    private static final int PACED_RECORDS = Integer.getInteger("txcost.paced-records", 500);
    private static final String PRODUCED_AT = "produced-at-nanos";
    private static final int VALUE_BYTES = 1024;
    private static final String CONSUMED_AT = "consumed-at-nanos";
    /** Nanoseconds of CPU a second the JVM uses while idle (measured after the warm-up). */
    private static double idleCpuPerSecond;
    private static final ThreadMXBean THREADS = ManagementFactory.getThreadMXBean();
    private static final com.sun.management.OperatingSystemMXBean OS =
            (com.sun.management.OperatingSystemMXBean) ManagementFactory.getOperatingSystemMXBean();

    /** One run's figures: latencies from the input record's write (paced runs) or from its read (backlog). */
    record Result(String way, int records, double seconds, double clientCpuMsPerRecord,
            double processCpuMsPerRecord, double busyCpuMsPerRecord, double p50Ms, double p99Ms, int transactions) {

        double perSecond() {
            return records / seconds;
        }
    }

    @Test
    void transactionsPerBatchCostThroughputCpuAndLatencyAgainstAsyncSendsWithOffsetsCommittedAfterTheAcks()
            throws Exception {
        THREADS.setThreadCpuTimeEnabled(true);
        try (EmbeddedKafka kafka = EmbeddedKafka.start()) {
            // JIT and broker warm-up, not reported
            run(kafka, 0, 500, 0);
            run(kafka, 100, 500, 0);
            // what the JVM (broker, controller, GC) burns doing nothing, so slow runs are not charged for waiting
            long idleCpu = OS.getProcessCpuTime();
            long idleStart = System.nanoTime();
            Thread.sleep(5_000);
            idleCpuPerSecond = (OS.getProcessCpuTime() - idleCpu) / ((System.nanoTime() - idleStart) / 1e9);

            List<Result[]> results = new ArrayList<>();
            for (int batch : new int[] {0, 1, 10, 100}) {
                results.add(new Result[] {run(kafka, batch, RECORDS, 0), run(kafka, batch, PACED_RECORDS, RATE)});
            }
            String table = table(results);
            System.out.println(table);
            Path out = Path.of("target", "bench", "kafka-transactions.md");
            Files.createDirectories(out.getParent());
            Files.writeString(out, table);
        }
    }

    /**
     * {@code batch} 0: the harvester's way; otherwise one transaction per {@code batch} records. {@code rate} 0: the
     * records are all on the input topic before the worker starts; otherwise written at that rate while it runs.
     */
    private static Result run(EmbeddedKafka kafka, int batch, int records, int rate) throws Exception {
        String id = "txcost-" + UUID.randomUUID().toString().substring(0, 8);
        String in = id + ".in";
        String out = id + ".out";
        kafka.createTopics(Map.of(in, 2, out, 2));
        awaitLeaders(kafka, List.of(in, out));
        Thread feeder = new Thread(() -> feed(kafka.bootstrapServers(), in, records, rate), "feeder-" + id);
        if (rate == 0) {
            feeder.run();
        }

        Reader reader = new Reader(kafka.bootstrapServers(), out, records);
        Thread readerThread = new Thread(reader, id + "-reader");
        readerThread.start();
        reader.ready.await(60, TimeUnit.SECONDS);

        AtomicReference<Throwable> failed = new AtomicReference<>();
        AtomicLong clientCpuNanos = new AtomicLong();
        AtomicLong transactions = new AtomicLong();
        AtomicLong firstRead = new AtomicLong();
        CountDownLatch joined = new CountDownLatch(1);
        long processCpuBefore = OS.getProcessCpuTime();
        long windowStart = System.nanoTime();
        Thread worker = new Thread(() -> {
            try {
                transactions.set(batch == 0 ? asyncSends(kafka.bootstrapServers(), id, in, out, records, firstRead,
                        joined)
                        : transactional(kafka.bootstrapServers(), id, in, out, records, batch, firstRead,
                        joined));
            } catch (Throwable t) {
                failed.set(t);
            } finally {
                // before the clients' threads end with them (their CPU time goes with them)
                clientCpuNanos.set(cpuOfThreadsNamed(id, Thread.currentThread().getId()));
            }
        }, id + "-worker");
        worker.start();
        if (rate > 0) {
            // once the worker has its partitions: records written during the group's join would wait for it
            joined.await(60, TimeUnit.SECONDS);
            feeder.start();
        }
        worker.join(TimeUnit.MINUTES.toMillis(10));
        feeder.join(TimeUnit.MINUTES.toMillis(1));
        readerThread.join(TimeUnit.MINUTES.toMillis(2));
        // from the worker's first record to the reader's last: the group's join is not the step's cost
        long seconds = reader.lastSeenNanos.get() - firstRead.get();
        long processCpu = OS.getProcessCpuTime() - processCpuBefore;
        double busyCpu = processCpu - idleCpuPerSecond * (System.nanoTime() - windowStart) / 1e9;
        if (failed.get() != null) {
            throw new AssertionError("the " + (batch == 0 ? "asynchronous" : "transactional") + " worker failed",
                    failed.get());
        }
        // every record's output once, visible to a read_committed reader, and every input offset committed
        assertThat(reader.keys).as("outputs seen by the read_committed reader").hasSize(records);
        assertThat(reader.count.get()).as("outputs read, duplicates included").isEqualTo(records);
        assertThat(committed(kafka, id, in)).as("input offsets committed").isEqualTo(records);

        double[] latencies = (rate > 0 ? reader.sinceWrittenMs : reader.sinceReadMs).stream()
                .mapToDouble(Double::doubleValue).sorted().toArray();
        return new Result(batch == 0 ? "async sends, offsets committed after the acks (the harvester's way)"
                : "transactional, one transaction per " + batch + (batch == 1 ? " record" : " records"), records,
                seconds / 1e9,
                clientCpuNanos.get() / 1e6 / records, processCpu / 1e6 / records, busyCpu / 1e6 / records,
                percentile(latencies, 0.50),
                percentile(latencies, 0.99), (int) transactions.get());
    }

    /**
     * (a) Every record sent asynchronously; an input offset is committed (commitAsync, as the due: consumer does) once
     * it and every older one of its partition has its send acknowledged.
     */
    private static long asyncSends(String brokers, String id, String in, String out, int records,
            AtomicLong firstRead, CountDownLatch joined) {
        Map<TopicPartition, ConcurrentSkipListSet<Long>> acked = new ConcurrentHashMap<>();
        Map<TopicPartition, Long> nextToCommit = new HashMap<>();
        AtomicReference<Exception> sendFailed = new AtomicReference<>();
        AtomicLong ackedCount = new AtomicLong();
        int read = 0;
        try (KafkaConsumer<String, byte[]> consumer = consumer(brokers, id, "read_uncommitted");
                KafkaProducer<String, byte[]> producer = producer(brokers, id, null)) {
            consumer.subscribe(List.of(in));
            long deadline = System.nanoTime() + TimeUnit.MINUTES.toNanos(10);
            while (ackedCount.get() < records) {
                if (System.nanoTime() > deadline) {
                    throw new IllegalStateException(ackedCount.get() + " of " + records + " sent in 10 minutes");
                }
                ConsumerRecords<String, byte[]> polled = consumer.poll(Duration.ofMillis(read < records ? 100 : 5));
                if (!consumer.assignment().isEmpty()) {
                    joined.countDown();
                }
                for (ConsumerRecord<String, byte[]> record : polled) {
                    firstRead.compareAndSet(0, System.nanoTime());
                    read++;
                    TopicPartition partition = new TopicPartition(record.topic(), record.partition());
                    nextToCommit.putIfAbsent(partition, record.offset());
                    long offset = record.offset();
                    producer.send(output(out, record), (metadata, e) -> {
                        if (e != null) {
                            sendFailed.set(e);
                        } else {
                            acked.computeIfAbsent(partition, p -> new ConcurrentSkipListSet<>()).add(offset);
                            ackedCount.incrementAndGet();
                        }
                    });
                }
                if (sendFailed.get() != null) {
                    throw new IllegalStateException(sendFailed.get());
                }
                Map<TopicPartition, OffsetAndMetadata> commit = committable(acked, nextToCommit);
                if (!commit.isEmpty()) {
                    consumer.commitAsync(commit, null);
                }
            }
            committable(acked, nextToCommit);
            Map<TopicPartition, OffsetAndMetadata> all = new HashMap<>();
            nextToCommit.forEach((p, next) -> all.put(p, new OffsetAndMetadata(next)));
            consumer.commitSync(all);
        }
        return 0;
    }

    /** Moves each partition's commit past the acknowledged offsets that follow it without a gap. */
    private static Map<TopicPartition, OffsetAndMetadata> committable(
            Map<TopicPartition, ConcurrentSkipListSet<Long>> acked, Map<TopicPartition, Long> nextToCommit) {
        Map<TopicPartition, OffsetAndMetadata> commit = new HashMap<>();
        nextToCommit.forEach((partition, next) -> {
            ConcurrentSkipListSet<Long> done = acked.get(partition);
            long moved = next;
            while (done != null && done.remove(moved)) {
                moved++;
            }
            if (moved > next) {
                nextToCommit.put(partition, moved);
                commit.put(partition, new OffsetAndMetadata(moved));
            }
        });
        return commit;
    }

    /** (b) One transaction per {@code batch} records of a poll: their outputs and their offsets, committed together. */
    private static long transactional(String brokers, String id, String in, String out, int records, int batch,
            AtomicLong firstRead, CountDownLatch joined) {
        long transactions = 0;
        int done = 0;
        try (KafkaConsumer<String, byte[]> consumer = consumer(brokers, id, "read_committed");
                KafkaProducer<String, byte[]> producer = producer(brokers, id, id + "-tx")) {
            producer.initTransactions();
            consumer.subscribe(List.of(in));
            long deadline = System.nanoTime() + TimeUnit.MINUTES.toNanos(10);
            while (done < records) {
                if (System.nanoTime() > deadline) {
                    throw new IllegalStateException(done + " of " + records + " committed in 10 minutes");
                }
                List<ConsumerRecord<String, byte[]>> polled = new ArrayList<>();
                consumer.poll(Duration.ofMillis(100)).forEach(polled::add);
                if (!consumer.assignment().isEmpty()) {
                    joined.countDown();
                }
                if (!polled.isEmpty()) {
                    firstRead.compareAndSet(0, System.nanoTime());
                }
                for (int from = 0; from < polled.size(); from += batch) {
                    List<ConsumerRecord<String, byte[]>> chunk = polled.subList(from,
                            Math.min(polled.size(), from + batch));
                    producer.beginTransaction();
                    Map<TopicPartition, OffsetAndMetadata> offsets = new HashMap<>();
                    for (ConsumerRecord<String, byte[]> record : chunk) {
                        producer.send(output(out, record));
                        offsets.put(new TopicPartition(record.topic(), record.partition()),
                                new OffsetAndMetadata(record.offset() + 1));
                    }
                    producer.sendOffsetsToTransaction(offsets, consumer.groupMetadata());
                    producer.commitTransaction();
                    transactions++;
                    done += chunk.size();
                }
            }
        }
        return transactions;
    }

    private static ProducerRecord<String, byte[]> output(String topic, ConsumerRecord<String, byte[]> input) {
        ProducerRecord<String, byte[]> record = new ProducerRecord<>(topic, input.key(), input.value());
        input.headers().forEach(record.headers()::add);
        record.headers().add(CONSUMED_AT, ByteBuffer.allocate(Long.BYTES).putLong(System.nanoTime()).array());
        return record;
    }

    private static KafkaConsumer<String, byte[]> consumer(String brokers, String id, String isolation) {
        Properties props = new Properties();
        props.put(ConsumerConfig.BOOTSTRAP_SERVERS_CONFIG, brokers);
        props.put(ConsumerConfig.GROUP_ID_CONFIG, id);
        props.put(ConsumerConfig.CLIENT_ID_CONFIG, id + "-consumer");
        props.put(ConsumerConfig.ENABLE_AUTO_COMMIT_CONFIG, "false");
        props.put(ConsumerConfig.AUTO_OFFSET_RESET_CONFIG, "earliest");
        props.put(ConsumerConfig.ISOLATION_LEVEL_CONFIG, isolation);
        // as the harvester's consumers (luma.kafka.fetch-wait-max-ms)
        props.put(ConsumerConfig.FETCH_MAX_WAIT_MS_CONFIG, "100");
        props.put(ConsumerConfig.KEY_DESERIALIZER_CLASS_CONFIG, StringDeserializer.class.getName());
        props.put(ConsumerConfig.VALUE_DESERIALIZER_CLASS_CONFIG, ByteArrayDeserializer.class.getName());
        return new KafkaConsumer<>(props);
    }

    /**
     * As the routes' producer (application.properties): acks=all, idempotent, linger 2 ms; the worker's take the
     * {@code txcost.producer.*} properties too.
     */
    private static KafkaProducer<String, byte[]> producer(String brokers, String id, String transactionalId) {
        return producer(brokers, id, transactionalId, true);
    }

    private static KafkaProducer<String, byte[]> producer(String brokers, String id, String transactionalId,
            boolean worker) {
        Properties props = new Properties();
        props.put(ProducerConfig.BOOTSTRAP_SERVERS_CONFIG, brokers);
        props.put(ProducerConfig.CLIENT_ID_CONFIG, id + "-producer");
        props.put(ProducerConfig.ACKS_CONFIG, "all");
        props.put(ProducerConfig.ENABLE_IDEMPOTENCE_CONFIG, "true");
        props.put(ProducerConfig.LINGER_MS_CONFIG, "2");
        if (transactionalId != null) {
            props.put(ProducerConfig.TRANSACTIONAL_ID_CONFIG, transactionalId);
        }
        if (worker) {
            System.getProperties().stringPropertyNames().stream().filter(k -> k.startsWith("txcost.producer."))
                    .forEach(k -> props.put(k.substring("txcost.producer.".length()), System.getProperty(k)));
        }
        props.put(ProducerConfig.KEY_SERIALIZER_CLASS_CONFIG, StringSerializer.class.getName());
        props.put(ProducerConfig.VALUE_SERIALIZER_CLASS_CONFIG, ByteArraySerializer.class.getName());
        return new KafkaProducer<>(props);
    }

    /** The input records: all at once ({@code rate} 0), or {@code rate} a second, each stamped with its write. */
    private static void feed(String brokers, String topic, int records, int rate) {
        byte[] value = new byte[VALUE_BYTES];
        Arrays.fill(value, (byte) 'x');
        long start = System.nanoTime();
        try (KafkaProducer<String, byte[]> producer = producer(brokers, "feed-" + topic, null, false)) {
            for (int i = 0; i < records; i++) {
                if (rate > 0) {
                    long due = start + i * 1_000_000_000L / rate;
                    long wait = due - System.nanoTime();
                    if (wait > 0) {
                        TimeUnit.NANOSECONDS.sleep(wait);
                    }
                }
                ProducerRecord<String, byte[]> record = new ProducerRecord<>(topic, "task-" + i, value);
                record.headers().add(PRODUCED_AT, ByteBuffer.allocate(Long.BYTES).putLong(System.nanoTime()).array());
                producer.send(record);
            }
            producer.flush();
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
        }
    }

    /** A topic the broker lists may not have its partitions' leaders yet; a first write then fails and is retried. */
    private static void awaitLeaders(EmbeddedKafka kafka, List<String> topics) throws Exception {
        long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(30);
        try (Admin admin = kafka.admin()) {
            while (!admin.describeTopics(topics).allTopicNames().get(30, TimeUnit.SECONDS).values().stream()
                    .flatMap(t -> t.partitions().stream())
                    .allMatch(p -> p.leader() != null && !p.leader().isEmpty())) {
                if (System.nanoTime() > deadline) {
                    throw new IllegalStateException("no leader for every partition of " + topics + " after 30 s");
                }
                Thread.sleep(50);
            }
        }
    }

    /** The input offsets the group has committed, summed over the partitions. */
    private static long committed(EmbeddedKafka kafka, String group, String topic) throws Exception {
        try (Admin admin = kafka.admin()) {
            return admin.listConsumerGroupOffsets(group).partitionsToOffsetAndMetadata().get(30, TimeUnit.SECONDS)
                    .entrySet().stream().filter(e -> e.getKey().topic().equals(topic))
                    .mapToLong(e -> e.getValue().offset()).sum();
        }
    }

    /** CPU time of the live threads named after the run (the worker and its clients' own threads). */
    private static long cpuOfThreadsNamed(String id, long workerThreadId) {
        long nanos = 0;
        for (var info : THREADS.getThreadInfo(THREADS.getAllThreadIds())) {
            if (info != null && (info.getThreadId() == workerThreadId || info.getThreadName().contains(id))
                    && !info.getThreadName().endsWith("-reader")) {
                long cpu = THREADS.getThreadCpuTime(info.getThreadId());
                nanos += Math.max(0, cpu);
            }
        }
        return nanos;
    }

    private static double percentile(double[] sorted, double p) {
        return sorted.length == 0 ? Double.NaN
                : sorted[Math.max(0, Math.min(sorted.length - 1, (int) Math.ceil(p * sorted.length) - 1))];
    }

    private static String table(List<Result[]> results) {
        StringBuilder text = new StringBuilder(String.format(Locale.ROOT,
                "Records of %d bytes, topic to topic (2 partitions each), in-JVM broker (one node, acks=all), %d "
                        + "cores. Backlog: %d records. Steady: %d records written at %d/s. The idle JVM used %.0f ms "
                        + "of CPU a second.%s%n%n",
                VALUE_BYTES, Runtime.getRuntime().availableProcessors(), RECORDS, PACED_RECORDS, RATE,
                idleCpuPerSecond / 1e6,
                System.getProperties().stringPropertyNames().stream().filter(k -> k.startsWith("txcost.producer."))
                        .map(k -> " " + k + "=" + System.getProperty(k)).sorted().reduce("", String::concat)));
        text.append("| way | backlog: records/s | backlog: CPU per record, worker's threads | backlog: CPU per "
                + "record, whole JVM (broker included) | the same, less the idle JVM's | steady: write to visible to "
                + "a read_committed reader, p50 / p99 | steady: records/s done | backlog: transactions |\n");
        text.append("|---|---|---|---|---|---|---|---|\n");
        for (Result[] r : results) {
            Result backlog = r[0];
            Result steady = r[1];
            text.append(String.format(Locale.ROOT,
                    "| %s | %.0f | %.3f ms | %.3f ms | %.3f ms | %.0f ms / %.0f ms | %.0f | %s |%n", backlog.way(),
                    backlog.perSecond(), backlog.clientCpuMsPerRecord(), backlog.processCpuMsPerRecord(),
                    backlog.busyCpuMsPerRecord(),
                    steady.p50Ms(), steady.p99Ms(), steady.perSecond(),
                    backlog.transactions() == 0 ? "" : String.valueOf(backlog.transactions())));
        }
        return text.toString();
    }

    private static long stamp(ConsumerRecord<String, byte[]> record, String header) {
        return ByteBuffer.wrap(record.headers().lastHeader(header).value()).getLong();
    }

    /** Reads the output topic read_committed, from its start, until every record is there. */
    private static final class Reader implements Runnable {
        private final String brokers;
        private final String topic;
        private final int expected;
        final CountDownLatch ready = new CountDownLatch(1);
        final Set<String> keys = ConcurrentHashMap.newKeySet();
        final AtomicLong count = new AtomicLong();
        final AtomicLong lastSeenNanos = new AtomicLong();
        final List<Double> sinceReadMs = java.util.Collections.synchronizedList(new ArrayList<>());
        final List<Double> sinceWrittenMs = java.util.Collections.synchronizedList(new ArrayList<>());

        Reader(String brokers, String topic, int expected) {
            this.brokers = brokers;
            this.topic = topic;
            this.expected = expected;
        }

        @Override
        public void run() {
            Properties props = new Properties();
            props.put(ConsumerConfig.BOOTSTRAP_SERVERS_CONFIG, brokers);
            props.put(ConsumerConfig.ISOLATION_LEVEL_CONFIG, "read_committed");
            props.put(ConsumerConfig.FETCH_MAX_WAIT_MS_CONFIG, "100");
            props.put(ConsumerConfig.KEY_DESERIALIZER_CLASS_CONFIG, StringDeserializer.class.getName());
            props.put(ConsumerConfig.VALUE_DESERIALIZER_CLASS_CONFIG, ByteArrayDeserializer.class.getName());
            try (KafkaConsumer<String, byte[]> consumer = new KafkaConsumer<>(props)) {
                List<TopicPartition> partitions = consumer.partitionsFor(topic).stream()
                        .map(p -> new TopicPartition(topic, p.partition())).toList();
                consumer.assign(partitions);
                consumer.seekToBeginning(partitions);
                partitions.forEach(consumer::position);
                ready.countDown();
                long deadline = System.nanoTime() + TimeUnit.MINUTES.toNanos(10);
                while (count.get() < expected && System.nanoTime() < deadline) {
                    for (ConsumerRecord<String, byte[]> record : consumer.poll(Duration.ofMillis(100))) {
                        long now = System.nanoTime();
                        sinceReadMs.add((now - stamp(record, CONSUMED_AT)) / 1e6);
                        if (record.headers().lastHeader(PRODUCED_AT) != null) {
                            sinceWrittenMs.add((now - stamp(record, PRODUCED_AT)) / 1e6);
                        }
                        keys.add(record.key());
                        count.incrementAndGet();
                        lastSeenNanos.set(now);
                    }
                }
            }
        }
    }
}
