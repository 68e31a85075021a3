package io.lumaharvester.due;

import io.lumaharvester.kafka.KafkaClients;
import static org.assertj.core.api.Assertions.assertThat;

import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.UUID;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.function.BooleanSupplier;

import io.lumaharvester.dev.StandIns;
import io.micrometer.core.instrument.Counter;
import io.micrometer.core.instrument.simple.SimpleMeterRegistry;
import org.apache.camel.CamelContext;
import org.apache.camel.builder.RouteBuilder;
import org.apache.camel.component.kafka.KafkaConstants;
import org.apache.camel.component.micrometer.MicrometerConstants;
import org.apache.camel.impl.DefaultCamelContext;
import org.apache.kafka.clients.admin.Admin;
import org.apache.kafka.clients.consumer.OffsetAndMetadata;
import org.apache.kafka.common.TopicPartition;
import org.awaitility.Awaitility;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.parallel.Execution;
import org.junit.jupiter.api.parallel.ExecutionMode;
import org.junit.jupiter.api.parallel.ResourceAccessMode;
import org.junit.jupiter.api.parallel.ResourceLock;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.CsvSource;

/**
 * The due: consumer on a real broker: due order, many in flight on one thread, commits, stale steps. Each test has a
 * topic, a group and a Camel context of its own and mostly waits for records to come due: they run side by side.
 */
@Execution(ExecutionMode.CONCURRENT)
class DueConsumerTest {

    /**
     * Held alone by the tests whose records must be routed within a window of seconds (or a number of turns of the
     * loop): no other test of the class runs beside them; shared by the others.
     */
    private static final String ALONE = "due-consumer-timing";

    private final StandIns standIns;
    private final String topic = "due-" + UUID.randomUUID();
    private final String group = topic + "-group";
    private final List<String> routed = new CopyOnWriteArrayList<>();
    private final Map<String, Long> routedAt = new ConcurrentHashMap<>();
    private final Set<String> routeThreads = ConcurrentHashMap.newKeySet();
    private final AtomicInteger inRoute = new AtomicInteger();
    private final AtomicInteger mostInRoute = new AtomicInteger();
    private final Map<String, AtomicInteger> attempts = new ConcurrentHashMap<>();
    /** The values in the order they went into the route. */
    private final List<String> entered = new CopyOnWriteArrayList<>();
    private final LaneGate laneGate = new LaneGate();
    private final SimpleMeterRegistry meters = new SimpleMeterRegistry();
    private CamelContext camel;
    /** More beans for the route's endpoint to refer to. */
    private final Map<String, Object> camelBindings = new ConcurrentHashMap<>();

    DueConsumerTest() throws Exception {
        standIns = StandIns.shared();
        standIns.kafka.createTopics(List.of(topic), 1);
    }

    @AfterEach
    void stop() {
        if (camel != null) {
            camel.stop();
        }
    }

    /**
     * Clients that heartbeat every 300 ms, not Kafka's 3 s: a member learns of a rebalance at its next heartbeat, so a
     * join or a leave (two cooperative rebalances each) settles in about a second.
     */
    private KafkaClients clients() {
        return new KafkaClients(standIns.kafka.bootstrapServers(), Map.of("heartbeat.interval.ms", "300"));
    }

    /** A route that takes {@code routeMs} per record without holding a thread, and fails records valued "fail". */
    private void start(String parameters, long routeMs) throws Exception {
        camel = new DefaultCamelContext();
        camel.addComponent("due", new DueComponent(clients(),
                group, 50));
        camel.getRegistry().bind("laneGate", laneGate);
        camelBindings.forEach(camel.getRegistry()::bind);
        camel.getRegistry().bind(MicrometerConstants.METRICS_REGISTRY_NAME, meters);
        camel.addRoutes(new RouteBuilder() {
            @Override
            public void configure() {
                errorHandler(noErrorHandler());
                from("due:" + topic + parameters)
                        .process(exchange -> {
                            String value = new String(exchange.getMessage().getBody(byte[].class),
                                    StandardCharsets.UTF_8);
                            entered.add(value);
                            routeThreads.add(Thread.currentThread().getName());
                            attempts.computeIfAbsent(value, v -> new AtomicInteger()).incrementAndGet();
                            mostInRoute.accumulateAndGet(inRoute.incrementAndGet(), Math::max);
                            exchange.setProperty("value", value);
                        })
                        .delay(routeMs).asyncDelayed()
                        .process(exchange -> {
                            inRoute.decrementAndGet();
                            String value = exchange.getProperty("value", String.class);
                            if (value.equals("fail")) {
                                throw new IllegalStateException("failing on purpose");
                            }
                            routed.add(value);
                            routedAt.put(value, System.currentTimeMillis());
                        });
            }
        });
        camel.start();
    }

