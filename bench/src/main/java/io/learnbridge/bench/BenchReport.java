package io.learnbridge.bench;

import java.io.PrintWriter;
import java.util.ArrayList;
import java.util.List;
import java.util.Locale;
import java.util.function.ToDoubleFunction;
import java.util.function.ToLongFunction;

/**
 * Prints the benchmark's results: a line per run as it finishes, then a throughput table (medians
 * of each pipeline's runs), a heap table (the largest over its runs, stage and finish apart), the
 * ratios of LearnBridge to each floor, and whether every pipeline read, accepted and mapped the
 * same rows.
 */
public final class BenchReport {

    private static final double MB = 1024.0 * 1024.0;

    private final PrintWriter out;

    public BenchReport(PrintWriter out) {
        this.out = out;
    }

    public void run(RunResult r, int runs) {
        HeapWatch.Peaks h = r.stageHeap();
        HeapWatch.Peaks f = r.finishHeap();
        out.printf(Locale.ROOT, "run %d/%d %-12s stage %6.2f s %,9.0f rows/s %,9.0f rows/CPU-s  heap MB %3.0f/%3.0f/%3.0f, %d full GC"
                        + "  | claim %s  finish %s%s%n",
                r.run(), runs, r.pipeline(), r.stage().wallNanos() / 1e9, r.rowsPerSecond(), r.rowsPerCpuSecond(),
                h.sampled() / MB, h.poolPeaks() / MB, h.afterGc() / MB, h.fullGcCount(), seconds(r.claimNanos()), seconds(r.finishNanos()),
                f == null ? "" : String.format(Locale.ROOT, "  heap MB %3.0f/%3.0f/%3.0f, %d full GC",
                        f.sampled() / MB, f.poolPeaks() / MB, f.afterGc() / MB, f.fullGcCount()));
        out.flush();
    }

    /** Prints the tables; returns the problems found (pipelines that disagree, rows missing from a store). */
    public List<String> table(List<String> pipelines, List<RunResult> results, String ours, long expectedRows) {
        out.println();
        out.println("Throughput, medians over runs. stage = parse + map + stage (floor: parse + map + JSON);");
        out.println("claim = file checksum + claim row; finish = conflicts, repeats, deliveries in one transaction.");
        out.printf(Locale.ROOT, "%-12s %4s %8s %10s %11s %11s %8s %8s %9s%n",
                "pipeline", "runs", "stage s", "rows/s", "rows/CPU-s", "rows/CPU-s", "CPU/wall", "claim s", "finish s");
        out.printf(Locale.ROOT, "%-12s %4s %8s %10s %11s %11s %8s %8s %9s%n", "", "", "", "", "(process)", "(pipeline)", "", "", "");
        for (String name : pipelines) {
            List<RunResult> mine = of(results, name);
            if (mine.isEmpty()) {
                continue;
            }
            out.printf(Locale.ROOT, "%-12s %4d %8.2f %,10.0f %,11.0f %,11.0f %8.2f %8s %9s%n",
                    name, mine.size(), median(mine, r -> r.stage().wallNanos() / 1e9), median(mine, RunResult::rowsPerSecond),
                    median(mine, RunResult::rowsPerCpuSecond), median(mine, RunResult::rowsPerThreadCpuSecond),
                    median(mine, r -> r.stage().processCpuNanos() / (double) r.stage().wallNanos()),
                    mine.get(0).claimNanos() < 0 ? "-" : String.format(Locale.ROOT, "%.2f", median(mine, r -> r.claimNanos() / 1e9)),
                    mine.get(0).finishNanos() < 0 ? "-" : String.format(Locale.ROOT, "%.2f", median(mine, r -> r.finishNanos() / 1e9)));
        }
        out.println();
        out.printf(Locale.ROOT, "Heap, MB, largest over runs (max heap %s):%n", heapLimit(results));
        out.printf(Locale.ROOT, "%-12s | %-39s | %-39s%n", "", "claim + stage", "finish");
        out.printf(Locale.ROOT, "%-12s | %7s %10s %8s %5s %5s | %7s %10s %8s %5s %5s%n",
                "pipeline", "sampled", "pool peaks", "after GC", "GCs", "full", "sampled", "pool peaks", "after GC", "GCs", "full");
        for (String name : pipelines) {
            List<RunResult> mine = of(results, name);
            if (mine.isEmpty()) {
                continue;
            }
            boolean finish = mine.get(0).finishHeap() != null;
            out.printf(Locale.ROOT, "%-12s | %s | %s%n", name, heapCells(mine, RunResult::stageHeap),
                    finish ? heapCells(mine, RunResult::finishHeap) : String.format(Locale.ROOT, "%7s %10s %8s %5s %5s", "-", "-", "-", "-", "-"));
        }
        out.println();
        out.println("Ratios, " + ours + " / floor (medians; time and CPU per row: lower is better, 1.00 = as cheap as the floor):");
        List<RunResult> mine = of(results, ours);
        for (String name : pipelines) {
            List<RunResult> floor = of(results, name);
            if (name.equals(ours) || floor.isEmpty() || mine.isEmpty()) {
                continue;
            }
            double wall = median(mine, r -> r.stage().wallNanos()) / median(floor, r -> r.stage().wallNanos());
            double cpu = median(floor, RunResult::rowsPerCpuSecond) / median(mine, RunResult::rowsPerCpuSecond);
            double threadCpu = median(floor, RunResult::rowsPerThreadCpuSecond) / median(mine, RunResult::rowsPerThreadCpuSecond);
            String line = String.format(Locale.ROOT, "  %-11s vs %-11s stage: wall %5.2fx, CPU/row %5.2fx (pipeline thread %5.2fx)",
                    ours, name, wall, cpu, threadCpu);
            if (mine.get(0).finishNanos() >= 0 && floor.get(0).finishNanos() >= 0) {
                double finish = median(mine, RunResult::finishNanos) / median(floor, RunResult::finishNanos);
                double total = median(mine, r -> r.claimNanos() + r.stage().wallNanos() + r.finishNanos())
                        / median(floor, r -> r.claimNanos() + r.stage().wallNanos() + r.finishNanos());
                line += String.format(Locale.ROOT, "; finish %5.2fx; claim+stage+finish %5.2fx", finish, total);
            }
            out.println(line);
        }
        out.println();
        return check(pipelines, results, expectedRows);
    }

