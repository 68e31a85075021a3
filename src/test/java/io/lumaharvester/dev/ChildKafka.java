package io.lumaharvester.dev;

import java.io.IOException;
import java.io.PrintStream;
import java.io.UncheckedIOException;
import java.net.ServerSocket;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Properties;
import java.util.concurrent.TimeUnit;
import java.util.stream.Collectors;

import org.apache.kafka.clients.admin.Admin;
import org.apache.kafka.clients.admin.AdminClientConfig;
import org.apache.kafka.common.Uuid;
import org.apache.kafka.metadata.storage.Formatter;

/**
 * A real Kafka broker (KRaft, one combined node) in a child JVM on fixed ports, so that a test can stop it and start
 * it again where clients expect it.
 */
public final class ChildKafka implements AutoCloseable {

    private final Path dir;
    private final Path config;
    private final Map<String, Integer> ports;
    private final List<String> jvmOptions;
    private Process process;

    private ChildKafka(Path dir, Path config, Map<String, Integer> ports, List<String> jvmOptions) {
        this.dir = dir;
        this.config = config;
        this.ports = ports;
        this.jvmOptions = jvmOptions;
    }

    public static ChildKafka start(Path dir) throws Exception {
        return start(dir, Map.of(), List.of(), List.of());
    }

    /**
     * A broker with more listeners ({@code name -> security protocol}, each on a port of its own), more broker
     * settings and JVM options. The PLAINTEXT listener stays: the broker talks to itself there, and so do the tests'
     * own clients.
     */
    public static ChildKafka start(Path dir, Map<String, String> listeners, List<String> settings,
            List<String> jvmOptions) throws Exception {
        Files.createDirectories(dir);
        Map<String, Integer> ports = new LinkedHashMap<>();
        ports.put("PLAINTEXT", freePort());
        listeners.keySet().forEach(name -> ports.put(name, freePort()));
        int controllerPort = freePort();
        String advertised = ports.entrySet().stream().map(e -> e.getKey() + "://127.0.0.1:" + e.getValue())
                .collect(Collectors.joining(","));
        String protocols = listeners.entrySet().stream().map(e -> "," + e.getKey() + ":" + e.getValue())
                .collect(Collectors.joining());
        Path config = dir.resolve("server.properties");
        List<String> lines = new ArrayList<>(List.of(
                "process.roles=broker,controller",
                "node.id=1",
                "controller.quorum.voters=1@127.0.0.1:" + controllerPort,
                "listeners=" + advertised + ",CONTROLLER://127.0.0.1:" + controllerPort,
                "advertised.listeners=" + advertised,
                "controller.listener.names=CONTROLLER",
                "inter.broker.listener.name=PLAINTEXT",
                "listener.security.protocol.map=PLAINTEXT:PLAINTEXT,CONTROLLER:PLAINTEXT" + protocols,
                "log.dirs=" + dir.resolve("data").toAbsolutePath(),
                "offsets.topic.replication.factor=1",
                "offsets.topic.num.partitions=4",
                "transaction.state.log.replication.factor=1",
                "transaction.state.log.min.isr=1",
                "group.initial.rebalance.delay.ms=0",
                "num.partitions=2"));
        lines.addAll(settings);
        Files.writeString(config, String.join("\n", lines) + "\n");
        ChildKafka kafka = new ChildKafka(dir, config, ports, List.copyOf(jvmOptions));
        // what kafka-storage.sh format does, in this JVM: one JVM start less
        String data = dir.resolve("data").toAbsolutePath().toString();
        try (PrintStream log = new PrintStream(Files.newOutputStream(dir.resolve("broker.log")), true,
                StandardCharsets.UTF_8)) {
            new Formatter().setPrintStream(log).setNodeId(1).setClusterId(Uuid.randomUuid().toString())
                    .addDirectory(data).setMetadataLogDirectory(data).setControllerListenerName("CONTROLLER").run();
        }
        kafka.restart();
        return kafka;
    }

    /** The PLAINTEXT listener. */
    public String bootstrapServers() {
        return bootstrapServers("PLAINTEXT");
    }

    public String bootstrapServers(String listener) {
        return "127.0.0.1:" + ports.get(listener);
    }

    /** Stops the broker (SIGTERM, as an orchestrator would) and waits for it to exit. */
    public void stop() throws InterruptedException {
        process.destroy();
        if (!process.waitFor(60, TimeUnit.SECONDS)) {
            process.destroyForcibly().waitFor(30, TimeUnit.SECONDS);
        }
    }

    /** Starts the broker on its ports and data, and waits until it answers. */
    public void restart() throws Exception {
        process = java("kafka.Kafka", config.toString());
        Properties props = new Properties();
        props.put(AdminClientConfig.BOOTSTRAP_SERVERS_CONFIG, bootstrapServers());
        long deadline = System.nanoTime() + Duration.ofSeconds(60).toNanos();
        while (true) {
            try (Admin admin = Admin.create(props)) {
                admin.describeCluster().nodes().get(5, TimeUnit.SECONDS);
                return;
            } catch (Exception notYet) {
                if (System.nanoTime() > deadline || !process.isAlive()) {
                    // no one holds this broker to close it: a test whose start fails would leave it running
                    process.destroyForcibly();
                    throw new IllegalStateException("the Kafka broker did not start; see " + dir.resolve("broker.log"),
                            notYet);
                }
            }
        }
    }

    private Process java(String mainClass, String... args) throws IOException {
        // the client compiler only: a test broker's start is mostly JIT compiling, and its CPU is not measured
        List<String> command = new ArrayList<>(List.of(
                Path.of(System.getProperty("java.home"), "bin", "java").toString(), "-Xmx512m",
                "-XX:TieredStopAtLevel=1"));
        command.addAll(jvmOptions);
        command.addAll(List.of("-cp", System.getProperty("java.class.path"), mainClass));
        command.addAll(List.of(args));
        return new ProcessBuilder(command).redirectErrorStream(true)
                .redirectOutput(ProcessBuilder.Redirect.appendTo(dir.resolve("broker.log").toFile())).start();
    }

    private static int freePort() {
        try (ServerSocket socket = new ServerSocket(0)) {
            return socket.getLocalPort();
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
    }

    @Override
    public void close() throws InterruptedException {
        if (process != null && process.isAlive()) {
            stop();
        }
    }
}
