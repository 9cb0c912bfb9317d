package io.learnbridge.store;

import com.zaxxer.hikari.HikariConfig;
import com.zaxxer.hikari.HikariDataSource;
import java.sql.Connection;
import java.sql.PreparedStatement;
import java.sql.ResultSet;
import java.sql.SQLException;
import java.time.Duration;
import java.time.Instant;
import java.util.List;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.locks.Lock;
import java.util.concurrent.locks.ReentrantReadWriteLock;
import javax.sql.DataSource;
import org.flywaydb.core.Flyway;

/**
 * The JDBC store: an embedded H2 file by default, PostgreSQL when more than one instance runs.
 * Opening it applies the versioned migrations in {@code db/migration}. Every write that other
 * work depends on is committed before it is acknowledged (H2 runs with {@code WRITE_DELAY=0}).
 */
public final class Store implements AutoCloseable {

    private static final org.slf4j.Logger LOG = org.slf4j.LoggerFactory.getLogger(Store.class);

    static {
        // H2 looks every VARCHAR it reads up in a shared cache of recent values, hashing the whole
        // string first, however long: each JSON record read from a page cost a hash of its text (12%
        // of a 100k first load's apply in a profile). The store seldom reads the same value twice.
        if (System.getProperty("h2.objectCache") == null) {
            System.setProperty("h2.objectCache", "false");
        }
    }

    private final HikariDataSource dataSource;
    /** Set on a rehearsal view: every transaction runs on it and nothing is ever committed. */
    private final Connection rehearsal;
    private final boolean postgres;
    /**
     * Embedded H2 only (null on PostgreSQL): every transaction holds it shared, and moving the
     * file's chunks to shrink it ({@link #shrinkEmbedded}) holds it alone, so that no session reads
     * a chunk while H2 moves it and overwrites its old place.
     */
    private final ReentrantReadWriteLock gate;

    private Store(HikariDataSource dataSource) {
        this(dataSource, null, null);
    }

    private Store(HikariDataSource dataSource, Connection rehearsal, ReentrantReadWriteLock gate) {
        this.dataSource = dataSource;
        this.rehearsal = rehearsal;
        this.postgres = dataSource.getJdbcUrl().startsWith("jdbc:postgresql:");
        this.gate = rehearsal != null || postgres ? gate : new ReentrantReadWriteLock();
    }

    /** True on PostgreSQL, false on H2: the few statements whose syntax differs (upserts, ANALYZE) ask. */
    public boolean postgres() {
        return postgres;
    }

    /**
     * Runs {@code work} against a view of this store whose transactions all share one connection
     * and are never committed: the work sees its own writes, and everything is rolled back at the
     * end. For dry runs such as planning a file that has not been dropped.
     */
    public <T> T rehearse(java.util.function.Function<Store, T> work) {
        Lock shared = enter();
        try (Connection c = dataSource.getConnection()) {
            c.setAutoCommit(false);
            try {
                return work.apply(new Store(dataSource, c, gate));
            } finally {
                c.rollback();
            }
        } catch (SQLException e) {
            throw new StoreException("store error: " + e.getMessage(), e);
        } finally {
            leave(shared);
        }
    }

    /** Takes the gate's shared side (null on PostgreSQL and on a rehearsal view, whose owner holds it). */
    private Lock enter() {
        if (gate == null || rehearsal != null) {
            return null;
        }
        Lock shared = gate.readLock();
        shared.lock();
        return shared;
    }

    private static void leave(Lock shared) {
        if (shared != null) {
            shared.unlock();
        }
    }

    /**
     * For a store URL that asks for {@code AUTO_SERVER=TRUE} (the default no longer does: commands
     * reach the running bridge through {@code StoreControl}'s socket): H2's own TCP server listens
     * on every interface unless told otherwise;
     * anyone who can read the store's lock file (its key) and reach the port could then run SQL, and
     * Java through {@code CREATE ALIAS}, as the bridge. It listens on the loopback interface only
     * ({@code h2.bindAddress}, read once when H2 is first used: set here and at the CLI's start,
     * unless set already), and the store's files are readable by their owner only
     * ({@link #ownerOnly}).
     */
    public static void loopbackOnly() {
        if (System.getProperty("h2.bindAddress") == null) {
            System.setProperty("h2.bindAddress", "127.0.0.1");
        }
    }

