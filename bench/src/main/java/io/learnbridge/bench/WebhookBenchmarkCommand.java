package io.learnbridge.bench;

import io.learnbridge.bench.HeapWatch;
import io.learnbridge.bench.webhook.FloorWebhookServer;
import io.learnbridge.bench.webhook.LearnBridgeWebhookServer;
import io.learnbridge.bench.webhook.LoadResult;
import io.learnbridge.bench.webhook.OpenLoopLoad;
import io.learnbridge.bench.webhook.SignedEvents;
import io.learnbridge.bench.webhook.WebhookReport;
import io.learnbridge.bench.webhook.WebhookRun;
import io.learnbridge.bench.webhook.WebhookServer;
import java.io.PrintWriter;
import java.lang.management.GarbageCollectorMXBean;
import java.lang.management.ManagementFactory;
import java.lang.management.OperatingSystemMXBean;
import java.nio.file.Path;
import java.time.Duration;
import java.time.Instant;
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
 * {@code benchmark-webhooks}: offers an open-loop load of signed webhooks at a fixed rate to the
 * real bridge started in this JVM, and the same load to a hand-written floor (Vert.x, HMAC check,
 * plain JDBC commit), alternating runs, and prints acknowledgement latency percentiles measured
 * from each request's scheduled send time, throughput, CPU per request and heap side by side,
 * with the ratios. Then it checks every acknowledged request is in the store. A benchmark, not a
 * timed test: compare ratios from one run, since wall times on shared machines move a lot.
 */
@Command(name = "benchmark-webhooks", mixinStandardHelpOptions = true,
        description = {"Measure durable webhook intake (POST /webhooks/<source> -> stored -> 202) under an open-loop load at a fixed rate,"
                + " against a hand-written floor on the same load.",
            "Run with the heap limit to prove, e.g. java -Xmx512m -jar learnbridge.jar benchmark-webhooks."})
public final class WebhookBenchmarkCommand implements Callable<Integer> {

    private static final long MAX_REQUESTS = 10_000_000;

    @Spec
    CommandSpec spec;

    @Option(names = "--rate", defaultValue = "500", description = "Offered load, requests per second (default: ${DEFAULT-VALUE}).")
    int rate;

    @Option(names = "--seconds", defaultValue = "30", description = "Measured seconds per run (default: ${DEFAULT-VALUE}).")
    int seconds;

    // 5 s was the default until the bridge was seen still compiling through a 30 s window after it (JIT
    // 24-32 s of compiler time in that window on 2 cores): the steady state is what a server serves
    @Option(names = "--warmup-seconds", defaultValue = "60", description = "Seconds of the same load before measuring, not measured, for the"
            + " JIT compilers to settle: the report gives their time within the window (default: ${DEFAULT-VALUE}).")
    int warmupSeconds;

    @Option(names = "--max-in-flight", defaultValue = "256",
            description = "Most requests outstanding at once; a request due while this many are outstanding waits, timed from its schedule "
                    + "(default: ${DEFAULT-VALUE}).")
    int maxInFlight;

    @Option(names = "--runs", defaultValue = "1", description = "Runs per server, alternating; medians are reported (default: ${DEFAULT-VALUE}).")
    int runs;

    @Option(names = "--dir", description = "Folder for the per-run H2 stores (default: <java.io.tmpdir>/learnbridge-bench-webhooks).")
    Path dir;

    @Option(names = "--store-url", description = "A PostgreSQL JDBC URL to use as the store of both servers instead of a fresh H2 file per run "
            + "(runs are told apart by their webhook ids; the floor adds table bench_webhook_floor).")
    String storeUrl;

    @Option(names = "--store-user", description = "User for --store-url.")
    String storeUser;

    @Option(names = "--store-password", description = "Password for --store-url.")
    String storePassword;

    @Option(names = "--also-intake-only", description = "Also run 'lb-intake': the bridge with event processing and deliveries not started, "
            + "to tell the intake's own cost from the background work's.")
    boolean alsoIntakeOnly;

