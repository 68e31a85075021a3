package io.lumaharvester;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;
import static org.assertj.core.api.Assertions.fail;

import java.io.IOException;
import java.math.BigDecimal;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Iterator;
import java.util.List;
import java.util.Map;
import java.util.Properties;
import java.util.concurrent.TimeUnit;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import java.util.stream.Collectors;
import java.util.stream.Stream;

import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.snakeyaml.engine.v2.api.Load;
import org.snakeyaml.engine.v2.api.LoadSettings;

import com.fasterxml.jackson.annotation.JsonInclude;
import com.fasterxml.jackson.databind.BeanDescription;
import com.fasterxml.jackson.databind.DeserializationConfig;
import com.fasterxml.jackson.databind.DeserializationFeature;
import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.MapperFeature;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.deser.BeanDeserializerBuilder;
import com.fasterxml.jackson.databind.deser.BeanDeserializerModifier;
import com.fasterxml.jackson.databind.exc.UnrecognizedPropertyException;
import com.fasterxml.jackson.databind.introspect.Annotated;
import com.fasterxml.jackson.databind.introspect.JacksonAnnotationIntrospector;
import com.fasterxml.jackson.databind.json.JsonMapper;
import com.fasterxml.jackson.databind.module.SimpleModule;
import com.fasterxml.jackson.databind.node.ObjectNode;

import io.fabric8.kubernetes.api.model.ConfigMap;
import io.fabric8.kubernetes.api.model.Container;
import io.fabric8.kubernetes.api.model.EnvVar;
import io.fabric8.kubernetes.api.model.HasMetadata;
import io.fabric8.kubernetes.api.model.PodSpec;
import io.fabric8.kubernetes.api.model.Probe;
import io.fabric8.kubernetes.api.model.Quantity;
import io.fabric8.kubernetes.api.model.Secret;
import io.fabric8.kubernetes.api.model.SecretKeySelector;
import io.fabric8.kubernetes.api.model.Service;
import io.fabric8.kubernetes.api.model.ServiceAccount;
import io.fabric8.kubernetes.api.model.Volume;
import io.fabric8.kubernetes.api.model.VolumeMount;
import io.fabric8.kubernetes.api.model.apps.Deployment;
import io.fabric8.kubernetes.api.model.policy.v1.PodDisruptionBudget;
import io.strimzi.api.kafka.model.topic.KafkaTopic;
import io.strimzi.api.kafka.model.user.KafkaUser;

/**
 * The example overlay as {@code kubectl kustomize} renders it: every object parses strictly into the Kubernetes
 * (fabric8) or Strimzi model, and the Deployment is what Pod Security "restricted" admits, runs the repository's own
 * routes and settings, and names only secrets, settings and ports that exist.
 */
class KubernetesOverlayTest {

    static final Path OVERLAY = Path.of("deploy/kubernetes/overlays/example");

    /** The kinds the overlay may render, each with its model class; anything else fails the test. */
    private static final Map<String, Class<? extends HasMetadata>> MODELS = Map.of(
            "v1/ServiceAccount", ServiceAccount.class,
            "v1/ConfigMap", ConfigMap.class,
            "v1/Service", Service.class,
            "apps/v1/Deployment", Deployment.class,
            "policy/v1/PodDisruptionBudget", PodDisruptionBudget.class,
            "kafka.strimzi.io/v1beta2/KafkaTopic", KafkaTopic.class,
            "kafka.strimzi.io/v1beta2/KafkaUser", KafkaUser.class);

    /**
     * Jackson that refuses what the models do not know. FAIL_ON_UNKNOWN_PROPERTIES alone is not enough: fabric8's
     * and Strimzi's classes keep unknown fields in an {@code @JsonAnySetter} map (additionalProperties), so a
     * misspelt {@code runAsNonroot} would parse and be ignored by the test, and by Kubernetes. The modifier takes the
     * any-setter (and any ignoreUnknown) off every bean, so an unknown field fails with its path. Scalars are not
     * coerced either ("true" is not a boolean).
     */
    static final ObjectMapper STRICT = JsonMapper.builder()
            .enable(DeserializationFeature.FAIL_ON_UNKNOWN_PROPERTIES)
            .disable(MapperFeature.ALLOW_COERCION_OF_SCALARS)
            .addModule(new SimpleModule("no-unknown-fields").setDeserializerModifier(new BeanDeserializerModifier() {
                @Override
                public BeanDeserializerBuilder updateBuilder(DeserializationConfig config, BeanDescription bean,
                        BeanDeserializerBuilder builder) {
                    builder.setAnySetter(null);
                    builder.setIgnoreUnknownProperties(false);
                    return builder;
                }
            }))
            .build();

