package io.lumaharvester;

import static org.assertj.core.api.Assertions.assertThat;

import java.io.IOException;
import java.io.InputStream;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.Properties;
import java.util.jar.JarFile;
import java.util.stream.Stream;

import javax.xml.parsers.DocumentBuilderFactory;

import org.junit.jupiter.api.Tag;
import org.junit.jupiter.api.Test;
import org.snakeyaml.engine.v2.api.Load;
import org.snakeyaml.engine.v2.api.LoadSettings;
import org.w3c.dom.Document;
import org.w3c.dom.Element;
import org.w3c.dom.NodeList;

/**
 * What Camel K gets from this project: the thin jar of the beans (indexed, without routes, settings or a runtime of
 * its own), and an Integration whose runtime and dependencies are the ones the Camel Quarkus build names.
 * CamelQuarkusIT builds and runs that application; the Camel K operator itself is not run here (docs/camel-k.md).
 */
// in the second IT group: two JVMs side by side, after the benchmarks (pom.xml, profile its-side-by-side)
@Tag("side-by-side")
class CamelKArtifactsIT {

    private static final Path THIN_JAR = Path.of("target/luma-harvester-0.1.0-SNAPSHOT.jar");
    private static final Path RUNNER_JAR = Path.of("target/luma-harvester-0.1.0-SNAPSHOT-runner.jar");
    private static final Path INTEGRATION = Path.of("deploy/camel-k/luma-harvester.yaml");
    private static final Path QUARKUS_BUILD = Path.of("deploy/camel-k/camel-quarkus/pom.xml");

    private static List<String> routeFiles() throws IOException {
        try (Stream<Path> files = Files.list(Path.of("routes"))) {
            return files.map(f -> f.getFileName().toString()).filter(n -> n.endsWith(".camel.yaml")).sorted().toList();
        }
    }

    @SuppressWarnings("unchecked")
    private static Map<String, Object> integration() throws IOException {
        return (Map<String, Object>) new Load(LoadSettings.builder().build())
                .loadFromString(Files.readString(INTEGRATION));
    }

    private static Document xml(Path file) throws Exception {
        return DocumentBuilderFactory.newInstance().newDocumentBuilder().parse(file.toFile());
    }

    private static String child(Element element, String name) {
        NodeList nodes = element.getElementsByTagName(name);
        return nodes.getLength() == 0 ? null : nodes.item(0).getTextContent().trim();
    }

    /** The project's dependencies outside dependencyManagement and profiles. */
    private static List<Element> dependencies(Document pom) {
        List<Element> result = new ArrayList<>();
        NodeList nodes = pom.getDocumentElement().getElementsByTagName("dependency");
        for (int i = 0; i < nodes.getLength(); i++) {
            Element dependency = (Element) nodes.item(i);
            Element list = (Element) dependency.getParentNode();
            if (list.getParentNode() == pom.getDocumentElement()) {
                result.add(dependency);
            }
        }
        return result;
    }

    /**
     * No Jandex index either: Camel Quarkus binds the @BindToRegistry methods of every indexed class at static init,
     * and camel.main.configuration-classes binds them again, so every bean (a Vert.x instance, thread pools) would be
     * built twice.
     */
    @Test
    void theThinJarHoldsTheBeansAndProfilesAndNoRoutesSettingsRuntimeOrIndex() throws IOException {
        List<String> profiles;
        try (Stream<Path> files = Files.list(Path.of("src/main/resources/providers"))) {
            profiles = files.map(f -> "providers/" + f.getFileName()).toList();
        }
        try (JarFile jar = new JarFile(THIN_JAR.toFile())) {
            assertThat(jar.stream().map(e -> e.getName()))
                    .contains("io/lumaharvester/harvest/HarvestBeans.class", "io/lumaharvester/due/DueComponent.class")
                    .containsAll(profiles)
                    .noneMatch(n -> n.startsWith("routes/") || n.endsWith(".properties") && !n.contains("/"))
                    .noneMatch(n -> n.startsWith("org/apache/camel/") || n.startsWith("software/amazon/"))
                    .doesNotContain("META-INF/jandex.idx", "META-INF/beans.xml");
        }
    }

    /** Camel K resolves the thin jar's POM: a runtime dependency there would put camel-main beside Camel Quarkus. */
    @Test
    void theThinJarBringsNoRuntimeOfItsOwn() throws Exception {
        for (Element dependency : dependencies(xml(Path.of("pom.xml")))) {
            String scope = child(dependency, "scope");
            boolean reachesConsumers = scope == null || scope.equals("compile") || scope.equals("runtime");
            if (reachesConsumers) {
                assertThat(child(dependency, "optional")).as("%s is optional", child(dependency, "artifactId"))
                        .isEqualTo("true");
            }
        }
    }

