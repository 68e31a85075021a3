package io.lumaharvester;

import static org.assertj.core.api.Assertions.assertThat;

import java.io.IOException;
import java.io.Reader;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.Properties;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import java.util.stream.Stream;

import org.junit.jupiter.api.Test;

/**
 * docs/configuration.md lists every setting of application.properties and camel-main.properties with its default,
 * and no setting that is gone; the README's short Configuration table agrees with it.
 *
 * <p>A settings row is {@code | `setting` | default | meaning |}. Its default is the first {@code `code`} in the
 * default cell; a cell that starts with "empty" is the empty value; one that starts with "none" is a setting with no
 * line in either file (a secret, or a setting read elsewhere), which must still be named in the files' comments,
 * routes/ or src/main.
 */
class ConfigurationReferenceTest {

    private static final Path REFERENCE = Path.of("docs", "configuration.md");
    private static final List<Path> PROPERTY_FILES = List.of(Path.of("application.properties"),
            Path.of("camel-main.properties"));
    private static final Pattern ROW = Pattern.compile("\\| `([a-z0-9][a-z0-9.*-]*)` \\| ([^|]*) \\| [^|]+ \\|");
    private static final Pattern CODE = Pattern.compile("`([^`]*)`");

    @Test
    void everySettingOfThePropertyFilesIsInTheReferenceWithItsDefault() throws IOException {
        Map<String, Optional<String>> documented = rows(Files.readString(REFERENCE));
        List<String> wrong = new ArrayList<>();
        settings().forEach((setting, value) -> {
            if (!documented.containsKey(setting)) {
                wrong.add(setting + " is missing");
            } else if (!documented.get(setting).equals(Optional.of(value))) {
                wrong.add(setting + ": default " + documented.get(setting).map(d -> "'" + d + "'").orElse("none")
                        + ", the properties say '" + value + "'");
            }
        });
        assertThat(wrong).as("settings of the property files against " + REFERENCE).isEmpty();
    }

    @Test
    void theReferenceListsNoSettingThatIsGone() throws IOException {
        Map<String, String> settings = settings();
        String sources = sources();
        List<String> gone = new ArrayList<>();
        rows(Files.readString(REFERENCE)).forEach((setting, value) -> {
            if (settings.containsKey(setting)) {
                return;
            }
            if (value.isPresent()) {
                gone.add(setting + " has a default here but no line in the property files");
            } else if (!sources.contains(setting.replace("*", ""))) {
                gone.add(setting + " is named nowhere in the property files, routes/ or src/main");
            }
        });
        assertThat(gone).as(REFERENCE + " rows that are not settings").isEmpty();
    }

    @Test
    void theReadmesShortConfigurationTableAgreesWithTheReference() throws IOException {
        String readme = Files.readString(Path.of("README.md"));
        Matcher section = Pattern.compile("\n## Configuration\n(.*?)(\n## |$)", Pattern.DOTALL).matcher(readme);
        assertThat(section.find()).as("README has a Configuration section").isTrue();
        Map<String, Optional<String>> overview = rows(section.group(1));
        assertThat(overview).as("settings in the README's Configuration table").hasSizeGreaterThanOrEqualTo(8);
        Map<String, Optional<String>> documented = rows(Files.readString(REFERENCE));
        List<String> wrong = new ArrayList<>();
        overview.forEach((setting, value) -> {
            if (!value.equals(documented.get(setting))) {
                wrong.add(setting + ": README " + value.orElse("none") + ", " + REFERENCE + " "
                        + Optional.ofNullable(documented.get(setting)).map(d -> d.orElse("none")).orElse("missing"));
            }
        });
        assertThat(wrong).as("README Configuration rows against " + REFERENCE).isEmpty();
    }

    @Test
    void aDefaultCellReadsAsItsFirstCodeEmptyOrNone() {
        assertThat(rows("| `a.b` | `0` (no limit) | x |\n| `a.c` | empty (AWS) | x |\n| `a.*` | none | x |"))
                .containsExactly(Map.entry("a.b", Optional.of("0")), Map.entry("a.c", Optional.of("")),
                        Map.entry("a.*", Optional.empty()));
    }