    private static final ObjectMapper PLAIN = new ObjectMapper();

    /** Writes every property back, defaults included (Strimzi leaves out e.g. patternType: literal on write). */
    private static final ObjectMapper WRITE_ALL = JsonMapper.builder()
            .annotationIntrospector(new JacksonAnnotationIntrospector() {
                @Override
                public JsonInclude.Value findPropertyInclusion(Annotated annotated) {
                    return JsonInclude.Value.construct(JsonInclude.Include.ALWAYS, JsonInclude.Include.ALWAYS);
                }
            })
            .build();

    private static List<JsonNode> rendered;
    private static List<HasMetadata> objects;

    @BeforeAll
    static void render() throws Exception {
        rendered = documents(kustomize(OVERLAY));
        objects = new ArrayList<>();
        for (JsonNode document : rendered) {
            objects.add(parse(document));
        }
    }

    /**
     * {@code kubectl kustomize} without flags, which builds what {@code kubectl apply -k} applies: with kustomize's
     * default load restrictor, so the overlay must read only files in or below its own folder (it is a link to the
     * repository root, whose kustomization.yaml generates the ConfigMaps from the repository's own files).
     */
    static String kustomize(Path overlay) throws IOException, InterruptedException {
        Process kubectl;
        try {
            kubectl = new ProcessBuilder("kubectl", "kustomize", overlay.toString()).redirectErrorStream(false)
                    .start();
        } catch (IOException e) {
            // not a skip: CI and every dev machine have kubectl (v1.32), and a skipped test proves nothing
            throw new AssertionError("kubectl is not on the PATH (" + e.getMessage() + "): KubernetesOverlayTest "
                    + "renders " + overlay + " with `kubectl kustomize`. Install kubectl (v1.32, which embeds "
                    + "kustomize v5.5) and run the test again.", e);
        }
        kubectl.getOutputStream().close();
        // stderr is small; read stdout fully first so that a large render cannot block the process
        String out = new String(kubectl.getInputStream().readAllBytes(), StandardCharsets.UTF_8);
        String err = new String(kubectl.getErrorStream().readAllBytes(), StandardCharsets.UTF_8);
        if (!kubectl.waitFor(60, TimeUnit.SECONDS)) {
            kubectl.destroyForcibly();
            fail("kubectl kustomize %s did not finish within 60 s", overlay);
        }
        assertThat(kubectl.exitValue()).as("kubectl kustomize %s failed: %s", overlay, err).isZero();
        return out;
    }

    static List<JsonNode> documents(String yaml) {
        List<JsonNode> documents = new ArrayList<>();
        new Load(LoadSettings.builder().build()).loadAllFromString(yaml).forEach(d -> {
            if (d != null) {
                documents.add(PLAIN.valueToTree(d));
            }
        });
        return documents;
    }

    /**
     * One rendered object into its model class, strictly; then back to a tree, which must still hold every field
     * and value of the document: nothing was dropped or changed on the way in.
     */
    static HasMetadata parse(JsonNode document) throws IOException {
        String type = document.path("apiVersion").asText() + "/" + document.path("kind").asText();
        Class<? extends HasMetadata> model = MODELS.get(type);
        assertThat(model).as("a model for %s (%s); the overlay renders only known kinds", type,
                document.path("metadata").path("name").asText()).isNotNull();
        HasMetadata object = STRICT.treeToValue(document, model);
        JsonNode expected = document;
        List<String> strimziVersions = model == KafkaTopic.class ? KafkaTopic.VERSIONS
                : model == KafkaUser.class ? KafkaUser.VERSIONS : null;
        if (strimziVersions != null) {
            // Strimzi's model serves all of the CRD's versions (v1 and the older v1beta2 the manifests use) and
            // writes back its newest: the version must be one it serves, the rest must come back unchanged
            assertThat(document.path("apiVersion").asText())
                    .isIn(strimziVersions.stream().map(v -> "kafka.strimzi.io/" + v).toList());
            expected = document.deepCopy();
            ((ObjectNode) expected).remove("apiVersion");
        }
        assertContained(expected, WRITE_ALL.valueToTree(object), type + " " + object.getMetadata().getName());
        return object;
    }

