package io.lumaharvester;

import io.lumaharvester.task.TaskExchange;
import static org.assertj.core.api.Assertions.assertThat;

import java.io.IOException;
import java.io.InputStream;
import java.lang.reflect.Field;
import java.lang.reflect.Modifier;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.Map;
import java.util.Properties;
import java.util.Set;
import java.util.TreeSet;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import java.util.stream.Collectors;
import java.util.stream.Stream;

import org.junit.jupiter.api.Test;
import org.snakeyaml.engine.v2.api.Load;
import org.snakeyaml.engine.v2.api.LoadSettings;

/**
 * The contract between the routes and the beans, as docs/tweaking.md states it: every step has an id (a team can
 * insert after any of them), the exchange properties the routes use are the ones {@link TaskExchange} names, and
 * every step id the tweak guide names exists.
 */
class RouteContractTest {

    private static final Path ROUTES = Path.of("routes");
    private static final Path GUIDE = Path.of("docs/tweaking.md");

    /** Keys whose list items are steps (processors, choices' branches, catches). */
    private static final Set<String> STEP_LISTS = Set.of("steps", "when", "doCatch");

    @Test
    void everyStepOfEveryRouteHasAnId() throws IOException {
        List<String> missing = new ArrayList<>();
        for (Path file : routeFiles()) {
            walk(load(file), file.getFileName() + ":", missing, new ArrayList<>());
        }
        assertThat(missing).as("steps without an id").isEmpty();
    }

    /** The jar names each route file (camel-main.properties says why): a file added to routes/ is named there too. */
    @Test
    void theJarNamesEveryRouteFileAndNoOther() throws IOException {
        Properties settings = new Properties();
        try (InputStream in = Files.newInputStream(Path.of("camel-main.properties"))) {
            settings.load(in);
        }
        List<String> loaded = Arrays.stream(settings.getProperty("camel.main.routes-include-pattern").split(","))
                .map(String::strip).toList();
        assertThat(loaded).as("camel.main.routes-include-pattern against " + ROUTES).containsExactlyInAnyOrderElementsOf(
                routeFiles().stream().map(f -> "classpath:routes/" + f.getFileName()).toList());
    }

    @Test
    void theRoutesUseOnlyTheExchangePropertiesTaskExchangeNames() throws IOException {
        Set<String> named = Arrays.stream(TaskExchange.class.getDeclaredFields())
                .filter(f -> Modifier.isStatic(f.getModifiers()) && f.getType() == String.class)
                .map(RouteContractTest::value).collect(Collectors.toSet());
        Set<String> used = new TreeSet<>();
        Pattern reference = Pattern.compile("exchangeProperty\\.(\\w+)|setProperty:\\s+id: [\\w-]+\\s+name: (\\w+)");
        for (Path file : routeFiles()) {
            Matcher m = reference.matcher(Files.readString(file));
            while (m.find()) {
                used.add(m.group(1) != null ? m.group(1) : m.group(2));
            }
        }
        assertThat(used).isNotEmpty();
        assertThat(named).containsAll(used);
        String guide = Files.readString(GUIDE);
        assertThat(named).allSatisfy(name -> assertThat(guide).contains("`" + name + "`"));
    }

    @Test
    void everyStepIdTheTweakGuideNamesExists() throws IOException {
        Set<String> ids = new TreeSet<>();
        for (Path file : routeFiles()) {
            Matcher m = Pattern.compile("\\bid: \"?([\\w{}-]+)\"?").matcher(Files.readString(file));
            while (m.find()) {
                ids.add(m.group(1));
            }
        }
        // the rows of the guide's "after step id" table and its tweak markers
        Set<String> named = new TreeSet<>();
        for (String line : Files.readAllLines(GUIDE)) {
            Matcher row = Pattern.compile("^\\| (`[\\w-]+`(?:, `[\\w-]+`)*) \\|").matcher(line);
            if (row.find()) {
                Matcher id = Pattern.compile("`([\\w-]+)`").matcher(row.group(1));
                while (id.find()) {
                    named.add(id.group(1));
                }
            }
            Matcher tweak = Pattern.compile("<!-- tweak: \\S+ after (\\S+) -->").matcher(line);
            if (tweak.find()) {
                named.add(tweak.group(1));
            }
        }
        named.removeIf(name -> name.startsWith("luma"));
        assertThat(named).hasSizeGreaterThan(10);
        assertThat(ids).containsAll(named);
    }

