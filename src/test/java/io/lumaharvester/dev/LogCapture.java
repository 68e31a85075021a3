package io.lumaharvester.dev;

import java.io.StringWriter;

import org.apache.logging.log4j.LogManager;
import org.apache.logging.log4j.core.LoggerContext;
import org.apache.logging.log4j.core.appender.WriterAppender;
import org.apache.logging.log4j.core.config.AbstractConfiguration;
import org.apache.logging.log4j.core.layout.PatternLayout;
import org.junit.jupiter.api.extension.AfterAllCallback;
import org.junit.jupiter.api.extension.ExtensionContext;

/**
 * Everything the application logs while it is open, as text. It hangs on the root logger, so one left open would keep
 * every later test class's log lines in its JVM: a static {@code @RegisterExtension} field closes after its class's
 * tests, any other use closes it itself.
 */
public final class LogCapture implements AutoCloseable, AfterAllCallback {

    private final StringWriter text = new StringWriter();
    private final WriterAppender appender;
    private final LoggerContext context = (LoggerContext) LogManager.getContext(false);

    public LogCapture() {
        this("%c %m %ex%n");
    }

    /** With a log4j pattern of its own, e.g. one that shows MDC keys ({@code %X{lumaTraceId}}). */
    public LogCapture(String pattern) {
        appender = WriterAppender.newBuilder()
                // a name of its own: the root logger keeps one appender per name, so a second capture named alike
                // (another test class's, still open) would leave this one detached and empty
                .setName("capture-" + java.util.UUID.randomUUID())
                .setTarget(text)
                .setLayout(PatternLayout.newBuilder().withPattern(pattern).build())
                .build();
        appender.start();
        context.getConfiguration().addAppender(appender);
        context.getRootLogger().addAppender(appender);
    }

    public String text() {
        return text.toString();
    }

    @Override
    public void afterAll(ExtensionContext context) {
        close();
    }

    @Override
    public void close() {
        context.getRootLogger().removeAppender(appender);
        if (context.getConfiguration() instanceof AbstractConfiguration configuration) {
            configuration.removeAppender(appender.getName());
        }
        appender.stop();
    }
}
