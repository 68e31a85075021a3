package io.lumaharvester.harvest;

import java.util.List;

/**
 * One distinct media URL of a completed generation, with every field that names it ({@code video},
 * {@code artifact.video}, ...). {@code keyRole} is the fixed name its S3 key is built from.
 */
public record MediaFile(String sourceUrl, List<String> roles, String keyRole, Integer width, Integer height,
        Double duration) {
}
