package io.lumaharvester.harvest;

import io.lumaharvester.task.TaskExchange;
import io.lumaharvester.task.TaskTicket;
import java.net.URI;
import java.util.Locale;
import java.util.Map;
import java.util.Set;
import java.util.regex.Pattern;

import org.apache.camel.ExchangeProperty;

/**
 * Object keys: {@code s3.key-prefix} followed by {@code s3.key-pattern} (by default {@value #DEFAULT_PATTERN}), and
 * the Content-Type an object is stored with. Only a validated
 * task id and a fixed role name reach a key. The CDN's answer never names anything: what it says can change from one
 * attempt to the next, and a retry must write the same key.
 * <ul>
 * <li>Extension: the source URL's, when it is one the role's kind allows ({@code .jpeg} is written {@code jpg}), else
 * the role's own default (video roles {@code mp4}, {@code thumbnail} {@code webp}, {@code last_frame} {@code jpg}: what
 * Luma serves them as), and {@code bin} for a role of no known kind.</li>
 * <li>Content-Type: the CDN's, when the role's kind allows it, else {@code application/octet-stream} (never, say,
 * {@code text/html} served from the media bucket).</li>
 * </ul>
 */
public class MediaNaming {

    public static final String OCTET_STREAM = "application/octet-stream";

    /** Content types and extensions a kind of media may have. */
    private record Kind(Set<String> contentTypes, Map<String, String> extensions) {
    }

    private static final Kind VIDEO = new Kind(Set.of("video/mp4", "video/quicktime", "video/webm"),
            Map.of("mp4", "mp4", "mov", "mov", "webm", "webm"));
    private static final Kind IMAGE = new Kind(Set.of("image/jpeg", "image/png", "image/webp"),
            Map.of("jpg", "jpg", "jpeg", "jpg", "png", "png", "webp", "webp"));
    private static final Kind AUDIO = new Kind(Set.of("audio/mpeg", "audio/wav", "audio/x-wav", "audio/mp4",
            "audio/ogg", "audio/flac"), Map.of("mp3", "mp3", "wav", "wav", "m4a", "m4a", "ogg", "ogg", "flac", "flac"));
    private static final Kind UNKNOWN = new Kind(Set.of(), Map.of());

    /**
     * Key role (without its {@code artifact_} prefix and its {@code _2}, {@code _3}, ... suffix) to its kind, and to
     * its default extension: luma-aggregator's roles, and those the built-in profiles name.
     */
    private static final Map<String, Kind> KINDS = Map.of(
            "video", VIDEO, "video_raw", VIDEO, "progress_video", VIDEO, "thumbnail", IMAGE, "last_frame", IMAGE,
            "image", IMAGE, "cover", IMAGE, "poster", IMAGE, "audio", AUDIO);
    private static final Map<String, String> DEFAULT_EXTENSIONS = Map.of(
            "video", "mp4", "video_raw", "mp4", "progress_video", "mp4", "thumbnail", "webp", "last_frame", "jpg",
            "image", "png", "cover", "jpg", "poster", "jpg", "audio", "mp3");
    private static final Pattern NTH_FILE = Pattern.compile("_[0-9]+$");
    // a profile's role (up to 32 characters) with its '.' as '_', and _2, _3, ... for a role's later files
    private static final Pattern ROLE = Pattern.compile("[a-z][a-z0-9_]{0,39}");

    /** The layout of a key after its prefix: every file of every task has its own key. */
    public static final String DEFAULT_PATTERN = "{task_id}/{role}.{extension}";
    private static final Pattern TOKEN = Pattern.compile("\\{([^}]*)}");
    private static final Set<String> TOKENS = Set.of("task_id", "role", "extension");

    private final String keyPrefix;
    private final String keyPattern;

    public MediaNaming(String keyPrefix, String keyPattern) {
        this.keyPrefix = keyPrefix == null ? "" : keyPrefix;
        this.keyPattern = keyPattern == null || keyPattern.isBlank() ? DEFAULT_PATTERN : keyPattern;
        String problem = patternProblem(this.keyPattern);
        if (problem != null) {
            throw new IllegalArgumentException("s3.key-pattern " + problem);
        }
    }

