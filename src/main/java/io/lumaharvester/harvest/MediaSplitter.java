package io.lumaharvester.harvest;

import io.lumaharvester.provider.MediaUrl;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

/**
 * Lists the distinct media files of a completed generation from the media URLs its provider's profile reads, in the
 * profile's role order. A URL named by several roles is one file, keyed by the first role that uses it; the second
 * and later files of one role are keyed {@code role_2}, {@code role_3}, ... A role's '.' becomes '_' in its key
 * ({@code artifact.video}: {@code artifact_video}).
 */
public class MediaSplitter {

    public List<MediaFile> split(List<MediaUrl> urls) {
        Map<String, Builder> byUrl = new LinkedHashMap<>();
        Map<String, Integer> filesOfRole = new HashMap<>();
        for (MediaUrl media : urls) {
            Builder file = byUrl.get(media.url());
            if (file == null) {
                int n = filesOfRole.merge(media.role(), 1, Integer::sum);
                String keyRole = media.role().replace('.', '_') + (n == 1 ? "" : "_" + n);
                file = new Builder(media.url(), keyRole);
                byUrl.put(media.url(), file);
            }
            if (!file.roles.contains(media.role())) {
                file.roles.add(media.role());
            }
            file.width = file.width != null ? file.width : media.width();
            file.height = file.height != null ? file.height : media.height();
            file.duration = file.duration != null ? file.duration : media.duration();
        }
        List<MediaFile> files = new ArrayList<>(byUrl.size());
        byUrl.values().forEach(b -> files.add(b.build()));
        return files;
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
