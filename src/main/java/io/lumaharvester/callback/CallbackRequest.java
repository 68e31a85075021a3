package io.lumaharvester.callback;

import java.util.function.Function;

/**
 * What a verifier reads of a callback: the method, the path and raw query the provider called, the headers (by name,
 * case-insensitive; null when absent) and the body's bytes exactly as they arrived (every scheme signs the bytes, not
 * the JSON they parse to).
 */
public record CallbackRequest(String method, String path, String rawQuery, Function<String, String> headers,
        byte[] body) {

    /** The header's value, or null. */
    public String header(String name) {
        return headers.apply(name);
    }
}
