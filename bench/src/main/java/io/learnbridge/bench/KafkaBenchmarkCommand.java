package io.learnbridge.bench;

import io.learnbridge.bench.delivery.LoopbackTarget;
import io.learnbridge.bench.kafka.KafkaBench;
import io.learnbridge.bench.sync.Folders;
import io.learnbridge.bench.sync.H2Stores;
import io.learnbridge.bench.sync.LocalPostgres;
import io.learnbridge.bench.sync.PostgresStores;
import io.learnbridge.bench.sync.StoreDb;
import io.learnbridge.bench.sync.StoreFactory;
import io.learnbridge.bench.sync.SyncOptions;
import java.io.PrintWriter;
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
import picocli.CommandLine.Command;
import picocli.CommandLine.Model.CommandSpec;
import picocli.CommandLine.Option;
import picocli.CommandLine.ParameterException;
import picocli.CommandLine.Spec;

@Command(name = "benchmark-kafka", mixinStandardHelpOptions = true,
        description = {"Measure Kafka -> map -> target end to end: a topic preloaded with one change event per worker, consumed by the bridge"
                + " (learnbridge-kafka-source -> ingest-kafka -> store -> process-events -> deliver-lms -> one PUT per worker to a loopback LMS) and by a hand-written"
                + " consumer doing the same work, alternating runs, each with a fresh consumer group and store.",
            "Needs a Kafka broker (--brokers). From a checkout, the README's command starts one for it.",
            "Exits 1 when a worker was not delivered exactly once or the offsets committed do not add up."})
public final class KafkaBenchmarkCommand implements Callable<Integer> {

    @Spec
    CommandSpec spec;

    @Option(names = "--brokers", required = true, description = "Kafka bootstrap servers, host:port[,host:port].")
    String brokers;

    @Option(names = "--records", defaultValue = "100000", description = "Events preloaded, one per worker (default: ${DEFAULT-VALUE}).")
    int records;

    @Option(names = "--partitions", defaultValue = "3", description = "Partitions of the topic (default: ${DEFAULT-VALUE}).")
    int partitions;

    @Option(names = "--runs", defaultValue = "1", description = "Runs per pipeline, alternating which goes first (default: ${DEFAULT-VALUE}).")
    int runs;

    @Option(names = "--parallelism", defaultValue = "8", description = "PUTs in flight, both pipelines (default: ${DEFAULT-VALUE}).")
    int parallelism;

    @Option(names = "--store", defaultValue = "h2", description = "h2 or postgres (a private PostgreSQL cluster started for the run, as"
            + " benchmark-sync does) (default: ${DEFAULT-VALUE}).")
    String store;

    @Option(names = "--dir", description = "Work folder (default: a temporary one, deleted after).")
    Path dir;

    @Option(names = "--timeout-minutes", defaultValue = "30", description = "Give up a run after this long (default: ${DEFAULT-VALUE}).")
    int timeoutMinutes;