    /**
     * H2 writes each chunk of the embedded store from a heap buffer; the JDK copies such a write into
     * a temporary direct buffer of the same size and, unless told otherwise, keeps that buffer cached
     * in the writing thread for ever. Every webhook worker thread that commits ends up holding one
     * (5 MB each in a flood of 60 KB bodies), off-heap, until direct memory (by default as large as
     * the heap) runs out and H2 closes the database. With this limit, buffers over 256 KB are freed
     * after the write. It must be set before the first file channel is used: {@code main} calls this
     * first; a value set on the command line is kept.
     */
    public static void boundTemporaryDirectBuffers() {
        if (System.getProperty("jdk.nio.maxCachedBufferSize") == null) {
            System.setProperty("jdk.nio.maxCachedBufferSize", String.valueOf(256 * 1024));
        }
    }

    /** The embedded store's files (data, lock with the server key, trace) readable and writable by their owner only. */
    static void ownerOnly(String jdbcUrl) {
        if (!jdbcUrl.startsWith("jdbc:h2:file:")) {
            return;
        }
        String base = jdbcUrl.substring("jdbc:h2:file:".length()).split(";", 2)[0];
        for (String suffix : java.util.List.of(".mv.db", ".lock.db", ".trace.db")) {
            java.nio.file.Path file = java.nio.file.Path.of(base + suffix);
            try {
                if (java.nio.file.Files.exists(file)) {
                    java.nio.file.Files.setPosixFilePermissions(file, java.nio.file.attribute.PosixFilePermissions.fromString("rw-------"));
                }
            } catch (UnsupportedOperationException | java.io.IOException e) {
                LOG.warn("Cannot make {} readable by its owner only: {}", file, e.toString());
            }
        }
    }

    public static Store open(String jdbcUrl, String user, String password, int poolSize) {
        loopbackOnly();
        HikariConfig config = new HikariConfig();
        config.setJdbcUrl(withH2Defaults(jdbcUrl));
        if (user != null && !user.isEmpty()) {
            config.setUsername(user);
        }
        if (password != null && !password.isEmpty()) {
            config.setPassword(password);
        }
        if (jdbcUrl.startsWith("jdbc:postgresql:")) {
            // a JDBC batch of inserts (a drop's staged rows, queued deliveries, stored events) sent as
            // multi-row inserts instead of one statement per row; a URL that sets it itself wins
            config.addDataSourceProperty("reWriteBatchedInserts", "true");
            // the store's statements are short look-ups along keys; PostgreSQL's JIT compiles a statement whose estimated
            // cost is high (a generic plan of a range of lines on a table without statistics yet), which costs each
            // execution tens of milliseconds for nothing (found settling a 1M first load's deliveries)
            config.addDataSourceProperty("options", "-c jit=off");
        }
        config.setMaximumPoolSize(poolSize);
        config.setPoolName("learnbridge-store");
        config.setConnectionTimeout(5_000);
        config.setInitializationFailTimeout(-1);
        HikariDataSource ds = new HikariDataSource(config);
        long lockDeadline = System.nanoTime() + LOCK_WAIT.toNanos();
        while (true) {
            try {
                Flyway.configure().dataSource(ds).locations("classpath:db/migration").load().migrate();
                break;
            } catch (RuntimeException e) {
                if (isLocked(e) && System.nanoTime() < lockDeadline) {
                    // a bridge killed a moment ago leaves H2's lock file behind until its watchdog stops renewing it
                    org.slf4j.LoggerFactory.getLogger(Store.class).warn("The store at {} is locked (a bridge or command that just stopped?): "
                            + "waiting up to {} s for the lock", redact(jdbcUrl), LOCK_WAIT.toSeconds());
                    sleepQuietly(1_000);
                    continue;
                }
                ds.close();
                if (isLocked(e)) {
                    throw new StoreException("cannot open the store at " + redact(jdbcUrl) + ": it is locked by another process (H2's lock file "
                            + "<store>.lock.db): another bridge or a command opened it without AUTO_SERVER, or holds it still; waited "
                            + LOCK_WAIT.toSeconds() + " s. Stop that process (a lock left by a killed bridge is released within seconds)", e);
                }
                throw new StoreException("cannot open the store at " + redact(jdbcUrl) + ": " + e.getMessage(), e);
            }
        }
        ownerOnly(jdbcUrl);
        return new Store(ds);
    }

