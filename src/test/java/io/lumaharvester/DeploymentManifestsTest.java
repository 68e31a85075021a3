package io.lumaharvester;

import io.lumaharvester.intake.TaskStates;
import static org.assertj.core.api.Assertions.assertThat;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.Properties;
import java.util.stream.Stream;

import org.junit.jupiter.api.Test;
import org.snakeyaml.engine.v2.api.Load;
import org.snakeyaml.engine.v2.api.LoadSettings;

/**
 * Every manifest under deploy/ parses, and names only route files, settings and ports that exist. The Kubernetes
 * overlay, rendered, is checked by KubernetesOverlayTest.
 */
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
            // kustomize's own files have no metadata; KubernetesOverlayTest renders and checks what they build
            if (manifest.getFileName().toString().equals("kustomization.yaml")) {
                // a Kustomization, or a Component (components/callbacks) that an overlay adds
                assertThat(documents(manifest)).as("%s", manifest).singleElement().satisfies(d -> assertThat(
                        List.of(d.get("apiVersion"), d.get("kind"))).isIn(
                        List.of("kustomize.config.k8s.io/v1beta1", "Kustomization"),
                        List.of("kustomize.config.k8s.io/v1alpha1", "Component")));
                continue;
            }
            // Prometheus's own formats (a rules file and its unit tests): MonitoringTest runs promtool on them
            if (manifest.getFileName().toString().matches(".*\\.rules(\\.test)?\\.yaml")) {
                continue;
            }
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

    /** The Strimzi topics are the ones application.properties names, with its partitions and the configs it needs. */
    @Test
    void theStrimziTopicsAreTheTopicsTheSettingsNameWithTheirPartitionsAndConfigs() throws IOException {
        Properties settings = new Properties();
        try (var in = Files.newBufferedReader(Path.of("application.properties"))) {
            settings.load(in);
        }
        List<Map<String, Object>> topics = documents(DEPLOY.resolve("strimzi/kafka-topics.yaml"));
        List<String> topicSettings = settings.stringPropertyNames().stream()
                .filter(k -> k.startsWith("luma.topics.") && !List.of("luma.topics.create", "luma.topics.partitions",
                        "luma.topics.replication-factor").contains(k))
                .sorted().toList();
        assertThat(topicSettings).hasSize(6);
        assertThat(topics).extracting(t -> (String) at(t, "metadata", "annotations", "luma-harvester/setting"))
                .containsExactlyInAnyOrderElementsOf(topicSettings);
        for (Map<String, Object> topic : topics) {
            String setting = at(topic, "metadata", "annotations", "luma-harvester/setting");
            assertThat(topic.get("kind")).isEqualTo("KafkaTopic");
            assertThat((String) at(topic, "spec", "topicName")).isEqualTo(settings.getProperty(setting));
            assertThat((Integer) at(topic, "spec", "partitions"))
                    .isEqualTo(Integer.parseInt(settings.getProperty("luma.topics.partitions")));
            Map<String, Object> config = at(topic, "spec", "config");
            switch (setting) {
                case "luma.topics.accepted" -> assertThat(config).isEqualTo(TaskStates.topicConfigs(
                        Long.parseLong(settings.getProperty("luma.tasks.state-retention-ms"))));
                case "luma.topics.dlq" -> assertThat(config)
                        .containsEntry("max.message.bytes", settings.getProperty("luma.dlq.max-record-bytes"));
                default -> assertThat(config).isNull();
            }
        }
        Map<String, Object> user = documents(DEPLOY.resolve("strimzi/kafka-user.yaml")).get(0);
        assertThat((String) at(user, "spec", "authorization", "acls", "1", "resource", "name"))
                .isEqualTo(settings.getProperty("luma.kafka.group-id"));
        assertThat(topicSettings).allSatisfy(k -> assertThat(settings.getProperty(k))
                .startsWith((String) at(user, "spec", "authorization", "acls", "0", "resource", "name")));
    }

    /** The bucket's lifecycle rule aborts incomplete multipart uploads under the harvester's key prefix after a day. */
    @Test
    void theLifecycleRuleAbortsIncompleteUploadsUnderTheKeyPrefix() throws IOException {
        Properties settings = new Properties();
        try (var in = Files.newBufferedReader(Path.of("application.properties"))) {
            settings.load(in);
        }
        var rules = new com.fasterxml.jackson.databind.ObjectMapper()
                .readTree(DEPLOY.resolve("s3/lifecycle.json").toFile()).get("Rules");
        assertThat(rules).hasSize(1);
        assertThat(rules.get(0).at("/Filter/Prefix").asText()).isEqualTo(settings.getProperty("s3.key-prefix"));
        assertThat(rules.get(0).at("/Status").asText()).isEqualTo("Enabled");
        assertThat(rules.get(0).at("/AbortIncompleteMultipartUpload/DaysAfterInitiation").asInt()).isEqualTo(1);
    }
}
