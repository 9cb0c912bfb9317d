package io.learnbridge.store;

import java.sql.PreparedStatement;
import java.sql.ResultSet;
import java.sql.SQLException;
import java.sql.Types;
import java.time.Instant;
import java.time.OffsetDateTime;
import java.time.ZoneOffset;

/** Small JDBC helpers shared by the store classes. */
final class Sql {

    private Sql() {
    }

    /**
     * On PostgreSQL, lets the caller's transaction commit without waiting for its WAL flush. Only for
     * work that a crash of the database server may lose and that is then simply done again: a
     * claim (its items are claimed again, as when its lease runs out), a drop's staging (staged
     * afresh when the drop is claimed again). Whatever follows from such work commits synchronously
     * after it, which flushes it too (PostgreSQL writes its WAL in commit order). A no-op on H2.
     */
    static void commitWithoutFlushWait(java.sql.Connection c, boolean postgres) throws SQLException {
        if (postgres) {
            try (var st = c.createStatement()) {
                st.execute("set local synchronous_commit = off");
            }
        }
    }

    /**
     * A pass over many rows of {@code table}: on H2, rows handed over as they are read, not copied
     * first into a result, and with {@code wholeTable} read by a scan of the table rather than of an
     * index and then each row by its key (a million workers by home source: 1.0 s instead of 2.9 s);
     * the plain query on PostgreSQL. The query is {@code select <columns> from <table> <the rest>}.
     * Not {@code wholeTable} for a query its index narrows (one drop's rows among all drops').
     */
    static <T> T scan(java.sql.Connection c, boolean postgres, String columns, String table, boolean wholeTable, String rest,
                      SqlFunction<java.sql.PreparedStatement, T> read) throws SQLException {
        if (postgres) {
            try (java.sql.PreparedStatement ps = c.prepareStatement("select " + columns + " from " + table + " " + rest)) {
                ps.setFetchSize(5_000);
                return read.apply(ps);
            }
        }
        try (var st = c.createStatement()) {
            st.execute("set lazy_query_execution true");
        }
        try (java.sql.PreparedStatement ps = c.prepareStatement("select " + columns + " from " + table + (wholeTable ? " use index () " : " ") + rest)) {
            return read.apply(ps);
        } finally {
            try (var st = c.createStatement()) {
                st.execute("set lazy_query_execution false");
            }
        }
    }

    /** A function that may throw {@link SQLException}. */
    @FunctionalInterface
    interface SqlFunction<A, T> {
        T apply(A argument) throws SQLException;
    }

    /**
     * "{@code column} is {@code value}" for a claim's scan of an index that leads with the column
     * (after any equality on columns before it), written as a range ({@code >= and <=}) instead
     * of {@code =}. PostgreSQL drops an equality-constrained column from the order a query needs,
     * so "where status = 'PENDING' order by status, id" may also be served by the primary key on
     * id, filtering: chosen on statistics from when most rows were pending (a first load's
     * deliveries), each claim then walked the primary key past every row settled since, about 100
     * ms a claim with 180,000 settled against 3 ms through the claim index. A range keeps the
     * column in the order, which only the claim index gives. H2 walks the same index either way.
     * {@code value} is a constant of the code, never input.
     */
    static String rangeIs(String column, String value) {
        return column + " >= " + value + " and " + column + " <= " + value;
    }

    static void setTime(PreparedStatement ps, int index, Instant instant) throws SQLException {
        if (instant == null) {
            ps.setNull(index, Types.TIMESTAMP_WITH_TIMEZONE);
        } else {
            // truncated to what the databases keep (microseconds): they round, and a rounded-up
            // "now" would make a change planned at that instant look future-dated
            // (from the epoch second: OffsetDateTime.ofInstant builds a new ZoneRules on every call)
            long micros = instant.getNano() / 1000;
            ps.setObject(index, OffsetDateTime.of(java.time.LocalDateTime.ofEpochSecond(instant.getEpochSecond(), (int) micros * 1000, ZoneOffset.UTC),
                    ZoneOffset.UTC));
        }
    }

    static Instant time(ResultSet rs, String column) throws SQLException {
        OffsetDateTime t = rs.getObject(column, OffsetDateTime.class);
        return t == null ? null : t.toInstant();
    }

    static void setLong(PreparedStatement ps, int index, Long value) throws SQLException {
        if (value == null) {
            ps.setNull(index, Types.BIGINT);
        } else {
            ps.setLong(index, value);
        }
    }

    static void setInt(PreparedStatement ps, int index, Integer value) throws SQLException {
        if (value == null) {
            ps.setNull(index, Types.INTEGER);
        } else {
            ps.setInt(index, value);
        }
    }

    static Long getLong(ResultSet rs, String column) throws SQLException {
        long v = rs.getLong(column);
        return rs.wasNull() ? null : v;
    }

    static Integer getInt(ResultSet rs, String column) throws SQLException {
        int v = rs.getInt(column);
        return rs.wasNull() ? null : v;
    }

    /** SHA-256 of a text in UTF-8, as hex (checksums named in exception reasons). */
    static String sha256(String text) {
        try {
            return java.util.HexFormat.of().formatHex(java.security.MessageDigest.getInstance("SHA-256")
                    .digest(text.getBytes(java.nio.charset.StandardCharsets.UTF_8)));
        } catch (java.security.NoSuchAlgorithmException e) {
            throw new IllegalStateException(e);
        }
    }