    private void send(String key, String value, Long dueAt, Long step) throws Exception {
        send(key, value, dueAt, step, Map.of());
    }

    private void send(String key, String value, Long dueAt, Long step, Map<String, String> more) throws Exception {
        Map<String, byte[]> headers = new java.util.HashMap<>();
        more.forEach((name, text) -> headers.put(name, text.getBytes(StandardCharsets.UTF_8)));
        if (dueAt != null) {
            headers.put(DueHeaders.DUE_AT, String.valueOf(dueAt).getBytes(StandardCharsets.UTF_8));
        }
        if (step != null) {
            headers.put(DueHeaders.STEP, String.valueOf(step).getBytes(StandardCharsets.UTF_8));
        }
        standIns.kafka.send(topic, key == null ? null : key.getBytes(StandardCharsets.UTF_8),
                value.getBytes(StandardCharsets.UTF_8), headers);
    }

    private long committed() throws Exception {
        try (Admin admin = standIns.kafka.admin()) {
            OffsetAndMetadata offset = admin.listConsumerGroupOffsets(group).partitionsToOffsetAndMetadata().get()
                    .get(new TopicPartition(topic, 0));
            return offset == null ? 0 : offset.offset();
        }
    }

    @Test
    @ResourceLock(ALONE)
    void aRecordDueLaterNeverHoldsBackTheRecordsDueNow() throws Exception {
        long later = System.currentTimeMillis() + 4_000;
        send("waits", "waits", later, 1L);
        for (int i = 0; i < 20; i++) {
            send("task-" + i, "task-" + i, System.currentTimeMillis(), 1L);
        }
        start("?maxInFlight=4", 10);

        Awaitility.await().atMost(Duration.ofSeconds(10)).until(() -> routed.size() == 21);
        assertThat(routed.get(routed.size() - 1)).isEqualTo("waits");
        assertThat(routedAt.get("waits")).isGreaterThanOrEqualTo(later);
        assertThat(routedAt.get("task-19")).isLessThan(later);
    }

    /** Holds back the lanes in {@code closed}; the lane-less methods are the lane "". */
    private static final class LaneGate implements DueGate {

        final Set<String> closed = ConcurrentHashMap.newKeySet();

        @Override
        public boolean tryAcquire(String lane) {
            return !closed.contains(lane);
        }

        @Override
        public boolean tryAcquire() {
            return tryAcquire("");
        }

        @Override
        public void release() {
        }
    }

    private double wakes(String outcome) {
        Counter counter = meters.find("luma.due.wakes").tag("outcome", outcome).counter();
        return counter == null ? 0 : counter.count();
    }

    /**
     * The gate holds back one lane (a provider's, or the records' without the lane header): the other lane's records
     * go in when due, in due order, though the held-back ones were due long before; once it opens, they follow.
     */
    @ParameterizedTest(name = "{0}")
    @ResourceLock(value = ALONE, mode = ResourceAccessMode.READ)
    @CsvSource(delimiter = '|', value = {
            "runway held back: kling's records go in            | runway",
            "records without the header held back: kling's go in | ''"})
    void aLaneItsGateHoldsBackHoldsBackNoOtherAndEachLaneGoesInDueOrder(String row, String heldBack)
            throws Exception {
        laneGate.closed.add(heldBack);
        Map<String, String> heldBackLane = heldBack.isEmpty() ? Map.of() : Map.of(DueHeaders.PROVIDER, heldBack);
        Map<String, String> kling = Map.of(DueHeaders.PROVIDER, "kling");
        long now = System.currentTimeMillis();
        send("held-1", "held-1", now - 3_000, 1L, heldBackLane);
        send("kling-3", "kling-3", now + 1_600, 1L, kling);
        send("held-2", "held-2", now - 2_000, 1L, heldBackLane);
        send("kling-1", "kling-1", now + 1_000, 1L, kling);
        send("kling-2", "kling-2", now + 1_300, 1L, kling);
        start("?gate=#laneGate&laneHeader=" + DueHeaders.PROVIDER, 10);

        Awaitility.await().atMost(Duration.ofSeconds(10)).until(() -> routed.size() == 3);
        assertThat(entered).as(row).containsExactly("kling-1", "kling-2", "kling-3");

        laneGate.closed.clear();
        Awaitility.await().atMost(Duration.ofSeconds(10)).until(() -> routed.size() == 5);
        assertThat(entered).as(row).containsExactly("kling-1", "kling-2", "kling-3", "held-1", "held-2");
    }