    /** How long opening the store waits for an H2 lock held by another process before it gives up. */
    static final java.time.Duration LOCK_WAIT = java.time.Duration.ofSeconds(20);

    /**
     * H2 closed the database under its sessions: "The database has been closed" (90098), a failed
     * file write (90028, 90031: a full disk) or a database closed at shutdown (90121). The sessions
     * still answer isValid(), and would fail every call until a restart.
     */
    static boolean isClosedDatabase(Throwable e) {
        for (Throwable t = e; t != null; t = t.getCause()) {
            if (t instanceof SQLException sql && (sql.getErrorCode() == 90098 || sql.getErrorCode() == 90028 || sql.getErrorCode() == 90031
                    || sql.getErrorCode() == 90121)) {
                return true;
            }
        }
        return false;
    }

    /** H2's "Database may be already in use" (90020), wherever it is in the chain. */
    static boolean isLocked(Throwable e) {
        for (Throwable t = e; t != null; t = t.getCause()) {
            if (t instanceof SQLException sql && sql.getErrorCode() == 90020) {
                return true;
            }
        }
        return false;
    }

    private static void sleepQuietly(long millis) {
        try {
            Thread.sleep(millis);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            throw new StoreException("interrupted while waiting for the store's lock", e);
        }
    }

    /**
     * An H2 URL with the settings the store's statements need, unless the URL sets them itself: a session keeps
     * its 64 most recent statements compiled ({@code QUERY_CACHE_SIZE}; H2's default of 8 is fewer than one delivery
     * claim runs, so each claim parsed and planned its statements again: about 7% of a first load's samples).
     */
    static String withH2Defaults(String jdbcUrl) {
        if (!jdbcUrl.startsWith("jdbc:h2:")) {
            return jdbcUrl;
        }
        String upper = jdbcUrl.toUpperCase(java.util.Locale.ROOT);
        String url = jdbcUrl;
        if (!upper.contains(";QUERY_CACHE_SIZE=")) {
            url += ";QUERY_CACHE_SIZE=64";
        }
        if (!upper.contains(";OPTIMIZE_REUSE_RESULTS=")) {
            // H2 keeps the whole materialised result of each cached SELECT's last execution (Query.lastResult) in the
            // session, after the result set and the transaction are closed, to answer the same query again while
            // nothing changed: every pooled session that ever ran the event claim held its last batch, bodies and all,
            // until it ran that claim again. In a heap dump of a bridge killed by a flood of 60 KB webhook bodies (96 MB
            // heap, 68 MB live), five idle sessions held 19 MB of claimed bodies that way (WebhookFloodHeapTest). The
            // store's polls see a changed database almost every time, so the reuse saves next to nothing
            url += ";OPTIMIZE_REUSE_RESULTS=0";
        }
        if (!upper.contains(";DB_CLOSE_ON_EXIT=") && !upper.contains(";AUTO_SERVER=TRUE") && !upper.startsWith("JDBC:H2:TCP:")
                && !upper.startsWith("JDBC:H2:SSL:")) {
            // H2's own shutdown hook would close the database when the JVM is told to stop, while Camel still drains
            // its routes: deliveries answered in those seconds could not be settled and were sent again after the
            // restart. The store is closed by the bridge, after its routes (LearnBridgeConfiguration). H2 refuses this
            // with AUTO_SERVER (a URL may still ask for it): there, 'run' stops the bridge before the JVM's shutdown
            // begins (RunCommand), so H2's hook finds the store closed already
            url += ";DB_CLOSE_ON_EXIT=FALSE";
        }
        if (!upper.contains(";TRACE_LEVEL_FILE=")) {
            // H2's trace file (<store>.trace.db) logs every failing statement again, unbounded: on a full disk it grew
            // with each retry until the space freed was taken again. The bridge's own log says what failed
            url += ";TRACE_LEVEL_FILE=0";
        }
        return url;
    }

