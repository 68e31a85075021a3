package io.lumaharvester.provider;

import java.nio.file.Path;
import java.util.Map;
import java.util.TreeMap;

import io.lumaharvester.ops.MetricsRegistry;
import org.apache.camel.BindToRegistry;
import org.apache.camel.CamelConfiguration;
import org.apache.camel.CamelContext;
import org.apache.camel.Configuration;
import org.apache.camel.PropertyInject;
import org.apache.camel.spi.PropertiesComponent;

/** The providers whose answers this harvester reads (docs/providers.md). */
@Configuration
public class ProviderBeans implements CamelConfiguration {

    // camel-main calls each bind method twice: the profiles are read once
    private Providers providers;

    /**
     * The built-in profiles and those of luma.providers.directory, each with its luma.providers.NAME.* settings. A
     * profile that is not valid stops the start, naming its file, field and why.
     */
    @BindToRegistry("providers")
    public synchronized Providers providers(CamelContext context,
            @PropertyInject("luma.providers.directory:") String directory,
            @PropertyInject("luma.providers.default:" + Providers.LUMA_AGGREGATOR) String defaultProvider) {
        if (providers == null) {
            Map<String, ProviderProfile> profiles = new TreeMap<>(ProviderProfiles.builtIns(context));
            if (!directory.isBlank()) {
                profiles.putAll(ProviderProfiles.load(Path.of(directory.strip())));
            }
            PropertiesComponent properties = context.getPropertiesComponent();
            providers = Providers.build(profiles, properties::resolveProperty, defaultProvider.strip(),
                    provider -> MetricsRegistry.of(context)
                            .counter("luma.provider.unknown.states", "provider", provider).increment());
        }
        return providers;
    }
}
