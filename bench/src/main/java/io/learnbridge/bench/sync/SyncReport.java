package io.learnbridge.bench.sync;

import java.io.PrintWriter;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Locale;
import java.util.function.Function;
import java.util.function.ToDoubleFunction;

/** Prints the benchmark: one line per phase as it ends, a table of medians per store, the fixed per-drop cost, and the check. */
public final class SyncReport {

    private static final double MB = 1024.0 * 1024.0;
    private static final String ROW = "%-12s %-11s %9s %8s %8s %6s %7s %7s %7s %7s %7s %7s %7s %10s %7s %7s %9s%n";

    private final PrintWriter out;

    public SyncReport(PrintWriter out) {
        this.out = out;
    }

    /** One phase, as it ends. */
    public void phase(PhaseRun r, int runs) {
        StoreTimes t = r.times();
        out.printf(Locale.ROOT, "%s run %d/%d %-11s %-12s %,9d rows  end to end %8.2f s%s%n", r.store(), r.run(), runs, r.pipeline(), r.day().phase(),
                r.day().rows(), r.seconds(), r.pipeline().equals(BridgeSync.NAME)
                        ? String.format(Locale.ROOT, "  (pickup %s, stage %s, plan %s, apply %s s; claim to finish %s s; deliver %s s)",
                                secs(t.pickup()), secs(t.stage()), secs(t.plan()), secs(t.apply()), secs(t.ingest()), secs(t.deliver()))
                        : "");
        out.printf(Locale.ROOT, "    PUTs answered 200: %,d (%,d distinct workers; %,d refused, %,d answered 503 on purpose); found %s; delivered %,d,"
                        + " left PENDING %,d, SENDING %,d, FAILED %,d%n",
                r.received().records(), r.received().distinct(), r.received().refused(), r.received().injected(),
                r.found() == null ? "-" : r.found().toString(), r.settled().delivered(), r.settled().pending(), r.settled().sending(),
                r.settled().failed());
        out.printf(Locale.ROOT, "    CPU %s s = %s rows per CPU-s; GC %d (%d full), heap after GC max %s MB, at end %.0f MB; store %.1f MB, %s per stored"
                        + " worker (%,d); %s%n",
                cpu(r.span().processCpuNanos() / 1e9), rate(r.rowsPerCpuSecond()), r.heap().gcCount(), r.heap().fullGcCount(),
                afterGc(r), r.heapAfterGc() / MB, r.storeBytes() / MB, bytes(r.bytesPerWorker()), r.storedWorkers(),
                r.ok() ? "check ok" : "CHECK FAILED: " + String.join("; ", r.problems()));
        List<Long> live = r.heap().live();
        if (!live.isEmpty()) {
            out.printf(Locale.ROOT, "    live heap after a forced full GC, %d reading(s) in order: max %.0f MB (%s MB)%n", live.size(),
                    r.heap().maxLive() / MB, String.join(", ", live.stream().map(b -> String.format(Locale.ROOT, "%.0f", b / MB)).toList()));
        }
        out.flush();
    }

    /** The phases of a pipeline's run that were not run because an earlier one failed its check. */
    public void skipped(String store, String pipeline, int run, int runs, List<DayFile> phases) {
        if (!phases.isEmpty()) {
            out.printf(Locale.ROOT, "%s run %d/%d %-11s %s: skipped, an earlier phase failed its check%n", store, run, runs, pipeline,
                    String.join(", ", phases.stream().map(DayFile::phase).toList()));
            out.flush();
        }
    }

