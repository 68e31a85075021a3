package io.lumaharvester.bench;

import java.io.IOException;
import java.io.Reader;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.PriorityQueue;
import java.util.Properties;
import java.util.Set;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.ConcurrentSkipListSet;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.atomic.AtomicInteger;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import io.lumaharvester.poll.ApiClientBeans;
import io.vertx.ext.web.client.WebClient;
import org.apache.camel.component.kafka.KafkaConfiguration;
import org.apache.kafka.clients.admin.Admin;
import org.apache.kafka.clients.admin.NewTopic;
import org.apache.kafka.clients.consumer.ConsumerConfig;
import org.apache.kafka.clients.consumer.ConsumerRebalanceListener;
import org.apache.kafka.clients.consumer.ConsumerRecord;
import org.apache.kafka.clients.consumer.CooperativeStickyAssignor;
import org.apache.kafka.clients.consumer.KafkaConsumer;
import org.apache.kafka.clients.consumer.OffsetAndMetadata;
import org.apache.kafka.clients.producer.KafkaProducer;
import org.apache.kafka.clients.producer.ProducerRecord;
import org.apache.kafka.common.TopicPartition;
import org.apache.kafka.common.errors.TopicExistsException;
import org.apache.kafka.common.header.Header;
import org.apache.kafka.common.serialization.ByteArrayDeserializer;
import org.apache.kafka.common.serialization.ByteArraySerializer;

/**
 * The floor of a poll on the JVM: the work of the harvester's poll loop written by hand, without Camel, against the
 * same API stand-in and broker, so that the benchmark can state the harvester's CPU per poll as a ratio to it
 * (BenchmarksIT#steadyPollingCostsLittleCpuPerPoll). Its own JVM, started with the harvester child's flags.
 * <p>
 * Per task and interval it does the I/O the harvester does: the task's ticket is a record on the polling topic, keyed
 * by task id, read back and held in memory until its {@code luma-due-at} (as the due: consumer keeps it); when due,
 * one GET of the task's status (Vert.x web client, plain http as the benchmark's API), one Jackson parse of the answer,
 * one record written: the next ticket, due one interval after this one was (PollSchedule#nextPoll), with the due:
 * consumer's headers; and the offset of the ticket read is committed once that record is acknowledged and every older
 * ticket of its partition is done, asynchronously and at most every 100 ms (DueConsumer#commit). It does nothing else:
 * no routing, no metrics, no log line, no budget, no parse of the ticket it read back (its key and headers say all the
 * floor needs). Tasks arrive as ids on the tasks topic; each becomes a first ticket, due at once.
 * <p>
 * Settings are the harvester's, by the harvester's names: {@code application.properties} in the working directory,
 * then the file given as the only argument (the benchmark's settings for the run). The producer is built as
 * camel-kafka builds the harvester's (its KafkaConfiguration, with every {@code camel.component.kafka.*} value the
 * harvester sets; an unknown one stops the floor rather than being left out), the consumer as DueConsumer builds its
 * own. Prints {@code floor ready} once its partitions are assigned; runs until killed.
 */
public final class FloorPoller {

    /** As DueConsumer: the longest wait in Kafka's poll, and how often offsets go to Kafka. */
    private static final long MAX_POLL_WAIT_MS = 100;
    private static final long COMMIT_EVERY_MS = 100;
    /** The harvester's path for a task's status (LumaApiStandIn.PATH), and the due: consumer's headers. */
    private static final String STATUS_PATH = "/luma/generations/";
    private static final String DUE_AT = "luma-due-at";
    private static final String STEP = "luma-step";
    private static final String PROVIDER = "luma-provider";
    private static final ObjectMapper JSON = new ObjectMapper();

    /** A ticket read and not yet done: where it was read, its task, when it is due and its step. */
    private record Held(TopicPartition partition, long offset, byte[] key, long dueAt, long step) {
    }

    /** The ticket written for a task's next poll: the fields of the harvester's TaskTicket that change per poll. */
    private record Ticket(String task_id, Map<String, Object> metadata, long next_poll_at, long polls, String state,
            long step, String provider) {
    }

