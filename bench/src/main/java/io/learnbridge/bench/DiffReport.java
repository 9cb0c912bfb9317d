package io.learnbridge.bench;

import java.io.PrintWriter;
import java.util.ArrayList;
import java.util.List;
import java.util.Locale;
import java.util.function.Function;
import java.util.function.ToDoubleFunction;
import java.util.function.ToLongFunction;

/**
 * Prints the diff benchmark's results: a line per run as it finishes, then day 2's throughput
 * (medians), heap (largest over runs, stage and finish apart), the ratios of LearnBridge to each
 * floor, and what each pipeline's plan found next to what the generator put into day 2. Any
 * disagreement is a problem (the command then exits 1).
 */
public final class DiffReport {

    private static final double MB = 1024.0 * 1024.0;

    private final PrintWriter out;

    public DiffReport(PrintWriter out) {
        this.out = out;
    }

    public void run(DiffRun r, int runs) {
        out.printf(Locale.ROOT, "run %d/%d %-12s first load %7.2f s | day 2:%s stage %6.2f s %,9.0f rows/s %,9.0f rows/CPU-s heap MB %s"
                        + " | finish %6.2f s %,9.0f rows/s %,9.0f rows/CPU-s heap MB %s%s%n",
                r.run(), runs, r.pipeline(), r.firstLoadNanos() / 1e9,
                r.claimNanos() < 0 ? "" : String.format(Locale.ROOT, " claim %.2f s,", r.claimNanos() / 1e9),
                r.stage().wallNanos() / 1e9, r.stageRowsPerSecond(), r.stageRowsPerCpuSecond(), heap(r.stageHeap()),
                r.finish().wallNanos() / 1e9, r.finishRowsPerSecond(), r.finishRowsPerCpuSecond(), heap(r.finishHeap()),
                r.releaseNanos() < 0 ? "" : String.format(Locale.ROOT, " | released %,d held in %.2f s", r.held(), r.releaseNanos() / 1e9));
        out.flush();
    }

    private static String heap(HeapWatch.Peaks h) {
        return String.format(Locale.ROOT, "%3.0f/%3.0f/%3.0f, %d full GC", h.sampled() / MB, h.poolPeaks() / MB, h.afterGc() / MB, h.fullGcCount());
    }

