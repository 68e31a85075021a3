package io.lumaharvester.callback;

import static org.assertj.core.api.Assertions.assertThat;

import org.apache.camel.component.platform.http.vertx.VertxPlatformHttpServer;
import org.apache.camel.main.Main;
import org.junit.jupiter.api.Test;

/** Callbacks are off unless luma.callbacks.port is set: no HTTP server for them, and no callbacks route. */
class CallbackServerTest {

    @Test
    void withThePortAt0ThereIsNoCallbackServerAndNoCallbacksRoute() throws Exception {
        Main main = new Main();
        // none of application.properties (its beans want Kafka): only what the test sets
        main.setDefaultPropertyPlaceholderLocation("false");
        main.addMainListener(new CallbackServer());
        main.addOverrideProperty("luma.callbacks.port", "0");
        main.addOverrideProperty("luma.callbacks.max-body-bytes", "1048576");
        // the route file alone: were its precondition true, it could not even be built (no beans, no error policy)
        main.addOverrideProperty("camel.main.routes-include-pattern", "file:routes/callbacks.camel.yaml");
        main.start();
        try {
            assertThat(main.getCamelContext().getRoutes()).isEmpty();
            assertThat(main.configure().hasHttpServerConfiguration()).isFalse();
            assertThat(main.getCamelContext().hasService(VertxPlatformHttpServer.class)).isNull();
        } finally {
            main.stop();
        }
    }

    @Test
    void aPortTurnsCamelMainsEmbeddedServerOnThereWithTheBodyCap() throws Exception {
        Main main = new Main();
        // none of application.properties (its beans want Kafka): only what the test sets
        main.setDefaultPropertyPlaceholderLocation("false");
        main.addMainListener(new CallbackServer());
        main.addOverrideProperty("luma.callbacks.port", "18765");
        main.addOverrideProperty("luma.callbacks.max-body-bytes", "4096");
        main.addOverrideProperty("camel.main.routes-collector-enabled", "false");
        main.start();
        try {
            assertThat(main.configure().httpServer().isEnabled()).isTrue();
            assertThat(main.configure().httpServer().getPort()).isEqualTo(18765);
            assertThat(main.configure().httpServer().getMaxBodySize()).isEqualTo(4096L);
        } finally {
            main.stop();
        }
    }
}
