package io.lumaharvester.callback;

import java.time.Clock;

import io.lumaharvester.intake.TaskStates;
import io.lumaharvester.provider.Providers;
import org.apache.camel.BeanInject;
import org.apache.camel.BindToRegistry;
import org.apache.camel.CamelConfiguration;
import org.apache.camel.CamelContext;
import org.apache.camel.Configuration;
import org.apache.camel.PropertyInject;
import org.apache.camel.spi.IdempotentRepository;
import org.apache.camel.spi.PropertiesComponent;
import org.apache.camel.support.processor.idempotent.MemoryIdempotentRepository;

/** What the callbacks route (routes/callbacks.camel.yaml) calls. */
@Configuration
public class CallbackBeans implements CamelConfiguration {

    /**
     * What a callback posted to luma.callbacks.port means: verified by its provider's scheme, the task it names,
     * whether that task runs. Secrets are read when a provider's first callback arrives.
     */
    @BindToRegistry("callbacks")
    public Callbacks callbacks(CamelContext context, @BeanInject("providers") Providers providers,
            @BeanInject("taskStates") TaskStates states,
            @PropertyInject("luma.callbacks.start-unknown") boolean startUnknown) {
        PropertiesComponent properties = context.getPropertiesComponent();
        return new Callbacks(providers, states,
                setting -> properties.resolveProperty(setting).filter(value -> !value.isBlank()).orElse(null),
                startUnknown, Clock.systemUTC());
    }

    /**
     * The callback deliveries taken lately, so that one sent again wakes nothing twice. In Java, not YAML: the
     * callbacks route file loads without the settings when callbacks are off (its precondition), and YAML beans are
     * built whatever a route's precondition says.
     */
    @BindToRegistry("callbackDeliveries")
    public IdempotentRepository callbackDeliveries(
            @PropertyInject("luma.callbacks.dedup-cache-size") int cacheSize) {
        return MemoryIdempotentRepository.memoryIdempotentRepository(cacheSize);
    }
}