    private static void assertContained(JsonNode expected, JsonNode actual, String path) {
        if (expected.isObject()) {
            assertThat(actual.isObject()).as("%s is an object", path).isTrue();
            for (Iterator<Map.Entry<String, JsonNode>> fields = expected.fields(); fields.hasNext();) {
                Map.Entry<String, JsonNode> field = fields.next();
                assertThat(actual.has(field.getKey())).as("%s.%s survives parsing", path, field.getKey()).isTrue();
                assertContained(field.getValue(), actual.get(field.getKey()), path + "." + field.getKey());
            }
        } else if (expected.isArray()) {
            assertThat(actual.size()).as("%s: items", path).isEqualTo(expected.size());
            for (int i = 0; i < expected.size(); i++) {
                assertContained(expected.get(i), actual.get(i), path + "[" + i + "]");
            }
        } else if (expected.isNumber() && actual.isNumber()) {
            assertThat(actual.decimalValue()).as(path).isEqualByComparingTo(expected.decimalValue());
        } else {
            assertThat(actual).as(path).isEqualTo(expected);
        }
    }

    private static <T extends HasMetadata> List<T> all(Class<T> kind) {
        return objects.stream().filter(kind::isInstance).map(kind::cast).toList();
    }

    private static <T extends HasMetadata> T one(Class<T> kind) {
        assertThat(all(kind)).as("one %s", kind.getSimpleName()).hasSize(1);
        return all(kind).get(0);
    }

    private static ConfigMap configMap(String generatorName) {
        List<ConfigMap> generated = all(ConfigMap.class).stream()
                .filter(c -> c.getMetadata().getName().matches(Pattern.quote(generatorName) + "-[a-z0-9]{10}"))
                .toList();
        assertThat(generated).as("the generated ConfigMap %s-<hash>", generatorName).hasSize(1);
        return generated.get(0);
    }

    private static Container container() {
        return one(Deployment.class).getSpec().getTemplate().getSpec().getContainers().get(0);
    }

    private static String env(String name) {
        return container().getEnv().stream().filter(e -> e.getName().equals(name)).map(EnvVar::getValue)
                .findFirst().orElseThrow(() -> new AssertionError("no env " + name));
    }

    private static Volume volume(String name) {
        return one(Deployment.class).getSpec().getTemplate().getSpec().getVolumes().stream()
                .filter(v -> v.getName().equals(name)).findFirst()
                .orElseThrow(() -> new AssertionError("no volume " + name));
    }

    private static VolumeMount mount(String volume) {
        return container().getVolumeMounts().stream().filter(m -> m.getName().equals(volume)).findFirst()
                .orElseThrow(() -> new AssertionError("no mount of " + volume));
    }

    /** The settings of both property files. */
    private static Properties settings() throws IOException {
        Properties settings = new Properties();
        for (String file : List.of("application.properties", "camel-main.properties")) {
            try (var in = Files.newBufferedReader(Path.of(file))) {
                settings.load(in);
            }
        }
        return settings;
    }

    @Test
    void theOverlayRendersTheHarvesterItsConfigurationAndTheStrimziResourcesAndNoSecret() {
        assertThat(objects).extracting(o -> o.getKind()).containsOnly("ServiceAccount", "ConfigMap", "Service",
                "Deployment", "PodDisruptionBudget", "KafkaTopic", "KafkaUser");
        assertThat(all(ConfigMap.class)).hasSize(2);
        assertThat(all(KafkaTopic.class)).hasSize(6);
        assertThat(all(KafkaUser.class)).hasSize(1);
        // secrets are created by hand, never rendered from this repository
        assertThat(all(Secret.class)).isEmpty();
        assertThat(rendered).noneMatch(d -> d.path("kind").asText().equals("Secret"));
    }

