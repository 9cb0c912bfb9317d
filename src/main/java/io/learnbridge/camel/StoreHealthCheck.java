package io.learnbridge.camel;

import io.learnbridge.store.Store;
import java.util.Map;
import org.apache.camel.health.HealthCheckResultBuilder;
import org.apache.camel.impl.health.AbstractHealthCheck;

/**
 * Readiness and liveness: DOWN while the store cannot be reached or cannot be written (a full
 * disk: reads still answer, every write fails). The write probe runs at most once a second.
 */
public final class StoreHealthCheck extends AbstractHealthCheck {

    private static final long PROBE_NANOS = 1_000_000_000L;

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