    /** Prints the tables; returns the problems found. */
    public List<String> table(List<String> pipelines, List<DiffRun> results, String ours, HrisDiffGenerator.Intent intent) {
        out.println();
        out.printf(Locale.ROOT, "Day 2 diffed against day 1's stored state, medians over runs; rows/s = %,d day-2 rows / the phase's wall time,%n",
                intent.day2Rows());
        out.println("rows/CPU-s = per second of process CPU (all threads). stage = parse + map + stage (floors: + hash + compare);");
        out.println("finish = change detection, absence scan, gate, apply, deliveries (floors: absence scan; floor+jdbc: + write the changes).");
        out.printf(Locale.ROOT, "%-12s %4s | %7s %9s %10s | %7s %9s %10s | %7s %9s %10s | %10s%n", "pipeline", "runs",
                "stage s", "rows/s", "rows/CPU-s", "finish s", "rows/s", "rows/CPU-s", "diff s", "rows/s", "rows/CPU-s", "1st load s");
        for (String name : pipelines) {
            List<DiffRun> mine = of(results, name);
            if (mine.isEmpty()) {
                continue;
            }
            out.printf(Locale.ROOT, "%-12s %4d | %7.2f %,9.0f %,10.0f | %7.2f %,9.0f %,10.0f | %7.2f %,9.0f %,10.0f | %10.2f%n", name, mine.size(),
                    median(mine, r -> r.stage().wallNanos() / 1e9), median(mine, DiffRun::stageRowsPerSecond),
                    median(mine, DiffRun::stageRowsPerCpuSecond),
                    median(mine, r -> r.finish().wallNanos() / 1e9), median(mine, DiffRun::finishRowsPerSecond),
                    median(mine, DiffRun::finishRowsPerCpuSecond),
                    median(mine, r -> r.diffWallNanos() / 1e9), median(mine, DiffRun::diffRowsPerSecond), median(mine, DiffRun::diffRowsPerCpuSecond),
                    median(mine, r -> r.firstLoadNanos() / 1e9));
        }
        out.println();
        out.printf(Locale.ROOT, "Day 2 heap, MB, largest over runs (max heap %s):%n", heapLimit(results));
        out.printf(Locale.ROOT, "%-12s | %-39s | %-39s | %s%n", "", "claim + stage", "finish", "state held in heap");
        out.printf(Locale.ROOT, "%-12s | %7s %10s %8s %5s %5s | %7s %10s %8s %5s %5s |%n",
                "pipeline", "sampled", "pool peaks", "after GC", "GCs", "full", "sampled", "pool peaks", "after GC", "GCs", "full");
        for (String name : pipelines) {
            List<DiffRun> mine = of(results, name);
            if (mine.isEmpty()) {
                continue;
            }
            long state = (long) max(mine, DiffRun::stateBytes);
            long workers = Math.max(1, intent.day1Active());
            out.printf(Locale.ROOT, "%-12s | %s | %s | %s%n", name, heapCells(mine, DiffRun::stageHeap), heapCells(mine, DiffRun::finishHeap),
                    state >= 0 ? String.format(Locale.ROOT, "%.0f MB, %.0f B per stored worker", state / MB, state / (double) workers)
                            : String.format(Locale.ROOT, "- (in the store: H2 file %.0f MB after the first load, %,.0f B per stored worker; "
                                    + "%.0f MB after day 2)", max(mine, DiffRun::firstLoadStoreBytes) / MB,
                                    max(mine, DiffRun::firstLoadStoreBytes) / workers, max(mine, DiffRun::storeBytes) / MB));
        }
        out.println();
        out.println("Ratios, " + ours + " / floor (medians; time and CPU per row: lower is better, 1.00 = as cheap as the floor):");
        List<DiffRun> mine = of(results, ours);
        for (String name : pipelines) {
            List<DiffRun> floor = of(results, name);
            if (name.equals(ours) || floor.isEmpty() || mine.isEmpty()) {
                continue;
            }
            out.printf(Locale.ROOT, "  %-11s vs %-11s stage+finish: wall %6.2fx, CPU/row %6.2fx; stage: wall %6.2fx, CPU/row %6.2fx; "
                            + "finish: wall %6.2fx%n", ours, name,
                    median(mine, DiffRun::diffWallNanos) / median(floor, DiffRun::diffWallNanos),
                    median(floor, DiffRun::diffRowsPerCpuSecond) / median(mine, DiffRun::diffRowsPerCpuSecond),
                    median(mine, r -> r.stage().wallNanos()) / median(floor, r -> r.stage().wallNanos()),
                    median(floor, DiffRun::stageRowsPerCpuSecond) / median(mine, DiffRun::stageRowsPerCpuSecond),
                    median(mine, r -> r.finish().wallNanos()) / median(floor, r -> r.finish().wallNanos()));
        }
        out.println();
        return check(pipelines, results, intent);
    }

