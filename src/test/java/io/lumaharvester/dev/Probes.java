package io.lumaharvester.dev;

import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.time.Duration;
import java.util.Arrays;
import java.util.Map;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

import org.awaitility.Awaitility;

import static org.assertj.core.api.Assertions.assertThat;

/** What an operator's tools see over the harvester's management port: probes and the Prometheus scrape. */
public final class Probes {

    /**
     * HTTP/1.1, as Prometheus and the kubelet ask: the JDK's default asks to upgrade to HTTP/2 (h2c), which the
     * management server grants, and one such scrape hung past its 15 s time-out in a full run (the JVM waited minutes).
     */
    private static final HttpClient HTTP = HttpClient.newBuilder().version(HttpClient.Version.HTTP_1_1)
            .connectTimeout(Duration.ofSeconds(5)).build();
    private static final Pattern SAMPLE = Pattern.compile("^([a-zA-Z_:][a-zA-Z0-9_:]*)(\\{(.*)})? (\\S+)$");

    private Probes() {
    }

    public static HttpResponse<String> get(String port, String path) throws Exception {
        return HTTP.send(HttpRequest.newBuilder(URI.create("http://127.0.0.1:" + port + path))
                .timeout(Duration.ofSeconds(15)).build(), HttpResponse.BodyHandlers.ofString());
    }

    public static HttpResponse<String> readiness(String port) throws Exception {
        return get(port, "/observe/health/ready");
    }

    /** Waits until readiness answers 503 and names {@code check} as DOWN. */
    public static void awaitNotReady(String port, String check) {
        Awaitility.await().atMost(Duration.ofSeconds(120)).pollInterval(Duration.ofMillis(250)).ignoreExceptions()
                .untilAsserted(() -> {
            HttpResponse<String> ready = readiness(port);
            assertThat(ready.statusCode()).as(ready.body()).isEqualTo(503);
            assertThat(ready.body()).contains(check);
        });
    }

    public static void awaitReady(String port) {
        Awaitility.await().atMost(Duration.ofSeconds(120)).pollInterval(Duration.ofMillis(250)).ignoreExceptions()
                .untilAsserted(() -> {
            HttpResponse<String> ready = readiness(port);
            assertThat(ready.statusCode()).as(ready.body()).isEqualTo(200);
        });
    }

    public static String scrape(String port) throws Exception {
        HttpResponse<String> response = get(port, "/observe/metrics");
        if (response.statusCode() != 200) {
            throw new AssertionError("/observe/metrics answered " + response.statusCode() + ": " + response.body());
        }
        return response.body();
    }

    /**
     * The sum of the samples of {@code name} whose labels include every {@code label="value"} given, or 0 when no
     * sample matches (a counter not incremented yet is absent).
     */
    public static double sample(String scrape, String name, String... labels) {
        double sum = 0;
        for (String line : scrape.split("\n")) {
            Matcher m = SAMPLE.matcher(line);
            if (m.matches() && m.group(1).equals(name)) {
                Map<String, String> have = labelsOf(m.group(3) == null ? "" : m.group(3));
                if (Arrays.stream(labels).map(label -> label.split("=", 2))
                        .allMatch(label -> label[1].equals(have.get(label[0])))) {
                    sum += Double.parseDouble(m.group(4));
                }
            }
        }
        return sum;
    }

    private static Map<String, String> labelsOf(String labels) {
        Map<String, String> map = new java.util.HashMap<>();
        Matcher m = Pattern.compile("([a-zA-Z_][a-zA-Z0-9_]*)=\"((?:[^\"\\\\]|\\\\.)*)\"").matcher(labels);
        while (m.find()) {
            map.put(m.group(1), m.group(2));
        }
        return map;
    }
}
