package io.lumaharvester;

import static org.assertj.core.api.Assertions.assertThat;

import java.io.IOException;
import java.io.Reader;
import java.lang.reflect.Field;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.Properties;
import java.util.Set;
import java.util.TreeSet;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import java.util.stream.Stream;

import io.lumaharvester.due.DueEndpoint;
import org.apache.camel.spi.UriParam;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.CsvSource;
import org.snakeyaml.engine.v2.api.Load;
import org.snakeyaml.engine.v2.api.LoadSettings;

/**
 * The "Words" section of docs/how-it-works.md names every word of every route id and every metric the harvester
 * registers (the routes' {@code micrometer:} meters and the beans' own), and every name of back-pressure under its
 * word.
 */
class GlossaryTest {

    private static final Path ROUTES = Path.of("routes");
    private static final Path MAIN = Path.of("src/main/java");

    @Test
    void theGlossaryHasEveryRouteIdsWords() throws IOException {
        Set<String> terms = terms();
        Set<String> words = new TreeSet<>();
        for (String id : routeIds()) {
            words.addAll(List.of(id.split("-")));
        }
        assertThat(words).hasSizeGreaterThan(10);
        // a plural is its singular's word (route callbacks: callback)
        assertThat(words).allSatisfy(word -> assertThat(terms).as("glossary terms")
                .containsAnyOf(word, word.replaceAll("s$", "")));
    }

    @Test
    void theGlossaryHasEveryMetricTheHarvesterRegisters() throws IOException {
        String words = wordsSection();
        Set<String> meters = meterNames();
        assertThat(meters).contains("luma.tasks.in.flight", "luma.media.stored", "luma.due.wakes");
        assertThat(meters).allSatisfy(meter -> assertThat(words).contains("`" + meter + "`"));
    }

    /**
     * Back-pressure has four words, one per concept: each entry names every {@code due:} parameter, setting, bean and
     * metric whose name carries its word, so that a new name either reuses a word (and is listed) or shows up here.
     */
    @ParameterizedTest
    @CsvSource({"gate, gate", "in flight, in[-.]?flight", "held, held", "admission, admi(t|ssion)"})
    void eachBackPressureWordNamesEveryNameThatCarriesIt(String term, String word) throws IOException {
        String entry = entry(term);
        Pattern carries = Pattern.compile(word, Pattern.CASE_INSENSITIVE);
        Set<String> carrying = new TreeSet<>(names());
        carrying.removeIf(name -> !carries.matcher(name).find());
        assertThat(carrying).as("names carrying %s", term).isNotEmpty();
        assertThat(carrying).allSatisfy(name -> assertThat(entry).as("the entry for %s", term)
                .contains("`" + name + "`"));
    }

    /** A bean a route names ({@code "#name"}, {@code ref: name}) is in the Beans table or the Words section. */
    @Test
    void everyBeanARouteNamesIsInTheBeansTableOrTheWords() throws IOException {
        String documented = section("Beans") + wordsSection();
        Set<String> named = new TreeSet<>();
        Pattern reference = Pattern.compile("\"#(\\w+)\"|\\bref: (\\w+)");
        try (Stream<Path> files = Files.list(ROUTES)) {
            for (Path file : files.filter(f -> f.toString().endsWith(".camel.yaml")).toList()) {
                Matcher m = reference.matcher(Files.readString(file));
                while (m.find()) {
                    named.add(m.group(1) != null ? m.group(1) : m.group(2));
                }
            }
        }
        assertThat(named).contains("apiGate", "harvestGate", "taskAdmission", "mediaCopy");
        assertThat(named).allSatisfy(bean -> assertThat(documented).as("the Beans table and the Words")
                .contains("`" + bean + "`"));
    }

    /** Words no name of back-pressure uses, and the word that says the same. */
    @Test
    void noNameSaysBudgetOrConcurrent() throws IOException {
        Map<String, String> retired = Map.of("budget", "gate", "concurrent", "in flight");
        Set<String> names = new TreeSet<>(names());
        names.addAll(routeIds());
        try (Stream<Path> files = Files.walk(MAIN)) {
            files.filter(f -> f.toString().endsWith(".java"))
                    .forEach(f -> names.add(f.getFileName().toString().replace(".java", "")));
        }
        assertThat(names).hasSizeGreaterThan(100);
        retired.forEach((word, instead) -> assertThat(names).as("names; say %s, not %s", instead, word)
                .noneMatch(name -> name.toLowerCase(Locale.ROOT).contains(word)));
    }

    private static String wordsSection() throws IOException {
        return section("Words");
    }

    /** The section of docs/how-it-works.md under {@code ## heading}, up to the next such heading. */
    private static String section(String heading) throws IOException {
        String doc = Files.readString(Path.of("docs/how-it-works.md"));
        int start = doc.indexOf("\n## " + heading + "\n");
        assertThat(start).as("a %s section in docs/how-it-works.md", heading).isNotNegative();
        int end = doc.indexOf("\n## ", start + 1);
        return end < 0 ? doc.substring(start) : doc.substring(start, end);
    }

