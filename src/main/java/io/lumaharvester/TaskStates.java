package io.lumaharvester;

import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Properties;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.Future;
import java.util.concurrent.TimeUnit;

import com.fasterxml.jackson.databind.ObjectMapper;
import io.micrometer.core.instrument.Counter;
import io.micrometer.core.instrument.MeterRegistry;
import org.apache.camel.Exchange;
import org.apache.camel.component.kafka.KafkaConstants;
import org.apache.camel.support.service.ServiceSupport;
import org.apache.kafka.clients.consumer.ConsumerConfig;
import org.apache.kafka.clients.consumer.ConsumerRecord;
import org.apache.kafka.clients.consumer.KafkaConsumer;
import org.apache.kafka.clients.producer.KafkaProducer;
import org.apache.kafka.clients.producer.ProducerConfig;
import org.apache.kafka.clients.producer.ProducerRecord;
import org.apache.kafka.common.TopicPartition;
import org.apache.kafka.common.serialization.ByteArrayDeserializer;
import org.apache.kafka.common.serialization.ByteArraySerializer;
import org.apache.kafka.common.serialization.StringDeserializer;
import org.apache.kafka.common.serialization.StringSerializer;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Every task's state, kept on the compacted topic {@code luma.tasks.accepted} (key: task id, value: {@link TaskState})
 * and in memory: read whole at start-up, then followed, so the states written by other instances are known too.
 * Intake asks {@link #decide} what a task record means (README, Re-submission) and records a new run as running;
 * publishing records the end. One record per id survives compaction, so the topic holds one small record per task
 * (plus the event of a completed one) instead of every submission.
 */
public class TaskStates extends ServiceSupport {

    /** The exchange property holding intake's decision ({@link Resubmission#tag()}). */
    public static final String DECISION = "lumaResubmission";
    /** The exchange property that is true when the record starts or continues a run (a poll loop). */
    public static final String RUNS = "lumaRuns";
    private static final Logger TASKS = LoggerFactory.getLogger("io.lumaharvester.tasks");
    private static final Logger LOG = LoggerFactory.getLogger(TaskStates.class);
    private static final ObjectMapper JSON = new ObjectMapper();
    private static final long WRITE_TIMEOUT_S = 30;

    private final String topic;
    private final String eventsTopic;
    private final KafkaClients clients;
    private final MeterRegistry registry;
    private final Map<String, TaskState> states = new ConcurrentHashMap<>();
    private final Object[] locks = new Object[64];

    private KafkaConsumer<String, byte[]> consumer;
    private KafkaProducer<String, byte[]> producer;
    private TopicFollower<String, byte[]> follower;

    public TaskStates(String topic, String eventsTopic, KafkaClients clients, MeterRegistry registry) {
        this.topic = topic;
        this.eventsTopic = eventsTopic;
        this.clients = clients;
        this.registry = registry;
        for (int i = 0; i < locks.length; i++) {
            locks[i] = new Object();
        }
    }

    /** The task's recorded state, or null. */
    public TaskState state(String taskId) {
        return states.get(taskId);
    }

    /**
     * Intake: decides what the task record in the body ({@link TaskTicket}, read from the task topic at the
     * partition and offset in the Kafka headers) means, records a new run as running, logs and counts the decision,
     * and leaves it in the {@link #DECISION} property. A ticket that runs carries its run.
     */
    public void decide(Exchange exchange) throws Exception {
        started();
        TaskTicket ticket = exchange.getMessage().getBody(TaskTicket.class);
        String run = runOf(exchange.getMessage().getHeader(KafkaConstants.PARTITION),
                exchange.getMessage().getHeader(KafkaConstants.OFFSET));
        TaskState recorded;
        Resubmission decision;
        long firstStep = 0;
        // intake handles records side by side: two records of one id must not both find it new
        synchronized (locks[Math.floorMod(ticket.taskId().hashCode(), locks.length)]) {
            recorded = states.get(ticket.taskId());
            decision = Resubmission.decide(recorded, run);
            if (decision == Resubmission.NEW) {
                firstStep = 0;
            } else if (decision == Resubmission.RERUN) {
                // above every step of the runs before (a run takes far fewer than 1000 steps a millisecond)
                firstStep = System.currentTimeMillis() * 1000;
            } else if (decision == Resubmission.REPLAYED) {
                firstStep = recorded.firstStep();
            }
            if (decision == Resubmission.NEW || decision == Resubmission.RERUN) {
                write(ticket.taskId(), TaskState.running(run, firstStep));
            }
        }
        if (decision.runs()) {
            exchange.getMessage().setBody(ticket.withRun(run, firstStep));
        }
        exchange.setProperty(DECISION, decision.tag());
        exchange.setProperty(RUNS, decision.runs());
        switch (decision) {
            case NEW -> TASKS.info("task {} (run {}): accepted", ticket.taskId(), run);
            case REPLAYED -> TASKS.info("task {}: its intake record was read again (a restart), run {} goes on",
                    ticket.taskId(), run);
            case REPLAYED_ENDED -> TASKS.info("task {}: its intake record was read again (a restart) after run {} "
                    + "ended, nothing to do", ticket.taskId(), run);
            case IN_FLIGHT -> TASKS.info("task {}: sent again while run {} is in flight, ignored", ticket.taskId(),
                    recorded.run());
            case REPUBLISHED -> TASKS.info("task {}: sent again after it completed (run {}), its event is published "
                    + "again", ticket.taskId(), recorded.run());
            case RERUN -> TASKS.info("task {}: sent again after it failed (run {}), new run {}", ticket.taskId(),
                    recorded.run(), run);
        }
        if (decision != Resubmission.NEW) {
            Counter.builder("luma.tasks.duplicate")
                    .description("Task records for a task id already accepted, by what intake did with them")
                    .tag("decision", decision.tag())
                    .register(registry)
                    .increment();
        }
    }

    /** Intake, for a completed task sent again: its stored event goes out again, unchanged (same ce_id). */
    public void republish(Exchange exchange) throws Exception {
        started();
        String taskId = exchange.getMessage().getBody(TaskTicket.class).taskId();
        TaskState recorded = states.get(taskId);
        ProducerRecord<String, byte[]> record = new ProducerRecord<>(eventsTopic, taskId,
                JSON.writeValueAsBytes(recorded.event()));
        recorded.headers().forEach((name, value) -> record.headers().add(name, value.getBytes(StandardCharsets.UTF_8)));
        acknowledged(producer.send(record), WRITE_TIMEOUT_S);
    }

    /**
     * Publish, after the event was sent (or found sent before): records the task's end, with the event and its
     * headers when it completed. Also after a replayed step, so a crash between the event and this write is repaired.
     */
    public void ended(Exchange exchange) throws Exception {
        started();
        GenerationEvent event = exchange.getProperty("lumaEvent", GenerationEvent.class);
        if (event == null || event.run() == null) {
            return; // a ticket from before runs existed
        }
        TaskState now = states.get(event.taskId());
        if (now != null && (!event.run().equals(now.run()) || !now.running())) {
            // recorded already, or a replayed step of an earlier run: the newer run's state stays
            return;
        }
        boolean completed = GenerationEvent.COMPLETED.equals(event.status());
        Map<String, String> headers = null;
        if (completed) {
            headers = new LinkedHashMap<>();
            for (Map.Entry<String, Object> header : exchange.getMessage().getHeaders().entrySet()) {
                String name = header.getKey();
                if ((name.startsWith("ce_") || name.equals("content-type")) && header.getValue() != null) {
                    headers.put(name, header.getValue().toString());
                }
            }
        }
        write(event.taskId(), TaskState.ended(event.run(), event.status(),
                completed ? JSON.valueToTree(event) : null, headers));
    }

    /** Reads the topic back on first use (the routes start after Kafka and the topics were checked). */
    private void started() {
        if (!isStarted()) {
            start();
        }
    }

    static String runOf(Object partition, Object offset) {
        return partition == null || offset == null ? "local-" + System.nanoTime() : partition + "-" + offset;
    }

    private void write(String taskId, TaskState state) throws Exception {
        acknowledged(producer.send(new ProducerRecord<>(topic, taskId, JSON.writeValueAsBytes(state))),
                WRITE_TIMEOUT_S);
        states.put(taskId, state);
    }

    /**
     * Waits for the broker's acknowledgement. Waiting too long is Kafka failing, as Kafka's own time-outs are: the
     * JDK's TimeoutException would reach the task's error policy as the task's error, and cost a harvesting task a
     * media attempt (TaskRecovery#retriesTask).
     */
    static <T> T acknowledged(Future<T> sent, long seconds) throws Exception {
        try {
            return sent.get(seconds, TimeUnit.SECONDS);
        } catch (java.util.concurrent.TimeoutException e) {
            throw new org.apache.kafka.common.errors.TimeoutException("no acknowledgement from Kafka within "
                    + seconds + " s", e);
        }
    }

    @Override
    protected void doStart() throws Exception {
        Properties producerProps = clients.producer();
        producerProps.put(ProducerConfig.KEY_SERIALIZER_CLASS_CONFIG, StringSerializer.class.getName());
        producerProps.put(ProducerConfig.VALUE_SERIALIZER_CLASS_CONFIG, ByteArraySerializer.class.getName());
        producerProps.put(ProducerConfig.ACKS_CONFIG, "all");
        producerProps.put(ProducerConfig.ENABLE_IDEMPOTENCE_CONFIG, "true");
        producer = new KafkaProducer<>(producerProps);
        Properties props = clients.client();
        props.put(ConsumerConfig.KEY_DESERIALIZER_CLASS_CONFIG, StringDeserializer.class.getName());
        props.put(ConsumerConfig.VALUE_DESERIALIZER_CLASS_CONFIG, ByteArrayDeserializer.class.getName());
        props.put(ConsumerConfig.ENABLE_AUTO_COMMIT_CONFIG, "false");
        consumer = new KafkaConsumer<>(props);
        List<TopicPartition> partitions = consumer.partitionsFor(topic, Duration.ofSeconds(30)).stream()
                .map(p -> new TopicPartition(topic, p.partition())).toList();
        if (partitions.isEmpty()) {
            consumer.close();
            throw new IllegalStateException("the topic " + topic + " has no partitions: create it (README, Operations)");
        }
        consumer.assign(partitions);
        consumer.seekToBeginning(partitions);
        follower = new TopicFollower<>(consumer, topic, this::remember);
        follower.readTo(partitions, consumer.endOffsets(partitions), Duration.ofSeconds(120), "the task states");
        LOG.info("{} task states read from {}", states.size(), topic);
        follower.follow("task-states-" + topic);
    }

    private void remember(Iterable<ConsumerRecord<String, byte[]>> records) {
        for (ConsumerRecord<String, byte[]> record : records) {
            if (record.key() == null) {
                continue;
            }
            if (record.value() == null) {
                states.remove(record.key());
                continue;
            }
            try {
                states.put(record.key(), JSON.readValue(record.value(), TaskState.class));
            } catch (java.io.IOException e) {
                // a record of the old idempotent repository (its value is the id) or of a newer version: no state
                states.remove(record.key());
            }
        }
    }

    @Override
    protected void doStop() throws Exception {
        if (follower != null) {
            follower.stop();
        }
        if (producer != null) {
            producer.close(Duration.ofSeconds(5));
        }
    }
}