    /** A wake record makes the record of its key waiting due now; it is never routed, and its offset is committed. */
    @Test
    @ResourceLock(value = ALONE, mode = ResourceAccessMode.READ)
    void aWakeMakesTheWaitingRecordOfItsKeyDueNowAndIsCommittedWithoutBeingRouted() throws Exception {
        send("task", "ticket", System.currentTimeMillis() + 60_000, 1L);
        send("task", "wake", null, null, Map.of(DueHeaders.WAKE, ""));
        start("?maxInFlight=10", 10);

        Awaitility.await().atMost(Duration.ofSeconds(10)).until(() -> committed() == 2);
        assertThat(routed).containsExactly("ticket");
        assertThat(wakes("woken")).isEqualTo(1);
    }

    /**
     * A wake for a key with no record waiting routes nothing and is committed: for a key never seen it is ignored; for
     * one whose record is in flight it is kept for the key's next record (DueRecordsTest) and counted as woken.
     */
    @ParameterizedTest(name = "{0}")
    @ResourceLock(value = ALONE, mode = ResourceAccessMode.READ)
    @CsvSource(delimiter = '|', value = {
            "its record in flight | task   | woken",
            "an unknown key       | nobody | ignored"})
    void aWakeWithNoRecordOfItsKeyWaitingRoutesNothingAndIsCommitted(String row, String wakeKey, String counted)
            throws Exception {
        start("?maxInFlight=10", 2_000);
        send("task", "ticket", System.currentTimeMillis(), 1L);
        Awaitility.await().atMost(Duration.ofSeconds(10)).until(() -> entered.contains("ticket"));
        send(wakeKey, "wake", null, null, Map.of(DueHeaders.WAKE, "1"));

        Awaitility.await().atMost(Duration.ofSeconds(10)).until(() -> wakes(counted) == 1 && committed() == 2);
        assertThat(entered).as(row).containsExactly("ticket");
        assertThat(wakes("woken") + wakes("ignored")).as(row).isEqualTo(1);
    }

    /**
     * On a topic others write (dueHeaders=false, luma.tasks), a record's lane and wake headers mean nothing: the
     * record is routed like any other, and no gate holds it back for its lane.
     */
    @Test
    @ResourceLock(value = ALONE, mode = ResourceAccessMode.READ)
    void withoutDueHeadersTheLaneAndWakeHeadersMeanNothing() throws Exception {
        laneGate.closed.add("kling");
        send("task", "task", null, null, Map.of(DueHeaders.PROVIDER, "kling"));
        send("task", "wake", null, null, Map.of(DueHeaders.WAKE, "", DueHeaders.PROVIDER, "kling"));
        start("?dueHeaders=false&gate=#laneGate&laneHeader=" + DueHeaders.PROVIDER, 10);

        Awaitility.await().atMost(Duration.ofSeconds(10)).until(() -> routed.size() == 2);
        assertThat(routed).containsExactlyInAnyOrder("task", "wake");
        assertThat(meters.find("luma.due.wakes").counters()).as("no wake counted on such a topic").isEmpty();
    }

    @Test
    @ResourceLock(ALONE)
    void hundredsOfRecordsAreInFlightAtOnceOnOneConsumerThread() throws Exception {
        for (int i = 0; i < 300; i++) {
            send("task-" + i, "task-" + i, null, null);
        }
        long start = System.currentTimeMillis();
        start("?maxInFlight=300", 1_000);

        Awaitility.await().atMost(Duration.ofSeconds(20)).until(() -> routed.size() == 300);
        // serially, 300 records of a second each would take five minutes
        assertThat(mostInRoute.get()).isGreaterThanOrEqualTo(200);
        assertThat(routedAt.values().stream().mapToLong(Long::longValue).max().orElseThrow() - start)
                .isLessThan(15_000);
        assertThat(routeThreads).as("records enter the route on the consumer's one thread")
                .containsExactly("due-" + topic);
    }

