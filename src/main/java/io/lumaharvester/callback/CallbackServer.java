package io.lumaharvester.callback;

import org.apache.camel.main.BaseMainSupport;
import org.apache.camel.main.HttpServerConfigurationProperties;
import org.apache.camel.main.MainListenerSupport;
import org.apache.camel.spi.PropertiesComponent;

/**
 * camel-main's embedded HTTP server ({@code camel.server.*}, platform-http on Vert.x) as the callback port, on only
 * when {@code luma.callbacks.port} is set: no listener otherwise. The management server (/observe/*) stays on
 * luma.http.port, and the callbacks route is the only one on this server, so the port serves nothing else. Bodies
 * above {@code luma.callbacks.max-body-bytes} are answered 413 by the server's body handler before the route reads
 * them. A camel-main listener added by {@link io.lumaharvester.HarvesterMain#newMain}: camel-main sets its servers up
 * from properties before any bean, a property cannot say "on when another one is set", and a listener named in
 * camel.main.main-listener-classes is added only after the servers' settings were read.
 */
public class CallbackServer extends MainListenerSupport {

    public static final String PORT = "luma.callbacks.port";
    static final String MAX_BODY_BYTES = "luma.callbacks.max-body-bytes";

    @Override
    public void beforeConfigure(BaseMainSupport main) {
        PropertiesComponent properties = main.getCamelContext().getPropertiesComponent();
        int port = port(properties.resolveProperty(PORT).orElse(null));
        if (port <= 0) {
            return;
        }
        HttpServerConfigurationProperties server = main.configure().httpServer();
        server.setEnabled(true);
        server.setPort(port);
        server.setMaxBodySize(Long.parseLong(properties.resolveProperty(MAX_BODY_BYTES).orElseThrow().strip()));
    }

    /** The port luma.callbacks.port names; 0 (off) when empty or not a number, which SettingsCheck refuses anyway. */
    static int port(String setting) {
        if (setting == null || setting.isBlank()) {
            return 0;
        }
        try {
            return Integer.parseInt(setting.strip());
        } catch (NumberFormatException e) {
            return 0;
        }
    }
}
