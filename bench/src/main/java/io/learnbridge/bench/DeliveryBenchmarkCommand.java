package io.learnbridge.bench;

import io.learnbridge.bench.delivery.DeliveryBench;
import io.learnbridge.bench.delivery.DeliveryConfig;
import io.learnbridge.bench.delivery.DeliveryReport;
import io.learnbridge.bench.delivery.DeliveryRun;
import io.learnbridge.bench.delivery.LoopbackTarget;
import java.io.PrintWriter;
import java.lang.management.GarbageCollectorMXBean;
import java.lang.management.ManagementFactory;
import java.lang.management.OperatingSystemMXBean;
import java.nio.file.Path;
import java.time.Duration;
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
 * {@code benchmark-delivery}: delivers a first load of generated workers through the real bridge
 * started in this JVM to a loopback target the command starts itself, once per configuration: the
 * LRS target (xAPI statements) at each batch size, then the REST JSON LMS target (one PUT per
 * worker) as the reference; alternating runs. It times from all deliveries queued to all
 * delivered, counts the requests the target received, and prints deliveries/s, deliveries per
 * request, CPU per delivery and heap side by side with the ratios. Then it checks every worker
 * was delivered exactly once. A benchmark, not a timed test: compare ratios from one run.
 */
@Command(name = "benchmark-delivery", mixinStandardHelpOptions = true,
        description = {"Measure delivery throughput to a loopback target: the LRS target (xAPI statements) at each batch size, "
                + "and the REST JSON LMS target (one PUT per worker) as the reference.",
            "Run with the heap limit to prove, e.g. java -Xmx512m -jar learnbridge.jar benchmark-delivery."})
public final class DeliveryBenchmarkCommand implements Callable<Integer> {

    private static final int MAX_BATCH = 1000;

    @Spec
    CommandSpec spec;

    @Option(names = "--workers", defaultValue = "20000", description = "Workers in the dropped CSV, each one delivery per run (default: ${DEFAULT-VALUE}).")
    int workers;

    @Option(names = "--batch-sizes", split = ",", defaultValue = "1,50",
            description = "LRS batch sizes to measure, comma separated (learnbridge.targets.lrs.batchSize, 1 to " + MAX_BATCH
                    + "; default: ${DEFAULT-VALUE}).")
    List<Integer> batchSizes;

    @Option(names = "--lms", negatable = true, defaultValue = "true", fallbackValue = "true",
            description = "Also measure the REST JSON LMS target as the reference (default: yes; --no-lms to skip it).")
    boolean lms;

    @Option(names = "--runs", defaultValue = "1", description = "Runs per configuration, alternating; medians are reported (default: ${DEFAULT-VALUE}).")
    int runs;

    @Option(names = "--poll-period", defaultValue = "200",
            description = "learnbridge.delivery.pollPeriod in ms: how long an idle delivery route waits before claiming again; while claims come back "
                    + "full it claims again at once (default: ${DEFAULT-VALUE}, the product's).")
    int pollPeriod;

    @Option(names = "--parallelism", defaultValue = "8", description = "learnbridge.delivery.parallelism: PUTs in flight to the LMS (default: ${DEFAULT-VALUE}).")
    int parallelism;

    @Option(names = "--claim-size", defaultValue = "100",
            description = "learnbridge.delivery.batchSize: deliveries the LMS route claims per tick (default: ${DEFAULT-VALUE}).")
    int claimSize;

    @Option(names = "--stall-seconds", defaultValue = "120",
            description = "Give up on a run when no delivery has settled for this long (default: ${DEFAULT-VALUE}).")
    int stallSeconds;

    @Option(names = "--dir", description = "Folder for the per-run bridge homes: store, drop folder, routes file "
            + "(default: <java.io.tmpdir>/learnbridge-bench-delivery).")
    Path dir;

    @Option(names = "--keep-stores", description = "Keep each run's bridge home (<config>-<run>/ under --dir) instead of deleting it.")
    boolean keepStores;