    /** The bold terms of the section's lines. */
    private static Set<String> terms() throws IOException {
        Set<String> terms = new TreeSet<>();
        Matcher term = Pattern.compile("\\*\\*([^*]+)\\*\\*").matcher(wordsSection());
        while (term.find()) {
            terms.add(term.group(1));
        }
        return terms;
    }

    @SuppressWarnings("unchecked")
    private static Set<String> routeIds() throws IOException {
        Set<String> ids = new TreeSet<>();
        try (Stream<Path> files = Files.list(ROUTES)) {
            for (Path file : files.filter(f -> f.toString().endsWith(".camel.yaml")).toList()) {
                for (Object item : (List<Object>) new Load(LoadSettings.builder().build())
                        .loadFromString(Files.readString(file))) {
                    Object route = ((Map<String, Object>) item).get("route");
                    if (route != null) {
                        ids.add((String) ((Map<String, Object>) route).get("id"));
                    }
                }
            }
        }
        return ids;
    }

    /**
     * The routes' {@code micrometer:counter:NAME} (and timer, summary) endpoints, and each {@code Counter}, {@code Gauge},
     * {@code Timer} or {@code DistributionSummary} builder and {@code MeterRegistry#counter} call in the main code, by
     * its literal name or a constant of its class.
     */
    private static Set<String> meterNames() throws IOException {
        Set<String> names = new TreeSet<>();
        Pattern endpoint = Pattern.compile("micrometer:(?:counter|timer|summary):([\\w.]+)");
        try (Stream<Path> files = Files.list(ROUTES)) {
            for (Path file : files.filter(f -> f.toString().endsWith(".camel.yaml")).toList()) {
                Matcher m = endpoint.matcher(Files.readString(file));
                while (m.find()) {
                    names.add(m.group(1));
                }
            }
        }
        Pattern builder = Pattern.compile(
                "(?:(?:Counter|Gauge|Timer|DistributionSummary|FunctionCounter)\\.builder|\\.counter)"
                        + "\\((?:\"([\\w.]+)\"|([A-Z_]+))");
        try (Stream<Path> files = Files.walk(MAIN)) {
            for (Path file : files.filter(f -> f.toString().endsWith(".java")).toList()) {
                String source = Files.readString(file);
                Matcher m = builder.matcher(source);
                while (m.find()) {
                    if (m.group(1) != null) {
                        names.add(m.group(1));
                    } else {
                        Matcher constant = Pattern.compile("String " + m.group(2) + " = \"([\\w.]+)\"").matcher(source);
                        assertThat(constant.find()).as("the constant %s in %s", m.group(2), file).isTrue();
                        names.add(constant.group(1));
                    }
                }
            }
        }
        return names;
    }

    /** The section's list item that starts with the bold term, up to the next item. */
    private static String entry(String term) throws IOException {
        String words = wordsSection();
        int start = words.indexOf("\n- **" + term + "**");
        assertThat(start).as("an entry for %s in the Words section", term).isNotNegative();
        int end = words.indexOf("\n- ", start + 1);
        return end < 0 ? words.substring(start) : words.substring(start, end);
    }

    /**
     * The names a user meets: the {@code due:} parameters, the settings in application.properties, the beans (Java
     * and YAML) and the metrics.
     */
    @SuppressWarnings("unchecked")
    private static Set<String> names() throws IOException {
        Set<String> names = new TreeSet<>(meterNames());
        for (Field field : DueEndpoint.class.getDeclaredFields()) {
            if (field.isAnnotationPresent(UriParam.class)) {
                names.add(field.getName());
            }
        }
        Properties settings = new Properties();
        try (Reader in = Files.newBufferedReader(Path.of("application.properties"))) {
            settings.load(in);
        }
        names.addAll(settings.stringPropertyNames());
        Pattern bound = Pattern.compile("@BindToRegistry\\((?:value = )?\"(\\w+)\"");
        try (Stream<Path> files = Files.walk(MAIN)) {
            for (Path file : files.filter(f -> f.toString().endsWith(".java")).toList()) {
                Matcher m = bound.matcher(Files.readString(file));
                while (m.find()) {
                    names.add(m.group(1));
                }
            }
        }
        try (Stream<Path> files = Files.list(ROUTES)) {
            for (Path file : files.filter(f -> f.toString().endsWith(".camel.yaml")).toList()) {
                for (Object item : (List<Object>) new Load(LoadSettings.builder().build())
                        .loadFromString(Files.readString(file))) {
                    Object beans = ((Map<String, Object>) item).get("beans");
                    if (beans != null) {
                        ((List<Map<String, Object>>) beans).forEach(bean -> names.add((String) bean.get("name")));
                    }
                }
            }
        }
        return names;
    }
}
