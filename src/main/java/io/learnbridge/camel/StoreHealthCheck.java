package io.learnbridge.camel;

import io.learnbridge.store.Store;
import java.util.Map;
import org.apache.camel.health.HealthCheckResultBuilder;
import org.apache.camel.impl.health.AbstractHealthCheck;

/**
 * Readiness only: DOWN while the store cannot be reached or cannot be written (a full disk: reads
 * still answer, every write fails). The write probe runs at most once a second. Not a liveness check:
 * a restart would not bring the database back, so an outage makes the bridge not ready (no webhooks,
 * no API calls) and it is never restarted for it ({@code /observe/health/live} leaves it out).
 */
public final class StoreHealthCheck extends AbstractHealthCheck {

    private static final long PROBE_NANOS = 1_000_000_000L;

    @Override
    public boolean isReadiness() {
        return true;
    }

    @Override
    public boolean isLiveness() {
        return false;
    }

    private final Store store;
    private volatile long probedAt;
    private volatile String problem;
    private volatile boolean probed;

    public StoreHealthCheck(Store store) {
        super("learnbridge", "store");
        this.store = store;
    }

    @Override
    protected void doCall(HealthCheckResultBuilder builder, Map<String, Object> options) {
        long now = System.nanoTime();
        if (!probed || now - probedAt > PROBE_NANOS) {
            problem = store.writeProblem();
            probedAt = now;
            probed = true;
        }
        String why = problem;
        if (why == null) {
            builder.up();
        } else {
            builder.message("the store cannot be written: " + why).down();
        }
    }
}