    @Override
    public Integer call() throws Exception {
        check("--records", records, 1, 10_000_000);
        check("--partitions", partitions, 1, 100);
        check("--runs", runs, 1, 100);
        check("--parallelism", parallelism, 1, 256);
        if (!store.equals("h2") && !store.equals("postgres")) {
            throw new ParameterException(spec.commandLine(), "Invalid value for option '--store': " + store + " (h2 or postgres)");
        }
        boolean temporary = dir == null;
        Path folder = temporary ? Files.createTempDirectory("learnbridge-bench-kafka-") : dir.toAbsolutePath();
        Files.createDirectories(folder);
        if (temporary) {
            // a private PostgreSQL run as another OS user must be able to enter it
            Files.setPosixFilePermissions(folder, PosixFilePermissions.fromString("rwxr-xr-x"));
        }
        PrintWriter out = spec.commandLine().getOut();
        OperatingSystemMXBean os = ManagementFactory.getOperatingSystemMXBean();
        double loadAtStart = os.getSystemLoadAverage();
        SyncOptions options = new SyncOptions(parallelism, Duration.ofMinutes(10), Duration.ofSeconds(1), Duration.ofSeconds(60),
                Duration.ofMinutes(timeoutMinutes), Duration.ofMinutes(timeoutMinutes), false, Duration.ZERO);
        KafkaBench bench = new KafkaBench(brokers, records, options, Duration.ofMinutes(timeoutMinutes));
        String topic = "learnbridge-bench-" + System.currentTimeMillis();
        out.printf(Locale.ROOT, "LearnBridge Kafka benchmark: %,d events (one per worker, source %s's JSON, key = worker id) preloaded into topic %s"
                + " (%d partitions) on %s; %d run(s) per pipeline, alternating; each run: a fresh consumer group and a fresh %s store, from its"
                + " start to the last PUT received; %d PUTs in flight; work folder %s%n", records, KafkaBench.SOURCE, topic, partitions, brokers, runs,
                store, parallelism, folder);
        out.flush();
        long preloadStart = System.nanoTime();
        bench.preload(topic, partitions);
        out.printf(Locale.ROOT, "Preloaded in %.1f s.%n", (System.nanoTime() - preloadStart) / 1e9);
        List<KafkaBench.Result> results = new ArrayList<>();
        try (LoopbackTarget target = LoopbackTarget.start(); StoreFactory factory = factory(folder)) {
            out.printf(Locale.ROOT, "Target: %s.%nStore: %s.%n", target.description(), factory.description());
            out.printf(Locale.ROOT, "  learnbridge the bridge in this JVM as 'run' starts it: learnbridge-kafka-source (batching, one transaction per poll, offsets"
                    + " committed after) -> store -> process-events -> deliver-lms (httpJsonDeliveries, one PUT per worker)%n");
            out.printf(Locale.ROOT, "  floor       hand-written KafkaConsumer: poll 500, parse, map to the LMS payload, compare with the stored hash,"
                    + " write the changed ones and commit, then commitSync the offsets, then PUT each changed worker%n");
            out.flush();
            for (int run = 1; run <= runs; run++) {
                for (String pipeline : run % 2 == 1 ? List.of("learnbridge", "floor") : List.of("floor", "learnbridge")) {
                    StoreDb db = factory.create(pipeline.equals("floor") ? "kfloor" + run : "kbridge" + run);
                    try {
                        KafkaBench.Result r = pipeline.equals("floor") ? bench.floor(db, run, topic, target)
                                : bench.bridge(db, folder.resolve("work/bridge-" + run), run, topic, target);
                        results.add(r);
                        out.printf(Locale.ROOT, "run %d/%d %-11s %,d events end to end %8.2f s = %,.0f events/s; CPU %.2f s = %,.0f events per CPU-s;"
                                        + " heap after GC max %s MB; PUTs answered 200 %,d (%,d distinct); offsets committed %,d; %s%n",
                                run, runs, r.pipeline(), r.expected(), r.seconds(), r.expected() / r.seconds(), r.span().processCpuNanos() / 1e9,
                                r.recordsPerCpuSecond(), r.heap().afterGc() == 0 ? "-" : String.format(Locale.ROOT, "%.0f", r.heap().afterGc() / 1048576.0),
                                r.received().records(), r.received().distinct(), r.committed(),
                                r.ok() ? "check ok" : "CHECK FAILED: " + String.join("; ", r.problems()));
                        out.flush();
                    } finally {
                        factory.drop(db);
                    }
                }
            }
        } finally {
            Folders.deleteTree(temporary ? folder : folder.resolve("work"));
        }
        double ours = median(results, "learnbridge");
        double floor = median(results, "floor");
        out.printf(Locale.ROOT, "%nMedians over %d run(s): learnbridge %.2f s (%,.0f events/s), floor %.2f s (%,.0f events/s); ratio %.2f"
                        + " (learnbridge / floor, end to end)%n", runs, ours, records / ours, floor, records / floor, ours / floor);
        List<String> problems = results.stream().flatMap(r -> r.problems().stream().map(p -> "run " + r.run() + " " + r.pipeline() + ": " + p))
                .toList();
        if (problems.isEmpty()) {
            out.printf(Locale.ROOT, "CHECK OK: every worker delivered exactly once by both pipelines in every run, and the offsets committed add up"
                    + " to the %,d events.%n", records);
        } else {
            problems.forEach(p -> out.println("CHECK FAILED " + p));
        }
        out.printf(Locale.ROOT, "Load average %.2f at start, %.2f at end on %d CPUs (the target, the pipelines and an in-process broker share"
                + " them): quote the ratio and events per CPU-second.%n", loadAtStart, os.getSystemLoadAverage(), os.getAvailableProcessors());
        out.flush();
        return problems.isEmpty() ? 0 : 1;
    }

    private StoreFactory factory(Path folder) throws Exception {
        if (store.equals("h2")) {
            return new H2Stores(folder.resolve("work/h2"), false);
        }
        LocalPostgres pg = LocalPostgres.start(folder.resolve("postgres"), false);
        return new PostgresStores(pg.adminUrl(), pg.user(), null, false, pg);
    }

    private static double median(List<KafkaBench.Result> results, String pipeline) {
        double[] values = results.stream().filter(r -> r.pipeline().equals(pipeline)).mapToDouble(KafkaBench.Result::seconds).sorted().toArray();
        if (values.length == 0) {
            return Double.NaN;
        }
        int mid = values.length / 2;
        return values.length % 2 == 1 ? values[mid] : (values[mid - 1] + values[mid]) / 2;
    }

    private void check(String option, int value, int min, int max) {
        if (value < min || value > max) {
            throw new ParameterException(spec.commandLine(), "Invalid value for option '" + option + "': " + value + " (must be from " + min
                    + " to " + max + ")");
        }
    }
}
