package io.learnbridge.support;

import io.learnbridge.drop.UnreadDropFiles;
import io.learnbridge.store.DropLedger;
import io.micrometer.core.instrument.Gauge;
import io.micrometer.core.instrument.MeterRegistry;
import io.micrometer.core.instrument.composite.CompositeMeterRegistry;
import java.util.HashSet;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.atomic.AtomicLong;
import org.apache.camel.CamelContext;

/**
 * LearnBridge's own counters, next to Camel's route metrics on the Prometheus endpoint:
 * {@code learnbridge_records_total{source,outcome}} (accepted, rejected, duplicate, conflict) and
 * {@code learnbridge_deliveries_total{target,outcome}} (delivered, failed, retried), and per source
 * the changes held for a future date, {@code learnbridge_changes_held{source}}, with the first one's
 * release as seconds since the epoch, {@code learnbridge_changes_held_first_release_seconds{source}}
 * (0 when none is held), and per drop route the files its folder holds that are never read,
 * {@code learnbridge_drops_unread_files{route}}. Labels are names from configuration, never record data.
 */
public final class Metrics {

    private final CamelContext context;
    private volatile MeterRegistry registry;
    /** Per source: held count and first release (epoch seconds), read by the gauges. */
    private final Map<String, AtomicLong[]> held = new ConcurrentHashMap<>();

    /**
     * Tags every meter registered from now on (LearnBridge's and Camel's routes') with {@code instance_id}: the
     * Prometheus registry the management server exposes ({@code metricsRegistry}), created here when Camel has not
     * made it yet. Not {@code instance}: Prometheus sets that label itself, to the address it scraped.
     */
    public static void instance(CamelContext context, String instanceId) {
        MeterRegistry registry = context.getRegistry().lookupByNameAndType("metricsRegistry", MeterRegistry.class);
        if (registry == null) {
            registry = new io.micrometer.prometheusmetrics.PrometheusMeterRegistry(io.micrometer.prometheusmetrics.PrometheusConfig.DEFAULT);
            context.getRegistry().bind("metricsRegistry", registry);
        }
        registry.config().commonTags("instance_id", instanceId);
    }

    public Metrics(CamelContext context) {
        this.context = context;
    }

    public void record(String source, String outcome, int count) {
        if (count > 0) {
            registry().counter("learnbridge.records", "source", source, "outcome", outcome).increment(count);
        }
    }

    /** Sets the held-change gauges: every source listed, and 0 for a source no longer holding any. */
    public void held(List<DropLedger.HeldChanges> now) {
        Set<String> listed = new HashSet<>();
        for (DropLedger.HeldChanges h : now) {
            listed.add(h.source());
            AtomicLong[] gauges = heldGauges(h.source());
            gauges[0].set(h.count());
            gauges[1].set(h.firstRelease().getEpochSecond());
        }
        held.forEach((source, gauges) -> {
            if (!listed.contains(source)) {
                gauges[0].set(0);
                gauges[1].set(0);
            }
        });
    }

    private AtomicLong[] heldGauges(String source) {
        return held.computeIfAbsent(source, s -> {
            AtomicLong[] gauges = {new AtomicLong(), new AtomicLong()};
            Gauge.builder("learnbridge.changes.held", gauges[0], AtomicLong::get)
                    .tag("source", s).description("Changes held for a future date").register(registry());
            Gauge.builder("learnbridge.changes.held.first.release", gauges[1], AtomicLong::get)
                    .tag("source", s).baseUnit("seconds").description("When the first held change is released (seconds since the epoch; 0: none held)")
                    .register(registry());
            return gauges;
        });
    }

    private final Map<String, AtomicLong> unread = new ConcurrentHashMap<>();

    /** The gauge of a drop route's files that are never read, {@code learnbridge_drops_unread_files{route}} (see {@link UnreadDropFiles}). */
    public AtomicLong unreadFiles(String route) {
        return unread.computeIfAbsent(route, r -> {
            AtomicLong value = new AtomicLong();
            Gauge.builder("learnbridge.drops.unread.files", value, AtomicLong::get).tag("route", r)
                    .description("Files in a drop folder that are never read (a dot name or not .csv) older than learnbridge.drops.unreadAfter")
                    .register(registry());
            return value;
        });
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
