package io.learnbridge.store;

import com.zaxxer.hikari.HikariConfig;
import com.zaxxer.hikari.HikariDataSource;
import java.sql.Connection;
import java.sql.SQLException;
import javax.sql.DataSource;
import org.flywaydb.core.Flyway;

/**
 * The JDBC store: an embedded H2 file by default, PostgreSQL when more than one instance runs.
 * Opening it applies the versioned migrations in {@code db/migration}. Every write that other
 * work depends on is committed before it is acknowledged (H2 runs with {@code WRITE_DELAY=0}).
 */
public final class Store implements AutoCloseable {

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