    /**
     * The callbacks component on top of the base: the harvester listens on its own port, named for the probes'
     * neighbours, with the token from the Secret (optional, as the harvester refuses unsigned callbacks without it),
     * and a Service of that port alone; the pod stays what "restricted" admits.
     */
    @Test
    void theCallbacksComponentOpensItsOwnPortAndServiceWithTheTokenFromTheSecret() throws Exception {
        Path overlay = Path.of("target/k8s-callbacks");
        Files.createDirectories(overlay);
        Files.writeString(overlay.resolve("kustomization.yaml"), """
                resources:
                  - ../../deploy/kubernetes/base
                components:
                  - ../../deploy/kubernetes/components/callbacks
                """);
        List<HasMetadata> withCallbacks = new ArrayList<>();
        for (JsonNode document : documents(kustomize(overlay))) {
            withCallbacks.add(parse(document));
        }

        Container container = withCallbacks.stream().filter(Deployment.class::isInstance).map(Deployment.class::cast)
                .findFirst().orElseThrow().getSpec().getTemplate().getSpec().getContainers().get(0);
        assertThat(container.getPorts()).anySatisfy(port -> {
            assertThat(port.getName()).isEqualTo("callbacks");
            assertThat(port.getContainerPort()).isEqualTo(8081);
        });
        assertThat(container.getEnv()).anySatisfy(env -> {
            assertThat(env.getName()).isEqualTo("LUMA_CALLBACKS_PORT");
            assertThat(env.getValue()).isEqualTo("8081");
        });
        assertThat(container.getEnv()).anySatisfy(env -> {
            assertThat(env.getName()).isEqualTo("LUMA_CALLBACKS_TOKEN");
            assertThat(env.getValueFrom().getSecretKeyRef().getName()).isEqualTo("luma-harvester-secrets");
            assertThat(env.getValueFrom().getSecretKeyRef().getOptional()).isTrue();
        });
        assertThat(container.getSecurityContext().getAllowPrivilegeEscalation()).isFalse();
        Service callbacks = withCallbacks.stream().filter(Service.class::isInstance).map(Service.class::cast)
                .filter(s -> s.getMetadata().getName().equals("luma-harvester-callbacks")).findFirst().orElseThrow();
        assertThat(callbacks.getSpec().getPorts()).singleElement().satisfies(port -> {
            assertThat(port.getPort()).isEqualTo(8081);
            assertThat(port.getTargetPort().getStrVal()).isEqualTo("callbacks");
        });
        assertThat(callbacks.getSpec().getSelector()).containsEntry("app.kubernetes.io/name", "luma-harvester");
        // the example overlay leaves callbacks off
        assertThat(container().getPorts()).noneMatch(port -> "callbacks".equals(port.getName()));
    }

    /** The strict parsing above is really strict: a misspelt field, in either model, fails with its path. */
    @Test
    void aFieldTheModelDoesNotKnowFailsTheParse() throws IOException {
        JsonNode deployment = rendered.stream().filter(d -> d.path("kind").asText().equals("Deployment"))
                .findFirst().orElseThrow().deepCopy();
        ((ObjectNode) deployment.at("/spec/template/spec/containers/0/securityContext")).put("runAsNonroot", true);
        assertThatThrownBy(() -> parse(deployment)).isInstanceOf(UnrecognizedPropertyException.class)
                .hasMessageContaining("runAsNonroot");

        JsonNode topic = rendered.stream().filter(d -> d.path("kind").asText().equals("KafkaTopic"))
                .findFirst().orElseThrow().deepCopy();
        ((ObjectNode) topic.at("/spec")).put("partitons", 6);
        assertThatThrownBy(() -> parse(topic)).isInstanceOf(UnrecognizedPropertyException.class)
                .hasMessageContaining("partitons");

        JsonNode user = rendered.stream().filter(d -> d.path("kind").asText().equals("KafkaUser"))
                .findFirst().orElseThrow().deepCopy();
        ((ObjectNode) user.at("/spec/authorization/acls/0")).put("operatons", "Read");
        assertThatThrownBy(() -> parse(user)).isInstanceOf(UnrecognizedPropertyException.class)
                .hasMessageContaining("operatons");

        // and a value of the wrong type is not coerced
        JsonNode quoted = rendered.stream().filter(d -> d.path("kind").asText().equals("Deployment"))
                .findFirst().orElseThrow().deepCopy();
        ((ObjectNode) quoted.at("/spec/template/spec")).put("automountServiceAccountToken", "false");
        assertThatThrownBy(() -> parse(quoted)).hasMessageContaining("automountServiceAccountToken");
    }