    /** The URL without credentials, for messages. */
    public static String redact(String jdbcUrl) {
        return jdbcUrl.replaceAll("(?i)(password=)[^;&]*", "$1***");
    }

    public DataSource dataSource() {
        return dataSource;
    }

    /** Runs work in one transaction: committed when it returns, rolled back when it throws. */
    public <T> T tx(SqlWork<T> work) {
        if (rehearsal != null) {
            try {
                return work.run(rehearsal);
            } catch (SQLException e) {
                throw new StoreException("store error: " + e.getMessage(), e);
            }
        }
        Lock shared = enter();
        try (Connection c = dataSource.getConnection()) {
            try {
                c.setAutoCommit(false);
                T result = work.run(c);
                c.commit();
                return result;
            } catch (SQLException | RuntimeException e) {
                evictIfBroken(c, e);
                try {
                    c.rollback();
                } catch (SQLException rollback) {
                    e.addSuppressed(rollback);
                }
                throw e;
            }
        } catch (SQLException e) {
            throw new StoreException("store error: " + e.getMessage(), e);
        } finally {
            leave(shared);
        }
    }

    /**
     * What a compaction of the embedded store did: the share of its chunks' bytes that was live
     * data before and after, the file's size before and after, and how long it took.
     */
    public record Compaction(int fillRateBefore, int fillRateAfter, long bytesBefore, long bytesAfter, Duration took) {
    }

    /**
     * Rewrites the live pages of the embedded H2 file's sparse chunks into new ones when less than
     * {@code belowFillRate} percent of its chunks' bytes are live, for at most {@code budget}; the
     * emptied chunks' space is then reused by later writes, so the file tracks the live data
     * instead of growing with every commit. Null when there was nothing to do (PostgreSQL, whose
     * autovacuum does this; chunks filled well enough; a store reached through H2's server).
     *
     * <p>H2 writes each commit as a new chunk holding the pages it changed; the pages they replace
     * stay in older chunks as dead space. Its background writer rewrites sparse chunks, but with
     * {@code WRITE_DELAY=0} (which durable commits need) that thread does not run, and without this
     * a 20,000-worker store grew to 650 MB over a first load and 20 daily deltas. This is that
     * thread's chunk rewrite, run online while other sessions commit; it never moves chunks or
     * truncates the file ({@link #shrinkEmbedded} does, holding the store's gate alone).
     */
    public synchronized Compaction compactEmbedded(int belowFillRate, Duration budget) {
        if (postgres || rehearsal != null) {
            return null;
        }
        org.h2.mvstore.MVStore mv = mvStore();
        if (mv == null) {
            return null;
        }
        org.h2.mvstore.FileStore<?> file = mv.getFileStore();
        int before = file.getChunksFillRate();
        if (before >= belowFillRate) {
            return null;
        }
        long bytesBefore = file.size();
        long start = System.nanoTime();
        long deadline = start + budget.toNanos();
        // each round rewrites the sparsest chunks, about REWRITE_BYTES of them, and commits the moved pages; begun
        // below the threshold, the rewrite goes on to REWRITE_TO percent (stopping at the threshold left a fifth
        // to two fifths of the chunks dead, a file that shrinkEmbedded could not bring near the live data)
        int target = Math.max(belowFillRate, REWRITE_TO);
        while (System.nanoTime() < deadline && file.getChunksFillRate() < target && mv.compact(target, REWRITE_BYTES)) {
            mv.commit();
        }
        // the emptied chunks are freed under H2's store lock, as a commit frees them: H2 never frees chunks without it
        mv.executeFilestoreOperation(file::dropUnusedChunks);
        return new Compaction(before, file.getChunksFillRate(), bytesBefore, file.size(), Duration.ofNanos(System.nanoTime() - start));
    }

