package io.lumaharvester.provider;

import java.io.IOException;
import java.io.InputStream;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.node.NullNode;
import org.apache.camel.Exchange;
import org.apache.camel.Expression;
import org.apache.camel.ExpressionEvaluationException;
import org.apache.camel.ExpressionIllegalSyntaxException;
import org.apache.camel.Predicate;
import org.apache.camel.support.ExpressionAdapter;
import org.apache.camel.support.MessageHelper;
import org.apache.camel.support.SingleInputTypedLanguageSupport;

/**
 * The {@code jq} language of routes ({@code jq: '.state'}), on the same engine and dialect as the provider profiles
 * ({@link Jq}): camel-jq 4.18 is not published, and its 4.17 would mix Camel versions. Registered by
 * {@code META-INF/services/org/apache/camel/language/jq}. The input is the message body, or the {@code source} the
 * route names (a header, property or variable): a JsonNode, or JSON text as a String, byte[] or InputStream. The
 * expression is compiled when the route is built, so a malformed one stops the route's start with jq's complaint.
 * No variables are bound (no {@code $id}, {@code $base}, {@code $metadata}: those are the profiles').
 */
public final class JqLanguage extends SingleInputTypedLanguageSupport {

    private static final ObjectMapper JSON = new ObjectMapper();

    @Override
    protected boolean supportResultType() {
        // the expression converts its own result: jq's text, numbers and booleans as Java values, not JSON text
        return false;
    }

    @Override
    public Expression createExpression(Expression source, String expression, Object[] properties) {
        return new JqExpression(source, compile(expression), property(Class.class, properties, 0, null));
    }

    @Override
    public Predicate createPredicate(Expression source, String expression, Object[] properties) {
        return new JqExpression(source, compile(expression), null);
    }

    private static Jq compile(String expression) {
        try {
            return Jq.compile(expression);
        } catch (IllegalArgumentException e) {
            // jq's parser says where: "Encountered "<EOF>" at line 1, column 8."
            Throwable why = e;
            while (why.getCause() != null) {
                why = why.getCause();
            }
            throw new ExpressionIllegalSyntaxException(expression + " (" + why.getMessage().lines().findFirst()
                    .orElse("") + ")", e);
        }
    }

    /** One compiled jq expression over one input; as a predicate, true when its first value is neither false nor null. */
    static final class JqExpression extends ExpressionAdapter {

        private final Expression source;
        private final Jq jq;
        private final Class<?> resultType;

        JqExpression(Expression source, Jq jq, Class<?> resultType) {
            this.source = source;
            this.jq = jq;
            this.resultType = resultType == Object.class ? null : resultType;
        }

        /** The single value as {@code resultType}; several values as a list; null when none (or jq's null). */
        @Override
        public Object evaluate(Exchange exchange) {
            List<JsonNode> values = values(exchange);
            if (values.size() == 1) {
                return convert(exchange, values.get(0));
            }
            if (values.isEmpty()) {
                return null;
            }
            List<Object> out = new ArrayList<>(values.size());
            values.forEach(value -> out.add(convert(exchange, value)));
            return out;
        }

        @Override
        public boolean matches(Exchange exchange) {
            List<JsonNode> values = values(exchange);
            return !values.isEmpty() && !values.get(0).isNull() && !(values.get(0).isBoolean() && !values.get(0).asBoolean());
        }

        private List<JsonNode> values(Exchange exchange) {
            try {
                return jq.all(input(exchange), Map.of());
            } catch (IOException e) { // jq's JsonQueryException is one, as is a body that is not JSON
                throw new ExpressionEvaluationException(this, exchange, e);
            }
        }

        private JsonNode input(Exchange exchange) throws IOException {
            Object value = source.evaluate(exchange, Object.class);
            try {
                if (value instanceof JsonNode node) {
                    return node;
                } else if (value instanceof String text) {
                    return JSON.readTree(text);
                } else if (value instanceof byte[] bytes) {
                    return JSON.readTree(bytes);
                } else if (value instanceof InputStream in) {
                    return JSON.readTree(in);
                }
                return value == null ? NullNode.getInstance() : JSON.valueToTree(value);
            } finally {
                // a stream-cached body is read again by the next step
                MessageHelper.resetStreamCache(exchange.getMessage());
            }
        }

        private Object convert(Exchange exchange, JsonNode value) {
            if (value.isNull() || value.isMissingNode()) {
                return null;
            }
            if (resultType == null || resultType.isInstance(value)) {
                return value;
            }
            Object plain = value.isTextual() ? value.textValue()
                    : value.isNumber() ? value.numberValue()
                    : value.isBoolean() ? (Object) value.booleanValue()
                    : resultType == String.class ? value.toString() : value;
            return exchange.getContext().getTypeConverter().convertTo(resultType, exchange, plain);
        }

        @Override
        protected String assertionFailureMessage(Exchange exchange) {
            return toString();
        }

        @Override
        public String toString() {
            return "jq{" + jq.text() + "}";
        }
    }
}
