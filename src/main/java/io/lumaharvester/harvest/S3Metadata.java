package io.lumaharvester.harvest;

import io.lumaharvester.task.TaskTicket;
import java.net.URLEncoder;
import java.nio.charset.StandardCharsets;
import java.security.MessageDigest;
import java.security.NoSuchAlgorithmException;
import java.util.HexFormat;
import java.util.LinkedHashMap;
import java.util.Map;

import com.fasterxml.jackson.databind.JsonNode;

/**
 * The user metadata of a stored media file. S3 metadata is ASCII, so the prompt (any script, quotes, line breaks) is
 * percent-encoded. AWS refuses an object whose user metadata passes 2 KB (400 MetadataTooLarge, on every attempt),
 * and a 220-character Chinese prompt already does: the encoded prompt is cut to what fits, on a character boundary,
 * and {@code luma-prompt-sha256} (of the whole prompt, UTF-8) and {@code luma-prompt-truncated: true} say so. The
 * event carries the whole prompt.
 */
public final class S3Metadata {

    /** AWS's limit on user metadata: the UTF-8 bytes of every key and value. */
    public static final int MAX_BYTES = 2048;
    /** Counted with each key, so the total stays within the limit however S3 counts keys. */
    static final String HEADER_PREFIX = "x-amz-meta-";

    static final String TASK_ID = "luma-task-id";
    static final String ROLES = "luma-roles";
    static final String PROMPT = "luma-prompt";
    static final String PROMPT_SHA256 = "luma-prompt-sha256";
    static final String PROMPT_TRUNCATED = "luma-prompt-truncated";

    private S3Metadata() {
    }

    /** The prompt is left out when {@code includePrompt} is false (luma.events.include-prompt: personal data). */
    public static Map<String, String> of(TaskTicket ticket, MediaFile file, boolean includePrompt) {
        Map<String, String> metadata = new LinkedHashMap<>();
        metadata.put(TASK_ID, ticket.taskId());
        metadata.put(ROLES, String.join(",", file.roles()));
        JsonNode prompt = ticket.generation() == null ? null : ticket.generation().at("/request/prompt");
        if (includePrompt && prompt != null && prompt.isTextual()) {
            metadata.put(PROMPT_SHA256, sha256Hex(prompt.textValue()));
            // room for the marker is kept whether or not the prompt is cut: one budget, computed once
            int budget = MAX_BYTES - size(metadata) - size(Map.of(PROMPT_TRUNCATED, "true", PROMPT, ""));
            String whole = encode(prompt.textValue(), Integer.MAX_VALUE);
            if (whole.length() <= budget) {
                metadata.put(PROMPT, whole);
            } else {
                metadata.put(PROMPT, encode(prompt.textValue(), budget));
                metadata.put(PROMPT_TRUNCATED, "true");
            }
        }
        return metadata;
    }

    /**
     * The text percent-encoded (UTF-8, a space as {@code %20}), as many whole characters as fit in {@code maxBytes}:
     * a cut never splits a {@code %XX} escape or the escapes of one character.
     */
    static String encode(String text, int maxBytes) {
        StringBuilder out = new StringBuilder();
        for (int i = 0; i < text.length(); ) {
            int end = i + Character.charCount(text.codePointAt(i));
            String one = URLEncoder.encode(text.substring(i, end), StandardCharsets.UTF_8)
                    .replace("+", "%20");
            if (out.length() + one.length() > maxBytes) {
                break;
            }
            out.append(one);
            i = end;
        }
        return out.toString();
    }

    /** Bytes S3 counts against {@link #MAX_BYTES}, with each key's header prefix (the encoded values are ASCII). */
    static int size(Map<String, String> metadata) {
        return metadata.entrySet().stream()
                .mapToInt(e -> utf8Length(HEADER_PREFIX + e.getKey()) + utf8Length(e.getValue()))
                .sum();
    }

    private static int utf8Length(String s) {
        return s.getBytes(StandardCharsets.UTF_8).length;
    }

    public static String sha256Hex(String text) {
        try {
            return HexFormat.of().formatHex(
                    MessageDigest.getInstance("SHA-256").digest(text.getBytes(StandardCharsets.UTF_8)));
        } catch (NoSuchAlgorithmException e) {
            throw new IllegalStateException(e);
        }
    }
}
