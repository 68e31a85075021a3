package io.lumaharvester.provider;

import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

import com.dashjoin.jsonata.Jsonata;
import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.jayway.jsonpath.Configuration;
import com.jayway.jsonpath.JsonPath;
import com.jayway.jsonpath.Option;
import com.jayway.jsonpath.spi.json.JacksonJsonNodeJsonProvider;
import com.jayway.jsonpath.spi.json.JacksonJsonProvider;
import com.jayway.jsonpath.spi.mapper.JacksonMappingProvider;
import io.lumaharvester.dev.LumaApiStandIn;
import org.apache.camel.impl.DefaultCamelContext;

/**
 * What one expression costs per evaluation on the seed's answers, jq (jackson-jq, the profiles' engine) against
 * JsonPath (camel-jsonpath's engine) and JSONata (dashjoin), and the whole luma-aggregator profile read; the raw
 * Jackson parse of the answer for scale. Each expression is compiled once, evaluated {@code measure.evaluations}
 * times to warm up, then {@code measure.rounds} times as often, timed; the median and the fastest round are printed
 * (on a shared machine the fastest is the nearer to the expression's own cost). A measurement
 * run on demand (docs/performance.md, "Expression languages"), not a test:
 * {@code java -cp target/test-classes:target/classes:<test classpath> io.lumaharvester.provider.ExpressionCostMeasurement}.
 */
public final class ExpressionCostMeasurement {

    private static final int N = Integer.getInteger("measure.evaluations", 200_000);
    private static final int ROUNDS = Integer.getInteger("measure.rounds", 5);
    private static final ObjectMapper JSON = new ObjectMapper();
    private static final String ID = "e70fdf3c-ce95-4dd1-a967-220ce957aff5";
    private static long sink;

    @FunctionalInterface
    interface Evaluation {
        Object run() throws Exception;
    }

    private ExpressionCostMeasurement() {
    }

