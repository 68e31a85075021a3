package io.lumaharvester.provider;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.io.ByteArrayInputStream;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Map;
import java.util.Optional;

import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.CsvSource;

class ProviderProfilesTest {

    private static final String VALID = """
            base-url: https://api.example.com
            status:
              url: '"\\($base)/v1/tasks/\\($id)"'
            state:
              value: .status
              succeeded: [done]
              failed: [error]
            media:
              video: .output[]?
            """;

    @ParameterizedTest(name = "{0}")
    @CsvSource(delimiter = '|', value = {
        "a field the format does not know | colour: blue | acme.yaml: colour: unknown field 'colour'",
        "a required field missing | drop:state | acme.yaml: state: required, missing",
        "a wrong type | media: [video] | acme.yaml: media: ",
        "not YAML at all | '{: [' | acme.yaml: not YAML",
        "a mapping expected | '- a list' | acme.yaml: a profile is a YAML mapping",
    })
    void aProfileThatIsNotValidIsRefusedWithOneLineNamingItsFileFieldAndWhy(String what, String change,
            String expected) {
        String yaml = change.startsWith("drop:") ? VALID.replaceAll("(?s)state:.*?(?=media:)", "")
                : change.startsWith("- ") || change.startsWith("{") ? change
                : change.startsWith("media:") ? VALID.replaceAll("(?s)media:.*", change) : VALID + change;

        assertThatThrownBy(() -> ProviderProfiles.parse("acme.yaml",
                new ByteArrayInputStream(yaml.getBytes(StandardCharsets.UTF_8))))
                .isInstanceOf(IllegalArgumentException.class)
                .hasMessageStartingWith(expected)
                .satisfies(e -> assertThat(e.getMessage()).doesNotContain("\n"));
    }

    @ParameterizedTest(name = "{0}")
    @CsvSource(delimiter = '|', value = {
        "an expression that is not jq | state.value | '.status |||' | state.value: not a jq expression",
        "a task-id that is not a regex | task-id | '[a-' | task-id: not a regular expression",
        "an auth type no one knows | status.auth | '{type: oauth}' | status.auth.type: 'oauth' is none of",
    })
    void aProfileWhoseExpressionsDoNotCompileStopsTheStartNamingTheField(String what, String field, String value,
            String expected) {
        String yaml = switch (field) {
            case "state.value" -> VALID.replace("value: .status", "value: " + value);
            case "task-id" -> VALID + "task-id: '" + value + "'\n";
            default -> VALID.replace("  url:", "  auth: " + value + "\n  url:");
        };
        ProviderProfile profile = ProviderProfiles.parse("acme.yaml",
                new ByteArrayInputStream(yaml.getBytes(StandardCharsets.UTF_8)));

        assertThatThrownBy(() -> Providers.build(Map.of("acme", profile), name -> Optional.empty(), "acme",
                provider -> {
                }))
                .isInstanceOf(IllegalStateException.class)
                .hasMessageStartingWith("provider profile acme: " + expected);
    }

    @Test
    void aDirectoryAddsItsProfilesByFileNameAndRefusesAFileNameThatIsNotAName(@TempDir Path dir) throws Exception {
        Files.writeString(dir.resolve("acme-video.yaml"), VALID);
        Files.writeString(dir.resolve("notes.txt"), "not a profile");

        assertThat(ProviderProfiles.load(dir)).containsOnlyKeys("acme-video");

        Files.writeString(dir.resolve("Acme Video.yaml"), VALID);
        assertThatThrownBy(() -> ProviderProfiles.load(dir)).hasMessageContaining("Acme Video.yaml: a provider's "
                + "file name is its name");
    }

    @Test
    void aProviderWithoutABaseUrlIsLeftOutAndItsNameIsUnknown() {
        ProviderProfile profile = ProviderProfiles.parse("acme.yaml", new ByteArrayInputStream(
                VALID.replace("base-url: https://api.example.com\n", "").getBytes(StandardCharsets.UTF_8)));
        ProviderProfile other = ProviderProfiles.parse("other.yaml",
                new ByteArrayInputStream(VALID.getBytes(StandardCharsets.UTF_8)));

        Providers providers = Providers.build(Map.of("acme", profile, "other", other), name -> Optional.empty(),
                "other", provider -> {
                });

        assertThat(providers.names()).containsExactly("other");
        assertThatThrownBy(() -> providers.get("acme")).isInstanceOf(UnknownProviderException.class)
                .hasMessage("no provider profile named 'acme' (known: other)");
    }
}