    /** Both property files' settings and defaults; no setting is in both. */
    /**
     * No property that no file holds: every {@code {{setting}}} and {@code ${properties:setting}} of routes/ (a route
     * template's own parameters aside) and every {@code @PropertyInject} of src/main names a setting of the property
     * files, so that each has its documented default and none is read only from a value a Java class makes up. A
     * secret (s3.secret-key) is in no file: the reference lists it with the default "none".
     */
    @Test
    @SuppressWarnings("unchecked")
    void everySettingTheRoutesAndBeansReadIsInAPropertyFile() throws IOException {
        Map<String, String> settings = new LinkedHashMap<>(settings());
        rows(Files.readString(REFERENCE)).forEach((setting, value) -> {
            if (value.isEmpty()) {
                settings.putIfAbsent(setting, "");
            }
        });
        Pattern placeholder = Pattern.compile("\\{\\{([^}:]+)(?::[^}]*)?}}|\\$\\{properties:([^}:]+)");
        List<String> unheld = new ArrayList<>();
        try (Stream<Path> files = Files.list(Path.of("routes"))) {
            for (Path file : files.filter(f -> f.toString().endsWith(".camel.yaml")).sorted().toList()) {
                String text = Files.readString(file);
                List<String> templateParameters = new ArrayList<>();
                for (Object item : (List<Object>) new org.snakeyaml.engine.v2.api.Load(
                        org.snakeyaml.engine.v2.api.LoadSettings.builder().build()).loadFromString(text)) {
                    Object template = ((Map<String, Object>) item).get("routeTemplate");
                    if (template != null) {
                        for (Object parameter : (List<Object>) ((Map<String, Object>) template).get("parameters")) {
                            templateParameters.add((String) ((Map<String, Object>) parameter).get("name"));
                        }
                    }
                }
                Matcher m = placeholder.matcher(text);
                while (m.find()) {
                    String name = (m.group(1) != null ? m.group(1) : m.group(2)).strip();
                    if (!settings.containsKey(name) && !templateParameters.contains(name)) {
                        unheld.add(file.getFileName() + ": " + name);
                    }
                }
            }
        }
        Pattern injected = Pattern.compile("@PropertyInject\\(\"([^\":]+)");
        try (Stream<Path> files = Files.walk(Path.of("src/main/java"))) {
            for (Path file : files.filter(f -> f.toString().endsWith(".java")).sorted().toList()) {
                Matcher m = injected.matcher(Files.readString(file));
                while (m.find()) {
                    if (!settings.containsKey(m.group(1))) {
                        unheld.add(file.getFileName() + ": " + m.group(1));
                    }
                }
            }
        }
        assertThat(unheld).as("settings read but held by no property file").isEmpty();
    }

    private static Map<String, String> settings() throws IOException {
        Map<String, String> settings = new LinkedHashMap<>();
        for (Path file : PROPERTY_FILES) {
            Properties properties = new Properties();
            try (Reader in = Files.newBufferedReader(file)) {
                properties.load(in);
            }
            for (String name : properties.stringPropertyNames()) {
                assertThat(settings.put(name, properties.getProperty(name))).as(name + " is in one file only").isNull();
            }
        }
        return settings;
    }

    /** The settings rows of a Markdown text, each with its default (empty: the setting has none). */
    static Map<String, Optional<String>> rows(String markdown) {
        Map<String, Optional<String>> rows = new LinkedHashMap<>();
        for (String line : markdown.split("\n")) {
            if (!line.startsWith("| `")) {
                continue;
            }
            Matcher row = ROW.matcher(line);
            assertThat(row.lookingAt()).as("a settings row is | `setting` | default | meaning |: " + line).isTrue();
            assertThat(rows.put(row.group(1), defaultOf(row.group(2).strip()))).as(row.group(1) + " listed once")
                    .isNull();
        }
        return rows;
    }

    private static Optional<String> defaultOf(String cell) {
        // "empty (what that means)": the setting's value is empty, whatever code the explanation quotes
        if (cell.startsWith("empty")) {
            return Optional.of("");
        }
        Matcher code = CODE.matcher(cell);
        if (code.find()) {
            return Optional.of(code.group(1));
        }
        assertThat(cell).as("a default cell without code starts with 'empty' or 'none'").startsWith("none");
        return Optional.empty();
    }

    /** The text that names settings: the property files (comments included), routes/ and src/main. */
    private static String sources() throws IOException {
        StringBuilder text = new StringBuilder();
        for (Path file : PROPERTY_FILES) {
            text.append(Files.readString(file));
        }
        for (Path dir : List.of(Path.of("routes"), Path.of("src", "main"))) {
            try (Stream<Path> files = Files.walk(dir)) {
                for (Path file : files.filter(Files::isRegularFile).toList()) {
                    text.append(Files.readString(file));
                }
            }
        }
        return text.toString();
    }
}