    /** The admission condition may count every task held (TaskAdmission): read once a turn, not for each record. */
    @Test
    @ResourceLock(ALONE)
    void theAdmissionConditionIsReadOnceATurnOfTheLoopNotOncePerRecord() throws Exception {
        AtomicInteger reads = new AtomicInteger();
        BooleanSupplier admission = () -> {
            reads.incrementAndGet();
            return true;
        };
        for (int i = 0; i < 300; i++) {
            send("task-" + i, "task-" + i, null, null);
        }
        camelBindings.put("admission", admission);
        start("?maxInFlight=300&admitWhile=#admission", 1_000);

        Awaitility.await().atMost(Duration.ofSeconds(20)).until(() -> routed.size() == 300);
        // the loop turns at least every 100 ms: some 30 turns in the 3 s the 300 records take
        assertThat(reads.get()).as("admission reads for 300 records").isLessThan(150);
    }

    @Test
    @ResourceLock(value = ALONE, mode = ResourceAccessMode.READ)
    void noMoreRecordsInFlightThanTheGateAllows() throws Exception {
        start("?maxInFlight=5", 300);
        for (int i = 0; i < 30; i++) {
            send("task-" + i, "task-" + i, null, null);
        }

        Awaitility.await().atMost(Duration.ofSeconds(20)).until(() -> routed.size() == 30);
        assertThat(mostInRoute.get()).isEqualTo(5);
    }

    @Test
    @ResourceLock(value = ALONE, mode = ResourceAccessMode.READ)
    void onlyRecordsTheRouteHasFinishedAreCommittedAndAFailedOneIsRoutedAgain() throws Exception {
        send("a", "a", null, null);
        send("fail", "fail", null, null);
        send("b", "b", null, null);
        start("?maxInFlight=10&retryDelayMs=200&maxRetryDelayMs=200", 10);

        Awaitility.await().atMost(Duration.ofSeconds(10)).until(() -> routed.containsAll(List.of("a", "b")));
        // the failing record at offset 1 holds the commit: a restart must read it again
        Awaitility.await().atMost(Duration.ofSeconds(10)).until(() -> committed() == 1);
        Awaitility.await().atMost(Duration.ofSeconds(10)).until(() -> attempts.get("fail").get() >= 3);
        assertThat(committed()).isEqualTo(1);
    }

    @Test
    @ResourceLock(value = ALONE, mode = ResourceAccessMode.READ)
    void staleCopiesOfAStepAreSkippedSoATaskIsRoutedOncePerStep() throws Exception {
        send("task", "step-2", null, 2L);
        send("task", "step-2-again", null, 2L);
        send("task", "step-1-replayed", null, 1L);
        send("other", "other-1", null, 1L);
        start("?maxInFlight=10", 10);

        Awaitility.await().atMost(Duration.ofSeconds(10)).until(() -> routed.contains("other-1"));
        Awaitility.await().atMost(Duration.ofSeconds(10)).until(() -> committed() == 4);
        assertThat(routed).containsExactlyInAnyOrder("step-2", "other-1");
    }

    /** Partitions taken away and given back (another instance joins, then leaves) lose no waiting record. */
    @Test
    @ResourceLock(ALONE)
    void aRebalanceLosesNoRecordThatWasWaiting() throws Exception {
        String shared = "due-shared-" + UUID.randomUUID();
        standIns.kafka.createTopics(List.of(shared), 2);
        // a join and a leave take two cooperative rebalances each, up to a heartbeat interval (300 ms) apiece, and a
        // start of the second consumer: all well before this
        long due = System.currentTimeMillis() + 6_000;
        for (int i = 0; i < 20; i++) {
            Map<String, byte[]> headers = Map.of(DueHeaders.DUE_AT, String.valueOf(due).getBytes(StandardCharsets.UTF_8),
                    DueHeaders.STEP, "1".getBytes(StandardCharsets.UTF_8));
            standIns.kafka.send(shared, ("task-" + i).getBytes(StandardCharsets.UTF_8),
                    ("task-" + i).getBytes(StandardCharsets.UTF_8), headers);
        }
        Set<String> first = ConcurrentHashMap.newKeySet();
        Set<String> second = ConcurrentHashMap.newKeySet();
        camel = consumerOf(shared, first);
        awaitGroup(1);
        CamelContext other = consumerOf(shared, second);
        // the other instance takes a partition, then leaves before anything is due
        awaitGroup(2);
        other.stop();
        assertThat(System.currentTimeMillis()).as("nothing was due yet").isLessThan(due);

        Awaitility.await().atMost(Duration.ofSeconds(30)).until(() -> first.size() + second.size() >= 20);
        Set<String> all = new java.util.HashSet<>(first);
        all.addAll(second);
        assertThat(all).hasSize(20);
    }