    /** The share of live data in the chunks a rewrite begun by {@link #compactEmbedded} goes on to. */
    private static final int REWRITE_TO = 90;

    /** Bytes of sparse chunks rewritten per round of {@link #compactEmbedded}. */
    private static final int REWRITE_BYTES = 16 << 20;

    /** What shrinking the embedded file did: the share of it in use and its size, before and after. */
    public record Shrink(int fillRateBefore, int fillRateAfter, long bytesBefore, long bytesAfter, Duration took, Duration heldAlone) {
    }

    /**
     * Gives the embedded H2 file's free space back: when less than {@code belowFillRate} percent of
     * the file is in use, moves chunks from its end into the free space before them and truncates
     * it, in rounds, while a round gives space back, for at most {@code budget}. Null when there was nothing
     * to do (PostgreSQL, a file filled well enough, a store reached through H2's server).
     *
     * <p>{@link #compactEmbedded} makes the space of dead pages reusable but never returns it: a
     * first load of 20,000 workers left a file that 30 daily deltas later still held 4 KB a worker,
     * where the live data took about 1 KB. H2 itself moves chunks only when it closes the database
     * ({@code MAX_COMPACT_TIME}), and overwrites their old places whatever its retention time (which
     * keeps old chunks for sessions still reading them). So each round holds the store's gate
     * alone: it waits at most {@code maxWait} for the transactions in flight to end, while new ones
     * wait for it, and gives up the run if they do not (a busy store is shrunk on a later run). A
     * round moves at most {@link #MAX_MOVE_BYTES}, since the store's writes wait for it.
     *
     * <p>H2 2.3.232 asserts that a moved chunk ends below the boundary it aimed for; its allocator
     * sometimes places one across it (on free blocks). With Java assertions on, that check closes
     * the store (H2 treats any error in a file operation as fatal); the bridge runs without them,
     * and the tests turn that one class's assertions off ({@code pom.xml}).
     */
    public synchronized Shrink shrinkEmbedded(int belowFillRate, Duration budget, Duration maxWait) {
        if (gate == null || rehearsal != null) {
            return null;
        }
        org.h2.mvstore.MVStore mv = mvStore();
        if (mv == null || !(mv.getFileStore() instanceof org.h2.mvstore.RandomAccessStore file)) {
            return null;
        }
        int before = file.getFillRate();
        if (before >= belowFillRate) {
            return null;
        }
        long bytesBefore = file.size();
        long start = System.nanoTime();
        long deadline = start + budget.toNanos();
        long held = 0;
        long moveBytes = MOVE_BYTES;
        try {
            // begun below the threshold, it goes on while a round gives space back: stopping at the threshold
            // left the file 1.7 times its data, and the next run would not start until more was free again
            while (System.nanoTime() < deadline) {
                long size = file.size();
                if (!gate.writeLock().tryLock(maxWait.toNanos(), TimeUnit.NANOSECONDS)) {
                    break;
                }
                long from = System.nanoTime();
                try {
                    file.compactMoveChunks(100, moveBytes, mv);
                } finally {
                    gate.writeLock().unlock();
                    held += System.nanoTime() - from;
                }
                if (file.size() < size) {
                    continue;
                }
                if (moveBytes >= MAX_MOVE_BYTES) {
                    break; // nothing left that a round may move gives back
                }
                // H2 moves only chunks that fit in a round's bytes together, and a first load writes large chunks; a
                // round is never larger than MAX_MOVE_BYTES, since the store's writes wait for it (a round of the whole
                // 3.5 GB file after a first load of a million workers held them for 10.3 s)
                moveBytes = Math.min(MAX_MOVE_BYTES, moveBytes * 4);
            }
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
        }
        return new Shrink(before, file.getFillRate(), bytesBefore, file.size(), Duration.ofNanos(System.nanoTime() - start), Duration.ofNanos(held));
    }

