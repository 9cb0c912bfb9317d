package io.learnbridge.camel;

import io.learnbridge.store.Store;
import java.util.Map;
import org.apache.camel.health.HealthCheckResultBuilder;
import org.apache.camel.impl.health.AbstractHealthCheck;

/** Readiness and liveness: DOWN while the store cannot be reached. */
public final class StoreHealthCheck extends AbstractHealthCheck {

    private final Store store;

    public StoreHealthCheck(Store store) {
        super("learnbridge", "store");
        this.store = store;
    }

    @Override
    protected void doCall(HealthCheckResultBuilder builder, Map<String, Object> options) {
        if (store.isReachable()) {
            builder.up();
        } else {
            builder.message("the store cannot be reached").down();
        }
    }
}
