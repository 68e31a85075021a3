package io.lumaharvester.harvest;

import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

import com.fasterxml.jackson.databind.JsonNode;

/**
 * Lists the distinct media files of a completed generation: {@code video}, {@code video_raw}, {@code thumbnail},
 * {@code last_frame} and their {@code artifact.*} twins, {@code download_url} before {@code url}. A URL named by
 * several fields is one file, keyed by the first role that uses it.
 */
public class MediaSplitter {

    /** Priority order: the first role that uses a URL names its object. */
    public static final List<String> ROLES = List.of("video", "video_raw", "thumbnail", "last_frame");

    public List<MediaFile> split(JsonNode generation) {
        Map<String, Builder> byUrl = new LinkedHashMap<>();
        for (String role : ROLES) {
            collect(byUrl, role, role, generation == null ? null : generation.get(role));
            JsonNode artifact = generation == null ? null : generation.get("artifact");
            collect(byUrl, "artifact." + role, "artifact_" + role, artifact == null ? null : artifact.get(role));
        }
        List<MediaFile> files = new ArrayList<>(byUrl.size());
        byUrl.values().forEach(b -> files.add(b.build()));
        return files;
    }

    private static void collect(Map<String, Builder> byUrl, String role, String keyRole, JsonNode media) {
        if (media == null || !media.isObject()) {
            return;
        }
        String url = text(media.get("download_url"));
        if (url == null) {
            url = text(media.get("url"));
        }
        if (url == null) {
            return;
        }
        Builder file = byUrl.computeIfAbsent(url, u -> new Builder(u, keyRole));
        file.roles.add(role);
        file.width = file.width != null ? file.width : integer(media.get("width"));
        file.height = file.height != null ? file.height : integer(media.get("height"));
        file.duration = file.duration != null ? file.duration : number(media.get("duration"));
    }

    private static String text(JsonNode node) {
        return node != null && node.isTextual() && !node.textValue().isBlank() ? node.textValue() : null;
    }

    private static Integer integer(JsonNode node) {
        return node != null && node.isNumber() ? node.intValue() : null;
    }

    private static Double number(JsonNode node) {
        return node != null && node.isNumber() ? node.doubleValue() : null;
    }

    private static final class Builder {
        final String url;
        final String keyRole;
        final List<String> roles = new ArrayList<>();
        Integer width;
        Integer height;
        Double duration;

        Builder(String url, String keyRole) {
            this.url = url;
            this.keyRole = keyRole;
        }

        MediaFile build() {
            return new MediaFile(url, List.copyOf(roles), keyRole, width, height, duration);
        }
    }
}