    /**
     * Gives the store's free space back when less than {@code belowFillRate} percent of it is in
     * use: {@link #shrinkEmbedded} on H2, {@link #shrinkTables} on PostgreSQL. Null when there was
     * nothing to do.
     */
    public Shrink shrink(int belowFillRate, Duration budget, Duration maxWait) {
        return postgres ? shrinkTables(belowFillRate, budget, maxWait) : shrinkEmbedded(belowFillRate, budget, maxWait);
    }

    /**
     * PostgreSQL: rewrites ({@code VACUUM FULL}) each of the store's tables of at least
     * {@link #TABLE_MIN_BYTES} of which, by PostgreSQL's own statistics, less than
     * {@code belowFillRate} percent is live rows, for at most {@code budget}. Null when no table
     * was due; nothing given back when every table due was busy.
     *
     * <p>Vacuum makes the space of dead rows reusable but keeps it: a first load of 20,000 workers
     * (each staged row written with its source record, then cut down once the drop was past its
     * retention; each delivery updated twice) left tables half empty, 30 daily deltas later, that
     * only that many workers' rows would fill again. The live share is estimated as the rows the
     * last vacuum or analysis counted ({@code pg_class.reltuples}: before autovacuum has seen a bulk
     * delete, the space is not reusable and the estimate errs high) times their average width
     * ({@code pg_stats}: each column's width times its share of non-null values) plus 28 bytes of
     * row header and item pointer, against the table's size: within a few points of
     * {@code pgstattuple} on the benchmark's tables, without that extension. A rewrite holds the table's exclusive lock while
     * it copies the live rows (0.1-0.2 s a table at 20,000 workers), so a table of more than
     * {@link #TABLE_MAX_LIVE_BYTES} of live rows is left to an operator, with a warning; it waits at
     * most {@code maxWait} for the lock ({@code lock_timeout}), or the table is left for a later run. A table whose
     * rewrite did not bring its estimate to the threshold (statistics the estimate misreads) is
     * not rewritten again for {@link #TABLE_REWRITE_PAUSE}.
     */
    synchronized Shrink shrinkTables(int belowFillRate, Duration budget, Duration maxWait) {
        return shrinkTables(belowFillRate, budget, maxWait, TABLE_MAX_LIVE_BYTES);
    }

    synchronized Shrink shrinkTables(int belowFillRate, Duration budget, Duration maxWait, long maxLiveBytes) {
        long start = System.nanoTime();
        long deadline = start + budget.toNanos();
        try (Connection c = dataSource.getConnection()) {
            c.setAutoCommit(true); // VACUUM runs outside a transaction
            long bytesBefore = databaseBytes(c);
            long held = 0;
            long tableBytes = 0;
            long liveBytes = 0;
            long liveAfter = 0;
            long tableAfter = 0;
            TableFill busy = null;
            for (TableFill table : tableFills(c, null)) {
                Long pausedUntil = rewritePaused.get(table.name());
                if (table.fillRate() >= belowFillRate || pausedUntil != null && System.nanoTime() - pausedUntil < 0) {
                    continue;
                }
                if (table.liveBytes() > maxLiveBytes) {
                    // its rewrite would hold the table for seconds: an operator's job for a quiet hour (or pg_repack)
                    LOG.warn("Table {} is {} MB of which about {}% is live rows; it is too large to rewrite while the bridge runs"
                            + " (VACUUM FULL locks it while it copies): run VACUUM FULL {} (or pg_repack) in a quiet hour",
                            table.name(), table.bytes() >> 20, table.fillRate(), table.name());
                    rewritePaused.put(table.name(), System.nanoTime() + TABLE_REWRITE_PAUSE.toNanos());
                    continue;
                }
                if (System.nanoTime() > deadline) {
                    break;
                }
                long from = System.nanoTime();
                try (java.sql.Statement st = c.createStatement()) {
                    st.execute("set lock_timeout = " + Math.max(1, maxWait.toMillis()));
                    st.execute("vacuum full " + quoted(table.name()));
                } catch (SQLException e) {
                    if (!"55P03".equals(e.getSQLState())) { // lock_not_available: busy, a later run
                        throw e;
                    }
                    busy = busy == null ? table : busy;
                    continue;
                } finally {
                    held += System.nanoTime() - from; // waiting for the lock holds those queued behind it too
                    try (java.sql.Statement st = c.createStatement()) {
                        st.execute("reset lock_timeout");
                    }
                }
                TableFill after = tableFills(c, table.name()).stream().findFirst().orElse(table);
                if (after.fillRate() < belowFillRate) {
                    rewritePaused.put(table.name(), System.nanoTime() + TABLE_REWRITE_PAUSE.toNanos());
                }
                tableBytes += table.bytes();
                liveBytes += table.liveBytes();
                tableAfter += after.bytes();
                liveAfter += after.liveBytes();
            }
            if (tableBytes == 0) {
                // every table due was busy: reported as nothing given back, so that the maintenance backs off instead
                // of queueing for the lock, and holding those behind it, every run
                return busy == null ? null : new Shrink(busy.fillRate(), busy.fillRate(), bytesBefore, bytesBefore,
                        Duration.ofNanos(System.nanoTime() - start), Duration.ofNanos(held));
            }
            return new Shrink(percent(liveBytes, tableBytes), percent(liveAfter, tableAfter), bytesBefore, databaseBytes(c),
                    Duration.ofNanos(System.nanoTime() - start), Duration.ofNanos(held));
        } catch (SQLException e) {
            throw new StoreException("store error: " + e.getMessage(), e);
        }
    }

