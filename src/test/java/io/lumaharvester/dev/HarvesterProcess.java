package io.lumaharvester.dev;

import java.io.File;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
import java.nio.file.attribute.FileTime;
import java.util.ArrayList;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.Properties;
import java.util.concurrent.TimeUnit;

/**
 * The packaged harvester ({@code java -jar}) as a child process, configured only through environment variables
 * named after its settings, its output in a log file. Tests can stop it, or kill it outright.
 * <p>
 * The ITs start a harvester some 25 times, and on 2 cores each start is mostly class loading and JIT compiling.
 * Two JVM options shorten it: the classes come from a class-data-sharing archive of this jar (AppCDS), which the first
 * harvester that starts and stops normally records ({@code -XX:ArchiveClassesAtExit}, Java 17 has no auto-created
 * archive); and only the client compiler runs ({@code -XX:TieredStopAtLevel=1}) unless the test sets the compilers
 * itself, as a benchmark measuring CPU or throughput does ({@code -XX:TieredStopAtLevel=4}).
 */
public final class HarvesterProcess implements AutoCloseable {

    /** A harvester that got this far loaded the classes of a whole start: its archive is worth sharing. */
    private static final String STARTED = "(luma-harvester) started in";
    /** The archive being recorded, by at most one harvester at a time; null when none is. */
    private static Path recording;
    /** The archive that recording becomes. */
    private static Path recordingArchive;

    private final Process process;
    private final Path log;
    /** Where this process writes its class archive at exit, or null when it records none. */
    private final Path records;

    private HarvesterProcess(Process process, Path log, Path records) {
        this.process = process;
        this.log = log;
        this.records = records;
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
        return start(launcher, jar, jvmOptions, settings, extraEnv, log, true);
    }

    /**
     * As {@link #start(Path, List, Map, Map, Path)}, for a jar that a build starts once (the Camel Quarkus
     * application, built again by every {@code mvn verify}): it maps the jar's class archive when there is one, and
     * records none, since writing it at exit takes seconds (7 s on 2 cores) that no later start of the build wins back.
     */
    public static HarvesterProcess startOnce(Path jar, List<String> jvmOptions, Map<String, String> settings,
            Map<String, String> extraEnv, Path log) throws IOException {
        return start(List.of(), jar, jvmOptions, settings, extraEnv, log, false);
    }

    private static HarvesterProcess start(List<String> launcher, Path jar, List<String> jvmOptions,
            Map<String, String> settings, Map<String, String> extraEnv, Path log, boolean record) throws IOException {
        List<String> command = new ArrayList<>(launcher);
        command.add(javaCommand());
        Path records = null;
        if (System.getProperty("harvester.java.home") == null) {
            Path archive = classArchive(jar);
            // a missing or stale archive is not an error: the JVM then loads the classes from the jar, and says
            // nothing (a test reads every line the harvester writes)
            command.add("-Xlog:cds=off,cds+dynamic=off");
            if (Files.exists(archive)) {
                command.add("-XX:SharedArchiveFile=" + archive);
            } else if (record) {
                records = startRecording(archive);
                if (records != null) {
                    command.add("-XX:ArchiveClassesAtExit=" + records);
                }
            }
        }
        if (jvmOptions.stream().noneMatch(o -> o.startsWith("-XX:TieredStopAtLevel")
                || o.contains("TieredCompilation"))) {
            command.add("-XX:TieredStopAtLevel=1");
        }
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
        try {
            return new HarvesterProcess(builder.start(), log, records);
        } catch (IOException e) {
            endRecording(records, false);
            throw e;
        }
    }

    /** The archive of this build of the jar: a jar built again (another size or time) gets one of its own. */
    private static Path classArchive(Path jar) throws IOException {
        FileTime built = Files.getLastModifiedTime(jar);
        return Path.of("target", "cds").toAbsolutePath()
                .resolve(jar.getFileName() + "-" + Files.size(jar) + "-" + built.toMillis() + ".jsa");
    }

    /**
     * The file this start records the archive into, or null when another harvester of this JVM is recording it. Test
     * JVMs side by side (pom.xml, its-side-by-side) may each record one, each into a file named after its own process;
     * the last to finish moves its file into place.
     */
    private static synchronized Path startRecording(Path archive) throws IOException {
        if (recording != null) {
            return null;
        }
        Files.createDirectories(archive.getParent());
        // archives of this jar built before: no JVM maps them again, and each is some 90 MB (another jar's archive,
        // the Camel Quarkus application's, stays)
        String jar = archive.getFileName().toString().replaceFirst("-\\d+-\\d+\\.jsa$", "");
        try (var old = Files.newDirectoryStream(archive.getParent(), jar + "-*.jsa")) {
            for (Path stale : old) {
                if (!stale.equals(archive)) {
                    Files.deleteIfExists(stale);
                }
            }
        }
        // recordings of test JVMs that died before they could move theirs into place (named after their pid)
        try (var left = Files.newDirectoryStream(archive.getParent(), jar + "-*.jsa.*.recording")) {
            for (Path orphan : left) {
                String[] parts = orphan.getFileName().toString().split("\\.");
                long pid = Long.parseLong(parts[parts.length - 2]);
                if (ProcessHandle.of(pid).isEmpty()) {
                    Files.deleteIfExists(orphan);
                }
            }
        }
        recording = archive.resolveSibling(archive.getFileName() + "." + ProcessHandle.current().pid()
                + ".recording");
        recordingArchive = archive;
        Files.deleteIfExists(recording);
        return recording;
    }

    /** Keeps the recorded archive if the harvester started and stopped normally; otherwise the next start records. */
    private static synchronized void endRecording(Path records, boolean keep) {
        if (records == null || !records.equals(recording)) {
            return;
        }
        try {
            if (keep && Files.exists(records)) {
                Files.move(records, recordingArchive, StandardCopyOption.ATOMIC_MOVE,
                        StandardCopyOption.REPLACE_EXISTING);
            } else {
                Files.deleteIfExists(records);
            }
        } catch (IOException e) {
            // no archive: the next start records one
        } finally {
            recording = null;
            recordingArchive = null;
        }
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
        endRecording(records, false);
    }

    @Override
    public void close() throws InterruptedException {
        process.destroy();
        // writing the class archive at exit takes seconds, on a loaded machine a minute
        if (!process.waitFor(records == null ? 30 : 180, TimeUnit.SECONDS)) {
            kill();
        }
        endRecording(records, startedFully());
    }

    /** Read line by line up to the start's line, which comes early: a long run's log is larger than the test's heap. */
    private boolean startedFully() {
        try (var lines = Files.lines(log)) {
            return lines.anyMatch(line -> line.contains(STARTED));
        } catch (IOException | UncheckedIOException e) {
            return false;
        }
    }
}