    @Test
    void thePodIsWhatPodSecurityRestrictedAdmits() {
        PodSpec pod = one(Deployment.class).getSpec().getTemplate().getSpec();
        assertThat(pod.getSecurityContext().getRunAsNonRoot()).isTrue();
        assertThat(pod.getSecurityContext().getRunAsUser()).isEqualTo(185L);
        assertThat(pod.getSecurityContext().getSeccompProfile().getType()).isEqualTo("RuntimeDefault");
        assertThat(pod.getAutomountServiceAccountToken()).isFalse();
        assertThat(pod.getHostNetwork()).isNull();
        assertThat(pod.getHostPID()).isNull();

        ServiceAccount account = one(ServiceAccount.class);
        assertThat(pod.getServiceAccountName()).isEqualTo(account.getMetadata().getName());
        assertThat(account.getAutomountServiceAccountToken()).isFalse();

        assertThat(pod.getContainers()).hasSize(1);
        assertThat(pod.getInitContainers()).isEmpty();
        var security = container().getSecurityContext();
        assertThat(security.getRunAsNonRoot()).isTrue();
        assertThat(security.getRunAsUser()).isEqualTo(185L);
        assertThat(security.getReadOnlyRootFilesystem()).isTrue();
        assertThat(security.getAllowPrivilegeEscalation()).isFalse();
        assertThat(security.getPrivileged()).isNull();
        assertThat(security.getCapabilities().getDrop()).containsExactly("ALL");
        assertThat(security.getCapabilities().getAdd()).isEmpty();
        assertThat(security.getSeccompProfile().getType()).isEqualTo("RuntimeDefault");
        // the only volumes: the two ConfigMaps and the emptyDir (no hostPath)
        assertThat(pod.getVolumes()).allSatisfy(v -> assertThat(v.getConfigMap() != null || v.getEmptyDir() != null)
                .as("volume %s", v.getName()).isTrue());
    }

    /** The image's user is the pod's, and the JVM's flags come from JAVA_TOOL_OPTIONS in both. */
    @Test
    void theImageRunsAsTheSameUserWithTheJvmFlagsInTheEnvironment() throws IOException {
        String dockerfile = Files.readString(Path.of("deploy/Dockerfile"));
        assertThat(dockerfile).containsPattern("(?m)^USER 185$").contains("-Djava.io.tmpdir=/tmp")
                .containsPattern("(?m)^ENV JAVA_TOOL_OPTIONS=").containsPattern("(?m)^ENTRYPOINT \\[\"java\", \"-jar\"");
        assertThat(container().getCommand()).isEmpty();
        assertThat(container().getArgs()).isEmpty();
    }

    /** The app's own spool cap stays below the volume, so a full spool never gets the pod evicted. */
    @Test
    void tmpIsASizeLimitedEmptyDirAboveTheSpoolCapAndTheNodeHasRoomForIt() throws IOException {
        Volume tmp = volume("tmp");
        assertThat(tmp.getEmptyDir().getMedium()).as("on disk, not in the memory limit").isNull();
        Quantity sizeLimit = tmp.getEmptyDir().getSizeLimit();
        assertThat(sizeLimit).isEqualTo(new Quantity("2Gi"));
        assertThat(mount("tmp").getMountPath()).isEqualTo("/tmp");
        assertThat(mount("tmp").getReadOnly()).isNull();
        assertThat(env("JAVA_TOOL_OPTIONS")).contains("-Djava.io.tmpdir=/tmp");

        var resources = container().getResources();
        BigDecimal spool = sizeLimit.getNumericalAmount();
        assertThat(resources.getRequests().get("ephemeral-storage").getNumericalAmount()).isGreaterThanOrEqualTo(spool);
        assertThat(resources.getLimits().get("ephemeral-storage").getNumericalAmount()).isGreaterThan(spool);
        assertThat(new BigDecimal(settings().getProperty("luma.harvest.max-spool-bytes")))
                .isLessThanOrEqualTo(spool.divide(BigDecimal.valueOf(2)));
    }

