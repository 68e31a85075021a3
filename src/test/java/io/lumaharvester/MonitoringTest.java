package io.lumaharvester;

import io.lumaharvester.dev.Events;
import io.lumaharvester.dev.HarvesterExtension;
import io.lumaharvester.dev.Probes;

import static com.github.tomakehurst.wiremock.client.WireMock.aResponse;
import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.fail;

import java.io.File;
import java.io.IOException;
import java.net.InetAddress;
import java.net.ServerSocket;
import java.net.URI;
import java.net.URLEncoder;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.LinkedHashMap;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.TreeSet;
import java.util.UUID;
import java.util.concurrent.TimeUnit;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

import org.awaitility.Awaitility;
import org.junit.jupiter.api.Assumptions;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.RegisterExtension;
import org.junit.jupiter.api.io.TempDir;
import org.snakeyaml.engine.v2.api.Load;
import org.snakeyaml.engine.v2.api.LoadSettings;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;

import io.lumaharvester.dev.LumaApiStandIn;

/**
 * The Grafana dashboard and the Prometheus alert rules of deploy/monitoring against a running harvester: every query
 * names a metric its scrape holds, the rules pass their {@code promtool test rules}, the PrometheusRule carries the
 * rules file, and a real Prometheus scrapes the harvester, evaluates the rules without errors and fires one.
 */
class MonitoringTest {

    static final Path MONITORING = Path.of("deploy/monitoring");
    static final Path RULES = MONITORING.resolve("luma-harvester.rules.yaml");
    static final Path RULES_TEST = MONITORING.resolve("luma-harvester.rules.test.yaml");
    static final Path PROMETHEUS_RULE = MONITORING.resolve("prometheusrule.yaml");
    static final Path DASHBOARD = MONITORING.resolve("luma-harvester-dashboard.json");

    /** The metrics a query may name that the harvester does not export, each with where it comes from. */
    static final Map<String, String> EXTERNAL = Map.of(
            "kafka_consumergroup_lag", "Kafka Exporter (Strimzi's kafkaExporter): the consumer group's lag");

    /** What the issue asks the dashboard to show, by the metric that shows it. */
    static final List<String> DASHBOARD_MUST_SHOW = List.of("luma_tasks_in_flight", "luma_tasks_finished_total",
            "luma_poll_lateness_seconds_bucket", "luma_api_answers_total", "luma_media_stored_bytes_total",
            "luma_dlq_records_total", "kafka_consumergroup_lag");

    private static final ObjectMapper JSON = new ObjectMapper();
    private static final HttpClient HTTP = HttpClient.newBuilder().connectTimeout(Duration.ofSeconds(5)).build();

    @RegisterExtension
    static final HarvesterExtension harvester = new HarvesterExtension("monitoring", Map.of(
            "luma.poll.interval-ms", "200",
            "luma.poll.max-backoff-ms", "1000"));

    /** The scrape after a few tasks went through, so that their counters exist. */
    private static String scrape;

    @BeforeAll
    static void runTasksThrough() throws Exception {
        var standIns = harvester.standIns();
        String run = UUID.randomUUID().toString().substring(0, 8);
        // a 429, then running, then completed with media
        String limited = "monitoring-429-" + run;
        LumaApiStandIn.ServedMedia media = standIns.api.completedMedia(limited, 100_000);
        standIns.api.answer(limited, List.of(aResponse().withStatus(429),
                LumaApiStandIn.json(LumaApiStandIn.runningBody(limited, "dreaming")),
                LumaApiStandIn.json(LumaApiStandIn.completedBody(media))));
        // failed at the provider
        String refused = "monitoring-failed-" + run;
        standIns.api.answer(refused, List.of(LumaApiStandIn.json(LumaApiStandIn.failedBody(refused, "refused"))));
        harvester.submit(limited);
        harvester.submit(refused);
        // not a task: a dead letter
        String notATask = "{not json " + run;
        harvester.submit(notATask);
        String events = harvester.setting("luma.topics.events");
        Events.awaitOnlyEvent(standIns, events, limited, Duration.ofSeconds(40));
        Events.awaitOnlyEvent(standIns, events, refused, Duration.ofSeconds(40));
        Awaitility.await("the dead letter").atMost(Duration.ofSeconds(30)).until(() -> Events
                .records(standIns, harvester.setting("luma.topics.dlq")).stream()
                .anyMatch(r -> new String(r.value(), StandardCharsets.UTF_8).equals(notATask)));
        // sent again after it completed: a re-submission (its event again)
        harvester.submit(limited);
        Events.awaitEvents(standIns, events, limited, Duration.ofSeconds(30));
        String port = harvester.setting("luma.http.port");
        Awaitility.await("the re-submission counted").atMost(Duration.ofSeconds(30)).untilAsserted(() -> assertThat(
                Probes.sample(Probes.scrape(port), "luma_tasks_duplicate_total", "decision=republished"))
                .isEqualTo(1.0));
        scrape = Probes.scrape(port);
    }

