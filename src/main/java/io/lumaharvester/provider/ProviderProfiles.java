package io.lumaharvester.provider;

import java.io.IOException;
import java.io.InputStream;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.Map;
import java.util.TreeMap;
import java.util.regex.Pattern;
import java.util.stream.Collectors;
import java.util.stream.Stream;

import com.fasterxml.jackson.databind.DeserializationFeature;
import com.fasterxml.jackson.databind.JsonMappingException;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.json.JsonMapper;
import org.apache.camel.CamelContext;
import org.snakeyaml.engine.v2.api.Load;
import org.snakeyaml.engine.v2.api.LoadSettings;

/**
 * Reads provider profiles: the built-ins in the jar ({@code providers/<name>.yaml}, the names in {@link #BUILT_IN})
 * and the {@code *.yaml} files of a directory the user names. A file's name is its provider's name. A file that is not
 * a valid profile stops the start with one line: the file, the field and why.
 */
public final class ProviderProfiles {

    public static final Pattern NAME = Pattern.compile("[a-z0-9][a-z0-9-]{0,62}");

    /**
     * The profiles shipped in the jar ({@code providers/<name>.yaml}), named, not matched: matching
     * {@code classpath:providers/*.yaml} makes Camel inflate the whole packaged jar at every start. BuiltinProvidersTest
     * keeps this list equal to the files.
     */
    static final List<String> BUILT_IN = List.of("fal", "kling", "kling-aggregator", "luma-aggregator",
            "luma-official", "minimax", "openai", "pika", "replicate", "runway", "suno", "veo", "vidu");

    private static final ObjectMapper MAPPER = JsonMapper.builder()
            .enable(DeserializationFeature.FAIL_ON_UNKNOWN_PROPERTIES)
            .build();

    private ProviderProfiles() {
    }

    /** The profiles shipped in the jar, by name. */
    public static Map<String, ProviderProfile> builtIns(CamelContext context) {
        Map<String, ProviderProfile> profiles = new TreeMap<>();
        for (String name : BUILT_IN) {
            String file = "providers/" + name + ".yaml";
            try (InputStream in = context.getClassResolver().loadResourceAsStream(file)) {
                if (in == null) {
                    throw new IllegalStateException("cannot read the built-in provider profiles: " + file
                            + " is not on the classpath");
                }
                profiles.put(nameOf(file), parse(file, in));
            } catch (IOException e) {
                throw new IllegalStateException("cannot read the built-in provider profiles: " + e, e);
            }
        }
        return profiles;
    }

    /** The {@code *.yaml} profiles in {@code directory}, by name. */
    public static Map<String, ProviderProfile> load(Path directory) {
        if (!Files.isDirectory(directory)) {
            throw new IllegalArgumentException("luma.providers.directory: " + directory + " is not a directory");
        }
        Map<String, ProviderProfile> profiles = new TreeMap<>();
        try (Stream<Path> files = Files.list(directory)) {
            for (Path file : files.filter(f -> f.getFileName().toString().endsWith(".yaml")).sorted()
                    .collect(Collectors.toList())) {
                try (InputStream in = Files.newInputStream(file)) {
                    profiles.put(nameOf(file.toString()), parse(file.toString(), in));
                }
            }
        } catch (IOException e) {
            throw new IllegalArgumentException("luma.providers.directory: cannot read " + directory + ": " + e);
        }
        return profiles;
    }

    /** One profile from {@code in}; {@code file} names it in errors. */
    public static ProviderProfile parse(String file, InputStream in) {
        Object yaml;
        try {
            yaml = new Load(LoadSettings.builder().setLabel(file).build()).loadFromInputStream(in);
        } catch (RuntimeException e) {
            throw new IllegalArgumentException(file + ": not YAML (" + e.getMessage().replaceAll("\\s+", " ") + ")");
        }
        if (!(yaml instanceof Map)) {
            throw new IllegalArgumentException(file + ": a profile is a YAML mapping");
        }
        try {
            return MAPPER.convertValue(yaml, ProviderProfile.class);
        } catch (IllegalArgumentException e) {
            throw new IllegalArgumentException(file + ": " + why(e));
        }
    }

    private static String nameOf(String file) {
        String name = file.replaceAll(".*[/\\\\]", "").replaceAll("\\.yaml$", "");
        if (!NAME.matcher(name).matches()) {
            throw new IllegalArgumentException(file + ": a provider's file name is its name: lower-case letters, "
                    + "digits and '-' (1-63), then .yaml");
        }
        return name;
    }

    /** "field.path: why", from Jackson's complaint. */
    private static String why(IllegalArgumentException e) {
        Throwable cause = e.getCause() instanceof JsonMappingException ? e.getCause() : e;
        if (cause instanceof JsonMappingException mapping) {
            String path = mapping.getPath().stream()
                    .map(ref -> ref.getFieldName() != null ? ref.getFieldName() : "[" + ref.getIndex() + "]")
                    .collect(Collectors.joining(".")).replace(".[", "[");
            String message = mapping.getOriginalMessage().replaceAll("\\s+", " ");
            if (mapping instanceof com.fasterxml.jackson.databind.exc.UnrecognizedPropertyException unknown) {
                message = "unknown field '" + unknown.getPropertyName() + "'";
            } else if (message.startsWith("Missing required creator property")) {
                message = "required, missing";
            } else if (message.contains("Null value for creator property")) {
                message = "required, missing";
            }
            return (path.isEmpty() ? "" : path + ": ") + message.replaceAll(" \\(for Object .*$", "");
        }
        return cause.getMessage();
    }
}