    /**
     * Beans that are plain constructions from settings are declared in the route files, their settings as
     * placeholders, and not bound again in Java. A YAML bean refers only to YAML beans: camel-main builds them while it
     * reads the route files, before it binds the configuration classes' (whose methods may inject them).
     */
    @Test
    @SuppressWarnings("unchecked")
    void plainBeansAreDeclaredInTheRouteFilesWithTheirSettingsAsPlaceholders() throws Exception {
        Map<String, Map<String, Object>> beans = yamlBeans();
        assertThat(beans).containsKeys("mediaNaming", "deadLetters", "stepFields");
        Set<String> boundInJava = new TreeSet<>();
        for (Class<?> configuration : configurationClasses()) {
            boundInJava.addAll(boundBy(configuration));
        }
        assertThat(boundInJava).as("bound in Java too").doesNotContainAnyElementsOf(beans.keySet());
        for (Map.Entry<String, Map<String, Object>> bean : beans.entrySet()) {
            List<Object> values = new ArrayList<>();
            for (String key : List.of("constructors", "properties")) {
                Object given = bean.getValue().get(key);
                if (given != null) {
                    values.addAll(((Map<Object, Object>) given).values());
                }
            }
            assertThat(values).as("the arguments of bean %s", bean.getKey()).allSatisfy(value -> {
                String text = String.valueOf(value);
                assertThat(text).matches("\\{\\{[\\w.-]+}}|#bean:\\w+|#class:[\\w.$]+");
                if (text.startsWith("#bean:")) {
                    assertThat(beans).as("a YAML bean %s refers to", bean.getKey()).containsKey(text.substring(6));
                }
            });
        }
    }

    /**
     * The Java beans are bound by small configuration classes, each listed in camel.main.configuration-classes: the
     * settings check first, then each class after every class whose beans it injects (camel-main binds them in that
     * order; a bean injected before it is bound fails the start). A Java bean injects no YAML bean: Camel Quarkus
     * binds the configuration classes before it reads the route files. No bean is bound twice, and no class keeps a
     * setting in a field: a bean's settings are its method's parameters.
     */
    @Test
    void theJavaBeansAreBoundInTheListedOrderEachOnceWithoutSettingsInFields() throws Exception {
        List<Class<?>> listed = configurationClasses();
        Set<String> yaml = yamlBeans().keySet();
        Set<String> bound = new TreeSet<>();
        List<String> wrong = new ArrayList<>();
        if (listed.get(0) != SettingsCheck.class) {
            wrong.add(listed.get(0).getSimpleName() + " is first, not SettingsCheck");
        }
        for (Class<?> configuration : listed) {
            Set<String> own = boundBy(configuration);
            for (java.lang.reflect.Method method : configuration.getMethods()) {
                if (method.isAnnotationPresent(org.apache.camel.BindToRegistry.class)) {
                    for (java.lang.reflect.Parameter parameter : method.getParameters()) {
                        org.apache.camel.BeanInject inject = parameter.getAnnotation(org.apache.camel.BeanInject.class);
                        if (inject != null && yaml.contains(inject.value())) {
                            wrong.add(configuration.getSimpleName() + "." + method.getName() + " injects "
                                    + inject.value() + ", a YAML bean");
                        } else if (inject != null && !bound.contains(inject.value())
                                && !own.contains(inject.value())) {
                            wrong.add(configuration.getSimpleName() + "." + method.getName() + " injects "
                                    + inject.value() + ", bound by no class before it");
                        }
                    }
                }
            }
            for (String name : own) {
                if (!bound.add(name)) {
                    wrong.add(name + " is bound twice");
                }
            }
            for (Field field : configuration.getDeclaredFields()) {
                Class<?> type = field.getType();
                if (!Modifier.isStatic(field.getModifiers()) && (type.isPrimitive() || type == String.class
                        || type == java.time.Duration.class || Number.class.isAssignableFrom(type))) {
                    wrong.add(configuration.getSimpleName() + "." + field.getName() + " keeps a setting");
                }
            }
        }
        assertThat(wrong).isEmpty();
    }

