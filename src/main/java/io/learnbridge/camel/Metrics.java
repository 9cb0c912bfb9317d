package io.learnbridge.camel;

import io.micrometer.core.instrument.MeterRegistry;
import io.micrometer.core.instrument.composite.CompositeMeterRegistry;
import org.apache.camel.CamelContext;

/**
 * LearnBridge's own counters, next to Camel's route metrics on the Prometheus endpoint:
 * {@code learnbridge_records_total{source,outcome}} (accepted, rejected, duplicate, conflict) and
 * {@code learnbridge_deliveries_total{target,outcome}} (delivered, failed, retried). Labels are
 * names from configuration, never record data.
 */
public final class Metrics {

    private final CamelContext context;
    private volatile MeterRegistry registry;

    public Metrics(CamelContext context) {
        this.context = context;
    }

    public void record(String source, String outcome, int count) {
        if (count > 0) {
            registry().counter("learnbridge.records", "source", source, "outcome", outcome).increment(count);
        }
    }

    public void delivery(String target, String outcome) {
        registry().counter("learnbridge.deliveries", "target", target, "outcome", outcome).increment();
    }

    public double deliveries(String target, String outcome) {
        var counter = registry().find("learnbridge.deliveries").tags("target", target, "outcome", outcome).counter();
        return counter == null ? 0 : counter.count();
    }

    private MeterRegistry registry() {
        MeterRegistry r = registry;
        if (r == null) {
            r = context.getRegistry().findSingleByType(MeterRegistry.class);
            if (r == null) {
                r = new CompositeMeterRegistry();
            }
            registry = r;
        }
        return r;
    }
}
