package io.learnbridge.bench.sync;

import io.learnbridge.camel.LearnBridgeConfiguration;
import io.learnbridge.mapping.MappingFiles;
import io.learnbridge.bench.CpuClock;
import io.learnbridge.bench.HeapWatch;
import io.learnbridge.bench.delivery.LoopbackTarget;
import io.learnbridge.store.DeliveryQueue;
import io.learnbridge.store.Store;
import java.io.IOException;
import java.lang.management.ManagementFactory;
import java.net.InetAddress;
import java.net.ServerSocket;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
import java.sql.Connection;
import java.sql.PreparedStatement;
import java.sql.ResultSet;
import java.sql.ResultSetMetaData;
import java.sql.SQLException;
import java.time.Instant;
import java.time.OffsetDateTime;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.Properties;
import java.util.Set;
import org.apache.camel.main.Main;

/**
 * Our side: the real bridge, booted in this JVM as {@code run} boots it (camel-main,
 * {@link LearnBridgeConfiguration}, the packaged routes and {@code application.properties}), with
 * only what a benchmark must set: a fresh store, its own drop folders and loopback ports, the REST
 * JSON LMS target (route {@code deliver-lms}) pointed at the loopback target. Source {@code hris}
 * takes full snapshots (absent workers leave), with the safety gate opened wide: the benchmark
 * measures the path, not the gate's decision. A second source, {@code hrisdelta} (the same
 * mapping, delta drops), takes the one-row drop that measures the fixed cost of a drop; its route
 * instance is written to a routes file beside the store and included, and the packaged mappings
 * are copied beside it with {@code sources/hrisdelta.mapping.yaml} added.
 *
 * <p>Each drop is written under a name the drop route ignores and renamed into the folder, as an
 * uploader should; the phase lasts from that rename to no delivery of the target left PENDING or
 * SENDING, watched by polling the store (its drop row, then the target's queue) and the target's
 * counters in memory.
 */
public final class BridgeSync implements SyncPipeline {

    public static final String NAME = "learnbridge";
    public static final String SOURCE = "hris";
    public static final String DELTA_SOURCE = "hrisdelta";
    public static final String TARGET = "lms";

    private static final Set<String> SETTLED = Set.of("STAGED", "QUARANTINED", "FAILED", "DISCARDED");
    private static final long POLL_MILLIS = 2;
    private static final long STORE_POLL_MILLIS = 250;
    private static final long STORE_POLL_DUE_MILLIS = 20;

    private final SyncOptions options;
    private final LoopbackTarget target;

    public BridgeSync(SyncOptions options, LoopbackTarget target) {
        this.options = options;
        this.target = target;
    }

    @Override
    public String name() {
        return NAME;
    }

    @Override
    public String description() {
        return "the bridge in this JVM as 'run' starts it: file route source-hris -> ingest-drop (claim, stream, map, stage, plan, gate, apply)"
                + " -> store -> deliver-lms (adapter httpJsonDeliveries: one PUT per worker, " + options.parallelism() + " in flight"
                + ", retry budget " + options.retryBudget() + "); hris as a full snapshot, gate opened wide; drop folder polled every 200 ms,"
                + " read lock: file unchanged for 300 ms";
    }