    public static void main(String[] args) throws Exception {
        Map<String, JsonNode> answers = new LinkedHashMap<>();
        answers.put("completed", LumaApiStandIn.seed());
        answers.put("running", LumaApiStandIn.runningBody(ID, "dreaming"));

        ProviderProfile profile = ProviderProfiles.builtIns(new DefaultCamelContext()).get(Providers.LUMA_AGGREGATOR);
        Provider provider = TestProviders.builtIns().get(Providers.LUMA_AGGREGATOR);
        String jqState = profile.state().value();
        String jqMedia = profile.functions() + " " + profile.media().get("video");

        Jq jqStatePlain = Jq.compile(".state");
        Jq jqStateProfile = Jq.compile(jqState);
        Jq jqMediaProfile = Jq.compile(jqMedia);
        // where jq's time goes: the state without a jq-defined filter (strings); the media choosing their URL in jq
        Jq jqStateTyped = Jq.compile(".state | select(type == \"string\")");
        Jq jqMediaNoRegex = Jq.compile(jqMedia.replace("[.download_url, .url]",
                "([.download_url, .url] | map(strings | select(test(\"\\\\S\"))) | first)"));
        Configuration onMaps = Configuration.builder().jsonProvider(new JacksonJsonProvider())
                .mappingProvider(new JacksonMappingProvider()).options(Option.SUPPRESS_EXCEPTIONS).build();
        Configuration onNodes = Configuration.builder().jsonProvider(new JacksonJsonNodeJsonProvider())
                .mappingProvider(new JacksonMappingProvider()).options(Option.SUPPRESS_EXCEPTIONS).build();
        JsonPath pathState = JsonPath.compile("$.state");
        JsonPath pathVideo = JsonPath.compile("$.video");
        Jsonata nataState = Jsonata.jsonata("state");
        Jsonata nataMedia = Jsonata.jsonata("$type(video) = 'object' ? video.{'url': [download_url, url]"
                + "[$type($) = 'string' and $trim($) != ''][0], 'width': width, 'height': height, 'duration': duration}");

        System.out.printf("jackson-jq 1.6.0, json-path 2.10.0 (camel-jsonpath 4.18.0's), jsonata 0.9.9; %s %s;"
                + " %,d evaluations x %d rounds after %,d warm-up, ns per evaluation in the median round and the fastest%n",
                System.getProperty("java.vm.name"), System.getProperty("java.version"), N, ROUNDS, N);
        System.out.println("(b) jq: " + jqMedia);
        if (jqMediaNoRegex.text().equals(jqMedia)) {
            throw new IllegalStateException("the profile's media expression changed; update the variant");
        }
        System.out.println("(b) jq choosing the URL in jq: " + jqMediaNoRegex);
        for (Map.Entry<String, JsonNode> answer : answers.entrySet()) {
            JsonNode node = answer.getValue();
            byte[] bytes = JSON.writeValueAsBytes(node);
            Object map = JSON.readValue(bytes, Object.class);
            String text = new String(bytes, StandardCharsets.UTF_8);
            System.out.printf("%n%s answer, %,d bytes; results: jq %s | %s; jsonpath %s | %s; jsonata %s | %s%n",
                    answer.getKey(), bytes.length, jqStateProfile.first(node, Map.of()),
                    jqMediaProfile.first(node, Map.of()), pathState.read(map, onMaps),
                    glue(pathVideo.read(map, onMaps)), nataState.evaluate(map), nataMedia.evaluate(map));

            row("parse: Jackson readTree (bytes -> JsonNode)", () -> JSON.readTree(bytes));
            row("parse: Jackson readValue (bytes -> Map), JsonPath's/JSONata's input", () -> JSON.readValue(bytes, Object.class));
            row("parse: JSONata's own parser (String -> Map)", () -> com.dashjoin.jsonata.json.Json.parseJson(text));
            row("(a) jq '.state' on the JsonNode", () -> jqStatePlain.first(node, Map.of()));
            row("(a) jq '" + jqState + "' (the profile's) on the JsonNode", () -> jqStateProfile.first(node, Map.of()));
            row("(a) jq '.state | select(type == \"string\")' on the JsonNode", () -> jqStateTyped.first(node, Map.of()));
            row("(a) JsonPath '$.state' on the Map (camel-jsonpath's provider)", () -> pathState.read(map, onMaps));
            row("(a) JsonPath '$.state' on the JsonNode (JsonNode provider)", () -> pathState.read(node, onNodes));
            row("(a) JSONata 'state' on the Map", () -> nataState.evaluate(map));
            row("(b) jq: the profile's video media expression, with its functions", () -> jqMediaProfile.all(node, Map.of()));
            row("(b) jq: the same choosing the first non-blank URL in jq, with a regex (test(\"\\\\S\"))",
                    () -> jqMediaNoRegex.all(node, Map.of()));
            row("(b) JsonPath '$.video' on the Map + Java glue (url fallback, fields)", () -> glue(pathVideo.read(map, onMaps)));
            row("(b) JSONata video.{url: ..., width, height, duration} on the Map", () -> nataMedia.evaluate(map));
            row("(c) Provider.read (luma-aggregator)", () -> provider.read(ID, null, node));
            row("(c) Provider.read + Provider.media (luma-aggregator: 8 media roles)",
                    () -> provider.read(ID, null, node) != null ? provider.media(ID, null, node) : null);
        }
        System.out.printf("%n(evaluations that yielded a value: %,d)%n", sink);
    }

    /** What JsonPath leaves to Java for the media expression: the url fallback and the fields of a media object. */
    private static Object glue(Object video) {
        if (!(video instanceof Map<?, ?> file)) {
            return null;
        }
        Object url = null;
        for (Object candidate : Arrays.asList(file.get("download_url"), file.get("url"))) {
            if (candidate instanceof String s && !s.isBlank()) {
                url = s;
                break;
            }
        }
        List<Object> out = new ArrayList<>(List.of(String.valueOf(url)));
        out.add(file.get("width"));
        out.add(file.get("height"));
        out.add(file.get("duration"));
        return out;
    }

    private static void row(String what, Evaluation evaluation) throws Exception {
        repeat(evaluation);
        long[] rounds = new long[ROUNDS];
        for (int r = 0; r < ROUNDS; r++) {
            long start = System.nanoTime();
            repeat(evaluation);
            rounds[r] = System.nanoTime() - start;
        }
        Arrays.sort(rounds);
        System.out.printf("%,10.0f %,10.0f ns  %s%n", (double) rounds[ROUNDS / 2] / N, (double) rounds[0] / N, what);
    }

    private static void repeat(Evaluation evaluation) throws Exception {
        for (int i = 0; i < N; i++) {
            if (evaluation.run() != null) {
                sink++;
            }
        }
    }
}
