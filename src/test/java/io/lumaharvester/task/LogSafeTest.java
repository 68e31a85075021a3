package io.lumaharvester.task;

import static org.assertj.core.api.Assertions.assertThat;

import java.util.stream.Stream;

import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.Arguments;
import org.junit.jupiter.params.provider.MethodSource;

class LogSafeTest {

    static Stream<Arguments> controls() {
        return Stream.of(
                Arguments.of("CR LF", "a\r\nINFO forged", "a\\r\\nINFO forged"),
                Arguments.of("tab", "a\tb", "a\\tb"),
                Arguments.of("a backslash is doubled, so an escape cannot be faked", "a\\nb", "a\\\\nb"),
                Arguments.of("other C0 controls", "bell\u0007esc\u001b[31m", "bell\\u0007esc\\u001b[31m"),
                Arguments.of("C1 next line", "a\u0085b", "a\\u0085b"),
                Arguments.of("Unicode line separators", "a\u2028b\u2029c", "a\\u2028b\\u2029c"),
                Arguments.of("plain text stays", "dreaming 美人鱼 ✓", "dreaming 美人鱼 ✓"));
    }

    @ParameterizedTest(name = "{0}")
    @MethodSource("controls")
    void controlCharactersAreEscaped(String name, String raw, String logged) {
        assertThat(LogSafe.text(raw)).isEqualTo(logged);
    }

    @Test
    void noLineBreakOrControlCharacterSurvives() {
        StringBuilder controls = new StringBuilder();
        for (char c = 0; c < 0xa0; c++) {
            controls.append(c);
        }
        String safe = LogSafe.text(controls.append("\u2028\u2029").toString());
        assertThat(safe).doesNotContainPattern("[\\p{Cntrl}\\u0080-\\u009f\\u2028\\u2029]");
    }

    @Test
    void longTextIsCappedAndSaysHowMuchWasCut() {
        String safe = LogSafe.text("x".repeat(LogSafe.MAX_CHARS + 50));
        assertThat(safe).isEqualTo("x".repeat(LogSafe.MAX_CHARS) + "...(50 more chars)");
    }

    @Test
    void theCapNeverSplitsASurrogatePair() {
        String safe = LogSafe.text("x".repeat(LogSafe.MAX_CHARS - 1) + "😀😀");
        assertThat(safe).isEqualTo("x".repeat(LogSafe.MAX_CHARS - 1) + "😀...(2 more chars)");
    }

    @Test
    void nullIsWrittenAsNull() {
        assertThat(LogSafe.text(null)).isEqualTo("null");
    }

}
