package io.lumaharvester.intake;

import static org.assertj.core.api.Assertions.assertThat;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

import org.junit.jupiter.api.Test;

/**
 * The intake route runs once per task record, 10,000 times in a burst of 10,000 ids: none of its expressions is
 * Camel's bean language (a field or method of the body, a property or a header, such as {@code ${body.runs}}), which
 * copies the exchange for the expression and again for the call (docs/performance.md). The bean steps read such
 * fields once ({@link DecisionFields}).
 */
class IntakeRouteCostTest {

    /** {@code ${body.x}}, {@code ${body?.x}}, {@code ${exchangeProperty.p.x}}, {@code ${header.h.x}} and the like. */
    private static final Pattern BEAN_LANGUAGE = Pattern.compile(
            "\\$\\{(?:body|in\\.body|exchangeProperty\\.\\w+|header\\.\\w+|variable\\.\\w+)(?:\\.|\\?\\.|\\[)");

    @Test
    void theIntakeRouteReadsNoFieldWithTheBeanLanguage() throws IOException {
        List<String> found = new ArrayList<>();
        for (String line : Files.readAllLines(Path.of("routes", "intake.camel.yaml"))) {
            if (line.strip().startsWith("#")) {
                continue;
            }
            Matcher m = BEAN_LANGUAGE.matcher(line);
            if (m.find()) {
                found.add(line.strip());
            }
        }
        assertThat(found).as("expressions of the intake route that copy the exchange").isEmpty();
    }
}