    /** Every configuration class of src/main is listed, so none of its beans is missing at run time. */
    @Test
    void everyConfigurationClassIsListed() throws Exception {
        Set<String> declared = new TreeSet<>();
        try (Stream<Path> files = Files.walk(Path.of("src/main/java"))) {
            for (Path file : files.filter(f -> f.toString().endsWith(".java")).toList()) {
                if (Files.readString(file).contains("\n@Configuration\n")) {
                    declared.add(Path.of("src/main/java").relativize(file).toString().replace(".java", "")
                            .replace('/', '.'));
                }
            }
        }
        assertThat(configurationClasses().stream().map(Class::getName).toList())
                .containsExactlyInAnyOrderElementsOf(declared);
    }

    @SuppressWarnings("unchecked")
    private static Map<String, Map<String, Object>> yamlBeans() throws IOException {
        Map<String, Map<String, Object>> beans = new java.util.TreeMap<>();
        for (Path file : routeFiles()) {
            for (Object item : (List<Object>) load(file)) {
                Object declared = ((Map<String, Object>) item).get("beans");
                if (declared != null) {
                    for (Object bean : (List<Object>) declared) {
                        Map<String, Object> definition = (Map<String, Object>) bean;
                        beans.put((String) definition.get("name"), definition);
                    }
                }
            }
        }
        return beans;
    }

    /** camel.main.configuration-classes, in its order. */
    static List<Class<?>> configurationClasses() throws Exception {
        java.util.Properties properties = new java.util.Properties();
        try (java.io.Reader reader = Files.newBufferedReader(Path.of("application.properties"))) {
            properties.load(reader);
        }
        List<Class<?>> classes = new ArrayList<>();
        for (String name : properties.getProperty("camel.main.configuration-classes").split(",")) {
            classes.add(Class.forName(name.strip()));
        }
        return classes;
    }

    private static Set<String> boundBy(Class<?> configuration) {
        return Arrays.stream(configuration.getMethods())
                .filter(m -> m.isAnnotationPresent(org.apache.camel.BindToRegistry.class))
                .map(m -> m.getAnnotation(org.apache.camel.BindToRegistry.class).value().isEmpty() ? m.getName()
                        : m.getAnnotation(org.apache.camel.BindToRegistry.class).value())
                .collect(Collectors.toCollection(TreeSet::new));
    }

    /** Routes branch on a typed result's field, never on a Java class name. */
    @Test
    void noRouteBranchesOnAJavaClassName() throws IOException {
        Pattern typeTest = Pattern.compile("\\bis '[\\w.$]+'|instanceof");
        for (Path file : routeFiles()) {
            assertThat(Files.readAllLines(file)).as("lines of %s", file)
                    .noneMatch(line -> !line.strip().startsWith("#") && typeTest.matcher(line).find());
        }
    }

    /**
     * No Simple predicate uses {@code in}: it splits its list and builds a predicate for each item every time it is
     * evaluated (a poll's state-changed filter spent 1 % of a poll's CPU on it); a few {@code ==} say the same.
     */
    @Test
    void noRoutePredicateUsesSimplesInOperator() throws IOException {
        Pattern in = Pattern.compile("\\} (?:not )?in ['\"]");
        for (Path file : routeFiles()) {
            assertThat(Files.readAllLines(file)).as("lines of %s", file)
                    .noneMatch(line -> !line.strip().startsWith("#") && in.matcher(line).find());
        }
    }