    private List<String> check(List<String> pipelines, List<DiffRun> results, HrisDiffGenerator.Intent intent) {
        List<String> problems = new ArrayList<>();
        DiffRun.Kinds expected = expected(intent);
        DiffRun.Kinds expectedFirst = new DiffRun.Kinds(intent.day1Active(), 0, 0, 0, intent.day1Terminated());
        out.println("What each plan found in day 2 (first run of each), next to what the generator put into it:");
        out.printf(Locale.ROOT, "  %-12s %s  changes %,d (LEAVE: %,d by status + %,d by absence)%n", "generator", expected, expected.changes(),
                intent.statusLeaves(), intent.absent());
        for (String name : pipelines) {
            List<DiffRun> mine = of(results, name);
            if (mine.isEmpty()) {
                continue;
            }
            DiffRun r = mine.get(0);
            out.printf(Locale.ROOT, "  %-12s %s  changes %,d; deliveries queued %,d%s%n", name, r.plan(), r.plan().changes(), r.deliveries(),
                    r.held() == 0 ? "" : String.format(Locale.ROOT, " by the finish + %,d held as future-dated (PENDING), released later",
                            r.released()));
            for (DiffRun each : mine) {
                String run = name + " run " + each.run();
                if (each.rows() != intent.day2Rows() || each.accepted() != intent.day2Rows()) {
                    problems.add(String.format(Locale.ROOT, "%s read %,d day-2 rows and accepted %,d; the generator wrote %,d, all valid",
                            run, each.rows(), each.accepted(), intent.day2Rows()));
                }
                if (!each.firstLoad().equals(expectedFirst)) {
                    problems.add(run + " first load planned " + each.firstLoad() + "; the generator expects " + expectedFirst);
                }
                if (each.firstLoadDeliveries() != expectedFirst.changes()) {
                    problems.add(String.format(Locale.ROOT, "%s first load queued %,d deliveries for %,d changes", run,
                            each.firstLoadDeliveries(), expectedFirst.changes()));
                }
                if (!each.plan().equals(expected)) {
                    problems.add(run + " planned " + each.plan() + "; the generator put in " + expected);
                }
                if (each.deliveries() + each.released() != each.plan().changes()) {
                    problems.add(String.format(Locale.ROOT, "%s queued %,d deliveries (%,d by the finish + %,d released) for %,d changes",
                            run, each.deliveries() + each.released(), each.deliveries(), each.released(), each.plan().changes()));
                }
                if (each.held() != each.released()) {
                    problems.add(String.format(Locale.ROOT, "%s held %,d changes as future-dated and releasing them queued %,d deliveries",
                            run, each.held(), each.released()));
                }
                each.gateReasons().forEach(reason -> problems.add(run + ": " + reason));
            }
        }
        if (problems.isEmpty()) {
            out.println("  diff agrees with the generator");
        } else {
            out.println("  !!! DIFF DISAGREES WITH THE GENERATOR !!!");
            problems.forEach(p -> out.println("  PROBLEM: " + p));
        }
        out.println();
        out.println("Heap, three measures, each phase starting after a full GC: 'sampled' = largest heap used, read every 50 ms;");
        out.println("'pool peaks' = sum of each heap pool's exact peak (an upper bound); 'after GC' = largest heap used right after a");
        out.println("collection (live data plus old garbage: the closest to what the phase holds). 'state held in heap' = heap used");
        out.println("after full GCs with the floor's day-1 state loaded, minus before; for a store, the size of its file on disk.");
        out.flush();
        return problems;
    }

    /** The plan day 2 must give, by construction. */
    public static DiffRun.Kinds expected(HrisDiffGenerator.Intent intent) {
        return new DiffRun.Kinds(intent.joins(), intent.moves(), intent.updates(), intent.leaves(), intent.noops());
    }

    private static String heapCells(List<DiffRun> results, Function<DiffRun, HeapWatch.Peaks> heap) {
        return String.format(Locale.ROOT, "%7.0f %10.0f %8.0f %5.0f %5.0f",
                max(results, r -> heap.apply(r).sampled()) / MB, max(results, r -> heap.apply(r).poolPeaks()) / MB,
                max(results, r -> heap.apply(r).afterGc()) / MB, max(results, r -> heap.apply(r).gcCount()),
                max(results, r -> heap.apply(r).fullGcCount()));
    }

    private static String heapLimit(List<DiffRun> results) {
        long max = results.isEmpty() ? -1 : results.get(0).stageHeap().max();
        return max < 0 ? "undefined" : String.format(Locale.ROOT, "%.0f MB", max / MB);
    }

    private static List<DiffRun> of(List<DiffRun> results, String pipeline) {
        return results.stream().filter(r -> r.pipeline().equals(pipeline)).toList();
    }

    static double median(List<DiffRun> results, ToDoubleFunction<DiffRun> value) {
        double[] v = results.stream().mapToDouble(value).sorted().toArray();
        if (v.length == 0) {
            return Double.NaN;
        }
        return v.length % 2 == 1 ? v[v.length / 2] : (v[v.length / 2 - 1] + v[v.length / 2]) / 2;
    }

    private static double max(List<DiffRun> results, ToLongFunction<DiffRun> value) {
        return results.stream().mapToLong(value).max().orElse(0);
    }
}
