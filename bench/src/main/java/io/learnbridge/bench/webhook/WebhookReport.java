package io.learnbridge.bench.webhook;

import java.io.PrintWriter;
import java.util.ArrayList;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.function.ToDoubleFunction;
import java.util.stream.Collectors;

/**
 * Prints the webhook benchmark's results: a block per run as it finishes, then a table of medians
 * per server, the ratios of LearnBridge to the floor, the status codes, and whether every
 * acknowledged request is in the store.
 */
public final class WebhookReport {

    private static final double MB = 1024.0 * 1024.0;

    private final PrintWriter out;

    public WebhookReport(PrintWriter out) {
        this.out = out;
    }

    public void run(WebhookRun r, int runs) {
        LoadResult l = r.load();
        out.printf(Locale.ROOT, "run %d/%d %-12s %,8.1f 202s/s  latency ms p50 %s p90 %s p99 %s p99.9 %s max %s  errors %,d  late cap/gen %,d/%,d"
                        + "  CPU/req %s us (server %s)  JIT %s ms  GC %d (%d ms, %d full)  heap after GC %.0f MB  load %.2f -> %.2f%n",
                r.run(), runs, r.server(), l.achievedPerSecond(), ms(l.percentileMillis(50)), ms(l.percentileMillis(90)),
                ms(l.percentileMillis(99)), ms(l.percentileMillis(99.9)), ms(l.maxMillis()), l.errors(), l.lateByCap(), l.lateByGenerator(),
                micros(l.cpuMicrosPerRequest()), micros(l.serverCpuMicrosPerRequest()), l.jitMillis() < 0 ? "-" : String.valueOf(l.jitMillis()),
                r.heap().gcCount(), r.heap().gcMillis(),
                r.heap().fullGcCount(), r.heapAfterGcAtEnd() / MB, r.loadAverageStart(),
                r.loadAverageEnd());
        if (!r.background().isEmpty()) {
            out.printf(Locale.ROOT, "    in the background when the load ended: %s%n", r.background());
        }
        if (r.drain() != null) {
            WebhookRun.Drain d = r.drain();
            out.printf(Locale.ROOT, "    backlog (stored, not yet processed / delivered): largest during the load %,d events / %,d deliveries; at its end %,d / %,d;"
                    + " %s%n", d.maxEvents(), d.maxDeliveries(), d.eventsAtEnd(), d.deliveriesAtEnd(), d.drainMillis() < 0
                    ? String.format(Locale.ROOT, "NOT drained within %d s", d.waitedMillis() / 1000)
                    : String.format(Locale.ROOT, "all processed and delivered %.2f s after the load ended", d.drainMillis() / 1000.0));
        }
        out.printf(Locale.ROOT, "    %s%n", storedLine(r));
        out.flush();
    }

