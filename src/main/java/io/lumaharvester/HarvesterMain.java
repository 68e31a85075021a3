package io.lumaharvester;

import org.apache.camel.main.Main;

/**
 * {@code java -jar}: camel-main, except that a harvester that cannot start says why in one line and exits 1 instead
 * of leaving the JVM up behind a stack trace.
 */
public final class HarvesterMain {

    private HarvesterMain() {
    }

    public static void main(String[] args) {
        int exitCode;
        try {
            exitCode = new Main().run(args);
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
