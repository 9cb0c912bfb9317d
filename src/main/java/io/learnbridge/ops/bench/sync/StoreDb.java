package io.learnbridge.ops.bench.sync;

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
