package io.lumaharvester.dev;

import java.util.Map;

import org.apache.camel.CamelContext;
import io.lumaharvester.HarvesterMain;
import org.apache.camel.main.Main;

/** The harvester as camel-main runs it (application.properties and routes/ from the classpath), plus overrides. */
public final class HarvesterApp implements AutoCloseable {

    private final Main main;

    private HarvesterApp(Main main) {
        this.main = main;
    }

    public static HarvesterApp start(Map<String, String> overrides) throws Exception {
        return start(overrides, Map.of());
    }

    /** With {@code beans} in the registry before the harvester's own are bound (e.g. mediaDnsResolver). */
    public static HarvesterApp start(Map<String, String> overrides, Map<String, Object> beans) throws Exception {
        Main main = HarvesterMain.newMain();
        overrides.forEach(main::addOverrideProperty);
        beans.forEach(main::bind);
        main.start();
        return new HarvesterApp(main);
    }

    /** Why a start with these settings fails, as HarvesterMain prints it: the innermost message. */
    public static String startFailure(Map<String, String> overrides) {
        try {
            start(overrides).close();
        } catch (Exception e) {
            Throwable failure = e;
            while (failure.getCause() != null && failure.getCause() != failure) {
                failure = failure.getCause();
            }
            return failure.getMessage();
        }
        throw new AssertionError("the start does not fail");
    }

    public CamelContext context() {
        return main.getCamelContext();
    }

    @Override
    public void close() throws Exception {
        main.stop();
    }
}