    private final Properties settings;
    private final String tasksTopic;
    private final String pollingTopic;
    private final long intervalMs;
    private final int maxInFlight;
    private final String statusUrl;
    private final String authorization;
    private final long responseTimeoutMs;
    private final KafkaProducer<byte[], byte[]> producer;
    private final WebClient client;
    /** Tickets read, earliest due first: touched by the loop thread only. */
    private final PriorityQueue<Held> waiting = new PriorityQueue<>((a, b) -> Long.compare(a.dueAt, b.dueAt));
    /** Per partition, the offsets read and not yet done (done on the producer's thread); and where reading is. */
    private final Map<TopicPartition, ConcurrentSkipListSet<Long>> pending = new ConcurrentHashMap<>();
    private final Map<TopicPartition, Long> readTo = new HashMap<>();
    private final Map<TopicPartition, Long> committed = new HashMap<>();
    private final AtomicInteger inFlight = new AtomicInteger();

    private FloorPoller(Properties settings) {
        this.settings = settings;
        this.tasksTopic = setting("luma.topics.tasks");
        this.pollingTopic = setting("luma.topics.polling");
        this.intervalMs = Long.parseLong(setting("luma.poll.interval-ms"));
        // the harvester's API budget holds at most this many requests in flight (its rate limit is off by default)
        this.maxInFlight = Integer.parseInt(setting("luma.api.max-in-flight"));
        this.statusUrl = setting("luma.api.base-url") + STATUS_PATH;
        this.authorization = "Bearer " + setting("luma.api.token");
        this.responseTimeoutMs = Long.parseLong(setting("luma.api.response-timeout-ms"));
        this.producer = new KafkaProducer<>(producerProperties());
        // the harvester's own vertx and lumaApiClientOptions (plain methods, no Camel): two event loops, the same pool
        // and connection options
        ApiClientBeans api = new ApiClientBeans();
        this.client = WebClient.create(api.vertx(), api.lumaApiClientOptions(
                Integer.parseInt(setting("luma.api.connect-timeout-ms")), maxInFlight,
                Integer.parseInt(setting("luma.api.keep-alive-ms"))));
    }

    public static void main(String[] args) throws Exception {
        Properties settings = new Properties();
        load(settings, Path.of("application.properties"));
        load(settings, Path.of(args[0]));
        new FloorPoller(settings).run();
    }

    private static void load(Properties into, Path file) throws IOException {
        try (Reader in = Files.newBufferedReader(file, StandardCharsets.UTF_8)) {
            into.load(in);
        }
    }

    private String setting(String name) {
        String value = settings.getProperty(name);
        if (value == null) {
            throw new IllegalArgumentException("no setting " + name);
        }
        return value.strip();
    }

    /** kafka.brokers and the kafka.client.* settings, as KafkaClients gives every client of the harvester. */
    private Properties client() {
        Properties props = new Properties();
        settings.stringPropertyNames().stream().filter(k -> k.startsWith("kafka.client."))
                .forEach(k -> props.put(k.substring("kafka.client.".length()), settings.getProperty(k)));
        props.put("bootstrap.servers", setting("kafka.brokers"));
        return props;
    }

    /**
     * What camel-kafka gives the harvester's ticket producer: its KafkaConfiguration with the component's settings
     * (camel.component.kafka.*), then the kafka.client.* settings (additional-properties, applied last).
     */
    private Properties producerProperties() {
        KafkaConfiguration kafka = new KafkaConfiguration();
        for (String name : settings.stringPropertyNames()) {
            if (!name.startsWith("camel.component.kafka.")) {
                continue;
            }
            String option = name.substring("camel.component.kafka.".length());
            String value = setting(name);
            switch (option) {
                case "linger-ms" -> kafka.setLingerMs(Integer.valueOf(value));
                case "request-required-acks" -> kafka.setRequestRequiredAcks(value);
                case "enable-idempotence" -> kafka.setEnableIdempotence(Boolean.parseBoolean(value));
                case "compression-codec" -> kafka.setCompressionCodec(value);
                case "value-serializer" -> kafka.setValueSerializer(value);
                case "key-serializer" -> kafka.setKeySerializer(value);
                // brokers: kafka.brokers; additional-properties: kafka.client.* (client()); synchronous=false, the
                // callback pool and the client factory decide threads and sharing, not what a record costs on the wire
                case "brokers", "additional-properties", "synchronous", "worker-pool", "kafka-client-factory" -> { }
                default -> throw new IllegalStateException("the floor does not apply " + name
                        + ": make its producer do as the harvester's does");
            }
        }
        Properties props = kafka.createProducerProperties();
        props.putAll(client());
        // the routes' keys are the task id as bytes; the harvester's value serializer is ByteArraySerializer too
        props.put("key.serializer", ByteArraySerializer.class.getName());
        props.put("value.serializer", ByteArraySerializer.class.getName());
        return props;
    }