    /** Boots a bridge on {@code db} with its home (drop folders, mappings, routes file) in {@code home}. */
    @Override
    public Session open(StoreDb db, Path home, int run) throws Exception {
        Folders.deleteTree(home);
        Files.createDirectories(home);
        Path mappings = copyMappings(home.resolve("mappings"));
        Path routes = home.resolve("routes/source-" + DELTA_SOURCE + ".camel.yaml");
        Files.createDirectories(routes.getParent());
        Files.writeString(routes, """
                # benchmark-sync: the delta source of the one-row drop
                - route:
                    id: %1$s-drops
                    routeConfigurationId: drop-errors
                    from:
                      uri: kamelet:learnbridge-drop-folder-source/source-%1$s
                      parameters:
                        source: %1$s
                        directory: "{{learnbridge.sources.%1$s.directory}}"
                      steps:
                        - to: direct:ingest-drop
                """.formatted(DELTA_SOURCE), StandardCharsets.UTF_8);
        Properties p = db.bridgeSettings();
        p.put("learnbridge.instanceId", "benchmark-sync-" + run);
        p.put("learnbridge.mappings.location", "file:" + mappings);
        p.put("learnbridge.sources." + SOURCE + ".directory", home.resolve("drops/" + SOURCE).toString());
        p.put("learnbridge.sources." + SOURCE + ".targets", TARGET);
        p.put("learnbridge.sources." + SOURCE + ".snapshot", "full");
        p.put("learnbridge.sources." + DELTA_SOURCE + ".directory", home.resolve("drops/" + DELTA_SOURCE).toString());
        p.put("learnbridge.sources." + DELTA_SOURCE + ".targets", TARGET);
        p.put("learnbridge.sources." + DELTA_SOURCE + ".snapshot", "delta");
        p.put("learnbridge.gate.maxDeactivations", String.valueOf(Integer.MAX_VALUE));
        p.put("learnbridge.gate.maxDeactivationPercent", "100");
        p.put("learnbridge.gate.maxChangePercent", "100");
        p.put("learnbridge.gate.maxShrinkPercent", "100");
        p.put("learnbridge.drops.pollDelay", "200ms");
        p.put("learnbridge.drops.readLockCheckInterval", "200ms");
        p.put("learnbridge.drops.readLockMinAge", "300ms");
        // deliveries are measured; the deployed enrolment rules would add enrolment requests to the LMS
        p.put("learnbridge.enrolments.enabled", "false");
        p.put("learnbridge.delivery.parallelism", String.valueOf(options.parallelism()));
        p.put("learnbridge.delivery.retryBudget", options.retryBudget().toString());
        p.put("learnbridge.delivery.initialBackoff", String.valueOf(options.initialBackoff().toMillis()));
        p.put("learnbridge.delivery.maxBackoff", String.valueOf(options.maxBackoff().toMillis()));
        p.put("learnbridge.targets." + TARGET + ".url", target.lmsUrl().toString());
        p.put("learnbridge.targets." + TARGET + ".method", "PUT");
        p.put("learnbridge.sandbox.enabled", "false");
        p.put("camel.server.host", "127.0.0.1");
        p.put("camel.server.port", String.valueOf(freePort()));
        p.put("camel.management.host", "127.0.0.1");
        p.put("camel.management.port", String.valueOf(freePort()));
        p.put("camel.main.shutdownTimeout", "3");
        p.put("camel.main.routesIncludePattern", "classpath:routes/*.camel.yaml,file:" + routes);
        Main main = new Main();
        main.configure().addConfiguration(LearnBridgeConfiguration.class);
        main.setOverrideProperties(p);
        try {
            main.start();
        } catch (Exception e) {
            main.stop();
            throw e;
        }
        return new Session(main, db, home);
    }

    /** The packaged mappings, and the delta source's mapping: a copy of the hris mapping and its example cases. */
    private static Path copyMappings(Path dir) throws IOException {
        Map<String, String> files = new HashMap<>(MappingFiles.load("classpath:mappings").files());
        for (String suffix : List.of(".mapping.yaml", ".mapping.test.yaml")) {
            String hris = files.get("sources/" + SOURCE + suffix);
            if (hris != null) {
                files.put("sources/" + DELTA_SOURCE + suffix, hris);
            }
        }
        for (Map.Entry<String, String> e : files.entrySet()) {
            Path file = dir.resolve(e.getKey());
            Files.createDirectories(file.getParent());
            Files.writeString(file, e.getValue(), StandardCharsets.UTF_8);
        }
        return dir.toAbsolutePath();
    }

    /** One booted bridge; drops go through it one at a time. */
    public final class Session implements SyncPipeline.Session {

        private final Main main;
        private final StoreDb db;
        private final Path home;
        private final Store store;

