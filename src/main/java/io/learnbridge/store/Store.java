package io.learnbridge.store;

import com.zaxxer.hikari.HikariConfig;
import com.zaxxer.hikari.HikariDataSource;
import java.sql.Connection;
import java.sql.SQLException;
import java.time.Duration;
import javax.sql.DataSource;
import org.flywaydb.core.Flyway;

/**
 * The JDBC store: an embedded H2 file by default, PostgreSQL when more than one instance runs.
 * Opening it applies the versioned migrations in {@code db/migration}. Every write that other
 * work depends on is committed before it is acknowledged (H2 runs with {@code WRITE_DELAY=0}).
 */
public final class Store implements AutoCloseable {

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

    private Store(HikariDataSource dataSource) {
        this(dataSource, null);
    }

    private Store(HikariDataSource dataSource, Connection rehearsal) {
        this.dataSource = dataSource;
        this.rehearsal = rehearsal;
        this.postgres = dataSource.getJdbcUrl().startsWith("jdbc:postgresql:");
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
        try (Connection c = dataSource.getConnection()) {
            c.setAutoCommit(false);
            try {
                return work.apply(new Store(dataSource, c));
            } finally {
                c.rollback();
            }
        } catch (SQLException e) {
            throw new StoreException("store error: " + e.getMessage(), e);
        }
    }

    public static Store open(String jdbcUrl, String user, String password, int poolSize) {
        HikariConfig config = new HikariConfig();
        config.setJdbcUrl(jdbcUrl);
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
        }
        config.setMaximumPoolSize(poolSize);
        config.setPoolName("learnbridge-store");
        config.setConnectionTimeout(5_000);
        config.setInitializationFailTimeout(-1);
        HikariDataSource ds = new HikariDataSource(config);
        try {
            Flyway.configure().dataSource(ds).locations("classpath:db/migration").load().migrate();
        } catch (RuntimeException e) {
            ds.close();
            throw new StoreException("cannot open the store at " + redact(jdbcUrl) + ": " + e.getMessage(), e);
        }
        return new Store(ds);
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
        try (Connection c = dataSource.getConnection()) {
            try {
                c.setAutoCommit(false);
                T result = work.run(c);
                c.commit();
                return result;
            } catch (SQLException | RuntimeException e) {
                evictIfBroken(c);
                try {
                    c.rollback();
                } catch (SQLException rollback) {
                    e.addSuppressed(rollback);
                }
                throw e;
            }
        } catch (SQLException e) {
            throw new StoreException("store error: " + e.getMessage(), e);
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
     * thread's chunk rewrite, run online while other sessions commit; the file is never moved or
     * truncated here: H2's own file compaction (MVStore.compactFile) moves chunks, and with other sessions
     * committing it failed an assertion in RandomAccessStore.moveChunkInside within seconds (2.3.232).
     */
    public synchronized Compaction compactEmbedded(int belowFillRate, Duration budget) {
        if (postgres || rehearsal != null) {
            return null;
        }
        try (Connection c = dataSource.getConnection()) {
            org.h2.engine.Session session = c.unwrap(org.h2.jdbc.JdbcConnection.class).getSession();
            if (!(session instanceof org.h2.engine.SessionLocal local)) {
                return null;
            }
            org.h2.mvstore.MVStore mv = local.getDatabase().getStore().getMvStore();
            org.h2.mvstore.FileStore<?> file = mv.getFileStore();
            int before = file.getChunksFillRate();
            if (before >= belowFillRate) {
                return null;
            }
            long bytesBefore = file.size();
            long start = System.nanoTime();
            long deadline = start + budget.toNanos();
            // each round rewrites the sparsest chunks, about REWRITE_BYTES of them, and commits the moved pages
            while (System.nanoTime() < deadline && file.getChunksFillRate() < belowFillRate && mv.compact(belowFillRate, REWRITE_BYTES)) {
                mv.commit();
            }
            // the emptied chunks are freed under H2's store lock, as a commit frees them: H2 never frees chunks without it
            mv.executeFilestoreOperation(file::dropUnusedChunks);
            return new Compaction(before, file.getChunksFillRate(), bytesBefore, file.size(), Duration.ofNanos(System.nanoTime() - start));
        } catch (SQLException e) {
            throw new StoreException("store error: " + e.getMessage(), e);
        }
    }

    /** Bytes of sparse chunks rewritten per round of {@link #compactEmbedded}. */
    private static final int REWRITE_BYTES = 16 << 20;

    /** True when a connection can be made and answers a query (for the health check). */
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
    private void evictIfBroken(Connection c) {
        try {
            if (!c.isValid(1)) {
                dataSource.evictConnection(c);
            }
        } catch (SQLException e) {
            dataSource.evictConnection(c);
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