    /**
     * The media URL is visible where it is fetched: the step before download-media sets CamelHttpUri (which
     * camel-http takes over the endpoint's URI) from the file's own URL.
     */
    @Test
    void theMediaUrlIsSetInTheRouteRightBeforeItsDownload() throws IOException {
        String route = Files.readString(ROUTES.resolve("harvest.camel.yaml"));
        Matcher setUrl = Pattern.compile("""
                - setHeader:
                \\s+id: media-url
                \\s+name: CamelHttpUri
                \\s+simple: "\\$\\{exchangeProperty.lumaMedia.sourceUrl}"
                (?:\\s*#[^\\n]*\\n)*\\s+- to:
                \\s+id: download-media
                """).matcher(route);
        assertThat(setUrl.find()).as("setHeader media-url right before download-media").isTrue();
    }

    /** A bean call takes at most two expression arguments: more is a typed input the bean reads itself. */
    @Test
    void noBeanCallBuildsItsInputFromThreeExpressions() throws IOException {
        Pattern call = Pattern.compile("method: \"\\w+\\((.*)\\)\"");
        for (Path file : routeFiles()) {
            Matcher m = call.matcher(Files.readString(file));
            while (m.find()) {
                assertThat(m.group(1).split("\\$\\{", -1).length - 1).as("%s: %s", file, m.group())
                        .isLessThanOrEqualTo(2);
            }
        }
    }

    @SuppressWarnings("unchecked")
    private static void walk(Object node, String where, List<String> missing, List<String> path) {
        if (node instanceof Map<?, ?> map) {
            for (Map.Entry<?, ?> entry : map.entrySet()) {
                String key = String.valueOf(entry.getKey());
                if (STEP_LISTS.contains(key) && entry.getValue() instanceof List<?> items) {
                    for (Object item : items) {
                        Map<String, Object> step = (Map<String, Object>) item;
                        // a step is {kind: {...}}; a branch or catch is the map itself
                        boolean single = step.size() == 1 && step.values().iterator().next() instanceof Map;
                        Map<String, Object> body = single && !key.equals("when") && !key.equals("doCatch")
                                ? (Map<String, Object>) step.values().iterator().next() : step;
                        String kind = single && !key.equals("when") && !key.equals("doCatch")
                                ? step.keySet().iterator().next() : key;
                        if (!body.containsKey("id")) {
                            missing.add(where + String.join("/", path) + "/" + kind);
                        }
                        List<String> deeper = new ArrayList<>(path);
                        deeper.add(kind + "(" + body.getOrDefault("id", "?") + ")");
                        walk(body, where, missing, deeper);
                    }
                } else if (key.equals("otherwise") && entry.getValue() instanceof Map<?, ?> otherwise) {
                    if (!otherwise.containsKey("id")) {
                        missing.add(where + String.join("/", path) + "/otherwise");
                    }
                    walk(otherwise, where, missing, path);
                } else if (key.equals("from") && entry.getValue() instanceof Map<?, ?> from) {
                    if (!from.containsKey("id")) {
                        missing.add(where + String.join("/", path) + "/from(" + from.get("uri") + ")");
                    }
                    walk(from, where, missing, path);
                } else {
                    walk(entry.getValue(), where, missing, path);
                }
            }
        } else if (node instanceof List<?> list) {
            for (Object item : list) {
                walk(item, where, missing, path);
            }
        }
    }

    private static Object load(Path file) throws IOException {
        return new Load(LoadSettings.builder().build()).loadFromString(Files.readString(file));
    }

    private static List<Path> routeFiles() throws IOException {
        try (Stream<Path> files = Files.list(ROUTES)) {
            return files.filter(f -> f.toString().endsWith(".camel.yaml")).sorted().toList();
        }
    }

    private static String value(Field field) {
        try {
            return (String) field.get(null);
        } catch (IllegalAccessException e) {
            throw new IllegalStateException(e);
        }
    }
}