        private Session(Main main, StoreDb db, Path home) {
            this.main = main;
            this.db = db;
            this.home = home;
            this.store = main.getCamelContext().getRegistry().lookupByNameAndType("learnbridgeStore", Store.class);
        }

        /** Drops {@code day} (day 0, the one-row drop, into the delta source) and waits until its changes are delivered. */
        @Override
        public PhaseRun drop(String storeKind, int run, DayFile day) throws Exception {
            String source = day.day() == 0 ? DELTA_SOURCE : SOURCE;
            Path folder = home.resolve("drops/" + source);
            Files.createDirectories(folder);
            String name = day.day() == 0 ? "one-row-" + run + ".csv" : "day-" + day.day() + ".csv";
            Path partial = folder.resolve("." + name + ".part");
            Files.copy(day.file(), partial, StandardCopyOption.REPLACE_EXISTING);
            target.reset();
            List<String> problems = new ArrayList<>();
            Drop drop;
            CpuClock.Span span;
            HeapWatch.Peaks peaks;
            long startNanos;
            Instant renamedAt;
            try (HeapWatch heap = HeapWatch.start(options.liveHeapEvery())) {
                CpuClock start = CpuClock.now();
                startNanos = start.wallNanos();
                renamedAt = Instant.now();
                Files.move(partial, folder.resolve(name), StandardCopyOption.ATOMIC_MOVE);
                drop = awaitSettled(source, name, folder, startNanos, problems);
                if (drop != null && drop.status().equals("STAGED")) {
                    awaitDrained(day.expected().puts(), startNanos, problems);
                }
                span = CpuClock.now().since(start);
                peaks = heap.stop();
            }
            long lastPut = target.lastRecordNanos();
            Instant lastPutAt = target.lastRecordAt();
            LoopbackTarget.Counts received = target.reset();
            System.gc();
            long heapAfterGc = ManagementFactory.getMemoryMXBean().getHeapMemoryUsage().getUsed();
            StoreTimes times = drop == null ? StoreTimes.NONE : times(drop.id(), renamedAt, lastPutAt);
            Changes found = drop == null ? null : found(drop.id());
            Settled settled = settled(drop == null ? -1 : drop.id());
            endOfDay();
            long[] size = size();
            problems.addAll(SyncCheck.problems(day, received, found, settled));
            long wall = lastPut != 0 ? lastPut - startNanos : span.wallNanos();
            return new PhaseRun(storeKind, NAME, run, day, wall, times, span, peaks, heapAfterGc, received, found, settled, size[0], size[1],
                    List.copyOf(problems));
        }

        /**
         * The night after a drop, not measured: the ledger ages one day (every drop's finished_at
         * moves 24 h back, so learnbridge.drops.retention counts simulated days), settled drops past
         * their retention are compacted (route release-held-changes does one per run), and the
         * embedded store is maintained twice (route store-maintenance, every
         * learnbridge.store.compactPeriod: its chunks rewritten, then its file shrunk into the space
         * the rewrite freed); PostgreSQL is vacuumed and analysed once, as autovacuum would in a
         * day, before its maintenance pass rewrites the tables mostly empty.
         */
        private void endOfDay() throws InterruptedException, SQLException {
            store.tx(c -> {
                try (PreparedStatement ps = c.prepareStatement(
                        "update drop_file set finished_at = finished_at - interval '1' day where finished_at is not null")) {
                    return ps.executeUpdate();
                }
            });
            var registry = main.getCamelContext().getRegistry();
            registry.lookupByNameAndType("drops", io.learnbridge.drop.DropIngest.class).pruneAllDue();
            db.vacuum();
            var maintenance = registry.lookupByNameAndType("storeMaintenance", io.learnbridge.store.StoreMaintenance.class);
            for (int pass = 0; pass < (db.h2File() != null ? 2 : 1); pass++) {
                if (db.h2File() != null) {
                    // the day's chunks become old enough to rewrite, and on the second pass those the first emptied
                    // old enough to give back (H2Stores): the route runs every 30 s through a real night
                    Thread.sleep(H2Stores.RETENTION_MILLIS + 100);
                }
                maintenance.compactNow();
            }
        }

