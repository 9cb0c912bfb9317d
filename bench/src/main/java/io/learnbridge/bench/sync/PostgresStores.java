package io.learnbridge.bench.sync;

import io.learnbridge.store.Store;
import java.sql.Connection;
import java.sql.DriverManager;
import java.sql.SQLException;
import java.sql.Statement;
import java.util.Properties;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

/**
 * Fresh PostgreSQL databases, one per store, created on a server the benchmark either started
 * itself ({@link LocalPostgres}, stopped by {@link #close}) or was given ({@code --store-url}: its
 * user needs the right to create databases). Each is dropped again unless the stores are kept.
 */
public final class PostgresStores implements StoreFactory {

    private static final Pattern URL = Pattern.compile("(jdbc:postgresql://[^/?]*/)([^?]*)(\\?.*)?");

    private final String adminUrl;
    private final String user;
    private final String password;
    private final boolean keep;
    private final LocalPostgres owned;
    private final String where;
    private String version;

    /**
     * @param adminUrl a database of the server to connect to for {@code create database}
     * @param owned    the private cluster behind {@code adminUrl}, stopped on {@link #close}; null for a given server
     */
    public PostgresStores(String adminUrl, String user, String password, boolean keep, LocalPostgres owned) {
        if (!URL.matcher(adminUrl).matches()) {
            throw new IllegalArgumentException("not a PostgreSQL JDBC URL (jdbc:postgresql://host:port/database): " + Store.redact(adminUrl));
        }
        this.adminUrl = adminUrl;
        this.user = user;
        this.password = password;
        this.keep = keep;
        this.owned = owned;
        this.where = owned != null ? owned.description() : "the server of --store-url " + Store.redact(adminUrl);
    }

    @Override
    public String kind() {
        return "PostgreSQL";
    }

    @Override
    public String description() {
        return "PostgreSQL " + (version == null ? "" : version + " ") + "at " + where + ", a fresh database per store";
    }

    @Override
    public StoreDb create(String name) throws SQLException {
        try (Connection c = admin(); Statement s = c.createStatement()) {
            if (version == null) {
                version = c.getMetaData().getDatabaseProductVersion();
            }
            s.execute("drop database if exists " + name + " with (force)");
            try {
                s.execute("create database " + name);
            } catch (SQLException e) {
                throw new SQLException("cannot create database " + name + " on " + where + " (the user needs CREATEDB): " + e.getMessage(),
                        e.getSQLState(), e);
            }
        }
        return new StoreDb(name, withDatabase(adminUrl, name), user, password, null);
    }

    @Override
    public void drop(StoreDb db) throws SQLException {
        if (keep) {
            return;
        }
        try (Connection c = admin(); Statement s = c.createStatement()) {
            s.execute("drop database if exists " + db.name() + " with (force)");
        }
    }

    @Override
    public void close() throws Exception {
        if (owned != null) {
            owned.close();
        }
    }

    private Connection admin() throws SQLException {
        Properties p = new Properties();
        if (user != null) {
            p.setProperty("user", user);
        }
        if (password != null) {
            p.setProperty("password", password);
        }
        return DriverManager.getConnection(adminUrl, p);
    }

    /** The same URL naming another database: its host, port and parameters kept. */
    static String withDatabase(String url, String database) {
        Matcher m = URL.matcher(url);
        if (!m.matches()) {
            throw new IllegalArgumentException("not a PostgreSQL JDBC URL: " + Store.redact(url));
        }
        return m.group(1) + database + (m.group(3) == null ? "" : m.group(3));
    }
}
