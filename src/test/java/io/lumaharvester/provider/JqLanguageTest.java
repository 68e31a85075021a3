package io.lumaharvester.provider;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.io.ByteArrayInputStream;
import java.nio.charset.StandardCharsets;
import java.util.function.Function;
import java.util.stream.Stream;

import com.fasterxml.jackson.databind.JsonNode;
import io.lumaharvester.dev.LumaApiStandIn;
import org.apache.camel.CamelContext;
import org.apache.camel.Expression;
import org.apache.camel.FailedToCreateRouteException;
import org.apache.camel.impl.DefaultCamelContext;
import org.apache.camel.support.DefaultExchange;
import org.apache.camel.support.PluginHelper;
import org.apache.camel.support.ResourceHelper;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.Arguments;
import org.junit.jupiter.params.provider.MethodSource;

class JqLanguageTest {

    /** A YAML route in the routes' own form: jq in a choice, a filter and setBody steps, no ${...}. */
    private static final String ROUTES = """
            - route:
                id: jq-answer
                from:
                  uri: direct:answer
                  steps:
                    - filter:
                        id: only-answers-with-a-state
                        jq: '.state'
                        steps:
                          - choice:
                              id: by-state
                              when:
                                - id: when-completed
                                  jq: '.state == "completed"'
                                  steps:
                                    - setBody:
                                        id: video-url
                                        jq:
                                          expression: '.video | objects | .download_url // .url'
                                          resultType: java.lang.String
                              otherwise:
                                id: otherwise-running
                                steps:
                                  - setBody:
                                      id: running-state
                                      jq: '.state'
                    - setProperty:
                        id: kept
                        name: kept
                        constant: 'true'
            """;

    private static final JsonNode SEED = LumaApiStandIn.seed();
    private static final String VIDEO = SEED.path("video").path("download_url").textValue();

    private CamelContext context;

    @AfterEach
    void stop() {
        if (context != null) {
            context.stop();
        }
    }

    @Test
    void jqResolvesAsACamelLanguageThatReadsTheBodyAsJson() {
        context = new DefaultCamelContext();
        assertThat(context.resolveLanguage("jq")).isInstanceOf(JqLanguage.class);

        Expression state = context.resolveLanguage("jq").createExpression(".state");
        DefaultExchange exchange = new DefaultExchange(context);
        exchange.getMessage().setBody(SEED);
        assertThat(state.evaluate(exchange, String.class)).isEqualTo("completed");
        assertThat(state.evaluate(exchange, Object.class)).isEqualTo(SEED.get("state"));
    }

    static Stream<Arguments> bodies() {
        return Stream.of(
                Arguments.of("JsonNode", (Function<JsonNode, Object>) json -> json),
                Arguments.of("String", (Function<JsonNode, Object>) JsonNode::toString),
                Arguments.of("byte[]", (Function<JsonNode, Object>) json -> json.toString().getBytes(StandardCharsets.UTF_8)),
                Arguments.of("InputStream", (Function<JsonNode, Object>) json -> new ByteArrayInputStream(
                        json.toString().getBytes(StandardCharsets.UTF_8))));
    }

    @ParameterizedTest(name = "{0}")
    @MethodSource("bodies")
    void aYamlRouteBranchesAndSetsTheBodyWithJq(String form, Function<JsonNode, Object> as) throws Exception {
        context = started(ROUTES);
        var template = context.createProducerTemplate();

        assertThat(template.requestBody("direct:answer", as.apply(SEED))).isEqualTo(VIDEO);
        Object running = template.requestBody("direct:answer",
                as.apply(LumaApiStandIn.runningBody("task-1", "dreaming")));
        assertThat(running).isInstanceOf(JsonNode.class).hasToString("\"dreaming\"");

        // the filter: an answer whose .state is null stops there, untouched
        var stateless = template.send("direct:answer", e -> e.getMessage().setBody(as.apply(
                LumaApiStandIn.runningBody("task-1", "x").putNull("state"))));
        assertThat(stateless.getException()).isNull();
        assertThat(stateless.getProperty("kept")).isEqualTo("true");
        assertThat(stateless.getMessage().getBody(String.class).replace(" ", "")).contains("\"state\":null");
    }

    @Test
    void aMalformedExpressionStopsTheRouteAtStartWithJqsComplaint() throws Exception {
        assertThatThrownBy(() -> started(ROUTES.replace("jq: '.state'\n", "jq: '.state |'\n")))
                .isInstanceOf(FailedToCreateRouteException.class)
                .hasMessageContaining("Failed to create route: jq-answer")
                .hasMessageContaining("Illegal syntax: .state | (Encountered \"<EOF>\" at line 1, column 8.)");
    }

    private CamelContext started(String routes) throws Exception {
        context = new DefaultCamelContext();
        PluginHelper.getRoutesLoader(context).loadRoutes(ResourceHelper.fromString("jq.camel.yaml", routes));
        context.start();
        return context;
    }
}
