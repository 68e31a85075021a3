package io.lumaharvester.dev;

import java.util.Collection;
import java.util.List;
import java.util.Map;
import java.util.Properties;
import java.util.Set;
import java.util.concurrent.ExecutionException;

import java.nio.charset.StandardCharsets;

import kafka.testkit.KafkaClusterTestKit;
import kafka.testkit.TestKitNodes;
import org.apache.kafka.clients.admin.Admin;
import org.apache.kafka.clients.admin.AdminClientConfig;
import org.apache.kafka.clients.admin.NewTopic;
import org.apache.kafka.clients.producer.KafkaProducer;
import org.apache.kafka.clients.producer.ProducerConfig;
import org.apache.kafka.clients.producer.ProducerRecord;
import org.apache.kafka.common.errors.TopicExistsException;
import org.apache.kafka.common.serialization.ByteArraySerializer;
import org.apache.kafka.common.utils.Exit;

/** A real Kafka broker (KRaft, one combined node) in this JVM: Apache Kafka's own test kit. */
public final class EmbeddedKafka implements AutoCloseable {

    private final KafkaClusterTestKit cluster;
    /** One producer for every send to this broker: a producer per record costs a connection and a metadata fetch. */
    private KafkaProducer<byte[], byte[]> producer;

    private EmbeddedKafka(KafkaClusterTestKit cluster) {
        this.cluster = cluster;
    }

    public static EmbeddedKafka start() throws Exception {
        // A broker in this JVM must never end it: Kafka halts its process on fatal errors, for example when a log
        // directory disappears during shutdown, and that would end a test JVM (or dev mode) with a non-zero code.
        Exit.setHaltProcedure((status, message) ->
                System.err.println("embedded Kafka asked to halt the JVM (" + status + "): " + message));
        Exit.setExitProcedure((status, message) ->
                System.err.println("embedded Kafka asked to exit the JVM (" + status + "): " + message));
        KafkaClusterTestKit cluster = new KafkaClusterTestKit.Builder(new TestKitNodes.Builder()
                .setCombined(true)
                .setNumBrokerNodes(1)
                .setNumControllerNodes(1)
                .build())
                .setConfigProp("group.initial.rebalance.delay.ms", "0")
                .setConfigProp("offsets.topic.replication.factor", "1")
                .setConfigProp("offsets.topic.num.partitions", "4")
                .setConfigProp("transaction.state.log.replication.factor", "1")
                .setConfigProp("transaction.state.log.min.isr", "1")
                .setConfigProp("auto.create.topics.enable", "true")
                .setConfigProp("num.partitions", "2")
                .setConfigProp("message.max.bytes", String.valueOf(8 * 1024 * 1024))
                .build();
        cluster.format();
        cluster.startup();
        cluster.waitForReadyBrokers();
        return new EmbeddedKafka(cluster);
    }

    public String bootstrapServers() {
        return cluster.bootstrapServers();
    }

    public Admin admin() {
        return admin(bootstrapServers());
    }

    public static Admin admin(String bootstrapServers) {
        Properties props = new Properties();
        props.put(AdminClientConfig.BOOTSTRAP_SERVERS_CONFIG, bootstrapServers);
        return Admin.create(props);
    }

    public void createTopics(Map<String, Integer> partitionsByTopic) throws InterruptedException, ExecutionException {
        createTopics(bootstrapServers(), partitionsByTopic);
    }

    /**
     * Creates the topics (name to partition count) that do not exist yet, on any broker, and waits until the broker
     * lists them: a topic is created by the controller and listed by the broker a moment later.
     */
    public static void createTopics(String bootstrapServers, Map<String, Integer> partitionsByTopic)
            throws InterruptedException, ExecutionException {
        createTopics(bootstrapServers, partitionsByTopic.entrySet().stream()
                .map(e -> new NewTopic(e.getKey(), e.getValue(), (short) 1)).toList());
    }

    /** One topic made by hand with these configs (as an operator would), once the broker lists it. */
    public void createTopic(String name, int partitions, Map<String, String> configs)
            throws InterruptedException, ExecutionException {
        createTopics(bootstrapServers(), List.of(new NewTopic(name, partitions, (short) 1).configs(configs)));
    }

    private static void createTopics(String bootstrapServers, Collection<NewTopic> wanted)
            throws InterruptedException, ExecutionException {
        Set<String> names = wanted.stream().map(NewTopic::name).collect(java.util.stream.Collectors.toSet());
        try (Admin admin = admin(bootstrapServers)) {
            Set<String> existing = admin.listTopics().names().get();
            Collection<NewTopic> topics = wanted.stream().filter(t -> !existing.contains(t.name())).toList();
            try {
                admin.createTopics(topics).all().get();
            } catch (ExecutionException e) {
                if (!(e.getCause() instanceof TopicExistsException)) {
                    throw new IllegalStateException("could not create topics " + names, e);
                }
            }
            long deadline = System.nanoTime() + 30_000_000_000L;
            while (!admin.listTopics().names().get().containsAll(names)) {
                if (System.nanoTime() > deadline) {
                    throw new IllegalStateException("topics " + names + " not listed after 30 s");
                }
                Thread.sleep(50);
            }
        }
    }

    public void createTopics(List<String> names, int partitions) throws InterruptedException, ExecutionException {
        createTopics(names.stream().collect(java.util.stream.Collectors.toMap(n -> n, n -> partitions)));
    }

    /** Sends one record to this broker and waits for its ack. */
    public void send(String topic, byte[] key, byte[] value, Map<String, byte[]> headers) throws Exception {
        send(producer(), topic, key, value, headers);
    }

    private synchronized KafkaProducer<byte[], byte[]> producer() {
        if (producer == null) {
            producer = producer(bootstrapServers());
        }
        return producer;
    }

    /** Sends one record to any broker and waits for its ack. */
    public static void send(String bootstrapServers, String topic, byte[] key, byte[] value,
            Map<String, byte[]> headers) throws Exception {
        try (KafkaProducer<byte[], byte[]> producer = producer(bootstrapServers)) {
            send(producer, topic, key, value, headers);
        }
    }

    private static KafkaProducer<byte[], byte[]> producer(String bootstrapServers) {
        Properties props = new Properties();
        props.put(ProducerConfig.BOOTSTRAP_SERVERS_CONFIG, bootstrapServers);
        props.put(ProducerConfig.KEY_SERIALIZER_CLASS_CONFIG, ByteArraySerializer.class.getName());
        props.put(ProducerConfig.VALUE_SERIALIZER_CLASS_CONFIG, ByteArraySerializer.class.getName());
        props.put(ProducerConfig.MAX_REQUEST_SIZE_CONFIG, String.valueOf(8 * 1024 * 1024));
        return new KafkaProducer<>(props);
    }

    private static void send(KafkaProducer<byte[], byte[]> producer, String topic, byte[] key, byte[] value,
            Map<String, byte[]> headers) throws Exception {
        ProducerRecord<byte[], byte[]> record = new ProducerRecord<>(topic, key, value);
        headers.forEach((name, v) -> record.headers().add(name, v));
        producer.send(record).get();
    }

    public void send(String topic, String value) throws Exception {
        send(topic, null, value.getBytes(StandardCharsets.UTF_8), Map.of());
    }

    @Override
    public void close() throws Exception {
        synchronized (this) {
            if (producer != null) {
                producer.close(java.time.Duration.ofSeconds(5));
            }
        }
        cluster.close();
    }
}