    @Option(names = "--keep-stores", description = "Keep each run's H2 store (learnbridge-<run>/, floor-<run>/ under --dir) instead of deleting it.")
    boolean keepStores;

    @Override
    public Integer call() throws Exception {
        check("--rate", rate, 1);
        check("--seconds", seconds, 1);
        check("--warmup-seconds", warmupSeconds, 0);
        check("--max-in-flight", maxInFlight, 1);
        check("--runs", runs, 1);
        OpenLoopLoad load = new OpenLoopLoad(rate, warmupSeconds, seconds, maxInFlight);
        if (load.total() > MAX_REQUESTS) {
            throw new ParameterException(spec.commandLine(), "--rate x (--warmup-seconds + --seconds) is " + load.total()
                    + " requests per run, over the limit of " + MAX_REQUESTS);
        }
        Path folder = (dir != null ? dir : Path.of(System.getProperty("java.io.tmpdir"), "learnbridge-bench-webhooks")).toAbsolutePath();
        PrintWriter out = spec.commandLine().getOut();
        OperatingSystemMXBean os = ManagementFactory.getOperatingSystemMXBean();
        double loadAtStart = os.getSystemLoadAverage();
        int rateLimit = (int) Math.min(1_000_000, Math.max(1_000, rate * 10L));

        List<WebhookServer> servers = new ArrayList<>();
        servers.add(new LearnBridgeWebhookServer(folder, storeUrl, storeUser, storePassword, rateLimit, true, keepStores));
        if (alsoIntakeOnly) {
            servers.add(new LearnBridgeWebhookServer(folder, storeUrl, storeUser, storePassword, rateLimit, false, keepStores));
        }
        WebhookServer floor = new FloorWebhookServer(folder, storeUrl, storeUser, storePassword, keepStores);
        servers.add(floor);
        out.printf(Locale.ROOT, "LearnBridge webhook benchmark: open loop, %,d req/s offered for %d s after a %d s warm-up (not measured), "
                + "at most %d in flight; %d run(s) per server, alternating; stores under %s%n", rate, seconds, warmupSeconds, maxInFlight, runs,
                storeUrl == null ? folder : "the --store-url database");
        out.printf(Locale.ROOT, "JVM %s %s, GC %s, max heap %s, %d CPUs, load average %.2f%n",
                System.getProperty("java.vm.name"), System.getProperty("java.runtime.version"),
                ManagementFactory.getGarbageCollectorMXBeans().stream().map(GarbageCollectorMXBean::getName).collect(Collectors.joining(" + ")),
                maxHeap(), os.getAvailableProcessors(), loadAtStart);
        String tag = Long.toString(System.currentTimeMillis(), 36);
        int bodyBytes = new SignedEvents(SignedEvents.newSecret(), tag + "r1l").request(rate, Instant.now()).body().length;
        out.printf(Locale.ROOT, "Each request: a distinct worker change event (~%d bytes of JSON), Standard Webhooks-signed, POSTed by Apache HttpClient 5%n",
                bodyBytes);
        out.println("async (HTTP/1.1) on loopback from this same JVM; each server is started fresh per run (startup not measured).");
        for (WebhookServer s : servers) {
            out.printf(Locale.ROOT, "  %-12s %s%n", s.name(), s.description());
        }
        out.println();
        out.flush();

        WebhookReport report = new WebhookReport(out);
        List<WebhookRun> results = new ArrayList<>();
        for (int run = 1; run <= runs; run++) {
            for (WebhookServer server : servers) {
                WebhookRun result = runOnce(server, run, load, tag + "r" + run + "s" + servers.indexOf(server), os);
                results.add(result);
                report.run(result, runs);
            }
        }
        List<String> problems = report.summary(servers.stream().map(WebhookServer::name).toList(), results, floor.name());
        out.printf(Locale.ROOT, "Load average %.2f at start, %.2f at end on %d CPUs (the load generator and both servers share them): wall"
                + " times on a shared machine move a lot; quote the ratios.%n", loadAtStart, os.getSystemLoadAverage(), os.getAvailableProcessors());
        out.flush();
        return problems.isEmpty() ? 0 : 1;
    }