    /** Tables smaller than this are never rewritten: what they could give back is not worth their lock. */
    static final long TABLE_MIN_BYTES = 1L << 20;
    /**
     * Tables with more live rows than this are not rewritten while the bridge runs (a warning says
     * so): copying them would hold them for seconds.
     */
    static final long TABLE_MAX_LIVE_BYTES = 256L << 20;
    /** How long a table whose rewrite did not reach the threshold is left alone. */
    static final Duration TABLE_REWRITE_PAUSE = Duration.ofHours(24);
    private final java.util.Map<String, Long> rewritePaused = new java.util.HashMap<>();

    /** One of the store's tables: its size and the estimate of its live rows' bytes (null width: never analysed). */
    record TableFill(String name, long bytes, long liveBytes) {
        int fillRate() {
            return percent(liveBytes, bytes);
        }
    }

    /**
     * The store's tables of at least TABLE_MIN_BYTES that PostgreSQL has statistics for, largest
     * first; or the one named, whatever its size.
     */
    static List<TableFill> tableFills(Connection c, String only) throws SQLException {
        List<TableFill> tables = new java.util.ArrayList<>();
        try (PreparedStatement ps = c.prepareStatement("""
                select c.relname, pg_relation_size(c.oid), c.reltuples,
                    (select sum(p.avg_width * (1 - p.null_frac)) from pg_stats p where p.schemaname = n.nspname and p.tablename = c.relname)
                from pg_class c join pg_namespace n on n.oid = c.relnamespace
                where n.nspname = current_schema() and c.relkind = 'r' and c.reltuples >= 0
                and (pg_relation_size(c.oid) >= ? and cast(? as varchar) is null or c.relname = ?)
                order by 2 desc""")) {
            ps.setLong(1, TABLE_MIN_BYTES);
            ps.setString(2, only);
            ps.setString(3, only);
            try (ResultSet rs = ps.executeQuery()) {
                while (rs.next()) {
                    double width = rs.getDouble(4);
                    if (!rs.wasNull()) {
                        tables.add(new TableFill(rs.getString(1), rs.getLong(2), (long) (rs.getLong(3) * (width + ROW_OVERHEAD))));
                    }
                }
            }
        }
        return tables;
    }

    /** A heap row's header (23 bytes, aligned to 24) and its item pointer (4). */
    private static final int ROW_OVERHEAD = 28;

