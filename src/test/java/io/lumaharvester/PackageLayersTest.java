package io.lumaharvester;

import static org.assertj.core.api.Assertions.assertThat;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.TreeSet;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import java.util.stream.Stream;

import org.junit.jupiter.api.Test;

/**
 * The packages of src/main import only downward: the stages in their order (intake, poll, harvest, publish), then
 * what they share (provider, ops, task), then the Kafka plumbing (due, kafka). The root package wires them all;
 * callbacks enter above intake. A reference is an import or a fully qualified name in code (comments aside).
 */
class PackageLayersTest {

    /** Top to bottom; a package may use those after it. "" is io.lumaharvester itself. */
    static final List<String> LAYERS = List.of("", "callback", "intake", "poll", "harvest", "publish", "provider",
            "ops", "task", "due", "kafka");

    private static final Path MAIN = Path.of("src/main/java/io/lumaharvester");
    private static final Path TEST = Path.of("src/test/java/io/lumaharvester");
    private static final Pattern PACKAGE = Pattern.compile("^package io\\.lumaharvester(?:\\.(\\w+))?;", Pattern.MULTILINE);
    private static final Pattern REFERENCE = Pattern.compile("\\bio\\.lumaharvester\\.(?:(\\w+)\\.)?[A-Z]\\w*");
    private static final Pattern COMMENT = Pattern.compile("/\\*.*?\\*/|//[^\\n]*", Pattern.DOTALL);

    @Test
    void everyPackageUsesOnlyThePackagesBelowItInTheStageOrder() throws IOException {
        List<String> upward = new ArrayList<>();
        TreeSet<String> packages = new TreeSet<>();
        try (Stream<Path> files = Files.walk(MAIN)) {
            for (Path file : files.filter(f -> f.toString().endsWith(".java")).toList()) {
                String source = Files.readString(file);
                packages.add(packageOf(source));
                upward.addAll(upwardReferences(MAIN.relativize(file).toString(), source));
            }
        }
        assertThat(LAYERS).as("every package of src/main has its layer").containsAll(packages);
        assertThat(upward).as("references against the layer order " + LAYERS).isEmpty();
    }

    /**
     * src/test mirrors src/main: a stage's tests sit in its package; the root holds the tests of the whole harvester
     * (as the root of src/main wires it) and no helper; test-only packages are the kit the tests share (dev: Kafka,
     * S3 and provider stand-ins, the harvester in this JVM or a child process) and the benchmarks' own code (bench).
     */
    @Test
    void theTestSourcesMirrorTheMainPackagesWithTheirHelpersInTheTestKit() throws IOException {
        TreeSet<String> testPackages = new TreeSet<>();
        List<String> rootHelpers = new ArrayList<>();
        try (Stream<Path> files = Files.walk(TEST)) {
            for (Path file : files.filter(f -> f.toString().endsWith(".java")).toList()) {
                String pkg = packageOf(Files.readString(file));
                testPackages.add(pkg);
                String name = file.getFileName().toString().replace(".java", "");
                if (pkg.isEmpty() && !name.endsWith("Test") && !name.endsWith("IT")) {
                    rootHelpers.add(name);
                }
            }
        }
        TreeSet<String> allowed = new TreeSet<>(LAYERS);
        allowed.addAll(List.of("dev", "bench"));
        assertThat(allowed).as("every package of src/test is a package of src/main, dev or bench")
                .containsAll(testPackages);
        assertThat(rootHelpers).as("classes in src/test's root that are not tests (they belong in dev)").isEmpty();
    }

    @Test
    void aReferenceUpwardIsFoundInAnImportOrInCodeButNotInAComment() {
        String source = """
                package io.lumaharvester.task;

                import io.lumaharvester.harvest.MediaCopy;
                import io.lumaharvester.due.DueEndpoint;

                /** See {@link io.lumaharvester.poll.GenerationReader}. */
                class X {
                    // io.lumaharvester.intake.TaskIntake in a comment is no reference
                    Object y = io.lumaharvester.publish.GenerationEvents.class;
                }
                """;

        assertThat(upwardReferences("task/X.java", source)).containsExactly(
                "task/X.java: task uses harvest (io.lumaharvester.harvest.MediaCopy)",
                "task/X.java: task uses publish (io.lumaharvester.publish.GenerationEvents)");
    }

    static List<String> upwardReferences(String name, String source) {
        String own = packageOf(source);
        int layer = LAYERS.indexOf(own);
        List<String> upward = new ArrayList<>();
        Matcher reference = REFERENCE.matcher(COMMENT.matcher(source).replaceAll(" "));
        while (reference.find()) {
            String used = reference.group(1) == null ? "" : reference.group(1);
            if (!used.equals(own) && LAYERS.indexOf(used) <= layer) {
                upward.add(name + ": " + (own.isEmpty() ? "io.lumaharvester" : own) + " uses "
                        + (used.isEmpty() ? "io.lumaharvester" : used) + " (" + reference.group() + ")");
            }
        }
        return upward;
    }

    private static String packageOf(String source) {
        Matcher m = PACKAGE.matcher(source);
        return m.find() ? (m.group(1) == null ? "" : m.group(1)) : "?";
    }
}