    /** The two counters the dashboard and the alerts added: the API's answers by status, dead letters by reason. */
    @Test
    void theScrapeCountsApiAnswersByStatusAndDeadLettersByReason() {
        assertThat(Probes.sample(scrape, "luma_api_answers_total", "status=429")).isEqualTo(1.0);
        assertThat(Probes.sample(scrape, "luma_api_answers_total", "status=200"))
                .as("the running and the completed answer, and the failed task's").isEqualTo(3.0);
        assertThat(Probes.sample(scrape, "luma_dlq_records_total", "reason=malformed_json")).isEqualTo(1.0);
        assertThat(Probes.sample(scrape, "luma_dlq_records_total")).isEqualTo(1.0);
    }

    @Test
    void everyDashboardAndAlertQueryNamesAMetricTheHarvesterExports() throws IOException {
        Set<String> exported = exportedNames(scrape);
        Map<String, String> queries = new LinkedHashMap<>();
        queries.putAll(dashboardQueries());
        queries.putAll(ruleQueries());
        assertThat(queries).hasSizeGreaterThanOrEqualTo(20);

        List<String> unknown = new ArrayList<>();
        Set<String> named = new TreeSet<>();
        queries.forEach((where, query) -> {
            Set<String> names = metricNames(query);
            assertThat(names).as("%s names a metric: %s", where, query).isNotEmpty();
            named.addAll(names);
            names.stream().filter(n -> !exported.contains(n) && !EXTERNAL.containsKey(n))
                    .forEach(n -> unknown.add(where + ": " + n));
        });
        assertThat(unknown).as("metrics named by a query but not in the harvester's scrape").isEmpty();
        assertThat(named).containsAll(DASHBOARD_MUST_SHOW);
        assertThat(dashboardQueries().values().stream().flatMap(q -> metricNames(q).stream()).toList())
                .containsAll(DASHBOARD_MUST_SHOW);
    }

    /** The check above reads metric names out of PromQL; a misspelt one, or one not exported, is caught. */
    @Test
    void aQueryNamingAnUnknownMetricIsCaught() {
        Set<String> exported = exportedNames(scrape);
        assertThat(metricNames("histogram_quantile(0.99, sum by (instance, le) (rate(luma_poll_lateness_seconds_bucket"
                + "{instance=~\"$instance\",a=\"b (c)\"}[$__rate_interval] offset 5m))) > 1e3 unless on (instance) "
                + "sum by (instance) (increase(luma_tasks_finished_total[45m])) > 0"))
                .containsExactlyInAnyOrder("luma_poll_lateness_seconds_bucket", "luma_tasks_finished_total");
        assertThat(metricNames("sum by (outcome) (rate(luma_polls_totl{outcome=\"error\"}[5m]))"))
                .containsExactly("luma_polls_totl").allMatch(n -> !exported.contains(n));
        assertThat(exported).contains("luma_polls_total", "luma_tasks_in_flight", "jvm_memory_used_bytes");
    }

