package io.lumaharvester;

import java.net.URI;
import java.util.Locale;
import java.util.Map;
import java.util.regex.Pattern;

/**
 * Object keys: {@code {prefix}{task_id}/{role}.{ext}}. Only a validated task id and a fixed role name reach a key;
 * from the URL only a known extension is taken.
 */
public class MediaNaming {

    private static final Map<String, String> BY_CONTENT_TYPE = Map.of(
            "video/mp4", "mp4",
            "image/jpeg", "jpg",
            "image/webp", "webp",
            "image/png", "png");
    private static final Map<String, String> BY_SUFFIX = Map.of(
            "mp4", "mp4", "jpg", "jpg", "jpeg", "jpg", "webp", "webp", "png", "png");
    private static final Pattern ROLE = Pattern.compile("[a-z_]{1,32}");

    private final String keyPrefix;

    public MediaNaming(String keyPrefix) {
        this.keyPrefix = keyPrefix == null ? "" : keyPrefix;
    }

    public String key(String taskId, String keyRole, String contentType, String url) {
        if (!TaskIntake.TASK_ID.matcher(taskId).matches() || !ROLE.matcher(keyRole).matches()) {
            throw new IllegalArgumentException("refusing to build a key from an unvalidated id or role");
        }
        return keyPrefix + taskId + "/" + keyRole + "." + extension(contentType, url);
    }

    /** From the Content-Type, else from the URL's path, else {@code bin}. */
    public static String extension(String contentType, String url) {
        String type = mediaType(contentType);
        if (type != null && BY_CONTENT_TYPE.containsKey(type)) {
            return BY_CONTENT_TYPE.get(type);
        }
        try {
            String path = URI.create(url).getPath();
            int dot = path == null ? -1 : path.lastIndexOf('.');
            if (dot >= 0 && dot > path.lastIndexOf('/')) {
                String suffix = path.substring(dot + 1).toLowerCase(Locale.ROOT);
                if (BY_SUFFIX.containsKey(suffix)) {
                    return BY_SUFFIX.get(suffix);
                }
            }
        } catch (IllegalArgumentException notAUri) {
            // fall through to bin
        }
        return "bin";
    }

    /** {@code video/mp4; codecs=...} gives {@code video/mp4}; null or blank gives null. */
    public static String mediaType(String contentType) {
        if (contentType == null || contentType.isBlank()) {
            return null;
        }
        int semicolon = contentType.indexOf(';');
        return (semicolon >= 0 ? contentType.substring(0, semicolon) : contentType).strip().toLowerCase(Locale.ROOT);
    }
}