    /**
     * An instance joins while the first one has records in flight on both partitions. The partition that moves is
     * handed over once its records are done and committed, so the newcomer reads after them and routes none again;
     * the first instance keeps the other partition and its records. A wakeup landing inside the commit (a record
     * finishing while another is due) does not skip it.
     */
    @ParameterizedTest(name = "{0}")
    @ResourceLock(value = ALONE, mode = ResourceAccessMode.READ)
    @CsvSource({
            "no wakeup during the commit, false",
            "a wakeup inside the first try of every commit, true"})
    void aPartitionThatMovesIsHandedOverOnceItsRecordsInFlightAreDoneAndCommitted(String row,
            boolean wakeupInsideCommit) throws Exception {
        String shared = "due-handover-" + UUID.randomUUID();
        standIns.kafka.createTopics(List.of(shared), 2);
        int records = 20;
        for (int i = 0; i < records; i++) {
            standIns.kafka.send(shared, ("task-" + i).getBytes(StandardCharsets.UTF_8),
                    ("task-" + i).getBytes(StandardCharsets.UTF_8), Map.of());
        }
        Map<String, AtomicInteger> routes = new ConcurrentHashMap<>();
        AtomicInteger inFlight = new AtomicInteger();
        AtomicInteger wakeups = new AtomicInteger();
        String log;
        try (io.lumaharvester.dev.LogCapture logs = new io.lumaharvester.dev.LogCapture()) {
            camel = slowConsumerOf(shared, routes, inFlight, wakeupInsideCommit ? wakeups : null);
            Awaitility.await().atMost(Duration.ofSeconds(20)).until(() -> inFlight.get() == records);
            CamelContext other = slowConsumerOf(shared, routes, inFlight, null);
            try {
                awaitGroup(2);
                // every record done and committed: a record routed again is counted when it goes in, before that
                Awaitility.await().atMost(Duration.ofSeconds(30)).pollInterval(Duration.ofMillis(200))
                        .until(() -> committedOn(shared) == records);
            } finally {
                other.stop();
            }
            // the tests side by side log too: this consumer's lines name its topic
            log = logs.text().lines().filter(line -> line.contains(shared + ":"))
                    .collect(java.util.stream.Collectors.joining("\n"));
        }
        assertThat(routes).as(row).hasSize(records);
        assertThat(routes.values()).as("%s: times each record was routed", row)
                .allSatisfy(times -> assertThat(times.get()).isEqualTo(1));
        if (wakeupInsideCommit) {
            assertThat(wakeups.get()).as("wakeups put inside a commit").isPositive();
        }
        // the commit was confirmed before the partition went: Kafka's client sends the request before it looks for
        // a wakeup, so the broker mostly has the offsets anyway, but commitSync gave up waiting for its answer
        assertThat(log).as(row).contains("giving up").doesNotContain("commit on giving up partitions failed");
    }

    /** The committed offsets of the group on {@code topicName}, summed over its partitions. */
    private long committedOn(String topicName) throws Exception {
        try (Admin admin = standIns.kafka.admin()) {
            return admin.listConsumerGroupOffsets(group).partitionsToOffsetAndMetadata().get().entrySet().stream()
                    .filter(e -> e.getKey().topic().equals(topicName) && e.getValue() != null)
                    .mapToLong(e -> e.getValue().offset()).sum();
        }
    }