    @Test
    void theAlertRulesPassTheirPromtoolTestsFiringAndNotFiring() throws Exception {
        Path promtool = binary("promtool");
        assertThat(run(Path.of("."), promtool.toString(), "check", "rules", RULES.toString())).contains("SUCCESS");
        // the test file names its rules file relative to itself
        assertThat(run(MONITORING, promtool.toString(), "test", "rules", RULES_TEST.getFileName().toString()))
                .contains("SUCCESS");

        // every alert has a case where it fires and one where it must not
        Map<String, Object> tests = yaml(RULES_TEST);
        Map<String, Set<Boolean>> cases = new LinkedHashMap<>();
        for (Map<String, Object> group : list(tests.get("tests"))) {
            for (Map<String, Object> test : list(group.get("alert_rule_test"))) {
                cases.computeIfAbsent((String) test.get("alertname"), a -> new LinkedHashSet<>())
                        .add(!list(test.get("exp_alerts")).isEmpty());
            }
        }
        assertThat(cases).containsOnlyKeys(alertNames());
        cases.forEach((alert, fires) -> assertThat(fires).as("%s fires and stays quiet", alert)
                .containsExactlyInAnyOrder(true, false));
    }

    @Test
    void thePrometheusRuleCarriesTheRulesFileAndTheKustomizationRendersTheDashboard() throws Exception {
        Map<String, Object> rule = yaml(PROMETHEUS_RULE);
        assertThat(rule).containsEntry("apiVersion", "monitoring.coreos.com/v1").containsEntry("kind",
                "PrometheusRule");
        @SuppressWarnings("unchecked")
        Map<String, Object> spec = (Map<String, Object>) rule.get("spec");
        assertThat(spec).isEqualTo(yaml(RULES));

        List<JsonNode> rendered = KubernetesOverlayTest.documents(KubernetesOverlayTest.kustomize(MONITORING));
        assertThat(rendered).extracting(d -> d.path("kind").asText())
                .containsExactlyInAnyOrder("ConfigMap", "PrometheusRule");
        JsonNode dashboard = rendered.stream().filter(d -> d.path("kind").asText().equals("ConfigMap")).findFirst()
                .orElseThrow();
        assertThat(dashboard.at("/metadata/labels/grafana_dashboard").asText()).isEqualTo("1");
        assertThat(dashboard.at("/data/luma-harvester-dashboard.json").asText())
                .isEqualTo(Files.readString(DASHBOARD));
    }

