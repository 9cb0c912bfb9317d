package io.learnbridge.bench.delivery;

import java.io.PrintWriter;
import java.util.ArrayList;
import java.util.List;
import java.util.Locale;
import java.util.function.ToDoubleFunction;

/**
 * Prints the delivery benchmark's results: a block per run as it finishes, then a table of
 * medians per configuration, the ratios (batched LRS to unbatched, each LRS configuration to the
 * LMS reference), and whether every worker reached the target exactly once.
 */
public final class DeliveryReport {

    private static final double MB = 1024.0 * 1024.0;

    private final PrintWriter out;

    public DeliveryReport(PrintWriter out) {
        this.out = out;
    }

    public void run(DeliveryRun r, int runs) {
        out.printf(Locale.ROOT, "run %d/%d %-10s %,d delivered in %.2f s = %,.1f deliveries/s; %,d requests (fewest possible %,d), %.2f deliveries"
                        + " per request; CPU %s s = %s s per 1k deliveries; GC %d (%d ms, %d full), heap after GC max %.0f MB, at end %.0f MB;"
                        + " load %.2f -> %.2f%n",
                r.run(), runs, r.config().name(), r.delivered(), r.seconds(), r.deliveriesPerSecond(), r.received().requests(),
                r.config().fewestRequests(r.workers()), r.deliveriesPerRequest(), cpu(r.span().processCpuNanos() / 1e9), cpu(r.cpuSecondsPer1k()),
                r.heap().gcCount(), r.heap().gcMillis(), r.heap().fullGcCount(), r.heap().afterGc() / MB, r.heapAfterGcAtEnd() / MB,
                r.loadAverageStart(), r.loadAverageEnd());
        out.printf(Locale.ROOT, "    drop to all %,d queued %.2f s (not measured); store after: %,d DELIVERED, %,d FAILED, %,d pending; target received"
                        + " %,d %s, %,d distinct, %,d refused%s%n",
                r.queued(), r.ingestNanos() / 1e9, r.delivered(), r.failed(), r.pending(), r.received().records(),
                r.config().lrs() ? "statements" : "PUTs", r.received().distinct(), r.received().refused(), r.complete() ? "" : "  PROBLEM");
        out.flush();
    }

    /** Prints the table and the ratios; returns the problems found (a worker not delivered exactly once). */
    public List<String> summary(List<DeliveryConfig> configs, List<DeliveryRun> results) {
        out.println();
        out.println("From all deliveries queued to all delivered, medians over runs; CPU is the whole process's (the bridge, the loopback target,");
        out.println("the store poller, GC, JIT), so the loopback target's own cost is included.");
        out.printf(Locale.ROOT, "%-10s %5s %4s %10s %8s %12s %9s %11s %9s %9s%n",
                "config", "batch", "runs", "deliveries", "seconds", "deliveries/s", "requests", "deliveries/", "CPU s/1k", "heap MB");
        out.printf(Locale.ROOT, "%-10s %5s %4s %10s %8s %12s %9s %11s %9s %9s%n",
                "", "", "", "", "", "", "", "request", "delivered", "after GC");
        for (DeliveryConfig config : configs) {
            List<DeliveryRun> mine = of(results, config);
            if (mine.isEmpty()) {
                continue;
            }
            out.printf(Locale.ROOT, "%-10s %5s %4d %,10d %8.2f %,12.1f %,9.0f %11.2f %9s %9.0f%n",
                    config.name(), config.lrs() ? String.valueOf(config.batchSize()) : "-", mine.size(),
                    mine.stream().mapToLong(DeliveryRun::delivered).min().orElse(0), median(mine, DeliveryRun::seconds),
                    median(mine, DeliveryRun::deliveriesPerSecond), median(mine, r -> r.received().requests()),
                    median(mine, DeliveryRun::deliveriesPerRequest), cpu(median(mine, DeliveryRun::cpuSecondsPer1k)),
                    median(mine, r -> r.heap().afterGc()) / MB);
        }
        out.println();
        List<DeliveryConfig> lrs = configs.stream().filter(DeliveryConfig::lrs).toList();
        DeliveryConfig lms = configs.stream().filter(c -> !c.lrs()).findFirst().orElse(null);
        if (lrs.size() > 1) {
            DeliveryConfig base = lrs.get(0);
            for (DeliveryConfig c : lrs.subList(1, lrs.size())) {
                ratios(c, base, results, "batching");
            }
        }
        if (lms != null) {
            for (DeliveryConfig c : lrs) {
                ratios(c, lms, results, "against the LMS reference");
            }
        }
        List<String> problems = new ArrayList<>();
        for (DeliveryRun r : results) {
            if (!r.complete()) {
                problems.add(String.format(Locale.ROOT, "run %d %s: %,d workers, %,d queued, %,d DELIVERED, %,d FAILED, %,d pending; target received"
                                + " %,d records, %,d distinct, %,d refused", r.run(), r.config().name(), r.workers(), r.queued(), r.delivered(),
                        r.failed(), r.pending(), r.received().records(), r.received().distinct(), r.received().refused()));
            }
        }
        if (problems.isEmpty()) {
            out.printf(Locale.ROOT, "Every run delivered each of its %,d workers exactly once: all DELIVERED in the store, none failed, each %s"
                    + " received once, none refused.%n", results.isEmpty() ? 0 : results.get(0).workers(), "statement id or worker PUT");
        } else {
            problems.forEach(p -> out.println("PROBLEM " + p));
        }
        out.flush();
        return problems;
    }

    private void ratios(DeliveryConfig ours, DeliveryConfig base, List<DeliveryRun> results, String label) {
        List<DeliveryRun> mine = of(results, ours);
        List<DeliveryRun> theirs = of(results, base);
        if (mine.isEmpty() || theirs.isEmpty()) {
            return;
        }
        out.printf(Locale.ROOT, "Ratios, %s / %s (%s, medians): deliveries/s %.2fx, CPU per delivery %.2fx, requests %.3fx%n", ours.name(),
                base.name(), label, median(mine, DeliveryRun::deliveriesPerSecond) / median(theirs, DeliveryRun::deliveriesPerSecond),
                median(mine, DeliveryRun::cpuSecondsPer1k) / median(theirs, DeliveryRun::cpuSecondsPer1k),
                median(mine, r -> r.received().requests()) / median(theirs, r -> r.received().requests()));
    }

    private static List<DeliveryRun> of(List<DeliveryRun> results, DeliveryConfig config) {
        return results.stream().filter(r -> r.config().equals(config)).toList();
    }

    static double median(List<DeliveryRun> runs, ToDoubleFunction<DeliveryRun> value) {
        double[] values = runs.stream().mapToDouble(value).sorted().toArray();
        if (values.length == 0) {
            return Double.NaN;
        }
        int mid = values.length / 2;
        return values.length % 2 == 1 ? values[mid] : (values[mid - 1] + values[mid]) / 2;
    }

    private static String cpu(double seconds) {
        return seconds < 0 ? "-" : String.format(Locale.ROOT, "%.3f", seconds);
    }
}