    static String truncate(String s, int max) {
        return s == null || s.length() <= max ? s : s.substring(0, max - 1) + "…";
    }


    /** Values per {@code in (...)} list: well within what H2 and PostgreSQL take in one statement. */
    static final int IN_LIST = 500;

    /** {@code n} comma-separated parameter marks. */
    static String marks(int n) {
        return String.join(", ", java.util.Collections.nCopies(n, "?"));
    }

    /** Reads one result row. */
    @FunctionalInterface
    interface RowReader {
        void read(ResultSet rs) throws SQLException;
    }

    /**
     * Reads the rows of {@code table} whose {@code keyColumn} is one of {@code keys}, {@link #IN_LIST}
     * keys per statement, selecting {@code columns} (of the table, unqualified), and hands each to
     * {@code reader}. The keys are one array parameter joined to the table ({@code unnest(?)}): one
     * index look-up per key on both stores. (H2 re-checks an {@code in (?, ?, ...)} list against every
     * row it finds by comparing the row's key with each value in turn, a quarter of a 100k-row delta's
     * staging in a profile; PostgreSQL's generic plan for {@code = any(?)} scanned the whole table,
     * 15-30 ms a batch at 100k workers.)
     */
    static void selectByKeys(java.sql.Connection c, String columns, String table, String keyColumn, java.util.Collection<String> keys,
                             RowReader reader) throws SQLException {
        if (keys.isEmpty()) {
            return;
        }
        boolean postgres = postgres(c);
        String sql = "select " + columns + " from unnest(cast(? as " + (postgres ? "varchar[]" : "varchar array") + ")) lb_keys(lb_key) join "
                + table + " on " + keyColumn + " = lb_keys.lb_key";
        try (PreparedStatement ps = c.prepareStatement(sql)) {
            for (java.util.List<String> chunk : chunks(keys, IN_LIST)) {
                ps.setArray(1, c.createArrayOf("varchar", chunk.toArray()));
                try (ResultSet rs = ps.executeQuery()) {
                    while (rs.next()) {
                        reader.read(rs);
                    }
                }
            }
        }
    }

    /**
     * The condition on an id column for one array parameter of ids, bound with {@link #ids}: one
     * primary-key look-up per id on both stores. PostgreSQL joins the array's {@code unnest} (its
     * generic plan for {@code = any(?)} can scan the table); H2 takes {@code = any(?)} as a list of
     * look-ups, and ran the {@code unnest} form four times slower than a batch of one update per row
     * (a 100k first load's deliveries fell 8 s behind its apply).
     */
    static String inIds(java.sql.Connection c) throws SQLException {
        return postgres(c) ? "in (select lb_id from unnest(cast(? as bigint[])) lb_ids(lb_id))" : "= any(?)";
    }

    static java.sql.Array ids(java.sql.Connection c, java.util.Collection<Long> ids) throws SQLException {
        return c.createArrayOf("bigint", ids.toArray());
    }

    /**
     * Runs {@code update} (parameters bound by {@code binder}) and returns the ids of the rows it
     * changed: {@code returning id} on PostgreSQL, the statement's final table on H2.
     */
    static java.util.Set<Long> updateReturningIds(java.sql.Connection c, String update, Binder binder) throws SQLException {
        String sql = postgres(c) ? update + " returning id" : "select id from final table (" + update + ")";
        java.util.Set<Long> ids = new java.util.HashSet<>();
        try (PreparedStatement ps = c.prepareStatement(sql)) {
            binder.bind(ps);
            try (ResultSet rs = ps.executeQuery()) {
                while (rs.next()) {
                    ids.add(rs.getLong(1));
                }
            }
        }
        return ids;
    }

    /** The candidates whose id is in {@code won}, in their order: what a claim got of what it read. */
    static <T> java.util.List<T> won(java.util.List<T> candidates, java.util.Set<Long> won, java.util.function.ToLongFunction<T> id) {
        java.util.List<T> kept = new java.util.ArrayList<>(won.size());
        for (T candidate : candidates) {
            if (won.contains(id.applyAsLong(candidate))) {
                kept.add(candidate);
            }
        }
        return kept;
    }

    @FunctionalInterface
    interface Binder {
        void bind(PreparedStatement ps) throws SQLException;
    }

    /** Whether the connection is to PostgreSQL (otherwise H2): the few statements whose SQL differs ask this. */
    static boolean postgres(java.sql.Connection c) throws SQLException {
        return c.getMetaData().getDatabaseProductName().startsWith("PostgreSQL");
    }

    /** The values in chunks of at most {@code size}. */
    static <T> java.util.List<java.util.List<T>> chunks(java.util.Collection<T> values, int size) {
        java.util.List<T> all = new java.util.ArrayList<>(values);
        java.util.List<java.util.List<T>> chunks = new java.util.ArrayList<>();
        for (int from = 0; from < all.size(); from += size) {
            chunks.add(all.subList(from, Math.min(all.size(), from + size)));
        }
        return chunks;
    }
}
