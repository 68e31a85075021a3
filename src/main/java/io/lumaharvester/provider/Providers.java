package io.lumaharvester.provider;

import io.lumaharvester.task.TaskTicket;
import java.util.Collection;
import java.util.Collections;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.TreeMap;
import java.util.function.Function;

import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * The providers this harvester reads, by name, and the one a bare task id uses ({@code luma.providers.default}).
 */
public final class Providers {

    /** The provider of the seed's API, whose settings are luma.api.base-url and luma.api.token. */
    public static final String LUMA_AGGREGATOR = TaskTicket.FIRST_PROVIDER;

    private static final Logger LOG = LoggerFactory.getLogger(Providers.class);

    private final Map<String, Provider> byName;
    private final String defaultName;

    public Providers(Map<String, Provider> byName, String defaultName) {
        this.byName = Collections.unmodifiableMap(new TreeMap<>(byName));
        if (!this.byName.containsKey(defaultName)) {
            throw new UnknownProviderException(defaultName, this.byName.keySet());
        }
        this.defaultName = defaultName;
    }

    /**
     * Each profile compiled with its luma.providers.NAME.* settings ({@code setting}; luma-aggregator's are
     * luma.api.base-url and luma.api.token). A profile without a base URL (none in the file, none set) is left out.
     *
     * @throws IllegalStateException naming the profile, its field and why, when a profile is not valid
     */
    public static Providers build(Map<String, ProviderProfile> profiles, Function<String, Optional<String>> setting,
            String defaultName, Provider.UnknownStates unknownStates) {
        Map<String, Provider> byName = new TreeMap<>();
        profiles.forEach((name, profile) -> {
            String prefix = "luma.providers." + name + ".";
            boolean aggregator = LUMA_AGGREGATOR.equals(name);
            Map<String, String> secrets = new HashMap<>();
            for (String secret : List.of("access-key", "secret-key", "callback-secret")) {
                setting.apply(prefix + secret).ifPresent(value -> secrets.put(secret, value.strip()));
            }
            ProviderSettings settings = new ProviderSettings(
                    setting.apply(aggregator ? "luma.api.base-url" : prefix + "base-url").orElse(null),
                    setting.apply(aggregator ? "luma.api.token" : prefix + "token").map(String::strip).orElse(null),
                    secrets);
            if (profile.baseUrl() == null && (settings.baseUrl() == null || settings.baseUrl().isBlank())) {
                LOG.info("provider {}: no base URL (set {}base-url); its tasks are refused", name, prefix);
                return;
            }
            try {
                byName.put(name, new Provider(name, profile, settings, unknownStates));
            } catch (IllegalArgumentException e) {
                throw new IllegalStateException("provider profile " + name + ": " + e.getMessage(), e);
            }
        });
        return new Providers(byName, defaultName);
    }

    /** @throws UnknownProviderException naming the providers there are */
    public Provider get(String name) {
        Provider provider = byName.get(name == null ? defaultName : name);
        if (provider == null) {
            throw new UnknownProviderException(name, byName.keySet());
        }
        return provider;
    }

    public boolean has(String name) {
        return byName.containsKey(name);
    }

    public String defaultName() {
        return defaultName;
    }

    public Collection<String> names() {
        return byName.keySet();
    }
}
