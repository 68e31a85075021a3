package io.lumaharvester.provider;

import java.util.Map;

/**
 * A provider's deployment settings: {@code luma.providers.<name>.base-url}, {@code .token}, and the other secrets its
 * profile uses ({@code access-key}, {@code secret-key}, {@code callback-secret}), by their setting's last part.
 */
public record ProviderSettings(String baseUrl, String token, Map<String, String> secrets) {

    public ProviderSettings {
        secrets = secrets == null ? Map.of() : Map.copyOf(secrets);
    }

    public String secret(String name) {
        return secrets.get(name);
    }
}