    /** As DueConsumer#doStart. */
    private Properties consumerProperties() {
        Properties props = client();
        props.put(ConsumerConfig.GROUP_ID_CONFIG, setting("luma.kafka.group-id"));
        props.put(ConsumerConfig.KEY_DESERIALIZER_CLASS_CONFIG, ByteArrayDeserializer.class.getName());
        props.put(ConsumerConfig.VALUE_DESERIALIZER_CLASS_CONFIG, ByteArrayDeserializer.class.getName());
        props.put(ConsumerConfig.ENABLE_AUTO_COMMIT_CONFIG, "false");
        props.put(ConsumerConfig.AUTO_OFFSET_RESET_CONFIG, "earliest");
        props.put(ConsumerConfig.FETCH_MAX_WAIT_MS_CONFIG, setting("luma.kafka.fetch-wait-max-ms"));
        props.putIfAbsent(ConsumerConfig.SESSION_TIMEOUT_MS_CONFIG, "10000");
        props.putIfAbsent(ConsumerConfig.PARTITION_ASSIGNMENT_STRATEGY_CONFIG,
                CooperativeStickyAssignor.class.getName());
        return props;
    }

    /** Both topics with the harvester's partitions (luma.topics.partitions), as its start creates them. */
    private void createTopics() throws InterruptedException, ExecutionException {
        int partitions = Integer.parseInt(setting("luma.topics.partitions"));
        try (Admin admin = Admin.create(client())) {
            for (String topic : List.of(tasksTopic, pollingTopic)) {
                try {
                    admin.createTopics(List.of(new NewTopic(topic, partitions, (short) 1))).all().get();
                } catch (ExecutionException e) {
                    if (!(e.getCause() instanceof TopicExistsException)) {
                        throw e;
                    }
                }
            }
        }
    }

    /** The loop: read, send what is due, commit; one thread, as the due: consumer's. */
    private void run() throws Exception {
        createTopics();
        try (KafkaConsumer<byte[], byte[]> kafka = new KafkaConsumer<>(consumerProperties())) {
            kafka.subscribe(List.of(tasksTopic, pollingTopic), new ConsumerRebalanceListener() {
                @Override
                public void onPartitionsRevoked(java.util.Collection<TopicPartition> partitions) {
                }

                @Override
                public void onPartitionsAssigned(java.util.Collection<TopicPartition> partitions) {
                    if (!partitions.isEmpty()) {
                        System.out.println("floor ready");
                    }
                }
            });
            long wait = MAX_POLL_WAIT_MS;
            long committedAt = 0;
            while (true) {
                long now = System.currentTimeMillis();
                for (ConsumerRecord<byte[], byte[]> record : kafka.poll(Duration.ofMillis(wait))) {
                    offer(record, now);
                }
                wait = dispatchDue();
                now = System.currentTimeMillis();
                if (now - committedAt >= COMMIT_EVERY_MS) {
                    committedAt = now;
                    commit(kafka);
                }
            }
        }
    }

    private void offer(ConsumerRecord<byte[], byte[]> record, long now) {
        TopicPartition partition = new TopicPartition(record.topic(), record.partition());
        pending.computeIfAbsent(partition, p -> new ConcurrentSkipListSet<>()).add(record.offset());
        readTo.put(partition, record.offset() + 1);
        boolean ticket = record.topic().equals(pollingTopic);
        waiting.add(new Held(partition, record.offset(), record.key(), ticket ? number(record, DUE_AT) : now,
                ticket ? number(record, STEP) : 0));
    }

