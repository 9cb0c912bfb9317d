package io.learnbridge.bench;

import io.learnbridge.bench.HrisDiffGenerator;
import io.learnbridge.bench.delivery.LoopbackTarget;
import io.learnbridge.bench.sync.BridgeSync;
import io.learnbridge.bench.sync.DayFile;
import io.learnbridge.bench.sync.FloorSync;
import io.learnbridge.bench.sync.Folders;
import io.learnbridge.bench.sync.H2Stores;
import io.learnbridge.bench.sync.LocalPostgres;
import io.learnbridge.bench.sync.PhaseRun;
import io.learnbridge.bench.sync.PostgresStores;
import io.learnbridge.bench.sync.StoreDb;
import io.learnbridge.bench.sync.StoreFactory;
import io.learnbridge.bench.sync.SyncDays;
import io.learnbridge.bench.sync.SyncOptions;
import io.learnbridge.bench.sync.SyncPipeline;
import io.learnbridge.bench.sync.SyncReport;
import java.io.PrintWriter;
import java.lang.management.GarbageCollectorMXBean;
import java.lang.management.ManagementFactory;
import java.lang.management.OperatingSystemMXBean;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.attribute.PosixFilePermissions;
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
 * {@code benchmark-sync}: the whole bridge path end to end. A generated HRIS CSV is renamed into
 * the drop folder of the real bridge started in this JVM (route ingest-drop: claim, stream, map,
 * stage, plan, gate, apply; then route deliver-lms: one PUT per changed worker) with a loopback
 * LMS as the target: a first load, then one or more daily full snapshots of the same population
 * with a share of the rows changed, then a one-row delta drop for the fixed cost of a drop. The
 * same drops go through a hand-written floor doing the same work on the same kind of store and to
 * the same target; runs alternate, medians are printed side by side with the ratios, on H2 and on
 * PostgreSQL. Every phase is checked: each expected change delivered exactly once (exit 1
 * otherwise). A benchmark, not a timed test: compare ratios from one run.
 */
@Command(name = "benchmark-sync", mixinStandardHelpOptions = true,
        description = {"Measure a first load and daily deltas end to end (CSV renamed into the drop folder -> ingest-drop -> store -> deliver-lms"
                + " -> one PUT per changed worker to a loopback LMS), on H2 and PostgreSQL, against a hand-written floor doing the same work.",
            "Exits 1 when an expected change was not delivered exactly once.",
            "Run with the heap limit to prove, e.g. java -Xmx512m -jar learnbridge.jar benchmark-sync."})
public final class SyncBenchmarkCommand implements Callable<Integer> {

    private static final int MAX_ROWS = 5_000_000;

    enum StoreChoice { h2, postgres, both }

    @Spec
    CommandSpec spec;

    @Option(names = "--rows", defaultValue = "100000", description = "Data rows of the first load (day 1) (default: ${DEFAULT-VALUE}).")
    int rows;

    @Option(names = "--diff", paramLabel = "PCT", defaultValue = "2",
            description = "Percent of the rows changed each delta day (MOVE, UPDATE, LEAVE), besides " + HrisDiffGenerator.NEW_PERCENT + "%% new and "
                    + HrisDiffGenerator.ABSENT_PERCENT + "%% absent workers (default: ${DEFAULT-VALUE}).")
    double diff;

    @Option(names = "--days", defaultValue = "1", description = "Delta days after the first load, each a full snapshot of the same population with"
            + " --diff %% changed; the store's bytes per worker are reported after the last (default: ${DEFAULT-VALUE}).")
    int days;

    @Option(names = "--runs", defaultValue = "1", description = "Runs per pipeline and store, alternating learnbridge and floor; medians are"
            + " reported (default: ${DEFAULT-VALUE}).")
    int runs;

    @Option(names = "--store", description = "h2, postgres or both (default: h2, or postgres with --store-url). For postgres without --store-url"
            + " a private throw-away cluster is started from the installed server binaries (apt-get install -y postgresql).")
    StoreChoice store;

    @Option(names = "--store-url", description = "An existing PostgreSQL (jdbc:postgresql://host:port/database) to create the fresh databases on"
            + " (its user needs CREATEDB), instead of a private cluster.")
    String storeUrl;

    @Option(names = "--store-user", description = "User for --store-url.")
    String storeUser;

    @Option(names = "--store-password", description = "Password for --store-url.")
    String storePassword;

    @Option(names = "--dir", description = "Work folder: generated drops (kept and reused), stores, drop folders, the private PostgreSQL"
            + " (default: a new temporary folder, deleted at the end unless --keep).")
    Path dir;

    @Option(names = "--parallelism", defaultValue = "8", description = "PUTs in flight, both pipelines (learnbridge.delivery.parallelism;"
            + " default: ${DEFAULT-VALUE}).")
    int parallelism;

