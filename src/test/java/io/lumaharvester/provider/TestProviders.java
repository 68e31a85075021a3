package io.lumaharvester.provider;

import java.util.HashMap;
import java.util.Map;
import java.util.Optional;

import org.apache.camel.impl.DefaultCamelContext;

/** The built-in providers as a unit test needs them: luma-aggregator at https://api.test with a test token. */
public final class TestProviders {

    private static Providers builtIns;

    private TestProviders() {
    }

    public static synchronized Providers builtIns() {
        if (builtIns == null) {
            builtIns = with(Map.of());
        }
        return builtIns;
    }

    /** The built-ins with {@code settings} besides luma-aggregator's. */
    public static Providers with(Map<String, String> settings) {
        Map<String, String> all = new HashMap<>(Map.of("luma.api.base-url", "https://api.test", "luma.api.token",
                "test-token"));
        all.putAll(settings);
        DefaultCamelContext context = new DefaultCamelContext();
        return Providers.build(ProviderProfiles.builtIns(context), name -> Optional.ofNullable(all.get(name)),
                Providers.LUMA_AGGREGATOR, provider -> {
                });
    }
}