    /** Prints the tables; returns the problems found (errors, acknowledged requests missing from a store). */
    public List<String> summary(List<String> servers, List<WebhookRun> results, String floor) {
        out.println();
        out.println("Acknowledgement latency: from each request's scheduled send time to its full response (no coordinated omission),");
        out.println("measured requests only (after the warm-up). Medians over runs.");
        out.printf(Locale.ROOT, "%-12s %4s %9s %10s %7s %7s %7s %7s %7s %7s %9s %9s %8s %8s %8s%n",
                "server", "runs", "offered/s", "achieved/s", "p50 ms", "p90 ms", "p99 ms", "p99.9ms", "max ms", "errors", "late cap",
                "late gen", "CPU/req", "server", "heap MB");
        out.printf(Locale.ROOT, "%-12s %4s %9s %10s %7s %7s %7s %7s %7s %7s %9s %9s %8s %8s %8s%n",
                "", "", "", "(202s)", "", "", "", "", "", "", "", "", "us", "us/req", "after GC");
        for (String name : servers) {
            List<WebhookRun> mine = of(results, name);
            if (mine.isEmpty()) {
                continue;
            }
            out.printf(Locale.ROOT, "%-12s %4d %9d %,10.1f %7s %7s %7s %7s %7s %,7d %,9d %,9d %8s %8s %8.0f%n",
                    name, mine.size(), mine.get(0).load().rate(), median(mine, r -> r.load().achievedPerSecond()),
                    ms(median(mine, r -> r.load().percentileMillis(50))), ms(median(mine, r -> r.load().percentileMillis(90))),
                    ms(median(mine, r -> r.load().percentileMillis(99))), ms(median(mine, r -> r.load().percentileMillis(99.9))),
                    ms(median(mine, r -> r.load().maxMillis())), mine.stream().mapToLong(r -> r.load().errors()).sum(),
                    mine.stream().mapToLong(r -> r.load().lateByCap()).sum(), mine.stream().mapToLong(r -> r.load().lateByGenerator()).sum(),
                    micros(median(mine, r -> r.load().cpuMicrosPerRequest())), micros(median(mine, r -> r.load().serverCpuMicrosPerRequest())),
                    median(mine, r -> r.heapAfterGcAtEnd()) / MB);
        }
        List<WebhookRun> base = of(results, floor);
        out.println();
        for (String ours : servers) {
            List<WebhookRun> mine = of(results, ours);
            if (ours.equals(floor) || mine.isEmpty() || base.isEmpty()) {
                continue;
            }
            out.printf(Locale.ROOT, "Ratios, %s / %s (medians): throughput %.2fx (1.00 = keeps up like the floor), p99 %.2fx, p50 %.2fx,"
                            + " p99.9 %.2fx (lower is better); CPU per request %.2fx, server side %.2fx%n", ours, floor,
                    ratio(mine, base, r -> r.load().achievedPerSecond()), ratio(mine, base, r -> r.load().percentileMillis(99)),
                    ratio(mine, base, r -> r.load().percentileMillis(50)), ratio(mine, base, r -> r.load().percentileMillis(99.9)),
                    ratio(mine, base, r -> r.load().cpuMicrosPerRequest()), ratio(mine, base, r -> r.load().serverCpuMicrosPerRequest()));
        }

        out.println();
        out.println("Status codes, every request of a run, warm-up included (anything but 202 is an error):");
        List<String> problems = new ArrayList<>();
        for (WebhookRun r : results) {
            LoadResult l = r.load();
            out.printf(Locale.ROOT, "  %-12s run %d: %s; %,d sent, %,d measured, %,d duplicates; measured: peak in flight %d of %d, largest send lag %.1f ms%n",
                    r.server(), r.run(), l.statuses().entrySet().stream().map(WebhookReport::statusCount).collect(Collectors.joining(", ")),
                    l.sent(), l.measured(), l.duplicates(), l.peakInFlight(), l.maxInFlight(), l.maxSendLagNanos() / 1e6);
            l.errorSamples().forEach(s -> out.printf(Locale.ROOT, "      e.g. %s%n", s));
            if (l.errors() > 0) {
                problems.add(r.server() + " run " + r.run() + ": " + l.errors() + " of " + l.sent() + " requests were not answered 202");
            }
            if (l.duplicates() > 0) {
                problems.add(r.server() + " run " + r.run() + ": " + l.duplicates() + " distinct requests were answered as duplicates");
            }
        }
        out.println();
        out.println("Every acknowledged request is in the store (counted after each run):");
        for (WebhookRun r : results) {
            out.printf(Locale.ROOT, "  %-12s run %d: %s%n", r.server(), r.run(), storedLine(r));
            if (!r.acceptedAllStored()) {
                problems.add(r.server() + " run " + r.run() + ": accepted " + r.load().accepted() + " but stored " + r.stored());
            }
        }
        problems.forEach(p -> out.println("  PROBLEM: " + p));
        out.println();
        out.println("late cap = measured requests that found --max-in-flight requests outstanding at their scheduled time and waited");
        out.println("for one to finish (the server did not keep up); late gen = measured requests the pacer sent over 1 ms late (GC pause,");
        out.println("busy CPU); both are timed from their schedule. CPU/req = process CPU time (all threads: server, GC, JIT, the load");
        out.println("generator) over the measured window, per measured request; server = the same minus the load generator's pacer and");
        out.println("I/O threads; JIT = compiler time in that window (elapsed, summed over compiler threads). GC = collections during the");
        out.println("run, warm-up included. Heap after GC = heap used after a full GC once the load ended, server still up (the sandbox");
        out.println("LMS keeps what it receives). The load generator shares this JVM and the CPUs with the server: when the server");
        out.println("saturates them, answers are also read late (see late gen).");
        out.flush();
        return problems;
    }

    private static String storedLine(WebhookRun r) {
        long accepted = r.load().accepted();
        return r.acceptedAllStored()
                ? String.format(Locale.ROOT, "accepted %d = stored %d", accepted, r.stored())
                : String.format(Locale.ROOT, "MISMATCH!!! accepted %d but stored %d: %s", accepted, r.stored(),
                        accepted > r.stored() ? "acknowledged requests are MISSING from the store" : "the store holds requests that were not acknowledged");
    }

    private static String statusCount(Map.Entry<Integer, Long> e) {
        String code = e.getKey() == 0 ? "unanswered" : e.getKey() < 0 ? "no response" : String.valueOf(e.getKey());
        return String.format(Locale.ROOT, "%s x %,d", code, e.getValue());
    }

    private static String ms(double v) {
        if (Double.isNaN(v)) {
            return "-";
        }
        return String.format(Locale.ROOT, v < 10 ? "%.2f" : v < 100 ? "%.1f" : "%.0f", v);
    }

    private static String micros(double v) {
        return Double.isNaN(v) ? "-" : String.format(Locale.ROOT, "%,.0f", v);
    }

    private static double ratio(List<WebhookRun> mine, List<WebhookRun> base, ToDoubleFunction<WebhookRun> value) {
        return median(mine, value) / median(base, value);
    }

    private static List<WebhookRun> of(List<WebhookRun> results, String server) {
        return results.stream().filter(r -> r.server().equals(server)).toList();
    }

    static double median(List<WebhookRun> results, ToDoubleFunction<WebhookRun> value) {
        double[] v = results.stream().mapToDouble(value).sorted().toArray();
        if (v.length == 0) {
            return Double.NaN;
        }
        return v.length % 2 == 1 ? v[v.length / 2] : (v[v.length / 2 - 1] + v[v.length / 2]) / 2;
    }
}
