package io.lumaharvester;

import static org.assertj.core.api.Assertions.assertThat;

import java.io.IOException;
import java.io.InputStream;
import java.net.URL;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.stream.Stream;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.networknt.schema.JsonSchema;
import com.networknt.schema.JsonSchemaFactory;
import com.networknt.schema.SpecVersionDetector;
import com.networknt.schema.ValidationMessage;
import org.apache.camel.dsl.yaml.YamlRoutesBuilderLoader;
import org.junit.jupiter.api.Tag;
import org.junit.jupiter.api.io.TempDir;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.Arguments;
import org.junit.jupiter.params.provider.MethodSource;
import org.snakeyaml.engine.v2.api.Load;
import org.snakeyaml.engine.v2.api.LoadSettings;

/**
 * Every route file, and any flow the Camel K Integration embeds, is valid under the YAML DSL's JSON Schema of each
 * runtime the harvester claims: Camel 4.18 (the schema inside camel-yaml-dsl) and Camel Quarkus 3.27 (the schema
 * Kaoto, the visual route editor, opens routes with: npm {@code @kaoto/camel-catalog}, which the build fetches with npm
 * before the *IT tests, pom.xml {@code kaoto-camel-catalog}). A no-code edit that breaks a route fails here, before it
 * is deployed.
 */
// in the second IT group: two JVMs side by side, after the benchmarks (pom.xml, profile its-side-by-side)
@Tag("side-by-side")
class RouteSchemaIT {

    private static final ObjectMapper JSON = new ObjectMapper();
    private static final Path ROUTES = Path.of("routes");
    private static final Path INTEGRATION = Path.of("deploy/camel-k/luma-harvester.yaml");
    private static final Path KAOTO_PACKAGE = Path.of("target/kaoto-camel-catalog/package");
    private static final String KAOTO_VERSION = "0.10.4";
    private static final String QUARKUS_LINE = "3.27.";

    /** A runtime and the YAML DSL schema it reads routes with. */
    enum Runtime {
        CAMEL_4_18 {
            @Override
            JsonNode schemaDocument() throws IOException {
                URL schema = YamlRoutesBuilderLoader.class.getClassLoader().getResource("schema/camelYamlDsl.json");
                assertThat(schema).as("schema/camelYamlDsl.json on the test classpath (camel-yaml-dsl)").isNotNull();
                assertThat(schema.toString()).as("the schema of the camel-yaml-dsl the harvester runs with")
                        .contains("camel-yaml-dsl-4.18.");
                try (InputStream in = schema.openStream()) {
                    return JSON.readTree(in);
                }
            }
        },
        CAMEL_QUARKUS_3_27 {
            /** The package's index lists a catalogue per runtime and version; each names its own camelYamlDsl file. */
            @Override
            JsonNode schemaDocument() throws IOException {
                Path catalog = KAOTO_PACKAGE.resolve("dist/camel-catalog");
                assertThat(KAOTO_PACKAGE.resolve("package.json")).as("""
                        npm package @kaoto/camel-catalog@%s unpacked at %s: mvn verify fetches it with npm before the \
                        *IT tests (pom.xml, maven-antrun-plugin execution kaoto-camel-catalog)""", KAOTO_VERSION,
                        KAOTO_PACKAGE.toAbsolutePath()).exists();
                assertThat(JSON.readTree(KAOTO_PACKAGE.resolve("package.json").toFile()).path("version").asText())
                        .as("the @kaoto/camel-catalog version in %s", KAOTO_PACKAGE).isEqualTo(KAOTO_VERSION);
                JsonNode quarkus = null;
                for (JsonNode definition : JSON.readTree(catalog.resolve("index.json").toFile()).path("definitions")) {
                    if (definition.path("runtime").asText().equals("Quarkus")
                            && definition.path("version").asText().startsWith(QUARKUS_LINE)) {
                        quarkus = definition;
                    }
                }
                assertThat(quarkus).as("a Camel Quarkus %sx catalogue in %s", QUARKUS_LINE, catalog).isNotNull();
                Path index = catalog.resolve(quarkus.path("fileName").asText());
                String schemaFile = JSON.readTree(index.toFile()).at("/schemas/camelYamlDsl/file").asText();
                assertThat(schemaFile).as("the camelYamlDsl schema named by %s", index).isNotEmpty();
                return JSON.readTree(index.resolveSibling(schemaFile).toFile());
            }
        };

        abstract JsonNode schemaDocument() throws IOException;

        private JsonSchema schema;

        synchronized JsonSchema schema() throws IOException {
            if (schema == null) {
                JsonNode document = schemaDocument();
                schema = JsonSchemaFactory.getInstance(SpecVersionDetector.detect(document)).getSchema(document);
            }
            return schema;
        }

