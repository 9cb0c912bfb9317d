package io.learnbridge.bench;

import io.learnbridge.mapping.MappingCatalog;
import io.learnbridge.mapping.MappingFile;
import io.learnbridge.mapping.MappingFiles;
import io.learnbridge.bench.BenchPipeline;
import io.learnbridge.bench.BenchReport;
import io.learnbridge.bench.DiffFloorPipeline;
import io.learnbridge.bench.DiffPipeline;
import io.learnbridge.bench.DiffReport;
import io.learnbridge.bench.DiffRun;
import io.learnbridge.bench.FloorPipeline;
import io.learnbridge.bench.HrisCsvGenerator;
import io.learnbridge.bench.HrisDiffGenerator;
import io.learnbridge.bench.LearnBridgeDiffPipeline;
import io.learnbridge.bench.LearnBridgePipeline;
import io.learnbridge.bench.RunResult;
import java.io.PrintWriter;
import java.lang.management.GarbageCollectorMXBean;
import java.lang.management.ManagementFactory;
import java.lang.management.OperatingSystemMXBean;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Instant;
import java.time.temporal.ChronoUnit;
import java.util.ArrayList;
import java.util.List;
import java.util.Locale;
import java.util.concurrent.Callable;
import java.util.stream.Collectors;
import picocli.CommandLine.Command;
import picocli.CommandLine.Model.CommandSpec;
import picocli.CommandLine.Option;
import picocli.CommandLine.ParameterException;
import picocli.CommandLine.Spec;

/**
 * {@code benchmark}: streams a generated HRIS CSV through LearnBridge's parse, map and stage path
 * and through hand-written floors on the same file, alternating runs, and prints medians of
 * rows/s, rows per CPU-second and peak heap side by side, with the ratios. A benchmark, not a
 * timed test: compare ratios from one run, since wall times on shared machines move a lot.
 *
 * <p>With {@code --diff PERCENT} it measures diffing a snapshot against stored state instead: a
 * day-2 file of the same workers with that share of rows changed plus new and absent workers
 * ({@link HrisDiffGenerator}), loaded after day 1 into the same store as a full snapshot, against
 * hand-written hash-and-compare floors; the plan must find exactly what the generator put in.
 */
@Command(name = "benchmark", mixinStandardHelpOptions = true,
        description = {"Measure parse, map and stage throughput and peak heap, against a hand-written floor on the same data.",
            "With --diff PERCENT: measure diffing a full snapshot (day 2) against the state stored from day 1 instead.",
            "Run with the heap limit to prove, e.g. java -Xmx512m -jar learnbridge.jar benchmark."})
public final class BenchmarkCommand implements Callable<Integer> {

    @Spec
    CommandSpec spec;

    @Option(names = "--rows", defaultValue = "1000000", description = "Data rows in the generated CSV (default: ${DEFAULT-VALUE}).")
    int rows;

    @Option(names = "--runs", defaultValue = "3", description = "Runs per pipeline; medians are reported (default: ${DEFAULT-VALUE}).")
    int runs;

    @Option(names = "--dir", description = "Folder for the generated CSV (kept and reused) and the per-run H2 stores "
            + "(default: <java.io.tmpdir>/learnbridge-bench).")
    Path dir;

    @Option(names = "--batch", defaultValue = "500", description = "Rows per staging batch and transaction (default: ${DEFAULT-VALUE}).")
    int batch;

    @Option(names = "--keep-stores", description = "Keep each run's H2 store (bench-store-<run>.mv.db, bench-floor-<run>.mv.db) instead of deleting it.")
    boolean keepStores;

    @Option(names = "--diff", paramLabel = "PERCENT", description = "Measure diffing a snapshot against stored state: day 1 (the generated "
            + "CSV) is loaded into a fresh store, then a day-2 CSV of the same workers with PERCENT %% of rows changed (MOVE, UPDATE, "
            + "LEAVE), " + HrisDiffGenerator.NEW_PERCENT + "%% new and " + HrisDiffGenerator.ABSENT_PERCENT + "%% absent workers is diffed "
            + "against it as a full snapshot; day 2's stage and finish are measured. Exits 1 when a plan disagrees with the generator.")
    Double diff;

