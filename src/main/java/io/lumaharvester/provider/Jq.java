package io.lumaharvester.provider;

import java.util.ArrayList;
import java.util.List;
import java.util.Map;

import com.fasterxml.jackson.databind.JsonNode;
import net.thisptr.jackson.jq.BuiltinFunctionLoader;
import net.thisptr.jackson.jq.JsonQuery;
import net.thisptr.jackson.jq.Scope;
import net.thisptr.jackson.jq.Version;
import net.thisptr.jackson.jq.Versions;
import net.thisptr.jackson.jq.exception.JsonQueryException;

/**
 * One jq expression (jackson-jq, the jq 1.6 dialect), compiled once and applied to many inputs. Thread-safe: each
 * application gets its own child scope for its variables.
 */
public final class Jq {

    public static final Version VERSION = Versions.JQ_1_6;

    /** jq's builtin functions, loaded once for every expression. */
    private static final Scope ROOT = rootScope();

    private final String text;
    private final JsonQuery query;

    private Jq(String text, JsonQuery query) {
        this.text = text;
        this.query = query;
    }

    /** @throws IllegalArgumentException naming jq's complaint, when {@code expression} is not jq */
    public static Jq compile(String expression) {
        try {
            return new Jq(expression, JsonQuery.compile(expression, VERSION));
        } catch (JsonQueryException e) {
            throw new IllegalArgumentException("not a jq expression (" + e.getMessage() + ")", e);
        }
    }

    /** Every value the expression yields for {@code input}, with {@code variables} as {@code $name}. */
    public List<JsonNode> all(JsonNode input, Map<String, JsonNode> variables) throws JsonQueryException {
        Scope scope = Scope.newChildScope(ROOT);
        variables.forEach(scope::setValue);
        List<JsonNode> out = new ArrayList<>(1);
        query.apply(scope, input, out::add);
        return out;
    }

    /** The first value the expression yields that is not {@code null}; null when none. */
    public JsonNode first(JsonNode input, Map<String, JsonNode> variables) throws JsonQueryException {
        for (JsonNode value : all(input, variables)) {
            if (value != null && !value.isNull() && !value.isMissingNode()) {
                return value;
            }
        }
        return null;
    }

    public String text() {
        return text;
    }

    @Override
    public String toString() {
        return text;
    }

    private static Scope rootScope() {
        Scope root = Scope.newEmptyScope();
        BuiltinFunctionLoader.getInstance().loadFunctions(VERSION, root);
        return root;
    }
}
