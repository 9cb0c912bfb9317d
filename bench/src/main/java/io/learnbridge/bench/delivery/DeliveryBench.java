package io.learnbridge.bench.delivery;

import io.learnbridge.camel.LearnBridgeConfiguration;
import io.learnbridge.bench.CpuClock;
import io.learnbridge.bench.HeapWatch;
import io.learnbridge.bench.HrisCsvGenerator;
import io.learnbridge.store.Store;
import java.io.IOException;
import java.io.Writer;
import java.lang.management.ManagementFactory;
import java.lang.management.OperatingSystemMXBean;
import java.net.InetAddress;
import java.net.ServerSocket;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.sql.PreparedStatement;
import java.sql.ResultSet;
import java.time.Duration;
import java.util.Comparator;
import java.util.HashMap;
import java.util.Map;
import java.util.Properties;
import java.util.stream.Stream;
import org.apache.camel.main.Main;

/**
 * Runs one configuration through the real bridge, booted in this JVM as {@code run} boots it
 * (camel-main, {@link LearnBridgeConfiguration}, the packaged routes, mappings and
 * {@code application.properties}), with a fresh embedded H2 store, its own drop folder and
 * loopback ports. The target's route instance is written to a routes file beside the store and
 * included like an operator's {@code routes/target-<name>.camel.yaml}. A CSV of active workers is
 * dropped into the HRIS drop folder; the run is timed from all deliveries queued (the drop's
 * finish queues them in one transaction) to none left pending, by polling the store.
 */
public final class DeliveryBench {

    /** The HR system's home page in statements' actor accounts. */
    static final String HOME_PAGE = "https://hr.example.com";

    private static final long POLL_MILLIS = 2;

    private final Path dir;
    private final int pollPeriodMillis;
    private final int parallelism;
    private final int claimSize;
    private final Duration stallTimeout;
    private final boolean keepStores;

    /**
     * @param pollPeriodMillis {@code learnbridge.delivery.pollPeriod}: how long an idle delivery route waits before claiming again
     * @param claimSize        {@code learnbridge.delivery.batchSize}: deliveries an HTTP target claims per tick
     * @param stallTimeout     how long the queue may go without progress before the run gives up
     */
    public DeliveryBench(Path dir, int pollPeriodMillis, int parallelism, int claimSize, Duration stallTimeout, boolean keepStores) {
        this.dir = dir;
        this.pollPeriodMillis = pollPeriodMillis;
        this.parallelism = parallelism;
        this.claimSize = claimSize;
        this.stallTimeout = stallTimeout;
        this.keepStores = keepStores;
    }

    /**
     * The route instance a target needs beyond the packaged routes (null: none, the LMS instance
     * is packaged in routes/target-lms.camel.yaml): a target route with the Kamelets {@code learnbridge-due-deliveries-source} and {@code learnbridge-target-send-action}
     * with the xAPI adapter.
     */
    static String routeInstance(DeliveryConfig config) {
        return !config.lrs() ? null : """
                - route:
                    id: target-%1$s
                    routeConfigurationId: event-errors
                    from:
                      uri: kamelet:learnbridge-due-deliveries-source/deliver-%1$s
                      parameters: {target: %1$s, adapter: lrsDeliveries}
                      steps:
                        - to:
                            uri: kamelet:learnbridge-target-send-action/send-%1$s
                            parameters: {target: %1$s, adapter: lrsDeliveries}
                """.formatted(config.target());
    }