    @Test
    void theRunnerJarHoldsEveryRouteFileAndBothPropertyFilesAsTheyAre() throws IOException {
        try (JarFile jar = new JarFile(RUNNER_JAR.toFile())) {
            for (String route : routeFiles()) {
                try (InputStream in = jar.getInputStream(jar.getJarEntry("routes/" + route))) {
                    assertThat(in.readAllBytes()).as(route).isEqualTo(Files.readAllBytes(Path.of("routes", route)));
                }
            }
            for (String properties : List.of("application.properties", "camel-main.properties")) {
                try (InputStream in = jar.getInputStream(jar.getJarEntry(properties))) {
                    assertThat(in.readAllBytes()).as(properties).isEqualTo(Files.readAllBytes(Path.of(properties)));
                }
            }
        }
    }

    @Test
    @SuppressWarnings("unchecked")
    void theIntegrationPinsTheCamelQuarkusBuildAndListsItsExtensions() throws Exception {
        Map<String, Object> spec = (Map<String, Object>) integration().get("spec");
        Map<String, Object> traits = (Map<String, Object>) spec.get("traits");
        Map<String, Object> camel = (Map<String, Object>) traits.get("camel");
        Document build = xml(QUARKUS_BUILD);
        assertThat(camel).containsEntry("runtimeProvider", "plain-quarkus")
                .containsEntry("runtimeVersion", child(build.getDocumentElement(), "quarkus.platform.version"));
        // the Integration mounts application.properties only: what Camel Quarkus refuses (management server,
        // camel.metrics.*) and a route pattern that would override the Integration's sources stay in camel-main's file
        Properties shared = new Properties();
        try (var in = Files.newBufferedReader(Path.of("application.properties"))) {
            shared.load(in);
        }
        assertThat(shared.stringPropertyNames()).noneMatch(k -> k.startsWith("camel.management.")
                || k.startsWith("camel.metrics.") || k.startsWith("camel.server.") || k.startsWith("camel.mdc.")
                || k.equals("camel.main.routes-include-pattern"));

        List<String> extensions = new ArrayList<>();
        for (Element dependency : dependencies(build)) {
            String artifact = child(dependency, "artifactId");
            if (artifact.startsWith("camel-quarkus-") && !artifact.equals("camel-quarkus-microprofile-health")) {
                extensions.add("camel:" + artifact.substring("camel-quarkus-".length()));
            } else if (artifact.equals("luma-harvester")) {
                extensions.add("mvn:io.lumaharvester:luma-harvester:" + child(xml(Path.of("pom.xml"))
                        .getDocumentElement(), "version"));
            } else if (artifact.equals("jackson-jq") || artifact.equals("camel-vertx-http")) {
                // a plain library the beans use, and a plain Camel component: neither has a Camel Quarkus extension
                extensions.add("mvn:" + child(dependency, "groupId") + ":" + artifact + ":" + child(dependency, "version"));
            }
        }
        // the health trait adds microprofile-health, the prometheus trait the registry; the rest is listed
        assertThat((List<String>) spec.get("dependencies")).containsExactlyInAnyOrderElementsOf(extensions);
        assertThat((Map<String, Object>) traits.get("health")).containsEntry("enabled", true)
                .containsEntry("readinessProbeEnabled", true).containsEntry("startupProbeEnabled", true);
        assertThat((Map<String, Object>) traits.get("prometheus")).containsEntry("enabled", true);
    }

    @Test
    @SuppressWarnings("unchecked")
    void theIntegrationLoadsEachRouteOnceAndReadsTheDeploymentsSecretLayout() throws IOException {
        Map<String, Object> spec = (Map<String, Object>) integration().get("spec");
        List<Map<String, Object>> sources = (List<Map<String, Object>>) spec.get("sources");
        assertThat(sources).extracting(s -> (String) s.get("contentKey"))
                .containsExactlyInAnyOrderElementsOf(routeFiles());
        Map<String, Object> environment = (Map<String, Object>) ((Map<String, Object>) spec.get("traits"))
                .get("environment");
        assertThat((List<String>) environment.get("vars"))
                .containsExactly("LUMA_API_TOKEN=secret:luma-harvester-secrets/LUMA_API_TOKEN");
    }
}