    /**
     * A consumer whose route takes 3 s a record without holding a thread. With {@code wakeups}, its Kafka consumer is
     * woken inside the first try of every commitSync, as a record finishing at that moment does (counted).
     */
    private CamelContext slowConsumerOf(String topicName, Map<String, AtomicInteger> routes, AtomicInteger inFlight,
            AtomicInteger wakeups) throws Exception {
        CamelContext context = new DefaultCamelContext();
        context.addComponent("due", new DueComponent(clients(),
                group, 50) {
            @Override
            protected org.apache.camel.Endpoint createEndpoint(String uri, String remaining,
                    Map<String, Object> parameters) {
                return new DueEndpoint(uri, this, remaining) {
                    @Override
                    public org.apache.camel.Consumer createConsumer(org.apache.camel.Processor processor)
                            throws Exception {
                        DueConsumer consumer = new DueConsumer(this, processor) {
                            @Override
                            org.apache.kafka.clients.consumer.KafkaConsumer<byte[], byte[]> connect(
                                    java.util.Properties props) {
                                return wakeups == null ? super.connect(props) : new WokenInsideCommit(props, wakeups);
                            }
                        };
                        configureConsumer(consumer);
                        return consumer;
                    }
                };
            }
        });
        context.addRoutes(new RouteBuilder() {
            @Override
            public void configure() {
                from("due:" + topicName + "?maxInFlight=100")
                        .process(exchange -> {
                            inFlight.incrementAndGet();
                            routes.computeIfAbsent(new String(exchange.getMessage().getBody(byte[].class),
                                    StandardCharsets.UTF_8), v -> new AtomicInteger()).incrementAndGet();
                        })
                        .delay(3_000).asyncDelayed()
                        .process(exchange -> inFlight.decrementAndGet());
            }
        });
        context.start();
        return context;
    }

    /** Wakes itself inside the first try of each commitSync: the wakeup lands in the commit's first network wait. */
    private static final class WokenInsideCommit
            extends org.apache.kafka.clients.consumer.KafkaConsumer<byte[], byte[]> {

        private final AtomicInteger wakeups;
        private boolean retry;

        WokenInsideCommit(java.util.Properties props, AtomicInteger wakeups) {
            super(props);
            this.wakeups = wakeups;
        }

        @Override
        public void commitSync(Map<TopicPartition, OffsetAndMetadata> offsets, Duration timeout) {
            if (!retry) {
                wakeup();
                wakeups.incrementAndGet();
            }
            retry = !retry;
            super.commitSync(offsets, timeout);
        }
    }

    /** Waits until the group is stable with {@code members} members, each holding a partition. */
    private void awaitGroup(int members) {
        Awaitility.await().atMost(Duration.ofSeconds(20)).pollInterval(Duration.ofMillis(100)).until(() -> {
            try (Admin admin = standIns.kafka.admin()) {
                var description = admin.describeConsumerGroups(List.of(group)).all().get().get(group);
                return description.state() == org.apache.kafka.common.ConsumerGroupState.STABLE
                        && description.members().size() == members
                        && description.members().stream().allMatch(m -> !m.assignment().topicPartitions().isEmpty());
            }
        });
    }

    private CamelContext consumerOf(String topicName, Set<String> seen) throws Exception {
        return consumerOf(topicName, seen, clients());
    }

    private CamelContext consumerOf(String topicName, Set<String> seen, KafkaClients kafkaClients) throws Exception {
        return consumerOf(topicName, seen, kafkaClients, group);
    }

    /** A started context whose one route adds each record's body to {@code seen}. */
    static CamelContext consumerOf(String topicName, Set<String> seen, KafkaClients kafkaClients, String group)
            throws Exception {
        CamelContext context = new DefaultCamelContext();
        context.addComponent("due", new DueComponent(kafkaClients, group, 50));
        context.addRoutes(new RouteBuilder() {
            @Override
            public void configure() {
                from("due:" + topicName).process(exchange -> seen.add(
                        new String(exchange.getMessage().getBody(byte[].class), StandardCharsets.UTF_8)));
            }
        });
        context.start();
        return context;
    }

    @Test
    @ResourceLock(value = ALONE, mode = ResourceAccessMode.READ)
    void theConsumerSetsTheRecordsCoordinatesAsHeaders() throws Exception {
        camel = new DefaultCamelContext();
        camel.addComponent("due", new DueComponent(clients(),
                group, 50));
        List<Object> seen = new CopyOnWriteArrayList<>();
        camel.addRoutes(new RouteBuilder() {
            @Override
            public void configure() {
                from("due:" + topic).process(exchange -> seen.addAll(List.of(
                        exchange.getMessage().getHeader(KafkaConstants.TOPIC),
                        exchange.getMessage().getHeader(KafkaConstants.PARTITION, Integer.class),
                        exchange.getMessage().getHeader(KafkaConstants.OFFSET, Long.class),
                        new String(exchange.getMessage().getHeader(KafkaConstants.KEY, byte[].class),
                                StandardCharsets.UTF_8))));
            }
        });
        send("the-key", "x", null, null);
        camel.start();

        Awaitility.await().atMost(Duration.ofSeconds(10)).until(() -> seen.size() == 4);
        assertThat(seen).containsExactly(topic, 0, 0L, "the-key");
    }
}
