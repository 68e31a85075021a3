package io.lumaharvester.provider;

/** One media URL a completed task's answer names, under {@code role}, with what the answer says of the file. */
public record MediaUrl(String role, String url, Integer width, Integer height, Double duration) {
}
