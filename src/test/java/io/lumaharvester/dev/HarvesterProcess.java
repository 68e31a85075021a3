package io.lumaharvester.dev;

import java.io.File;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.Properties;
import java.util.concurrent.TimeUnit;

/**
 * The packaged harvester ({@code java -jar}) as a child process, configured only through environment variables
 * named after its settings, its output in a log file. Tests can stop it, or kill it outright.
 */
public final class HarvesterProcess implements AutoCloseable {

    private final Process process;
    private final Path log;

    private HarvesterProcess(Process process, Path log) {
        this.process = process;
        this.log = log;
    }

    /** {@code luma.api.base-url} becomes {@code LUMA_API_BASE_URL}, as Camel looks it up. */
    public static String envName(String property) {
        return property.toUpperCase(Locale.ROOT).replace('.', '_').replace('-', '_');
    }

    public static HarvesterProcess start(Path jar, List<String> jvmOptions, Map<String, String> settings,
            Map<String, String> extraEnv, Path log) throws IOException {
        return start(List.of(), jar, jvmOptions, settings, extraEnv, log);
    }

    /**
     * As above, the java command run by {@code launcher}, which must exec it (so that the process is the JVM): for
     * example {@code unshare --mount ... sh -c 'mount ... && exec "$@"' ...}, a file system of the harvester's own.
     */
    public static HarvesterProcess start(List<String> launcher, Path jar, List<String> jvmOptions,
            Map<String, String> settings, Map<String, String> extraEnv, Path log) throws IOException {
        List<String> command = new ArrayList<>(launcher);
        command.add(javaCommand());
        command.addAll(jvmOptions);
        command.add("-jar");
        command.add(jar.toString());
        ProcessBuilder builder = new ProcessBuilder(command)
                .redirectErrorStream(true)
                .redirectOutput(ProcessBuilder.Redirect.appendTo(log.toFile()));
        Map<String, String> env = builder.environment();
        env.keySet().removeIf(k -> k.startsWith("LUMA_") || k.startsWith("S3_") || k.startsWith("KAFKA_")
                || k.startsWith("AWS_"));
        settings.forEach((k, v) -> env.put(envName(k), v));
        env.putAll(extraEnv);
        return new HarvesterProcess(builder.start(), log);
    }

    /**
     * The test's own JDK, or {@code -Dharvester.java.home=...}: the harvester on another runtime than the tests' (to
     * measure it there: Camel's virtual threads on Java 21 and later, say).
     */
    private static String javaCommand() {
        return Path.of(System.getProperty("harvester.java.home", System.getProperty("java.home")), "bin", "java")
                .toString();
    }

    /** The harvester's runtime version: the test's own, or JAVA_VERSION in the other JDK's {@code release} file. */
    public static String javaVersion() {
        String otherJdk = System.getProperty("harvester.java.home");
        if (otherJdk == null) {
            return System.getProperty("java.version");
        }
        Properties release = new Properties();
        try (var in = Files.newBufferedReader(Path.of(otherJdk, "release"))) {
            release.load(in);
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
        return release.getProperty("JAVA_VERSION", "unknown").replace("\"", "");
    }

    /** The runnable jar {@code mvn package} built (classifier runner). */
    public static Path packagedJar() {
        File[] jars = new File("target").listFiles((dir, name) -> name.startsWith("luma-harvester-")
                && name.endsWith("-runner.jar"));
        if (jars == null || jars.length != 1) {
            throw new IllegalStateException("run mvn package first: no single target/luma-harvester-*-runner.jar");
        }
        return jars[0].toPath();
    }

    public Process process() {
        return process;
    }

    public String output() throws IOException {
        return Files.readString(log);
    }

    public boolean waitFor(long seconds) throws InterruptedException {
        return process.waitFor(seconds, TimeUnit.SECONDS);
    }

    /** kill -9. */
    public void kill() throws InterruptedException {
        process.destroyForcibly();
        process.waitFor(30, TimeUnit.SECONDS);
    }

    @Override
    public void close() throws InterruptedException {
        process.destroy();
        if (!process.waitFor(30, TimeUnit.SECONDS)) {
            kill();
        }
    }
}