    /** Sends the due tickets, up to the in-flight bound; how long the loop may wait until the next is due. */
    private long dispatchDue() {
        while (true) {
            Held held = waiting.peek();
            long now = System.currentTimeMillis();
            if (held == null) {
                return MAX_POLL_WAIT_MS;
            }
            if (held.dueAt > now) {
                return Math.min(held.dueAt - now, MAX_POLL_WAIT_MS);
            }
            if (inFlight.get() >= maxInFlight) {
                return 1;
            }
            waiting.poll();
            inFlight.incrementAndGet();
            if (held.partition.topic().equals(tasksTopic)) {
                // a new task: its first ticket, due now (the benchmark's luma.poll.first-delay-ms=0)
                write(held, new Ticket(new String(held.key, StandardCharsets.UTF_8), Map.of(), now, 0, null, 0,
                        "luma-official"), now);
            } else {
                poll(held);
            }
        }
    }

    /** One GET; the answer parsed on the event loop; the next ticket written, due one interval after this one. */
    private void poll(Held held) {
        String taskId = new String(held.key, StandardCharsets.UTF_8);
        client.getAbs(statusUrl + taskId).putHeader("Authorization", authorization).timeout(responseTimeoutMs)
                .send(answer -> {
                    String state = "error";
                    if (answer.succeeded() && answer.result().statusCode() == 200
                            && answer.result().body() != null) {
                        try {
                            JsonNode generation = JSON.readTree(answer.result().body().getBytes());
                            state = generation.path("state").asText();
                        } catch (IOException unreadable) {
                            // an answer that is not JSON: polled again all the same
                        }
                    }
                    long dueAt = Math.max(System.currentTimeMillis(), held.dueAt + intervalMs);
                    write(held, new Ticket(taskId, Map.of(), dueAt, held.step + 1, state, held.step + 1,
                            "luma-official"), dueAt);
                });
    }

    /** The next ticket to the polling topic; the ticket read is done once Kafka has it. */
    private void write(Held held, Ticket next, long dueAt) {
        byte[] value;
        try {
            value = JSON.writeValueAsBytes(next);
        } catch (IOException e) {
            throw new IllegalStateException(e);
        }
        ProducerRecord<byte[], byte[]> record = new ProducerRecord<>(pollingTopic, held.key, value);
        record.headers().add(DUE_AT, Long.toString(dueAt).getBytes(StandardCharsets.US_ASCII));
        record.headers().add(STEP, Long.toString(next.step()).getBytes(StandardCharsets.US_ASCII));
        record.headers().add(PROVIDER, next.provider().getBytes(StandardCharsets.US_ASCII));
        producer.send(record, (metadata, failure) -> {
            // a failed write keeps the ticket unread for the group (no commit past it), as the harvester's retry does
            if (failure == null) {
                pending.get(held.partition).remove(held.offset);
            }
            inFlight.decrementAndGet();
        });
    }

    /** Per partition: the oldest offset not done, or where reading is when all are; only what moved. */
    private void commit(KafkaConsumer<byte[], byte[]> kafka) {
        Map<TopicPartition, OffsetAndMetadata> offsets = new HashMap<>();
        Set<TopicPartition> assigned = kafka.assignment();
        for (Map.Entry<TopicPartition, Long> read : readTo.entrySet()) {
            if (!assigned.contains(read.getKey())) {
                continue;
            }
            ConcurrentSkipListSet<Long> open = pending.get(read.getKey());
            Long oldest = open.ceiling(Long.MIN_VALUE);
            long offset = oldest == null ? read.getValue() : oldest;
            if (!Long.valueOf(offset).equals(committed.get(read.getKey()))) {
                committed.put(read.getKey(), offset);
                offsets.put(read.getKey(), new OffsetAndMetadata(offset));
            }
        }
        if (!offsets.isEmpty()) {
            kafka.commitAsync(offsets, null);
        }
    }

    private static long number(ConsumerRecord<byte[], byte[]> record, String name) {
        Header header = record.headers().lastHeader(name);
        return header == null ? 0 : Long.parseLong(new String(header.value(), StandardCharsets.US_ASCII));
    }
}