    /**
     * Prometheus itself scrapes the running harvester and evaluates the rules file: every rule loads and evaluates
     * with health ok, every dashboard query is valid PromQL and those on the harvester's own series return data, and a
     * dead letter sent while it watches fires LumaDeadLetters.
     */
    @Test
    void aRealPrometheusScrapesTheHarvesterAndFiresAnAlertFromItsSeries(@TempDir Path dir) throws Exception {
        Path prometheus = binary("prometheus");
        int port = freePort();
        String target = "127.0.0.1:" + harvester.setting("luma.http.port");
        Path config = dir.resolve("prometheus.yml");
        Files.writeString(config, """
                global:
                  scrape_interval: 1s
                  evaluation_interval: 1s
                rule_files:
                  - %s
                scrape_configs:
                  - job_name: luma-harvester
                    metrics_path: /observe/metrics
                    static_configs:
                      - targets: ['%s']
                """.formatted(RULES.toAbsolutePath(), target));
        Path log = dir.resolve("prometheus.log");
        Process process = new ProcessBuilder(prometheus.toString(), "--config.file=" + config,
                "--storage.tsdb.path=" + dir.resolve("data"), "--web.listen-address=127.0.0.1:" + port,
                "--log.level=warn").redirectErrorStream(true).redirectOutput(log.toFile()).start();
        String api = "http://127.0.0.1:" + port + "/api/v1/";
        try {
            Awaitility.await("Prometheus scrapes " + target).atMost(Duration.ofSeconds(30)).ignoreExceptions()
                    .pollInterval(Duration.ofMillis(250)).untilAsserted(() -> {
                assertThat(process.isAlive()).as(Files.readString(log)).isTrue();
                assertThat(get(api + "targets").at("/data/activeTargets/0/health").asText()).isEqualTo("up");
                assertThat(query(api, "luma_tasks_in_flight")).isNotEmpty();
            });
            // a dead letter while Prometheus watches, after its first scrape: the rate sees it go up while the rules
            // and the dashboard are checked below
            harvester.submit("{not json either");

            // each rule loaded and evaluated without an error
            Awaitility.await("the rules evaluated").atMost(Duration.ofSeconds(20)).pollInterval(Duration.ofMillis(250))
                    .untilAsserted(() -> {
                JsonNode rules = get(api + "rules").at("/data/groups");
                List<String> seen = new ArrayList<>();
                for (JsonNode group : rules) {
                    for (JsonNode rule : group.path("rules")) {
                        seen.add(rule.path("name").asText());
                        assertThat(rule.path("health").asText()).as("%s: %s", rule.path("name"),
                                rule.path("lastError")).isEqualTo("ok");
                        assertThat(rule.path("lastError").asText("")).isEmpty();
                    }
                }
                assertThat(seen).containsExactlyInAnyOrderElementsOf(alertNames());
            });

            // the dashboard's queries as Grafana sends them: valid, and with data from the harvester's series once
            // a rate has two scrapes to go on; without data only the refusals that did not happen and the lag that
            // comes from Kafka Exporter
            Awaitility.await("the dashboard's queries return data").atMost(Duration.ofSeconds(20))
                    .pollInterval(Duration.ofMillis(500)).untilAsserted(() -> {
                List<String> withoutData = new ArrayList<>();
                for (Map.Entry<String, String> panel : dashboardQueries().entrySet()) {
                    String promql = panel.getValue().replace("$instance", ".*").replace("$__rate_interval", "10s");
                    if (query(api, promql).isEmpty()) {
                        withoutData.add(panel.getKey());
                    }
                }
                assertThat(withoutData).as("panels whose query returned no series").containsExactlyInAnyOrder(
                        "dashboard panel S3 refusals A", "dashboard panel Consumer lag (Kafka Exporter) A");
            });

            // LumaDeadLetters fires with the record's reason
            Awaitility.await("LumaDeadLetters fires").atMost(Duration.ofSeconds(30)).pollInterval(Duration.ofMillis(250))
                    .untilAsserted(() -> {
                List<JsonNode> firing = new ArrayList<>();
                get(api + "alerts").at("/data/alerts").forEach(firing::add);
                assertThat(firing).anySatisfy(alert -> {
                    assertThat(alert.at("/labels/alertname").asText()).isEqualTo("LumaDeadLetters");
                    assertThat(alert.at("/labels/reason").asText()).isEqualTo("malformed_json");
                    assertThat(alert.at("/labels/instance").asText()).isEqualTo(target);
                    assertThat(alert.path("state").asText()).isEqualTo("firing");
                });
            });
        } finally {
            process.destroy();
            if (!process.waitFor(10, TimeUnit.SECONDS)) {
                process.destroyForcibly();
            }
        }
    }

    /**
     * The metric names a PromQL expression selects: string literals, label matchers, ranges and label lists taken
     * out, then every identifier that is not a function call or a keyword.
     */
    static Set<String> metricNames(String promql) {
        String bare = promql.replaceAll("\"(?:[^\"\\\\]|\\\\.)*\"", "\"\"")
                .replaceAll("\\{[^}]*}", " ")
                .replaceAll("\\[[^\\]]*]", " ")
                .replaceAll("\\b(?:by|without|on|ignoring|group_left|group_right)\\s*\\([^)]*\\)", " ");
        Set<String> keywords = Set.of("and", "or", "unless", "by", "without", "on", "ignoring", "group_left",
                "group_right", "bool", "offset", "inf", "nan");
        Set<String> names = new LinkedHashSet<>();
        Matcher m = Pattern.compile("(?<![\\w.$:])([a-zA-Z_:][a-zA-Z0-9_:]*+)(?!\\s*\\()").matcher(bare);
        while (m.find()) {
            if (!keywords.contains(m.group(1).toLowerCase())) {
                names.add(m.group(1));
            }
        }
        return names;
    }

    /** The metric names of a Prometheus scrape: each sample's name. */
    static Set<String> exportedNames(String scrape) {
        Set<String> names = new TreeSet<>();
        for (String line : scrape.split("\n")) {
            Matcher m = Pattern.compile("^([a-zA-Z_:][a-zA-Z0-9_:]*)[{ ]").matcher(line);
            if (m.find()) {
                names.add(m.group(1));
            }
        }
        return names;
    }