    @Option(names = "--fail-percent", defaultValue = "0", description = "Share of the PUTs the loopback target answers 503 (deterministic by"
            + " count), to measure what faults cost (default: ${DEFAULT-VALUE}).")
    int failPercent;

    @Option(names = "--retry-budget", defaultValue = "PT10M", description = "How long a failed PUT is retried, both pipelines"
            + " (learnbridge.delivery.retryBudget, ISO-8601; default: ${DEFAULT-VALUE}, the product's).")
    Duration retryBudget;

    @Option(names = "--stall-seconds", defaultValue = "120", description = "Give up a phase when its deliveries make no progress for this"
            + " long (default: ${DEFAULT-VALUE}).")
    int stallSeconds;

    @Option(names = "--live-heap-seconds", defaultValue = "0", description = "Every this many seconds of a phase, force a full collection and"
            + " read the heap after it: the data each pipeline keeps reachable, phase by phase, to show it stays flat through a file (costs"
            + " time: do not quote the speed of such a run; default: ${DEFAULT-VALUE}, never).")
    int liveHeapSeconds;

    @Option(names = "--timeout-minutes", defaultValue = "60", description = "Give up a phase after this long (default: ${DEFAULT-VALUE}).")
    int timeoutMinutes;

    @Option(names = "--keep", description = "Keep the stores, bridge homes and the private PostgreSQL's data under --dir.")
    boolean keep;

    @Override
    public Integer call() throws Exception {
        check("--rows", rows, 1, MAX_ROWS);
        check("--days", days, 1, 365);
        check("--runs", runs, 1, 1000);
        check("--parallelism", parallelism, 1, 256);
        check("--fail-percent", failPercent, 0, 100);
        check("--stall-seconds", stallSeconds, 1, Integer.MAX_VALUE);
        check("--timeout-minutes", timeoutMinutes, 1, Integer.MAX_VALUE);
        if (!(diff >= 0 && diff <= 90)) {
            throw new ParameterException(spec.commandLine(), "Invalid value for option '--diff': " + diff + " (must be from 0 to 90)");
        }
        if (retryBudget.isNegative() || retryBudget.isZero()) {
            throw new ParameterException(spec.commandLine(), "Invalid value for option '--retry-budget': " + retryBudget + " (must be positive)");
        }
        StoreChoice stores = store != null ? store : storeUrl != null ? StoreChoice.postgres : StoreChoice.h2;
        if (storeUrl != null && stores == StoreChoice.h2) {
            throw new ParameterException(spec.commandLine(), "--store-url is a PostgreSQL server: use it with --store postgres or both");
        }
        boolean temporary = dir == null;
        Path folder = temporary ? Files.createTempDirectory("learnbridge-bench-sync-") : dir.toAbsolutePath();
        Files.createDirectories(folder);
        if (temporary) {
            // a private PostgreSQL run as another OS user must be able to enter it
            Files.setPosixFilePermissions(folder, PosixFilePermissions.fromString("rwxr-xr-x"));
        }
        PrintWriter out = spec.commandLine().getOut();
        OperatingSystemMXBean os = ManagementFactory.getOperatingSystemMXBean();
        double loadAtStart = os.getSystemLoadAverage();
        List<DayFile> phases;
        try {
            phases = new ArrayList<>(SyncDays.ensure(folder.resolve("data"), rows, diff, days));
        } catch (IllegalArgumentException e) {
            throw new ParameterException(spec.commandLine(), "Invalid value for option '--diff': " + e.getMessage());
        }
        phases.add(SyncDays.oneRow(folder.resolve("data")));
        SyncOptions options = new SyncOptions(parallelism, retryBudget, Duration.ofSeconds(1), Duration.ofSeconds(60), Duration.ofSeconds(stallSeconds),
                Duration.ofMinutes(timeoutMinutes), keep, Duration.ofSeconds(liveHeapSeconds));
        header(out, folder, phases, os, loadAtStart);

        List<PhaseRun> results = new ArrayList<>();
        List<String> problems = new ArrayList<>();
        try (LoopbackTarget target = LoopbackTarget.start(failPercent)) {
            List<SyncPipeline> pipelines = List.of(new BridgeSync(options, target), new FloorSync(options, target));
            out.printf(Locale.ROOT, "Target: %s.%nIt shares the process and the CPUs with both pipelines; its own CPU is in the figures.%n",
                    target.description());
            for (SyncPipeline p : pipelines) {
                out.printf(Locale.ROOT, "  %-11s %s%n", p.name(), p.description());
            }
            out.flush();
            SyncReport report = new SyncReport(out);
            for (String kind : stores == StoreChoice.both ? List.of("h2", "postgres") : List.of(stores.name())) {
                String description;
                try (StoreFactory factory = factory(kind, folder)) {
                    out.printf(Locale.ROOT, "%n%s: %s%n", factory.kind(), factory.description());
                    out.flush();
                    for (int run = 1; run <= runs; run++) {
                        for (SyncPipeline p : pipelines) {
                            results.addAll(runPipeline(p, factory, folder, run, phases, report));
                        }
                    }
                    description = factory.description();
                    report.table(factory.kind(), description, phases, results, runs);
                } catch (java.io.IOException | java.sql.SQLException e) {
                    String problem = ("h2".equals(kind) ? "H2" : "PostgreSQL") + " not measured: " + e.getMessage();
                    out.println(problem);
                    problems.add(problem);
                }
            }
            problems = report.check(results, problems);
        } finally {
            if (!keep) {
                Folders.deleteTree(temporary ? folder : folder.resolve("work"));
            }
        }
        out.printf(Locale.ROOT, "Load average %.2f at start, %.2f at end on %d CPUs (the target and both pipelines share them): wall times on a"
                + " shared machine move a lot; quote the ratios and rows per CPU-second.%n", loadAtStart, os.getSystemLoadAverage(),
                os.getAvailableProcessors());
        out.flush();
        return problems.isEmpty() ? 0 : 1;
    }

