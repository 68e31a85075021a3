package io.lumaharvester.provider;

import static org.assertj.core.api.Assertions.assertThat;

import java.io.IOException;
import java.io.InputStream;
import java.io.UncheckedIOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.Set;
import java.util.stream.Stream;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.networknt.schema.JsonSchema;
import com.networknt.schema.JsonSchemaFactory;
import com.networknt.schema.SpecVersion;
import com.networknt.schema.ValidationMessage;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.CsvSource;
import org.junit.jupiter.params.provider.MethodSource;
import org.snakeyaml.engine.v2.api.Load;
import org.snakeyaml.engine.v2.api.LoadSettings;

/** Every built-in provider profile is valid under the profile format's JSON Schema, and the schema refuses bad ones. */
class ProviderProfileSchemaTest {

    private static final ObjectMapper JSON = new ObjectMapper();
    private static final Path BUILT_INS = Path.of("src", "main", "resources", "providers");
    private static final JsonSchema SCHEMA;

    static {
        try (InputStream in = ProviderProfileSchemaTest.class.getResourceAsStream(
                "/schema/provider-profile.schema.json")) {
            SCHEMA = JsonSchemaFactory.getInstance(SpecVersion.VersionFlag.V202012).getSchema(in);
        } catch (IOException e) {
            throw new ExceptionInInitializerError(e);
        }
    }

    static Stream<String> builtIns() throws IOException {
        try (Stream<Path> files = Files.list(BUILT_INS)) {
            return files.map(f -> f.getFileName().toString()).filter(f -> f.endsWith(".yaml")).sorted().toList()
                    .stream();
        }
    }

    private static JsonNode yaml(String text) {
        return JSON.valueToTree(new Load(LoadSettings.builder().build()).loadFromString(text));
    }

    private static JsonNode builtIn(String file) {
        try {
            return yaml(Files.readString(BUILT_INS.resolve(file)));
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
    }

    @ParameterizedTest(name = "{0}")
    @MethodSource("builtIns")
    void aBuiltInProfileIsValidUnderTheSchema(String file) {
        Set<ValidationMessage> errors = SCHEMA.validate(builtIn(file));
        assertThat(errors).as("schema violations of providers/%s", file).isEmpty();
    }

    @Test
    void theBuiltInsAreTheProvidersTheHarvesterDocuments() throws IOException {
        assertThat(builtIns().toList()).contains("luma-official.yaml", "runway.yaml", "kling.yaml",
                "kling-aggregator.yaml", "replicate.yaml", "fal.yaml", "minimax.yaml", "vidu.yaml", "pika.yaml",
                "suno.yaml", "openai.yaml", "veo.yaml");
    }

    /** A valid profile, changed by one line: the schema names what is wrong. */
    @ParameterizedTest(name = "{0}")
    @CsvSource(delimiter = '|', textBlock = """
            a field the format does not have          | state:                                  | stat:                                    | stat
            a camelCase key                            | 'media-auth: false'                     | 'mediaAuth: false'                       | mediaAuth
            an auth type there is not                  | 'auth: {type: bearer}'                  | 'auth: {type: basic}'                    | type
            a header auth without its header           | 'auth: {type: bearer}'                  | 'auth: {type: header, prefix: "Key "}'   | name
            a prefix on bearer auth                    | 'auth: {type: bearer}'                  | 'auth: {type: bearer, prefix: "X "}'     | auth
            no succeeded state                         | 'succeeded: [SUCCEEDED]'                | 'succeeded: []'                          | succeeded
            a media role in capitals                   | 'video: ''.output[]?'''                 | 'Video: ''.output[]?'''                  | Video
            a callback scheme there is not             | 'verify: token'                         | 'verify: none'                           | verify
            a poll unit there is not                   | 'after-unit: seconds'                   | 'after-unit: minutes'                    | after-unit
            an expression that is not text             | 'value: ''.status'''                    | 'value: 42'                              | value
            """)
    void theSchemaRefusesABadProfileNamingTheField(String what, String line, String bad, String field) {
        String valid = """
                description: a test profile
                base-url: https://api.example.com
                status:
                  url: '"\\($base)/v1/tasks/\\($id)"'
                  auth: {type: bearer}
                state:
                  value: '.status'
                  running: [RUNNING]
                  succeeded: [SUCCEEDED]
                  failed: [FAILED]
                media:
                  video: '.output[]?'
                media-auth: false
                poll:
                  after-header: Retry-After
                  after-unit: seconds
                callbacks:
                  task-id: '.id'
                  verify: token
                """;
        assertThat(SCHEMA.validate(yaml(valid))).as("the valid profile").isEmpty();
        assertThat(valid).contains(line);

        Set<ValidationMessage> errors = SCHEMA.validate(yaml(valid.replace(line, bad)));

        assertThat(errors).as(what).isNotEmpty();
        assertThat(errors.stream().map(ValidationMessage::getMessage).toList())
                .as(what).anySatisfy(message -> assertThat(message).contains(field));
    }

    @Test
    void aProfileWithoutStatusStateOrMediaIsRefused() {
        Set<ValidationMessage> errors = SCHEMA.validate(yaml("description: nothing else\n"));
        List<String> messages = errors.stream().map(ValidationMessage::getMessage).toList();
        assertThat(messages).anySatisfy(m -> assertThat(m).contains("status"))
                .anySatisfy(m -> assertThat(m).contains("state"))
                .anySatisfy(m -> assertThat(m).contains("media"));
    }
}