    /** Each dashboard query, by panel title and refId. */
    static Map<String, String> dashboardQueries() throws IOException {
        Map<String, String> queries = new LinkedHashMap<>();
        JsonNode dashboard = JSON.readTree(DASHBOARD.toFile());
        for (JsonNode panel : dashboard.path("panels")) {
            for (JsonNode target : panel.path("targets")) {
                queries.put("dashboard panel " + panel.path("title").asText() + " " + target.path("refId").asText(),
                        target.path("expr").asText());
            }
        }
        queries.put("dashboard variable instance",
                dashboard.at("/templating/list/1/definition").asText().replaceAll("label_values\\((\\w+).*", "$1"));
        return queries;
    }

    /** Each alert rule's expression, by alert name. */
    static Map<String, String> ruleQueries() throws IOException {
        Map<String, String> queries = new LinkedHashMap<>();
        for (Map<String, Object> group : list(yaml(RULES).get("groups"))) {
            for (Map<String, Object> rule : list(group.get("rules"))) {
                queries.put("alert " + rule.get("alert"), (String) rule.get("expr"));
            }
        }
        return queries;
    }

    static List<String> alertNames() throws IOException {
        return ruleQueries().keySet().stream().map(k -> k.substring("alert ".length())).toList();
    }

    /**
     * A Prometheus binary on the PATH. Missing, the test is skipped only outside CI and only when neither binary is
     * there: CI installs Debian's prometheus package (.ci/run), and half an installation is a fault.
     */
    static Path binary(String name) {
        List<String> both = List.of("promtool", "prometheus");
        Map<String, Path> found = new LinkedHashMap<>();
        for (String binary : both) {
            for (String dir : System.getenv().getOrDefault("PATH", "").split(File.pathSeparator)) {
                Path candidate = Path.of(dir, binary);
                if (!found.containsKey(binary) && Files.isExecutable(candidate)) {
                    found.put(binary, candidate);
                }
            }
        }
        if (found.isEmpty() && !"true".equals(System.getenv("CI"))) {
            Assumptions.abort("neither promtool nor prometheus is on the PATH: install Debian's prometheus package "
                    + "(apt-get install prometheus) to run this test; in CI (CI=true) it fails instead");
        }
        if (!found.containsKey(name)) {
            fail("%s is not on the PATH (found: %s); .ci/run installs Debian's prometheus package", name,
                    found.keySet());
        }
        return found.get(name);
    }

    private static String run(Path dir, String... command) throws Exception {
        Process process = new ProcessBuilder(command).directory(dir.toFile()).redirectErrorStream(true).start();
        process.getOutputStream().close();
        String out = new String(process.getInputStream().readAllBytes(), StandardCharsets.UTF_8);
        if (!process.waitFor(30, TimeUnit.SECONDS)) {
            process.destroyForcibly();
            fail("%s did not finish within 30 s", Arrays.toString(command));
        }
        assertThat(process.exitValue()).as("%s: %s", Arrays.toString(command), out).isZero();
        return out;
    }

    private static JsonNode get(String url) throws Exception {
        HttpResponse<String> response = HTTP.send(HttpRequest.newBuilder(URI.create(url))
                .timeout(Duration.ofSeconds(10)).build(), HttpResponse.BodyHandlers.ofString());
        assertThat(response.statusCode()).as("%s: %s", url, response.body()).isEqualTo(200);
        JsonNode body = JSON.readTree(response.body());
        assertThat(body.path("status").asText()).as("%s: %s", url, response.body()).isEqualTo("success");
        return body;
    }

    /** An instant query's result vector; a query Prometheus refuses fails the test. */
    private static List<JsonNode> query(String api, String promql) throws Exception {
        List<JsonNode> result = new ArrayList<>();
        get(api + "query?query=" + URLEncoder.encode(promql, StandardCharsets.UTF_8)).at("/data/result")
                .forEach(result::add);
        return result;
    }

    private static int freePort() throws IOException {
        try (ServerSocket socket = new ServerSocket(0, 1, InetAddress.getLoopbackAddress())) {
            return socket.getLocalPort();
        }
    }

    @SuppressWarnings("unchecked")
    private static Map<String, Object> yaml(Path file) throws IOException {
        return (Map<String, Object>) new Load(LoadSettings.builder().build()).loadFromString(Files.readString(file));
    }

    @SuppressWarnings("unchecked")
    private static List<Map<String, Object>> list(Object node) {
        return node == null ? List.of() : (List<Map<String, Object>>) node;
    }
}