    /** One pipeline's run on a fresh store: every phase in order, until one fails its check. */
    private List<PhaseRun> runPipeline(SyncPipeline pipeline, StoreFactory factory, Path folder, int run, List<DayFile> phases, SyncReport report)
            throws Exception {
        List<PhaseRun> results = new ArrayList<>();
        String tag = factory.kind().equals("H2") ? "h2" : "pg";
        StoreDb db = factory.create("lbsync_" + pipeline.name() + "_" + run);
        Path home = folder.resolve("work").resolve(tag + "-" + pipeline.name() + "-" + run);
        try (SyncPipeline.Session session = pipeline.open(db, home, run)) {
            for (int i = 0; i < phases.size(); i++) {
                PhaseRun r = session.drop(factory.kind(), run, phases.get(i));
                results.add(r);
                report.phase(r, runs);
                if (!r.ok()) {
                    report.skipped(factory.kind(), pipeline.name(), run, runs, phases.subList(i + 1, phases.size()));
                    break;
                }
            }
        } finally {
            factory.drop(db);
            if (!keep) {
                Folders.deleteTree(home);
            }
        }
        return results;
    }

    private StoreFactory factory(String kind, Path folder) throws Exception {
        if (kind.equals("h2")) {
            return new H2Stores(folder.resolve("work/h2"), keep);
        }
        if (storeUrl != null) {
            return new PostgresStores(storeUrl, storeUser, storePassword, keep, null);
        }
        LocalPostgres pg = LocalPostgres.start(folder.resolve("postgres"), keep);
        return new PostgresStores(pg.adminUrl(), pg.user(), null, keep, pg);
    }

    private void header(PrintWriter out, Path folder, List<DayFile> phases, OperatingSystemMXBean os, double loadAtStart) throws java.io.IOException {
        out.printf(Locale.ROOT, "LearnBridge sync benchmark: a first load of %,d rows, then %d delta day(s) of %s%% changed rows (full snapshots of"
                        + " the same population), then a 1-row delta drop; %d run(s) per pipeline and store, alternating; work folder %s%n",
                rows, days, HrisDiffGenerator.label(diff), runs, folder);
        out.printf(Locale.ROOT, "JVM %s %s, GC %s, max heap %s, %d CPUs, load average %.2f%n",
                System.getProperty("java.vm.name"), System.getProperty("java.runtime.version"),
                ManagementFactory.getGarbageCollectorMXBeans().stream().map(GarbageCollectorMXBean::getName).collect(Collectors.joining(" + ")),
                maxHeap(), os.getAvailableProcessors(), loadAtStart);
        for (DayFile d : phases) {
            out.printf(Locale.ROOT, "  %-12s %s: %,d rows (%.1f MB)%s; expected %s -> %,d PUTs%n", d.phase(), d.file().getFileName(), d.rows(),
                    Files.size(d.file()) / 1024.0 / 1024.0, d.rejected() == 0 ? "" : String.format(Locale.ROOT, ", %,d rejected by the mapping",
                            d.rejected()), d.expected(), d.expected().puts());
        }
        out.println("  (a first load PUTs each accepted active worker; a leaver, by status T or absent from the snapshot, is PUT with active=false"
                + " by the REST JSON adapter; a NOOP, or a worker first seen terminated, is not PUT)");
    }

    private void check(String option, int value, int min, int max) {
        if (value < min || value > max) {
            throw new ParameterException(spec.commandLine(), "Invalid value for option '" + option + "': " + value + " (must be from " + min
                    + " to " + max + ")");
        }
    }

    private static String maxHeap() {
        long max = Runtime.getRuntime().maxMemory();
        return max == Long.MAX_VALUE ? "unlimited" : String.format(Locale.ROOT, "%.0f MB", max / 1024.0 / 1024.0);
    }
}