    /**
     * Why a key pattern cannot be used, or null: it must name {@code {task_id}} and {@code {role}} (or two files, or
     * two tasks, would share a key) and no token but those and {@code {extension}}.
     */
    public static String patternProblem(String pattern) {
        var tokens = TOKEN.matcher(pattern).results().map(m -> m.group(1)).toList();
        var unknown = tokens.stream().filter(t -> !TOKENS.contains(t)).toList();
        if (!unknown.isEmpty()) {
            return "names " + unknown + "; it may use {task_id}, {role} and {extension}";
        }
        if (!tokens.contains("task_id") || !tokens.contains("role")) {
            return "must contain {task_id} and {role}, or files would share a key";
        }
        if (pattern.startsWith("/")) {
            return "must not start with / (an S3 key with an empty first segment)";
        }
        return null;
    }

    /** The key of the file being copied (route copy-media, step s3-key): {@link #key} of its task and file. */
    public String keyFor(@ExchangeProperty(TaskExchange.TICKET) TaskTicket ticket,
            @ExchangeProperty(TaskExchange.MEDIA) MediaFile file) {
        return key(ticket.taskId(), file.keyRole(), file.sourceUrl());
    }

    /** The same for every attempt at a task's file: nothing in it comes from the CDN's answer. */
    public String key(String taskId, String keyRole, String url) {
        if (!TaskTicket.TASK_ID.matcher(taskId).matches() || !ROLE.matcher(keyRole).matches()) {
            throw new IllegalArgumentException("refusing to build a key from an unvalidated id or role");
        }
        return keyPrefix + keyPattern.replace("{task_id}", taskId).replace("{role}", keyRole)
                .replace("{extension}", extension(keyRole, url));
    }

    /** The URL path's extension if the role's kind allows it, else the role's default, else {@code bin}. */
    public static String extension(String keyRole, String url) {
        String fromUrl = kind(keyRole).extensions().get(urlSuffix(url));
        return fromUrl != null ? fromUrl : DEFAULT_EXTENSIONS.getOrDefault(baseRole(keyRole), "bin");
    }

    /** The CDN's media type (parameters dropped) if the role's kind allows it, else application/octet-stream. */
    public static String storedContentType(String keyRole, String contentType) {
        String type = mediaType(contentType);
        return type != null && kind(keyRole).contentTypes().contains(type) ? type : OCTET_STREAM;
    }

    /** {@code video/mp4; codecs=...} gives {@code video/mp4}; null or blank gives null. */
    public static String mediaType(String contentType) {
        if (contentType == null || contentType.isBlank()) {
            return null;
        }
        int semicolon = contentType.indexOf(';');
        return (semicolon >= 0 ? contentType.substring(0, semicolon) : contentType).strip().toLowerCase(Locale.ROOT);
    }

    private static Kind kind(String keyRole) {
        return KINDS.getOrDefault(baseRole(keyRole), UNKNOWN);
    }

    /** {@code artifact_video} and {@code video_2} are videos like {@code video}. */
    private static String baseRole(String keyRole) {
        String role = keyRole == null ? "" : keyRole.startsWith("artifact_") ? keyRole.substring("artifact_".length())
                : keyRole;
        return NTH_FILE.matcher(role).replaceFirst("");
    }

    /** The lower-case suffix after the last dot of the URL path's last segment, or "" when there is none. */
    private static String urlSuffix(String url) {
        try {
            String path = URI.create(url).getPath();
            int dot = path == null ? -1 : path.lastIndexOf('.');
            return dot >= 0 && dot > path.lastIndexOf('/') ? path.substring(dot + 1).toLowerCase(Locale.ROOT) : "";
        } catch (IllegalArgumentException | NullPointerException notAUri) {
            return "";
        }
    }
}
