package io.lumaharvester.ops;

import java.util.Map;
import java.util.concurrent.atomic.AtomicReference;

import org.apache.camel.health.HealthCheckResultBuilder;
import org.apache.camel.impl.health.AbstractHealthCheck;

/**
 * Readiness is DOWN while the API refuses the token (401 or 403): polling cannot work until someone fixes
 * {@code luma.api.token}, and no task is lost meanwhile. Any other answer from the API turns it UP again.
 */
public class LumaApiAccessCheck extends AbstractHealthCheck {

    private final AtomicReference<String> refusal = new AtomicReference<>();

    public LumaApiAccessCheck() {
        super("luma", "luma-api-access");
    }

    @Override
    public boolean isLiveness() {
        return false;
    }

    public void refused(int status) {
        refusal.set("the Luma API refused the token (HTTP " + status + "); check luma.api.token");
    }

    public void answered() {
        refusal.set(null);
    }

    @Override
    protected void doCall(HealthCheckResultBuilder builder, Map<String, Object> options) {
        String why = refusal.get();
        if (why == null) {
            builder.up();
        } else {
            builder.down().message(why);
        }
    }
}