    /** The table of one store's medians, the fixed cost of a drop and the store size after the last delta. */
    public void table(String store, String description, List<DayFile> phases, List<PhaseRun> results, int runs) {
        List<PhaseRun> mine = results.stream().filter(r -> r.store().equals(store)).toList();
        out.println();
        out.printf(Locale.ROOT, "%s: %s%n", store, description);
        out.printf(Locale.ROOT, "Medians over %d run(s). End to end: file renamed into the drop folder (floor: its start) -> last PUT received;"
                + " ratio = learnbridge / floor; ratio -pickup = (learnbridge's end to end less its pickup) / floor, pickup being the fixed"
                + " wait until the drop folder's read lock finds the file stable (the floor starts at once); stage, plan, apply from drop_file (claimed_at, staged_at, planned_at, finished_at; '-' where"
                + " the store has no such column), ingest = claimed_at -> finished_at, deliver = finished_at -> last PUT; CPU = this JVM's (both pipelines, the target;"
                + " a PostgreSQL server's own CPU is not in it).%n", runs);
        out.printf(Locale.ROOT, ROW, "phase", "pipeline", "rows", "PUTs", "e2e s", "ratio", "ratio", "pickup", "stage", "plan", "apply", "ingest",
                "deliver", "rows/CPU-s", "heap MB", "heap MB", "B/worker");
        out.printf(Locale.ROOT, ROW, "", "", "", "", "", "", "-pickup", "s", "s", "s", "s", "s", "s", "", "GC max", "at end", "stored");
        for (DayFile day : tabulated(phases)) {
            List<PhaseRun> ours = of(mine, BridgeSync.NAME, day);
            List<PhaseRun> floor = of(mine, FloorSync.NAME, day);
            for (List<PhaseRun> rs : List.of(ours, floor)) {
                if (rs.isEmpty()) {
                    continue;
                }
                PhaseRun first = rs.get(0);
                boolean bridge = first.pipeline().equals(BridgeSync.NAME);
                out.printf(Locale.ROOT, ROW, day.phase(), first.pipeline(), String.format(Locale.ROOT, "%,d", day.rows()),
                        String.format(Locale.ROOT, "%,.0f", median(rs, r -> r.received().records())), String.format(Locale.ROOT, "%.2f", median(rs, PhaseRun::seconds)),
                        bridge && !floor.isEmpty() ? String.format(Locale.ROOT, "%.1f", median(rs, PhaseRun::seconds) / median(floor, PhaseRun::seconds)) : "",
                        bridge && !floor.isEmpty() && rs.stream().allMatch(r -> r.times().pickup() != null)
                                ? String.format(Locale.ROOT, "%.1f", median(rs, r -> r.seconds() - r.times().pickup().toNanos() / 1e9)
                                        / median(floor, PhaseRun::seconds)) : "",
                        time(rs, StoreTimes::pickup), time(rs, StoreTimes::stage), time(rs, StoreTimes::plan), time(rs, StoreTimes::apply),
                        time(rs, StoreTimes::ingest), time(rs, StoreTimes::deliver), rate(median(rs, PhaseRun::rowsPerCpuSecond)),
                        afterGc(rs),
                        String.format(Locale.ROOT, "%.0f", median(rs, PhaseRun::heapAfterGc) / MB), bytes(median(rs, PhaseRun::bytesPerWorker)));
            }
        }
        deltaDays(phases, mine);
        DayFile oneRow = phases.stream().filter(d -> d.day() == 0).findFirst().orElse(null);
        if (oneRow != null) {
            List<PhaseRun> ours = of(mine, BridgeSync.NAME, oneRow);
            List<PhaseRun> floor = of(mine, FloorSync.NAME, oneRow);
            out.printf(Locale.ROOT, "Fixed cost of a drop (a 1-row delta drop, one new worker, into the store after the last delta; file renamed ->"
                            + " its PUT received): learnbridge %s s, floor %s s%n",
                    ours.isEmpty() ? "-" : String.format(Locale.ROOT, "%.2f", median(ours, PhaseRun::seconds)),
                    floor.isEmpty() ? "-" : String.format(Locale.ROOT, "%.3f", median(floor, PhaseRun::seconds)));
        }
        DayFile last = phases.stream().filter(d -> d.day() > 0).reduce((a, b) -> b).orElse(null);
        if (last != null) {
            List<String> sizes = new ArrayList<>();
            for (String pipeline : List.of(BridgeSync.NAME, FloorSync.NAME)) {
                List<PhaseRun> rs = of(mine, pipeline, last);
                if (!rs.isEmpty()) {
                    sizes.add(String.format(Locale.ROOT, "%s %s per stored worker (%,.0f workers, %.1f MB)", pipeline,
                            bytes(median(rs, PhaseRun::bytesPerWorker)), median(rs, PhaseRun::storedWorkers), median(rs, PhaseRun::storeBytes) / MB));
                }
            }
            if (!sizes.isEmpty()) {
                out.printf(Locale.ROOT, "Store after %s (%d drop(s) of the population): %s%n", last.phase(), last.day(), String.join("; ", sizes));
                out.printf(Locale.ROOT, "(learnbridge's store is measured after each day's night: its ledger aged 24 h, so learnbridge.drops.retention"
                        + " counts simulated days; settled drops past it compacted; one pass of store-maintenance)%n");
            }
        }
        out.flush();
    }

    /**
     * Prints the check: every expected change delivered exactly once by every pipeline on every
     * store; returns the mismatches (with {@code others}, problems found outside the phases).
     */
    public List<String> check(List<PhaseRun> results, List<String> others) {
        List<String> problems = new ArrayList<>(others);
        for (PhaseRun r : results) {
            for (String p : r.problems()) {
                problems.add(String.format(Locale.ROOT, "%s run %d %s %s: %s", r.store(), r.run(), r.pipeline(), r.day().phase(), p));
            }
        }
        out.println();
        if (problems.isEmpty()) {
            out.printf(Locale.ROOT, "CHECK OK: every expected change was delivered exactly once in all %d phases (both pipelines, every store and run):"
                    + " one PUT per JOIN, MOVE, UPDATE and LEAVE the generator wrote, none per NOOP, no worker twice, each pipeline found exactly"
                    + " those changes, no delivery left PENDING, SENDING or FAILED.%n", results.size());
        } else {
            out.printf(Locale.ROOT, "CHECK FAILED: %d mismatch(es):%n", problems.size());
            problems.forEach(p -> out.println("CHECK FAILED " + p));
        }
        out.flush();
        return problems;
    }

