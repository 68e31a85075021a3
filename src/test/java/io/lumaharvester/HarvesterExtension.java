package io.lumaharvester;

import java.util.Map;

import io.lumaharvester.dev.HarvesterApp;
import io.lumaharvester.dev.StandIns;
import org.junit.jupiter.api.extension.AfterAllCallback;
import org.junit.jupiter.api.extension.BeforeAllCallback;
import org.junit.jupiter.api.extension.ExtensionContext;

/**
 * One harvester for a test class, on the shared stand-ins, with its own topics ({@code prefix.*}) and settings:
 * {@code @RegisterExtension static final HarvesterExtension harvester = new HarvesterExtension("e2e", Map.of(...))}.
 */
public final class HarvesterExtension implements BeforeAllCallback, AfterAllCallback {

    private final String prefix;
    private final Map<String, String> overrides;
    private final Map<String, Object> beans;
    private StandIns standIns;
    private Map<String, String> props;
    private HarvesterApp app;

    public HarvesterExtension(String prefix, Map<String, String> overrides) {
        this(prefix, overrides, Map.of());
    }

    /** With {@code beans} bound in the harvester's registry (HarvesterApp#start). */
    public HarvesterExtension(String prefix, Map<String, String> overrides, Map<String, Object> beans) {
        this.prefix = prefix;
        this.overrides = overrides;
        this.beans = beans;
    }

    @Override
    public void beforeAll(ExtensionContext context) throws Exception {
        standIns = StandIns.shared();
        props = standIns.properties(prefix, overrides);
        app = HarvesterApp.start(props, beans);
    }

    @Override
    public void afterAll(ExtensionContext context) throws Exception {
        if (app != null) {
            app.close();
        }
    }

    public StandIns standIns() {
        return standIns;
    }

    public HarvesterApp app() {
        return app;
    }

    public String setting(String name) {
        return props.get(name);
    }

    /** Sends a record to the harvester's task topic. */
    public void submit(String value) throws Exception {
        standIns.kafka.send(setting("luma.topics.tasks"), value);
    }
}
