package io.lumaharvester.task;

import java.util.List;

import com.fasterxml.jackson.annotation.JsonIgnoreProperties;
import com.fasterxml.jackson.annotation.JsonInclude;
import com.fasterxml.jackson.annotation.JsonProperty;

/** One media file as stored in S3: an entry of the completion event's {@code media}. */
@JsonInclude(JsonInclude.Include.NON_NULL)
@JsonIgnoreProperties(ignoreUnknown = true)
public record StoredMedia(
        @JsonProperty("roles") List<String> roles,
        @JsonProperty("source_url") String sourceUrl,
        @JsonProperty("bucket") String bucket,
        @JsonProperty("key") String key,
        @JsonProperty("uri") String uri,
        @JsonProperty("content_type") String contentType,
        @JsonProperty("size") long size,
        @JsonProperty("sha256") String sha256,
        @JsonProperty("width") Integer width,
        @JsonProperty("height") Integer height,
        @JsonProperty("duration") Double duration) {
}
