package io.lumaharvester;

import static org.assertj.core.api.Assertions.assertThat;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.stream.Stream;

import org.junit.jupiter.api.Test;
import org.snakeyaml.engine.v2.api.Load;
import org.snakeyaml.engine.v2.api.LoadSettings;

/** Every manifest under deploy/ parses, and names only route files, settings and ports that exist. */
class DeploymentManifestsTest {

    private static final Path DEPLOY = Path.of("deploy");

    @SuppressWarnings("unchecked")
    private static List<Map<String, Object>> documents(Path file) throws IOException {
        List<Map<String, Object>> documents = new ArrayList<>();
        new Load(LoadSettings.builder().build()).loadAllFromString(Files.readString(file))
                .forEach(d -> documents.add((Map<String, Object>) d));
        return documents;
    }

    @SuppressWarnings("unchecked")
    private static <T> T at(Object node, String... path) {
        Object current = node;
        for (String step : path) {
            current = current instanceof List<?> list ? list.get(Integer.parseInt(step))
                    : ((Map<String, Object>) current).get(step);
        }
        return (T) current;
    }

    @Test
    void everyManifestParsesAndHasAKind() throws IOException {
        List<Path> manifests;
        try (Stream<Path> files = Files.walk(DEPLOY)) {
            manifests = files.filter(f -> f.toString().endsWith(".yaml")).toList();
        }
        assertThat(manifests).hasSizeGreaterThanOrEqualTo(3);
        for (Path manifest : manifests) {
            assertThat(documents(manifest)).as("%s", manifest).allSatisfy(d ->
                    assertThat(d).containsKeys("apiVersion", "kind", "metadata"));
        }
    }

    @Test
    void theCamelKIntegrationRunsEveryRouteFileAndNoOther() throws IOException {
        Map<String, Object> integration = documents(DEPLOY.resolve("camel-k/luma-harvester.yaml")).get(0);
        assertThat(integration.get("kind")).isEqualTo("Integration");
        List<Map<String, Object>> sources = at(integration, "spec", "sources");
        List<String> routeFiles;
        try (Stream<Path> files = Files.list(Path.of("routes"))) {
            routeFiles = files.map(f -> f.getFileName().toString()).filter(n -> n.endsWith(".camel.yaml")).toList();
        }
        assertThat(sources).extracting(s -> (String) s.get("contentKey"))
                .containsExactlyInAnyOrderElementsOf(routeFiles);
        assertThat(sources).allSatisfy(s -> assertThat(s.get("name")).isEqualTo(s.get("contentKey")));
    }

    @Test
    void theDeploymentProbesTheHealthEndpointsAndReadsOnlyKnownSettings() throws IOException {
        String properties = Files.readString(Path.of("application.properties"));
        Map<String, Object> deployment = documents(DEPLOY.resolve("kubernetes/deployment.yaml")).get(0);
        Map<String, Object> container = at(deployment, "spec", "template", "spec", "containers", "0");

        assertThat((String) at(container, "livenessProbe", "httpGet", "path")).isEqualTo("/observe/health/live");
        assertThat((String) at(container, "readinessProbe", "httpGet", "path")).isEqualTo("/observe/health/ready");
        assertThat((Integer) at(container, "ports", "0", "containerPort")).isEqualTo(8080);
        assertThat(properties).contains("luma.http.port=8080", "camel.management.health-check-enabled=true");

        List<Map<String, Object>> env = at(container, "env");
        for (Map<String, Object> variable : env) {
            String name = (String) variable.get("name");
            if (name.startsWith("LUMA_")) {
                String setting = name.toLowerCase().replace('_', '.');
                assertThat(properties).as("the setting behind %s", name).contains(setting);
            }
            if (variable.get("valueFrom") != null) {
                assertThat((String) at(variable, "valueFrom", "secretKeyRef", "name"))
                        .isEqualTo("luma-harvester-secrets");
            }
        }
        assertThat(env).extracting(v -> v.get("name")).contains("CAMEL_MAIN_PROPERTY_PLACEHOLDER_LOCATION");
        assertThat((String) at(deployment, "spec", "template", "spec", "volumes", "0", "configMap", "name"))
                .isEqualTo("luma-harvester-config");

        Map<String, Object> service = documents(DEPLOY.resolve("kubernetes/service.yaml")).get(0);
        assertThat((String) at(service, "spec", "ports", "0", "targetPort")).isEqualTo("management");
    }
}