    private static String heapCells(List<RunResult> results, java.util.function.Function<RunResult, HeapWatch.Peaks> heap) {
        return String.format(Locale.ROOT, "%7.0f %10.0f %8.0f %5.0f %5.0f",
                max(results, r -> heap.apply(r).sampled()) / MB, max(results, r -> heap.apply(r).poolPeaks()) / MB,
                max(results, r -> heap.apply(r).afterGc()) / MB, max(results, r -> heap.apply(r).gcCount()),
                max(results, r -> heap.apply(r).fullGcCount()));
    }

    private static String heapLimit(List<RunResult> results) {
        long max = results.isEmpty() ? -1 : results.get(0).stageHeap().max();
        return max < 0 ? "undefined" : String.format(Locale.ROOT, "%.0f MB", max / MB);
    }

    private List<String> check(List<String> pipelines, List<RunResult> results, long expectedRows) {
        List<String> problems = new ArrayList<>();
        out.println("Same work in every pipeline (first run of each):");
        RunResult reference = null;
        for (String name : pipelines) {
            List<RunResult> mine = of(results, name);
            if (mine.isEmpty()) {
                continue;
            }
            RunResult r = mine.get(0);
            out.printf(Locale.ROOT, "  %-12s rows %,d  accepted %,d  rejected %,d  canonical JSON chars %,d (digest %016x)  "
                            + "staged rows in store %s  deliveries %s%n",
                    name, r.rows(), r.accepted(), r.rejected(), r.canonicalChars(), r.canonicalDigest(), count(r.storedRows()),
                    count(r.deliveries()));
            for (RunResult each : mine) {
                if (each.rows() != expectedRows) {
                    problems.add(name + " run " + each.run() + " read " + each.rows() + " rows, expected " + expectedRows);
                }
                if (each.storedRows() >= 0 && each.storedRows() != each.rows()) {
                    problems.add(name + " run " + each.run() + " has " + each.storedRows() + " rows in its store, read " + each.rows());
                }
                if (each.deliveries() >= 0 && each.deliveries() + each.unchanged() != each.accepted()) {
                    problems.add(name + " run " + each.run() + " queued " + each.deliveries() + " deliveries and found " + each.unchanged()
                            + " unchanged for " + each.accepted() + " accepted rows");
                }
            }
            if (reference == null) {
                reference = r;
            } else if (r.accepted() != reference.accepted() || r.canonicalChars() != reference.canonicalChars()
                    || r.canonicalDigest() != reference.canonicalDigest()) {
                problems.add(name + " accepted or mapped different rows than " + reference.pipeline());
            }
        }
        problems.forEach(p -> out.println("  PROBLEM: " + p));
        if (problems.isEmpty()) {
            out.println("  all agree");
        }
        out.println();
        out.println("Heap, three measures, each phase starting after a full GC: 'sampled' = largest heap used, read every 50 ms");
        out.println("(includes garbage not yet collected: how far the collector let the heap fill); 'pool peaks' = sum of each heap");
        out.println("pool's exact peak (pools peak at different moments, so the sum is an upper bound and can exceed the limit);");
        out.println("'after GC' = largest heap used right after a collection (live data plus old garbage: the closest to what the");
        out.println("run holds). 'after GC' near the limit with full GCs means the phase nearly ran out of memory.");
        out.flush();
        return problems;
    }

    private static String count(long n) {
        return n < 0 ? "-" : String.format(Locale.ROOT, "%,d", n);
    }

    private static String seconds(long nanos) {
        return nanos < 0 ? "-" : String.format(Locale.ROOT, "%.2f s", nanos / 1e9);
    }

    private static List<RunResult> of(List<RunResult> results, String pipeline) {
        return results.stream().filter(r -> r.pipeline().equals(pipeline)).toList();
    }

    static double median(List<RunResult> results, ToDoubleFunction<RunResult> value) {
        double[] v = results.stream().mapToDouble(value).sorted().toArray();
        if (v.length == 0) {
            return Double.NaN;
        }
        return v.length % 2 == 1 ? v[v.length / 2] : (v[v.length / 2 - 1] + v[v.length / 2]) / 2;
    }

    private static double max(List<RunResult> results, ToLongFunction<RunResult> value) {
        return results.stream().mapToLong(value).max().orElse(0);
    }
}
