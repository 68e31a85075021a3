package io.lumaharvester.harvest;

import io.lumaharvester.task.TaskTicket;
import static org.assertj.core.api.Assertions.assertThat;

import java.net.URLDecoder;
import java.nio.charset.StandardCharsets;
import java.util.List;
import java.util.Map;
import java.util.stream.Stream;

import com.fasterxml.jackson.databind.node.JsonNodeFactory;
import com.fasterxml.jackson.databind.node.ObjectNode;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.Arguments;
import org.junit.jupiter.params.provider.MethodSource;

class S3MetadataTest {

    private static final MediaFile VIDEO = new MediaFile("https://cdn/v.mp4",
            List.of("video", "artifact.video", "video_raw", "artifact.video_raw"), "video", null, null, null);

    private static TaskTicket completedWithPrompt(String prompt) {
        ObjectNode generation = JsonNodeFactory.instance.objectNode();
        generation.putObject("request").put("prompt", prompt);
        return TaskTicket.accepted("t-" + "x".repeat(126), null, 0, 1000, 0).polled("completed", generation);
    }

    /** Encoded lengths: 'a' 1, 'é' 6, '美' 9, '😀' 12 bytes. */
    static Stream<Arguments> cuts() {
        return Stream.of(
                Arguments.of("ASCII at the budget", "abcdef", 6, "abcdef"),
                Arguments.of("ASCII one over", "abcdef", 5, "abcde"),
                Arguments.of("space is %20, never cut inside", "a b", 3, "a"),
                Arguments.of("space fits exactly", "a b", 4, "a%20"),
                Arguments.of("a Chinese character is 9 bytes, all or none", "a美b", 9, "a"),
                Arguments.of("a Chinese character that fits", "a美b", 10, "a%E7%BE%8E"),
                Arguments.of("two-byte UTF-8 never half", "é", 5, ""),
                Arguments.of("emoji (a surrogate pair) all or none", "😀x", 11, ""),
                Arguments.of("emoji that fits", "😀x", 12, "%F0%9F%98%80"),
                Arguments.of("nothing fits", "美", 0, ""));
    }

    @ParameterizedTest(name = "{0}")
    @MethodSource("cuts")
    void theEncodedPromptIsCutOnCharacterBoundaries(String name, String text, int maxBytes, String encoded) {
        assertThat(S3Metadata.encode(text, maxBytes)).isEqualTo(encoded);
    }

    @Test
    void aShortPromptIsStoredWholeWithItsHashAndNoMarker() {
        String prompt = "美人鱼 \"mermaid\"\r\nsecond line";
        Map<String, String> metadata = S3Metadata.of(completedWithPrompt(prompt), VIDEO, true);

        assertThat(URLDecoder.decode(metadata.get("luma-prompt"), StandardCharsets.UTF_8)).isEqualTo(prompt);
        assertThat(metadata.get("luma-prompt")).matches("[\\x21-\\x7e]+");
        assertThat(metadata.get("luma-prompt-sha256")).isEqualTo(S3Metadata.sha256Hex(prompt)).hasSize(64);
        assertThat(metadata).doesNotContainKey("luma-prompt-truncated");
    }

    static Stream<Arguments> longPrompts() {
        return Stream.of(
                Arguments.of("220 Chinese characters", "美".repeat(220)),
                Arguments.of("2.5 KB of Chinese", "鱼".repeat(854)),
                Arguments.of("3,000 English characters", "a mermaid ".repeat(300)),
                Arguments.of("emoji", "😀".repeat(500)));
    }

    @ParameterizedTest(name = "{0}")
    @MethodSource("longPrompts")
    void aLongPromptIsCutSoThatAllMetadataFitsIn2KbAndIsMarked(String name, String prompt) {
        Map<String, String> metadata = S3Metadata.of(completedWithPrompt(prompt), VIDEO, true);

        int total = metadata.entrySet().stream()
                .mapToInt(e -> ("x-amz-meta-" + e.getKey() + e.getValue()).getBytes(StandardCharsets.UTF_8).length)
                .sum();
        assertThat(total).isLessThanOrEqualTo(2048).isGreaterThan(2048 - 12);
        assertThat(metadata).containsEntry("luma-prompt-truncated", "true")
                .containsEntry("luma-prompt-sha256", S3Metadata.sha256Hex(prompt));
        assertThat(prompt).startsWith(URLDecoder.decode(metadata.get("luma-prompt"), StandardCharsets.UTF_8));
    }

    @Test
    void withIncludePromptFalseNoPromptNorItsHashIsStored() {
        Map<String, String> metadata = S3Metadata.of(completedWithPrompt("my address is ..."), VIDEO, false);

        assertThat(metadata).containsOnlyKeys("luma-task-id", "luma-roles");
    }
}
