package io.learnbridge.bench.sync;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.sql.Connection;
import java.sql.ResultSet;
import java.sql.SQLException;
import java.sql.Statement;

/**
 * One fresh store of one pipeline and run: a JDBC URL with its credentials; {@code h2File} is the
 * embedded store's database file, null for PostgreSQL.
 */
public record StoreDb(String name, String url, String user, String password, Path h2File) {

    /**
     * On PostgreSQL, {@code VACUUM ANALYZE} of the whole database: what autovacuum does in the course of a day
     * (it wakes every minute and takes any table whose dead rows pass 20%), which the benchmark's
     * days, seconds apart, never leave it time for. The space of dead row versions becomes reusable;
     * the file does not shrink. Nothing on H2 (its chunks: route store-maintenance).
     */
    public void vacuum() throws SQLException {
        if (h2File != null) {
            return;
        }
        try (Connection c = connect(); Statement s = c.createStatement()) {
            s.execute("vacuum analyze");
        }
    }

    /** The bridge's settings for this store: {@code learnbridge.store.url}, and its user and password when it has them. */
    public java.util.Properties bridgeSettings() {
        java.util.Properties p = new java.util.Properties();
        p.put("learnbridge.store.url", url);
        if (user != null) {
            p.put("learnbridge.store.user", user);
        }
        if (password != null) {
            p.put("learnbridge.store.password", password);
        }
        return p;
    }

    /** A new connection to this store with its credentials (auto-commit, as the driver opens it). */
    public Connection connect() throws SQLException {
        java.util.Properties p = new java.util.Properties();
        if (user != null) {
            p.setProperty("user", user);
        }
        if (password != null) {
            p.setProperty("password", password);
        }
        return java.sql.DriverManager.getConnection(url, p);
    }

    /** What the store takes on disk: the H2 file's size, or PostgreSQL's {@code pg_database_size}, read on {@code c}. */
    public long bytes(Connection c) throws SQLException, IOException {
        if (h2File != null) {
            return Files.exists(h2File) ? Files.size(h2File) : 0;
        }
        try (Statement s = c.createStatement(); ResultSet rs = s.executeQuery("select pg_database_size(current_database())")) {
            rs.next();
            return rs.getLong(1);
        }
    }
}