    private static long databaseBytes(Connection c) throws SQLException {
        try (java.sql.Statement st = c.createStatement(); ResultSet rs = st.executeQuery("select pg_database_size(current_database())")) {
            rs.next();
            return rs.getLong(1);
        }
    }

    private static int percent(long part, long whole) {
        return whole <= 0 ? 100 : (int) Math.min(100, part * 100 / whole);
    }

    private static String quoted(String identifier) {
        return '"' + identifier.replace("\"", "\"\"") + '"';
    }

    /** Bytes of chunks moved by the first round of {@link #shrinkEmbedded} (with the store's gate held alone); more when that moved nothing. */
    private static final long MOVE_BYTES = 16L << 20;
    /**
     * The most a round moves: about 0.1-0.5 s of the store's writes held, where moving 1.5 GB took
     * 10 s. A chunk larger than this (one commit's pages) stays where it is.
     */
    private static final long MAX_MOVE_BYTES = 64L << 20;

    /** The embedded store's MVStore, or null when the store is not an H2 database open in this process. */
    private org.h2.mvstore.MVStore mvStore() {
        try (Connection c = dataSource.getConnection()) {
            org.h2.engine.Session session = c.unwrap(org.h2.jdbc.JdbcConnection.class).getSession();
            return session instanceof org.h2.engine.SessionLocal local ? local.getDatabase().getStore().getMvStore() : null;
        } catch (SQLException e) {
            throw new StoreException("store error: " + e.getMessage(), e);
        }
    }

    /** True when a connection can be made and answers a query (for the health check). */
    /**
     * Whether the store takes a write now: one row updated and committed. Null when it does; else
     * why not (a full disk, a read-only database), for the health check. A failure here evicts the
     * pool's connections, as any store failure does ({@link #tx}), so the store is opened afresh
     * once the cause is gone.
     */
    public String writeProblem() {
        try {
            tx(c -> {
                try (PreparedStatement ps = c.prepareStatement("update store_probe set probed_at = ? where id = 1")) {
                    Sql.setTime(ps, 1, Instant.now());
                    ps.executeUpdate();
                }
                return null;
            });
            return null;
        } catch (RuntimeException e) {
            Throwable root = e;
            while (root.getCause() != null && root.getCause() != root) {
                root = root.getCause();
            }
            return Sql.truncate(String.valueOf(root.getMessage()), 300);
        }
    }

    public boolean isReachable() {
        try (Connection c = dataSource.getConnection()) {
            boolean valid = c.isValid(2);
            if (!valid) {
                dataSource.evictConnection(c);
            }
            return valid;
        } catch (SQLException e) {
            return false;
        }
    }

    /**
     * The pool only evicts connections on SQL states it knows (08xxx); a dead H2 session answers
     * others, and would then be handed out again forever after the database comes back.
     */
    private void evictIfBroken(Connection c, Exception failure) {
        boolean broken = isClosedDatabase(failure);
        try {
            broken |= !c.isValid(1);
        } catch (SQLException e) {
            broken = true;
        }
        if (broken) {
            dataSource.evictConnection(c);
            // a session that died with its database (H2 closes itself when a write fails: a full disk) takes the
            // others with it: every pooled connection is retired, and the next ones open the store afresh, which
            // succeeds as soon as the cause is gone (instead of "The database has been closed" until a restart)
            var pool = dataSource.getHikariPoolMXBean();
            if (pool != null) {
                pool.softEvictConnections();
            }
        }
    }

    @Override
    public void close() {
        if (rehearsal != null) {
            return; // a rehearsal view borrows the store; the store's owner closes it
        }
        dataSource.close();
    }

    /** A unit of work against one connection. */
    @FunctionalInterface
    public interface SqlWork<T> {
        T run(Connection c) throws SQLException;
    }

    static boolean isUniqueViolation(SQLException e) {
        for (Throwable t = e; t != null; t = t.getCause()) {
            if (t instanceof SQLException s && "23505".equals(s.getSQLState())) {
                return true;
            }
        }
        return false;
    }
}