    /** Heap at 60-70 % of the memory limit, requests equal to the limit, and no fixed heap size to contradict it. */
    @Test
    void theHeapLeavesHeadroomUnderTheMemoryLimit() {
        var resources = container().getResources();
        assertThat(resources.getRequests().get("memory")).isEqualTo(resources.getLimits().get("memory"));
        assertThat(resources.getRequests()).containsKey("cpu");
        String options = env("JAVA_TOOL_OPTIONS");
        assertThat(options).doesNotContain("-Xmx", "-Xms");
        Matcher percentage = Pattern.compile("-XX:MaxRAMPercentage=(\\d+(?:\\.\\d+)?)").matcher(options);
        assertThat(percentage.find()).as("MaxRAMPercentage in %s", options).isTrue();
        assertThat(Double.parseDouble(percentage.group(1))).isBetween(60.0, 70.0);
        BigDecimal limit = resources.getLimits().get("memory").getNumericalAmount();
        BigDecimal heap = limit.multiply(new BigDecimal(percentage.group(1))).movePointLeft(2);
        assertThat(limit.subtract(heap)).as("bytes left for metaspace, code, threads and direct buffers")
                .isGreaterThanOrEqualTo(new BigDecimal(256L << 20));
    }

    @Test
    void theProbesWatchTheHealthEndpointsOnTheManagementPort() throws IOException {
        Properties settings = settings();
        Container container = container();
        assertThat(container.getPorts()).singleElement().satisfies(p -> {
            assertThat(p.getName()).isEqualTo("management");
            assertThat(p.getContainerPort()).isEqualTo(Integer.parseInt(settings.getProperty("luma.http.port")));
        });
        assertThat(settings.getProperty("camel.management.health-check-enabled")).isEqualTo("true");

        Probe startup = container.getStartupProbe();
        assertThat(startup.getHttpGet().getPath()).isEqualTo("/observe/health/live");
        assertThat(startup.getHttpGet().getPort().getStrVal()).isEqualTo("management");
        // liveness is DOWN until the context has started, which waits for Kafka: allow minutes, not seconds
        assertThat(startup.getPeriodSeconds() * startup.getFailureThreshold()).isGreaterThanOrEqualTo(300);

        assertThat(container.getLivenessProbe().getHttpGet().getPath()).isEqualTo("/observe/health/live");
        assertThat(container.getLivenessProbe().getHttpGet().getPort().getStrVal()).isEqualTo("management");
        assertThat(container.getReadinessProbe().getHttpGet().getPath()).isEqualTo("/observe/health/ready");
        assertThat(container.getReadinessProbe().getHttpGet().getPort().getStrVal()).isEqualTo("management");
        // each readiness check may wait luma.health.timeout-ms; the probe waits longer than two of them
        assertThat(container.getReadinessProbe().getTimeoutSeconds() * 1000)
                .isGreaterThan(2 * Integer.parseInt(settings.getProperty("luma.health.timeout-ms")));

        Map<String, String> annotations = one(Deployment.class).getSpec().getTemplate().getMetadata().getAnnotations();
        assertThat(annotations).containsEntry("prometheus.io/scrape", "true")
                .containsEntry("prometheus.io/port", settings.getProperty("luma.http.port"))
                .containsEntry("prometheus.io/path", "/observe/metrics");

        Service service = one(Service.class);
        assertThat(service.getSpec().getSelector())
                .isEqualTo(one(Deployment.class).getSpec().getTemplate().getMetadata().getLabels());
        assertThat(service.getSpec().getPorts()).singleElement()
                .satisfies(p -> assertThat(p.getTargetPort().getStrVal()).isEqualTo("management"));
    }

    @Test
    void aDisruptionTakesDownAtMostOneHarvester() {
        PodDisruptionBudget budget = one(PodDisruptionBudget.class);
        assertThat(budget.getSpec().getMaxUnavailable().getIntVal()).isEqualTo(1);
        assertThat(budget.getSpec().getMinAvailable()).isNull();
        assertThat(budget.getSpec().getSelector().getMatchLabels())
                .isEqualTo(one(Deployment.class).getSpec().getSelector().getMatchLabels());
    }

    /** The properties ConfigMap holds both property files, byte for byte, at the paths the app is told to read. */
    @Test
    void theSettingsComeFromTheGeneratedConfigMap() throws IOException {
        ConfigMap config = configMap("luma-harvester-config");
        List<String> files = List.of("application.properties", "camel-main.properties");
        assertThat(config.getData()).containsOnlyKeys(files);
        for (String file : files) {
            assertThat(config.getData().get(file)).isEqualTo(Files.readString(Path.of(file)));
        }

        assertThat(volume("config").getConfigMap().getName()).isEqualTo(config.getMetadata().getName());
        assertThat(mount("config").getReadOnly()).isTrue();
        assertThat(env("CAMEL_MAIN_PROPERTY_PLACEHOLDER_LOCATION")).isEqualTo(files.stream()
                .map(f -> "file:" + mount("config").getMountPath() + "/" + f).collect(Collectors.joining(",")));
    }

