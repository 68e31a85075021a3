package io.lumaharvester.dev;

import java.util.Map;

import org.junit.jupiter.api.extension.AfterAllCallback;
import org.junit.jupiter.api.extension.BeforeAllCallback;
import org.junit.jupiter.api.extension.ExtensionContext;

/**
 * One harvester for a test class, on the shared stand-ins, with its own topics ({@code prefix.*}) and settings:
 * {@code @RegisterExtension static final HarvesterExtension harvester = new HarvesterExtension("e2e", Map.of(...))}.
 * Or one harvester for every class of the test JVM that asks for the same {@link #shared} one.
 */
public final class HarvesterExtension implements BeforeAllCallback, AfterAllCallback {

    /**
     * The shared harvesters of this test JVM, by prefix. Not in JUnit's root store: surefire runs each class as a
     * test plan of its own, whose end would close them.
     */
    private static final Map<String, Started> SHARED = new java.util.HashMap<>();

    private final String prefix;
    private final Map<String, String> overrides;
    private final Map<String, Object> beans;
    private final boolean shared;
    private StandIns standIns;
    private Map<String, String> props;
    private HarvesterApp app;

    public HarvesterExtension(String prefix, Map<String, String> overrides) {
        this(prefix, overrides, Map.of());
    }

    /** With {@code beans} bound in the harvester's registry (HarvesterApp#start). */
    public HarvesterExtension(String prefix, Map<String, String> overrides, Map<String, Object> beans) {
        this(prefix, overrides, beans, false);
    }

    private HarvesterExtension(String prefix, Map<String, String> overrides, Map<String, Object> beans,
            boolean shared) {
        this.prefix = prefix;
        this.overrides = overrides;
        this.beans = beans;
        this.shared = shared;
    }

    /**
     * The harvester {@code prefix}, started by the first class of the test JVM that asks for it and stopped with the
     * stand-ins: a start and a stop (a second or two) for all of them. For classes whose tests each use tasks of
     * their own, read only what those tasks did, and change nothing in the harvester (no route advised, no bean
     * bound), and leave no task running: it would go on polling, and allocating, under the classes after them (and
     * move heap measures such as HeldStateBytesTest's); every class asking for {@code prefix} gives the same settings.
     */
    public static HarvesterExtension shared(String prefix, Map<String, String> overrides) {
        return new HarvesterExtension(prefix, overrides, Map.of(), true);
    }

    @Override
    public void beforeAll(ExtensionContext context) throws Exception {
        standIns = StandIns.shared();
        if (shared) {
            Started started;
            synchronized (SHARED) {
                started = SHARED.get(prefix);
                if (started == null) {
                    Map<String, String> settings = standIns.properties(prefix, overrides);
                    started = new Started(prefix, overrides, settings, HarvesterApp.start(settings));
                    SHARED.put(prefix, started);
                    standIns.closeFirst(started);
                }
            }
            if (!started.overrides.equals(overrides)) {
                throw new IllegalStateException("the shared harvester " + prefix + " runs with " + started.overrides
                        + ", not " + overrides + ": give these settings a harvester of their own");
            }
            props = started.props;
            app = started.app;
        } else {
            props = standIns.properties(prefix, overrides);
            app = HarvesterApp.start(props, beans);
        }
    }

    @Override
    public void afterAll(ExtensionContext context) throws Exception {
        if (app != null && !shared) {
            app.close();
        }
    }

    /** A shared harvester: closed with the stand-ins, when the test JVM exits. */
    private record Started(String prefix, Map<String, String> overrides, Map<String, String> props, HarvesterApp app)
            implements AutoCloseable {

        @Override
        public void close() throws Exception {
            app.close();
        }

        @Override
        public String toString() {
            return "the shared harvester " + prefix;
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