        /** Store bytes and stored workers. */
        private long[] size() throws Exception {
            return store.tx(c -> {
                try {
                    return new long[] {db.bytes(c), count(c, "select count(*) from worker_state")};
                } catch (IOException e) {
                    throw new SQLException("cannot read the size of " + db.h2File() + ": " + e.getMessage(), e);
                }
            });
        }

        @Override
        public void close() {
            main.stop();
        }

        /** Whether the failed folder holds drop file {@code name}, archived as {@code <name without ext>.<drop id>.<ext>} (kamelets/learnbridge-drop-folder-source.kamelet.yaml). */
        private static boolean inFailedFolder(Path folder, String name) {
            int dot = name.lastIndexOf('.');
            String stem = dot < 0 ? name : name.substring(0, dot);
            String ext = dot < 0 ? "" : name.substring(dot);
            try (java.util.stream.Stream<Path> files = Files.list(folder.resolve(".failed"))) {
                return files.map(f -> f.getFileName().toString()).anyMatch(f -> f.length() > stem.length() + 1 + ext.length()
                        && f.startsWith(stem + ".") && f.endsWith(ext) && f.substring(stem.length() + 1, f.length() - ext.length()).matches("\\d+"));
            } catch (java.io.IOException e) {
                return false; // no failed folder yet
            }
        }

        /** Waits until the drop's row is settled (applied, quarantined, failed) or the drop went to the failed folder; null when it never did. */
        private Drop awaitSettled(String source, String name, Path folder, long startNanos, List<String> problems) throws InterruptedException {
            while (true) {
                Drop drop = store.tx(c -> {
                    try (PreparedStatement ps = c.prepareStatement(
                            "select id, status, reason, gate_reasons from drop_file where source = ? and file_name = ? order by id desc")) {
                        ps.setString(1, source);
                        ps.setString(2, name);
                        try (ResultSet rs = ps.executeQuery()) {
                            return rs.next() ? new Drop(rs.getLong(1), rs.getString(2), rs.getString(3), rs.getString(4)) : null;
                        }
                    }
                });
                if (drop != null && SETTLED.contains(drop.status())) {
                    if (!drop.status().equals("STAGED")) {
                        problems.add("drop " + name + " is " + drop.status() + ": " + (drop.gateReasons() != null ? drop.gateReasons() : drop.reason()));
                    }
                    return drop;
                }
                if (drop == null && inFailedFolder(folder, name)) {
                    problems.add("drop " + name + " went to the failed folder without a drop row (see the log)");
                    return null;
                }
                if (System.nanoTime() - startNanos > options.timeout().toNanos()) {
                    problems.add("drop " + name + " not settled after " + options.timeout().toMinutes() + " min (status "
                            + (drop == null ? "not claimed" : drop.status()) + "): given up");
                    return drop;
                }
                Thread.sleep(STORE_POLL_DUE_MILLIS);
            }
        }

        /**
         * Waits until none of the target's deliveries is PENDING or SENDING: checks the store often
         * once the target has received the PUTs expected, rarely before (a count of the queue is a
         * scan charged to the bridge); gives up when neither the PUTs received nor the queue moved
         * for the stall timeout, or at the phase timeout.
         */
        private void awaitDrained(long expected, long startNanos, List<String> problems) throws InterruptedException {
            long lastRecords = -1;
            long lastLeft = -1;
            long progressAt = System.nanoTime();
            long checkedAt = 0;
            while (true) {
                long now = System.nanoTime();
                long records = target.records();
                long every = records >= expected ? STORE_POLL_DUE_MILLIS : STORE_POLL_MILLIS;
                if (records != lastRecords) {
                    lastRecords = records;
                    progressAt = now;
                }
                if ((now - checkedAt) / 1_000_000 >= every) {
                    checkedAt = now;
                    // deliveries PENDING or SENDING and ranges not yet sent (each range once: counting the rows it carries reads them)
                    long left = store.tx(c -> DeliveryQueue.open(c, TARGET));
                    if (left == 0) {
                        return;
                    }
                    if (left != lastLeft) {
                        lastLeft = left;
                        progressAt = now;
                    }
                }
                if (now - progressAt > options.stall().toNanos()) {
                    problems.add(String.format(Locale.ROOT, "stalled: %,d deliveries (or ranges of rows) still PENDING or SENDING, no progress for %d s: given up",
                            lastLeft, options.stall().toSeconds()));
                    return;
                }
                if (now - startNanos > options.timeout().toNanos()) {
                    problems.add(String.format(Locale.ROOT, "%,d deliveries (or ranges of rows) still PENDING or SENDING after %d min: given up", lastLeft,
                            options.timeout().toMinutes()));
                    return;
                }
                Thread.sleep(POLL_MILLIS);
            }
        }