        List<String> violations(Path routeFile) throws IOException {
            return violations(yaml(Files.readString(routeFile)));
        }

        List<String> violations(JsonNode routes) throws IOException {
            Set<ValidationMessage> errors = schema().validate(routes);
            return errors.stream().map(ValidationMessage::getMessage).sorted().toList();
        }
    }

    private static JsonNode yaml(String text) {
        return JSON.valueToTree(new Load(LoadSettings.builder().build()).loadFromString(text));
    }

    static Stream<Arguments> routeFiles() throws IOException {
        List<Arguments> rows = new ArrayList<>();
        try (Stream<Path> files = Files.list(ROUTES)) {
            List<Path> routes = files.filter(f -> f.getFileName().toString().endsWith(".camel.yaml")).sorted().toList();
            assertThat(routes).as("route files in %s", ROUTES).isNotEmpty();
            for (Runtime runtime : Runtime.values()) {
                for (Path route : routes) {
                    rows.add(Arguments.of(runtime, route.getFileName().toString()));
                }
            }
        }
        return rows.stream();
    }

    @ParameterizedTest(name = "{1} under {0}")
    @MethodSource("routeFiles")
    void everyRouteFileIsValidUnderTheYamlDslSchemaOfEachRuntime(Runtime runtime, String file) throws IOException {
        assertThat(runtime.violations(ROUTES.resolve(file))).as("schema violations of routes/%s", file).isEmpty();
    }

    /**
     * The Integration takes its routes from a ConfigMap of routes/ (its sources); a flow written into its spec would be
     * a route file of its own.
     */
    @ParameterizedTest(name = "{0}")
    @MethodSource("runtimes")
    @SuppressWarnings("unchecked")
    void theFlowsTheCamelKIntegrationEmbedsAreValidToo(Runtime runtime) throws IOException {
        Map<String, Object> integration = (Map<String, Object>) new Load(LoadSettings.builder().build())
                .loadFromString(Files.readString(INTEGRATION));
        Map<String, Object> spec = (Map<String, Object>) integration.get("spec");
        Object flows = spec.get("flows");
        if (flows == null) {
            assertThat(spec.get("sources")).as("an Integration without flows has its routes as sources").isNotNull();
            return;
        }
        assertThat(runtime.violations(JSON.valueToTree(flows))).as("schema violations of %s spec.flows", INTEGRATION)
                .isEmpty();
    }

    static Stream<Runtime> runtimes() {
        return Stream.of(Runtime.values());
    }

    static Stream<Arguments> brokenRoutes() {
        List<Arguments> rows = new ArrayList<>();
        for (Runtime runtime : Runtime.values()) {
            rows.addAll(List.of(
                    Arguments.of(runtime, "a misspelt option of an EIP", "publish.camel.yaml",
                            "idempotentRepository: publishedEvents", "idempotentRepositry: publishedEvents",
                            "idempotentRepositry"),
                    Arguments.of(runtime, "a misspelt EIP", "tickets.camel.yaml",
                            "- setProperty:\n            id: remember-ticket",
                            "- setPropety:\n            id: remember-ticket", "setPropety"),
                    Arguments.of(runtime, "a misspelt key of a route", "harvest.camel.yaml",
                            "routeConfigurationId: task-error-policy", "routeConfigurationID: task-error-policy",
                            "routeConfigurationID"),
                    Arguments.of(runtime, "a number where the DSL takes text", "callbacks.camel.yaml",
                            "timePeriodMillis: \"1000\"", "timePeriodMillis: 1000", "timePeriodMillis"),
                    Arguments.of(runtime, "a list where the DSL takes a yes or no", "harvest.camel.yaml",
                            "parallelProcessing: true", "parallelProcessing: [true]", "parallelProcessing"),
                    Arguments.of(runtime, "a step without its required uri", "publish.camel.yaml",
                            "uri: direct:publish-event", "url: direct:publish-event", "uri")));
        }
        return rows.stream();
    }

    /** A temporary copy of a real route file, changed by one line: the schema names what is wrong. */
    @ParameterizedTest(name = "{1} under {0}")
    @MethodSource("brokenRoutes")
    void aRouteFileBrokenByOneEditIsRefusedNamingTheKey(Runtime runtime, String what, String file, String line,
            String broken, String named, @TempDir Path copies) throws IOException {
        String text = Files.readString(ROUTES.resolve(file));
        assertThat(text).as("routes/%s", file).contains(line);
        Path copy = Files.writeString(copies.resolve(file), text.replace(line, broken));

        List<String> violations = runtime.violations(copy);

        assertThat(violations).as(what).isNotEmpty()
                .anySatisfy(violation -> assertThat(violation).contains(named));
    }
}