    /**
     * With three delta days or more, the ratio of each day (its medians, ours over the floor's) and
     * their median and spread: day 2 is the first delta the bridge's JIT sees, the last one a single
     * day of a noisy machine, and neither alone tells how the bridge keeps up day after day.
     */
    private void deltaDays(List<DayFile> phases, List<PhaseRun> mine) {
        List<double[]> ratios = new ArrayList<>();
        for (DayFile day : phases.stream().filter(d -> d.day() > 1).toList()) {
            List<PhaseRun> ours = of(mine, BridgeSync.NAME, day);
            List<PhaseRun> floor = of(mine, FloorSync.NAME, day);
            if (!ours.isEmpty() && !floor.isEmpty() && ours.stream().allMatch(r -> r.times().pickup() != null)) {
                double f = median(floor, PhaseRun::seconds);
                ratios.add(new double[] {median(ours, PhaseRun::seconds) / f,
                        median(ours, r -> r.seconds() - r.times().pickup().toNanos() / 1e9) / f});
            }
        }
        if (ratios.size() < 3) {
            return;
        }
        double[] whole = ratios.stream().mapToDouble(r -> r[0]).sorted().toArray();
        double[] lessPickup = ratios.stream().mapToDouble(r -> r[1]).sorted().toArray();
        out.printf(Locale.ROOT, "Delta days, each day's ratio (%d days): median %.2f (less pickup %.2f), lowest %.2f, highest %.2f, day 2 %.2f%n",
                ratios.size(), middle(whole), middle(lessPickup), whole[0], whole[whole.length - 1], ratios.get(0)[0]);
    }

    private static double middle(double[] sorted) {
        int mid = sorted.length / 2;
        return sorted.length % 2 == 1 ? sorted[mid] : (sorted[mid - 1] + sorted[mid]) / 2;
    }

    /** All phases, or with many delta days the first load, the first and last delta and the one-row drop. */
    private static List<DayFile> tabulated(List<DayFile> phases) {
        List<DayFile> days = phases.stream().filter(d -> d.day() > 0).toList();
        if (days.size() <= 4) {
            return phases;
        }
        List<DayFile> shown = new ArrayList<>(List.of(days.get(0), days.get(1), days.get(days.size() - 1)));
        phases.stream().filter(d -> d.day() == 0).forEach(shown::add);
        return shown;
    }

    private static List<PhaseRun> of(List<PhaseRun> results, String pipeline, DayFile day) {
        return results.stream().filter(r -> r.pipeline().equals(pipeline) && r.day().day() == day.day()).toList();
    }

    /** The largest heap after a GC during the phase; '-' when no collection ran in it. */
    private static String afterGc(PhaseRun r) {
        return r.heap().afterGc() == 0 ? "-" : String.format(Locale.ROOT, "%.0f", r.heap().afterGc() / MB);
    }

    private static String afterGc(List<PhaseRun> rs) {
        List<PhaseRun> collected = rs.stream().filter(r -> r.heap().afterGc() > 0).toList();
        return collected.isEmpty() ? "-" : String.format(Locale.ROOT, "%.0f", median(collected, r -> r.heap().afterGc()) / MB);
    }

    private static String time(List<PhaseRun> rs, Function<StoreTimes, Duration> part) {
        List<PhaseRun> known = rs.stream().filter(r -> part.apply(r.times()) != null).toList();
        return known.isEmpty() ? "-" : String.format(Locale.ROOT, "%.2f", median(known, r -> part.apply(r.times()).toNanos() / 1e9));
    }

    static double median(List<PhaseRun> runs, ToDoubleFunction<PhaseRun> value) {
        double[] values = runs.stream().mapToDouble(value).sorted().toArray();
        if (values.length == 0) {
            return Double.NaN;
        }
        int mid = values.length / 2;
        return values.length % 2 == 1 ? values[mid] : (values[mid - 1] + values[mid]) / 2;
    }

    private static String secs(Duration d) {
        return d == null ? "-" : String.format(Locale.ROOT, "%.2f", d.toNanos() / 1e9);
    }

    private static String cpu(double seconds) {
        return seconds < 0 ? "-" : String.format(Locale.ROOT, "%.2f", seconds);
    }

    private static String rate(double perSecond) {
        return perSecond < 0 || Double.isNaN(perSecond) ? "-" : String.format(Locale.ROOT, "%,.0f", perSecond);
    }

    private static String bytes(double b) {
        if (b < 0 || Double.isNaN(b)) {
            return "-";
        }
        return b >= 10_240 ? String.format(Locale.ROOT, "%.1f KB", b / 1024) : String.format(Locale.ROOT, "%,.0f B", b);
    }
}