    @Override
    public Integer call() throws Exception {
        check("--rows", rows, 1);
        check("--runs", runs, 1);
        check("--batch", batch, 1);
        if (diff != null && !(diff >= 0 && diff <= 90)) {
            throw new ParameterException(spec.commandLine(), "Invalid value for option '--diff': " + diff + " (must be from 0 to 90)");
        }
        Path folder = (dir != null ? dir : Path.of(System.getProperty("java.io.tmpdir"), "learnbridge-bench")).toAbsolutePath();
        PrintWriter out = spec.commandLine().getOut();
        OperatingSystemMXBean os = ManagementFactory.getOperatingSystemMXBean();
        double loadAtStart = os.getSystemLoadAverage();

        HrisCsvGenerator.Generated data = HrisCsvGenerator.ensure(folder, rows);
        out.printf(Locale.ROOT, "LearnBridge benchmark: %,d rows, %.0f MB, %s (%s)%n", rows, Files.size(data.file()) / 1024.0 / 1024.0,
                data.file(), data.created() ? String.format(Locale.ROOT, "generated in %.1f s", data.nanos() / 1e9) : "reused");
        out.printf(Locale.ROOT, "JVM %s %s, GC %s, max heap %s, %d CPUs, load average %.2f; %d runs per pipeline, alternating; batch %d%n",
                System.getProperty("java.vm.name"), System.getProperty("java.runtime.version"),
                ManagementFactory.getGarbageCollectorMXBeans().stream().map(GarbageCollectorMXBean::getName).collect(Collectors.joining(" + ")),
                maxHeap(), os.getAvailableProcessors(), loadAtStart, runs, batch);

        MappingFile mapping = MappingCatalog.compileStrict(MappingFiles.load("classpath:mappings")).source(LearnBridgePipeline.SOURCE);
        Instant receivedAt = Instant.now().truncatedTo(ChronoUnit.SECONDS);
        if (diff != null) {
            return diff(out, folder, data, mapping, receivedAt, loadAtStart);
        }
        List<BenchPipeline> pipelines = List.of(
                new FloorPipeline(false, folder, batch, receivedAt, keepStores),
                new FloorPipeline(true, folder, batch, receivedAt, keepStores),
                new LearnBridgePipeline(mapping, folder, batch, receivedAt, keepStores));
        for (BenchPipeline p : pipelines) {
            out.printf(Locale.ROOT, "  %-12s %s%n", p.name(), p.description());
        }
        out.println();
        out.flush();

        BenchReport report = new BenchReport(out);
        List<RunResult> results = new ArrayList<>();
        for (int run = 1; run <= runs; run++) {
            for (BenchPipeline p : pipelines) {
                RunResult result = p.run(run, data.file());
                results.add(result);
                report.run(result, runs);
            }
        }
        List<String> problems = report.table(pipelines.stream().map(BenchPipeline::name).toList(), results, "learnbridge", rows);
        out.printf(Locale.ROOT, "Load average %.2f at start, %.2f at end on %d CPUs: wall times on a shared machine move a lot;"
                + " quote the ratios and rows per CPU-second.%n", loadAtStart, os.getSystemLoadAverage(), os.getAvailableProcessors());
        out.flush();
        return problems.isEmpty() ? 0 : 1;
    }

    private Integer diff(PrintWriter out, Path folder, HrisCsvGenerator.Generated day1, MappingFile mapping, Instant receivedAt,
                         double loadAtStart) throws Exception {
        HrisDiffGenerator.Generated day2;
        try {
            day2 = HrisDiffGenerator.ensure(folder, rows, diff);
        } catch (IllegalArgumentException e) {
            throw new ParameterException(spec.commandLine(), "Invalid value for option '--diff': " + e.getMessage());
        }
        HrisDiffGenerator.Intent intent = day2.intent();
        out.printf(Locale.ROOT, "Diff: day 2 = %s, %,d rows, %.0f MB (%s)%n", day2.file(), intent.day2Rows(),
                Files.size(day2.file()) / 1024.0 / 1024.0,
                day2.created() ? String.format(Locale.ROOT, "generated in %.1f s", day2.nanos() / 1e9) : "reused");
        out.printf(Locale.ROOT, "  day 1: %,d rows, %,d accepted: %,d active workers stored by the first load, %,d first seen terminated%n",
                intent.day1Rows(), intent.day1Accepted(), intent.day1Active(), intent.day1Terminated());
        out.printf(Locale.ROOT, "  day 2 by construction: %s%% = %,d rows changed (MOVE %,d: manager %,d, department %,d, job %,d; UPDATE %,d email;"
                        + " LEAVE %,d status T), %,d new workers (JOIN), %,d active workers absent (LEAVE), %,d day-1 rejected rows corrected"
                        + " (%,d JOIN, %,d NOOP: first seen terminated), %,d rows unchanged (NOOP)%n",
                HrisDiffGenerator.label(diff), intent.changedRows(), intent.moves(), intent.managerMoves(), intent.departmentMoves(),
                intent.jobMoves(), intent.updates(), intent.statusLeaves(), intent.newWorkers(), intent.absent(), intent.corrected(),
                intent.correctedActive(), intent.corrected() - intent.correctedActive(), intent.unchanged());
        out.println("  (day 2 has no rejected rows: LearnBridge infers leavers by absence only when every row of a snapshot is identified)");
        List<DiffPipeline> pipelines = List.of(
                new DiffFloorPipeline(false, folder, batch, receivedAt, keepStores),
                new DiffFloorPipeline(true, folder, batch, receivedAt, keepStores),
                new LearnBridgeDiffPipeline(mapping, folder, batch, receivedAt, keepStores));
        for (DiffPipeline p : pipelines) {
            out.printf(Locale.ROOT, "  %-12s %s%n", p.name(), p.description());
        }
        out.println();
        out.flush();

        DiffReport report = new DiffReport(out);
        List<DiffRun> results = new ArrayList<>();
        for (int run = 1; run <= runs; run++) {
            for (DiffPipeline p : pipelines) {
                DiffRun result = p.run(run, day1.file(), day2.file());
                results.add(result);
                report.run(result, runs);
            }
        }
        List<String> problems = report.table(pipelines.stream().map(DiffPipeline::name).toList(), results, "learnbridge", intent);
        OperatingSystemMXBean os = ManagementFactory.getOperatingSystemMXBean();
        out.printf(Locale.ROOT, "Load average %.2f at start, %.2f at end on %d CPUs: wall times on a shared machine move a lot;"
                + " quote the ratios and rows per CPU-second.%n", loadAtStart, os.getSystemLoadAverage(), os.getAvailableProcessors());
        out.flush();
        return problems.isEmpty() ? 0 : 1;
    }

    private void check(String option, int value, int min) {
        if (value < min) {
            throw new ParameterException(spec.commandLine(), "Invalid value for option '" + option + "': " + value + " (must be at least " + min + ")");
        }
    }

    private static String maxHeap() {
        long max = Runtime.getRuntime().maxMemory();
        return max == Long.MAX_VALUE ? "unlimited" : String.format(Locale.ROOT, "%.0f MB", max / 1024.0 / 1024.0);
    }
}