        /** The drop's timestamps, read by name so that columns a store version lacks show as unknown. */
        private StoreTimes times(long dropId, Instant renamedAt, Instant lastPutAt) {
            Map<String, Instant> at = store.tx(c -> {
                Map<String, Instant> columns = new HashMap<>();
                try (PreparedStatement ps = c.prepareStatement("select * from drop_file where id = ?")) {
                    ps.setLong(1, dropId);
                    try (ResultSet rs = ps.executeQuery()) {
                        if (rs.next()) {
                            ResultSetMetaData meta = rs.getMetaData();
                            for (int i = 1; i <= meta.getColumnCount(); i++) {
                                String column = meta.getColumnLabel(i).toLowerCase(Locale.ROOT);
                                if (column.endsWith("_at")) {
                                    OffsetDateTime t = rs.getObject(i, OffsetDateTime.class);
                                    columns.put(column, t == null ? null : t.toInstant());
                                }
                            }
                        }
                    }
                }
                return columns;
            });
            return StoreTimes.of(renamedAt, at.get("claimed_at"), at.get("staged_at"), at.get("planned_at"), at.get("finished_at"), lastPutAt);
        }

        /** The changes the bridge planned for the drop, by kind, as its plan reports them (unchanged workers are counted, not stored). */
        private Changes found(long dropId) {
            Map<String, Integer> kinds = new io.learnbridge.store.Plans(store).forDrop(dropId, 0).orElseThrow().byKind();
            return new Changes(kinds.getOrDefault("JOIN", 0), kinds.getOrDefault("MOVE", 0), kinds.getOrDefault("UPDATE", 0),
                    kinds.getOrDefault("LEAVE", 0), kinds.getOrDefault("NOOP", 0));
        }

        /** The drop's deliveries DELIVERED, and the target's deliveries of any drop left PENDING, SENDING or FAILED. */
        private Settled settled(long dropId) {
            return store.tx(c -> {
                long delivered;
                try (PreparedStatement ps = c.prepareStatement("select count(*) from delivery where drop_id = ? and target = ? and status = 'DELIVERED'")) {
                    ps.setLong(1, dropId);
                    ps.setString(2, TARGET);
                    try (ResultSet rs = ps.executeQuery()) {
                        rs.next();
                        delivered = rs.getLong(1);
                    }
                }
                // the rows of a drop's ranges count in their range's status (DeliveryQueue.count)
                return new Settled(delivered, DeliveryQueue.count(c, TARGET, "PENDING"), DeliveryQueue.count(c, TARGET, "SENDING"),
                        DeliveryQueue.count(c, TARGET, "FAILED"));
            });
        }
    }

    private record Drop(long id, String status, String reason, String gateReasons) {
    }

    private static long count(Connection c, String sql) throws SQLException {
        try (PreparedStatement ps = c.prepareStatement(sql); ResultSet rs = ps.executeQuery()) {
            rs.next();
            return rs.getLong(1);
        }
    }

    private static int freePort() throws IOException {
        try (ServerSocket socket = new ServerSocket(0, 50, InetAddress.getLoopbackAddress())) {
            return socket.getLocalPort();
        }
    }
}