    /** Every file of routes/, unchanged, in the routes ConfigMap, and the app loads them from its mount. */
    @Test
    void theRoutesComeFromTheGeneratedConfigMap() throws IOException {
        Map<String, String> routeFiles;
        try (Stream<Path> files = Files.list(Path.of("routes"))) {
            routeFiles = files.filter(f -> f.getFileName().toString().endsWith(".camel.yaml"))
                    .collect(Collectors.toMap(f -> f.getFileName().toString(), f -> {
                        try {
                            return Files.readString(f);
                        } catch (IOException e) {
                            throw new IllegalStateException(e);
                        }
                    }));
        }
        assertThat(routeFiles).isNotEmpty();
        ConfigMap routes = configMap("luma-harvester-routes");
        assertThat(routes.getData()).isEqualTo(routeFiles);

        assertThat(volume("routes").getConfigMap().getName()).isEqualTo(routes.getMetadata().getName());
        assertThat(mount("routes").getReadOnly()).isTrue();
        assertThat(env("CAMEL_MAIN_ROUTES_INCLUDE_PATTERN"))
                .isEqualTo("file:" + mount("routes").getMountPath() + "/*.camel.yaml");
        // separate folders: a mount inside another (read-only) ConfigMap mount would need a folder created in it
        assertThat(mount("routes").getMountPath()).doesNotStartWith(mount("config").getMountPath() + "/");
    }

    /** Secrets by reference only; only the API token is required; LUMA_* variables name settings that exist. */
    @Test
    void theEnvironmentNamesOnlyTheSecretAndSettingsThatExist() throws IOException {
        Properties settings = settings();
        List<EnvVar> env = container().getEnv();
        Map<String, SecretKeySelector> fromSecret = env.stream()
                .filter(e -> e.getValueFrom() != null)
                .collect(Collectors.toMap(EnvVar::getName, e -> e.getValueFrom().getSecretKeyRef()));
        assertThat(fromSecret).containsOnlyKeys("LUMA_API_TOKEN", "AWS_ACCESS_KEY_ID", "AWS_SECRET_ACCESS_KEY",
                "KAFKA_CLIENT_SASL_JAAS_CONFIG");
        fromSecret.forEach((name, ref) -> {
            assertThat(ref).as(name).isNotNull();
            assertThat(ref.getName()).as(name).isEqualTo("luma-harvester-secrets");
            assertThat(ref.getKey()).as("the Secret's keys are the variables' names").isEqualTo(name);
            assertThat(ref.getOptional()).as("%s optional", name)
                    .isEqualTo(name.equals("LUMA_API_TOKEN") ? null : Boolean.TRUE);
        });
        assertThat(container().getEnvFrom()).isEmpty();

        for (EnvVar variable : env) {
            if (variable.getName().startsWith("LUMA_")) {
                String setting = variable.getName().toLowerCase().replace('_', '.');
                // named in the property files, as a setting or, for the token, in the comment that asks for it
                assertThat(Files.readString(Path.of("application.properties"))
                        + Files.readString(Path.of("camel-main.properties")))
                        .as("the setting behind %s", variable.getName()).contains(setting);
            }
        }
        // the route pattern it overrides exists, so the variable replaces it rather than adding a second source
        assertThat(settings.getProperty("camel.main.routes-include-pattern")).startsWith("classpath:routes/");
    }

    @Test
    void theStrimziResourcesParseIntoStrimzisModel() throws IOException {
        Properties settings = settings();
        assertThat(all(KafkaTopic.class)).extracting(t -> t.getSpec().getTopicName())
                .containsExactlyInAnyOrder(settings.getProperty("luma.topics.tasks"),
                        settings.getProperty("luma.topics.events"), settings.getProperty("luma.topics.dlq"),
                        settings.getProperty("luma.topics.polling"), settings.getProperty("luma.topics.harvest"),
                        settings.getProperty("luma.topics.accepted"));
        assertThat(all(KafkaTopic.class)).allSatisfy(t -> assertThat(t.getMetadata().getLabels())
                .containsKey("strimzi.io/cluster"));
        KafkaUser user = one(KafkaUser.class);
        assertThat(user.getSpec().getAuthentication().getType()).isEqualTo("scram-sha-512");
    }
}