    private static WebhookRun runOnce(WebhookServer server, int run, OpenLoopLoad load, String tag, OperatingSystemMXBean os) throws Exception {
        String secret = SignedEvents.newSecret();
        SignedEvents events = new SignedEvents(secret, tag);
        try (WebhookServer.Running running = server.start(run, secret)) {
            double loadStart = os.getSystemLoadAverage();
            LoadResult result;
            HeapWatch.Peaks heap;
            BacklogWatch backlog = new BacklogWatch(running, events);
            try (HeapWatch watch = HeapWatch.start()) {
                backlog.start();
                try {
                    result = load.run(running.url(), events);
                } finally {
                    backlog.stop();
                }
                heap = watch.stop();
            }
            String background = running.background(events);
            WebhookRun.Drain drain = backlog.drain(DRAIN_WAIT);
            long stored = running.stored(events.idPrefix());
            System.gc();
            long heapAtEnd = ManagementFactory.getMemoryMXBean().getHeapMemoryUsage().getUsed();
            return new WebhookRun(server.name(), run, result, stored, heap, heapAtEnd, loadStart, os.getSystemLoadAverage(), background, drain);
        }
    }

    /** How long after the load the background work is waited for. */
    private static final Duration DRAIN_WAIT = Duration.ofMinutes(2);

    /** Samples a server's background backlog each second during the load, then waits for it to drain. */
    private static final class BacklogWatch {
        private final WebhookServer.Running running;
        private final SignedEvents events;
        private final java.util.concurrent.ScheduledExecutorService sampler = java.util.concurrent.Executors.newSingleThreadScheduledExecutor(r -> {
            Thread t = new Thread(r, "backlog-sampler");
            t.setDaemon(true);
            return t;
        });
        private volatile long maxEvents;
        private volatile long maxDeliveries;
        private volatile boolean none;

        BacklogWatch(WebhookServer.Running running, SignedEvents events) {
            this.running = running;
            this.events = events;
        }

        void start() {
            sampler.scheduleAtFixedRate(this::sample, 1, 1, java.util.concurrent.TimeUnit.SECONDS);
        }

        private void sample() {
            WebhookServer.Backlog b = running.backlog(events);
            if (b == null) {
                none = true;
                sampler.shutdown();
                return;
            }
            maxEvents = Math.max(maxEvents, b.events());
            maxDeliveries = Math.max(maxDeliveries, b.deliveries());
        }

        /** Never shutdownNow: an interrupt during the embedded store's file I/O closes H2's file channel, and the store with it. */
        void stop() throws InterruptedException {
            sampler.shutdown();
            sampler.awaitTermination(30, java.util.concurrent.TimeUnit.SECONDS);
        }

        /** Null when the server does no background work. */
        WebhookRun.Drain drain(Duration wait) throws InterruptedException {
            long start = System.nanoTime();
            WebhookServer.Backlog atEnd = none ? null : running.backlog(events);
            if (atEnd == null) {
                return null;
            }
            WebhookServer.Backlog now = atEnd;
            boolean drained = true;
            while (!now.empty()) {
                if (System.nanoTime() - start > wait.toNanos()) {
                    drained = false;
                    break;
                }
                Thread.sleep(20);
                now = running.backlog(events);
            }
            long drainMillis = drained ? (System.nanoTime() - start) / 1_000_000 : -1;
            return new WebhookRun.Drain(Math.max(maxEvents, atEnd.events()), Math.max(maxDeliveries, atEnd.deliveries()), atEnd.events(),
                    atEnd.deliveries(), drainMillis, wait.toMillis());
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