    public DeliveryRun run(DeliveryConfig config, int run, int workers, LoopbackTarget target) throws Exception {
        OperatingSystemMXBean os = ManagementFactory.getOperatingSystemMXBean();
        Path home = dir.resolve(config.name() + "-" + run);
        deleteTree(home);
        Files.createDirectories(home);
        Main main = start(config, run, home, target);
        try {
            Store store = main.getCamelContext().getRegistry().lookupByNameAndType("learnbridgeStore", Store.class);
            target.reset();
            double loadStart = os.getSystemLoadAverage();
            try (HeapWatch heap = HeapWatch.start()) {
                long dropped = System.nanoTime();
                drop(home.resolve("drops/hris"), workers);
                long queued = awaitQueued(store, config.target(), workers);
                CpuClock start = CpuClock.now();
                long ingestNanos = start.wallNanos() - dropped;
                awaitReceived(target, queued);
                awaitDrained(store, config.target());
                CpuClock.Span span = CpuClock.now().since(start);
                HeapWatch.Peaks peaks = heap.stop();
                LoopbackTarget.Counts received = target.reset();
                Map<String, Long> byStatus = countsByStatus(store, config.target());
                System.gc();
                long heapAtEnd = ManagementFactory.getMemoryMXBean().getHeapMemoryUsage().getUsed();
                long delivered = byStatus.getOrDefault("DELIVERED", 0L);
                long failed = byStatus.getOrDefault("FAILED", 0L);
                long pending = store.tx(c -> (long) io.learnbridge.store.DeliveryQueue.count(c, config.target(), "PENDING")
                        + io.learnbridge.store.DeliveryQueue.count(c, config.target(), "SENDING"));
                return new DeliveryRun(config, run, workers, queued, delivered, failed, pending, ingestNanos, span, received, peaks, heapAtEnd,
                        loadStart, os.getSystemLoadAverage());
            }
        } finally {
            main.stop();
            if (!keepStores) {
                deleteTree(home);
            }
        }
    }

    private Main start(DeliveryConfig config, int run, Path home, LoopbackTarget target) throws Exception {
        Properties p = new Properties();
        p.put("learnbridge.store.url", "jdbc:h2:file:" + home.resolve("store/learnbridge").toAbsolutePath() + ";WRITE_DELAY=0");
        p.put("learnbridge.instanceId", "benchmark-delivery-" + run);
        p.put("learnbridge.sources.hris.directory", home.resolve("drops/hris").toAbsolutePath().toString());
        p.put("learnbridge.sources.hris.targets", config.target());
        p.put("learnbridge.drops.pollDelay", "200ms");
        p.put("learnbridge.drops.readLockCheckInterval", "200ms");
        p.put("learnbridge.drops.readLockMinAge", "300ms");
        p.put("learnbridge.delivery.pollPeriod", String.valueOf(pollPeriodMillis));
        // deliveries are measured; the deployed enrolment rules would add enrolment requests to the LMS
        p.put("learnbridge.enrolments.enabled", "false");
        p.put("learnbridge.delivery.parallelism", String.valueOf(parallelism));
        p.put("learnbridge.delivery.batchSize", String.valueOf(claimSize));
        p.put("learnbridge.targets.lms.url", target.lmsUrl().toString());
        p.put("learnbridge.targets.lms.method", "PUT");
        if (config.lrs()) {
            // settings of a target whose route is not loaded stop the bridge at startup
            String prefix = "learnbridge.targets." + config.target() + ".";
            p.put(prefix + "url", target.lrsUrl().toString());
            p.put(prefix + "homePage", HOME_PAGE);
            p.put(prefix + "batchSize", String.valueOf(config.batchSize()));
        }
        p.put("learnbridge.sandbox.enabled", "false");
        p.put("camel.server.host", "127.0.0.1");
        p.put("camel.server.port", String.valueOf(freePort()));
        p.put("camel.management.host", "127.0.0.1");
        p.put("camel.management.port", String.valueOf(freePort()));
        p.put("camel.main.shutdownTimeout", "3");
        String routes = routeInstance(config);
        if (routes != null) {
            Path file = home.resolve("routes/target-" + config.target() + ".camel.yaml");
            Files.createDirectories(file.getParent());
            Files.writeString(file, routes);
            p.put("camel.main.routesIncludePattern", "classpath:routes/*.camel.yaml,file:" + file.toAbsolutePath());
        }
        Main main = new Main();
        main.configure().addConfiguration(LearnBridgeConfiguration.class);
        main.setOverrideProperties(p);
        try {
            main.start();
        } catch (Exception e) {
            main.stop();
            throw e;
        }
        return main;
    }

