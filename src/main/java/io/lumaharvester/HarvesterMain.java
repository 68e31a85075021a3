package io.lumaharvester;

import io.lumaharvester.callback.CallbackServer;
import org.apache.camel.main.Main;

/**
 * {@code java -jar}: camel-main, except that a harvester that cannot start says why in one line and exits 1 instead
 * of leaving the JVM up behind a stack trace.
 */
public final class HarvesterMain {

    /**
     * The settings every runtime shares, then what only camel-main reads (routes, management server, metrics, MDC).
     * CAMEL_MAIN_PROPERTY_PLACEHOLDER_LOCATION replaces both, as the Kubernetes Deployment does.
     */
    public static final String PROPERTIES = "classpath:application.properties,classpath:camel-main.properties";

    private HarvesterMain() {
    }

    /** camel-main with the harvester's two property files, and the callback port when luma.callbacks.port is set. */
    public static Main newMain() {
        Main main = new Main();
        main.setDefaultPropertyPlaceholderLocation(PROPERTIES);
        main.addMainListener(new CallbackServer());
        return main;
    }

    public static void main(String[] args) {
        int exitCode;
        try {
            exitCode = newMain().run(args);
        } catch (Exception e) {
            Throwable root = e;
            while (root.getCause() != null && root.getCause() != root) {
                root = root.getCause();
            }
            System.err.println("luma-harvester could not start: " + root.getMessage());
            exitCode = 1;
        }
        System.exit(exitCode);
    }
}