    @Override
    public Integer call() throws Exception {
        check("--workers", workers, 1);
        check("--runs", runs, 1);
        check("--poll-period", pollPeriod, 1);
        check("--parallelism", parallelism, 1);
        check("--claim-size", claimSize, 1);
        check("--stall-seconds", stallSeconds, 1);
        List<DeliveryConfig> configs = new ArrayList<>();
        for (int batch : batchSizes.stream().distinct().toList()) {
            if (batch < 1 || batch > MAX_BATCH) {
                throw new ParameterException(spec.commandLine(), "Invalid value for option '--batch-sizes': " + batch
                        + " (each must be from 1 to " + MAX_BATCH + ")");
            }
            configs.add(DeliveryConfig.lrs(batch));
        }
        if (lms) {
            configs.add(DeliveryConfig.lms());
        }
        if (configs.isEmpty()) {
            throw new ParameterException(spec.commandLine(), "Nothing to measure: no --batch-sizes and --no-lms");
        }
        Path folder = (dir != null ? dir : Path.of(System.getProperty("java.io.tmpdir"), "learnbridge-bench-delivery")).toAbsolutePath();
        PrintWriter out = spec.commandLine().getOut();
        OperatingSystemMXBean os = ManagementFactory.getOperatingSystemMXBean();
        double loadAtStart = os.getSystemLoadAverage();

        try (LoopbackTarget target = LoopbackTarget.start()) {
            out.printf(Locale.ROOT, "LearnBridge delivery benchmark: a first load of %,d workers (one generated HRIS CSV drop, every row accepted and"
                    + " active: one JOIN, so one delivery, each) per configuration; %d run(s) per configuration, alternating; bridge homes"
                    + " under %s%n", workers, runs, folder);
            out.printf(Locale.ROOT, "JVM %s %s, GC %s, max heap %s, %d CPUs, load average %.2f%n",
                    System.getProperty("java.vm.name"), System.getProperty("java.runtime.version"),
                    ManagementFactory.getGarbageCollectorMXBeans().stream().map(GarbageCollectorMXBean::getName).collect(Collectors.joining(" + ")),
                    maxHeap(), os.getAvailableProcessors(), loadAtStart);
            out.printf(Locale.ROOT, "The bridge in this JVM as 'run' starts it, fresh per run (startup and the drop's ingest not measured): H2 file store"
                    + " (WRITE_DELAY=0), learnbridge.delivery.pollPeriod %d ms (idle wait; full claims are followed at once)%n", pollPeriod);
            out.printf(Locale.ROOT, "Target: %s.%nIts own CPU is in the figures: it shares the process and the %d CPUs with the bridge.%n",
                    target.description(), os.getAvailableProcessors());
            for (DeliveryConfig c : configs) {
                out.printf(Locale.ROOT, "  %-10s %s%n", c.name(), c.description(parallelism, claimSize));
            }
            out.println();
            out.flush();

            DeliveryBench bench = new DeliveryBench(folder, pollPeriod, parallelism, claimSize, Duration.ofSeconds(stallSeconds), keepStores);
            DeliveryReport report = new DeliveryReport(out);
            List<DeliveryRun> results = new ArrayList<>();
            for (int run = 1; run <= runs; run++) {
                for (DeliveryConfig c : configs) {
                    DeliveryRun result = bench.run(c, run, workers, target);
                    results.add(result);
                    report.run(result, runs);
                }
            }
            List<String> problems = report.summary(configs, results);
            out.printf(Locale.ROOT, "Load average %.2f at start, %.2f at end on %d CPUs (the target and the bridge share them): wall times on a"
                    + " shared machine move a lot; quote the ratios and CPU per delivery.%n", loadAtStart, os.getSystemLoadAverage(),
                    os.getAvailableProcessors());
            out.flush();
            return problems.isEmpty() ? 0 : 1;
        }
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