    /** Writes the drop under a name the drop route ignores, then renames it into place, as an uploader should. */
    private static void drop(Path folder, int workers) throws IOException {
        Files.createDirectories(folder);
        Path partial = folder.resolve(".workers.csv.part");
        try (Writer out = Files.newBufferedWriter(partial, StandardCharsets.UTF_8)) {
            HrisCsvGenerator.writeActive(out, workers);
        }
        Files.move(partial, folder.resolve("workers.csv"));
    }

    /** Waits until the target has {@code workers} deliveries (or the count stops growing); returns the count. */
    private long awaitQueued(Store store, String target, int workers) throws InterruptedException {
        long last = -1;
        long progressAt = System.nanoTime();
        while (true) {
            long queued = store.tx(c -> (long) io.learnbridge.store.DeliveryQueue.queued(c, target));
            if (queued >= workers) {
                return queued;
            }
            if (queued != last) {
                last = queued;
                progressAt = System.nanoTime();
            } else if (System.nanoTime() - progressAt > stallTimeout.toNanos()) {
                return queued;
            }
            Thread.sleep(POLL_MILLIS);
        }
    }

    /**
     * Waits until the loopback target has received {@code expected} records, or none arrived for
     * the stall timeout: a counter in memory, where counting the store's pending deliveries every
     * few milliseconds would cost a scan of the backlog each time, charged to the bridge.
     */
    private void awaitReceived(LoopbackTarget target, long expected) throws InterruptedException {
        long last = -1;
        long progressAt = System.nanoTime();
        while (true) {
            long received = target.records();
            if (received >= expected) {
                return;
            }
            if (received != last) {
                last = received;
                progressAt = System.nanoTime();
            } else if (System.nanoTime() - progressAt > stallTimeout.toNanos()) {
                return;
            }
            Thread.sleep(1);
        }
    }

    /** Then waits until none of the target's deliveries is PENDING or SENDING, or none has settled for the stall timeout. */
    private void awaitDrained(Store store, String target) throws InterruptedException {
        long last = -1;
        long progressAt = System.nanoTime();
        while (true) {
            long left = store.tx(c -> io.learnbridge.store.DeliveryQueue.open(c, target));
            if (left == 0) {
                return;
            }
            if (left != last) {
                last = left;
                progressAt = System.nanoTime();
            } else if (System.nanoTime() - progressAt > stallTimeout.toNanos()) {
                return;
            }
            Thread.sleep(POLL_MILLIS);
        }
    }

    private static long count(Store store, String sql, String target) {
        return store.tx(c -> {
            try (PreparedStatement ps = c.prepareStatement(sql)) {
                ps.setString(1, target);
                try (ResultSet rs = ps.executeQuery()) {
                    rs.next();
                    return rs.getLong(1);
                }
            }
        });
    }

    private static Map<String, Long> countsByStatus(Store store, String target) {
        return store.tx(c -> {
            Map<String, Long> counts = new HashMap<>();
            try (PreparedStatement ps = c.prepareStatement("select status, count(*) from delivery where target = ? group by status")) {
                ps.setString(1, target);
                try (ResultSet rs = ps.executeQuery()) {
                    while (rs.next()) {
                        counts.put(rs.getString(1), rs.getLong(2));
                    }
                }
            }
            return counts;
        });
    }

    private static int freePort() throws IOException {
        try (ServerSocket socket = new ServerSocket(0, 50, InetAddress.getLoopbackAddress())) {
            return socket.getLocalPort();
        }
    }

    private static void deleteTree(Path root) throws IOException {
        if (!Files.exists(root)) {
            return;
        }
        try (Stream<Path> paths = Files.walk(root)) {
            for (Path path : paths.sorted(Comparator.reverseOrder()).toList()) {
                Files.delete(path);
            }
        }
    }
}
