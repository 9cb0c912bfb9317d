package io.learnbridge.store;

import java.sql.Connection;
import java.sql.PreparedStatement;
import java.sql.ResultSet;
import java.sql.SQLException;
import java.time.Instant;
import java.util.ArrayList;
import java.util.List;
import java.util.Optional;

/** Reads and writes the exception queue. Replay lives in {@code ops.Replayer}: it needs the mappings. */
public final class ExceptionQueue {

    /** Which entries to list; null members do not filter. {@code workerId}: the entries that name that worker. */
    public record Filter(ExceptionEntry.Status status, Long dropId, String target, String source, String workerId, int limit) {
        public static Filter open() {
            return new Filter(ExceptionEntry.Status.OPEN, null, null, null, null, 1000);
        }
    }

    private final Store store;

    public ExceptionQueue(Store store) {
        this.store = store;
    }

    public long add(ExceptionEntry e) {
        return store.tx(c -> add(c, e));
    }

    static long add(Connection c, ExceptionEntry e) throws SQLException {
        try (PreparedStatement ps = c.prepareStatement("""
                insert into exception_record (kind, status, stage, source, drop_id, file_name, line, worker_id, field, target,
                    delivery_id, reason, error_class, attempts, http_status, response_excerpt, source_record, created_at, event_id, origin)
                values (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)""", new String[] {"id"})) {
            bind(ps, e);
            ps.executeUpdate();
            try (ResultSet keys = ps.getGeneratedKeys()) {
                keys.next();
                return keys.getLong(1);
            }
        }
    }

    /** Adds many in one batch (same connection and transaction as the caller). */
    static void addAll(Connection c, List<ExceptionEntry> entries) throws SQLException {
        if (entries.isEmpty()) {
            return;
        }
        try (PreparedStatement ps = c.prepareStatement("""
                insert into exception_record (kind, status, stage, source, drop_id, file_name, line, worker_id, field, target,
                    delivery_id, reason, error_class, attempts, http_status, response_excerpt, source_record, created_at, event_id, origin)
                values (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)""")) {
            for (ExceptionEntry e : entries) {
                bind(ps, e);
                ps.addBatch();
            }
            ps.executeBatch();
        }
    }

    private static void bind(PreparedStatement ps, ExceptionEntry e) throws SQLException {
        ps.setString(1, e.kind().name());
        ps.setString(2, e.status().name());
        ps.setString(3, e.stage());
        ps.setString(4, e.source());
        Sql.setLong(ps, 5, e.dropId());
        ps.setString(6, e.fileName());
        Sql.setInt(ps, 7, e.line());
        ps.setString(8, e.workerId());
        ps.setString(9, e.field());
        ps.setString(10, e.target());
        Sql.setLong(ps, 11, e.deliveryId());
        ps.setString(12, Sql.truncate(e.reason(), 4000));
        ps.setString(13, Sql.truncate(e.errorClass(), 300));
        Sql.setInt(ps, 14, e.attempts());
        Sql.setInt(ps, 15, e.httpStatus());
        ps.setString(16, Sql.truncate(e.responseExcerpt(), 2000));
        ps.setString(17, e.sourceRecord());
        Sql.setTime(ps, 18, e.createdAt() == null ? Instant.now() : e.createdAt());
        Sql.setLong(ps, 19, e.eventId());
        ps.setString(20, Sql.truncate(e.origin(), 300));
    }

    public List<ExceptionEntry> list(Filter filter) {
        StringBuilder sql = new StringBuilder("select * from exception_record where 1 = 1");
        List<Object> args = new ArrayList<>();
        if (filter.status() != null) {
            sql.append(" and status = ?");
            args.add(filter.status().name());
        }
        if (filter.dropId() != null) {
            sql.append(" and drop_id = ?");
            args.add(filter.dropId());
        }
        if (filter.target() != null) {
            sql.append(" and target = ?");
            args.add(filter.target());
        }
        if (filter.source() != null) {
            sql.append(" and source = ?");
            args.add(filter.source());
        }
        if (filter.workerId() != null) {
            sql.append(" and worker_id = ?");
            args.add(filter.workerId());
        }
        sql.append(" order by id limit ?");
        args.add(filter.limit());
        return store.tx(c -> {
            try (PreparedStatement ps = c.prepareStatement(sql.toString())) {
                for (int i = 0; i < args.size(); i++) {
                    ps.setObject(i + 1, args.get(i));
                }
                try (ResultSet rs = ps.executeQuery()) {
                    List<ExceptionEntry> out = new ArrayList<>();
                    while (rs.next()) {
                        out.add(read(rs));
                    }
                    return out;
                }
            }
        });
    }

    public Optional<ExceptionEntry> get(long id) {
        return store.tx(c -> get(c, id));
    }

    static Optional<ExceptionEntry> get(Connection c, long id) throws SQLException {
        try (PreparedStatement ps = c.prepareStatement("select * from exception_record where id = ?")) {
            ps.setLong(1, id);
            try (ResultSet rs = ps.executeQuery()) {
                return rs.next() ? Optional.of(read(rs)) : Optional.empty();
            }
        }
    }

    /** Marks an entry replayed (its record is on its way again). */
    static void markReplayed(Connection c, long id) throws SQLException {
        try (PreparedStatement ps = c.prepareStatement(
                "update exception_record set status = 'REPLAYED', replayed_at = ?, replay_count = replay_count + 1 where id = ?")) {
            Sql.setTime(ps, 1, Instant.now());
            ps.setLong(2, id);
            ps.executeUpdate();
        }
    }

    /** A replay that failed again: the entry stays open with the new reason. */
    static void stillFailing(Connection c, long id, String field, String reason) throws SQLException {
        try (PreparedStatement ps = c.prepareStatement(
                "update exception_record set field = ?, reason = ?, replay_count = replay_count + 1 where id = ?")) {
            ps.setString(1, field);
            ps.setString(2, Sql.truncate(reason, 4000));
            ps.setLong(3, id);
            ps.executeUpdate();
        }
    }

    public int countOpen() {
        return store.tx(c -> {
            try (PreparedStatement ps = c.prepareStatement("select count(*) from exception_record where status = 'OPEN'");
                 ResultSet rs = ps.executeQuery()) {
                rs.next();
                return rs.getInt(1);
            }
        });
    }

    private static ExceptionEntry read(ResultSet rs) throws SQLException {
        return new ExceptionEntry(
                rs.getLong("id"),
                ExceptionEntry.Kind.valueOf(rs.getString("kind")),
                ExceptionEntry.Status.valueOf(rs.getString("status")),
                rs.getString("stage"),
                rs.getString("source"),
                Sql.getLong(rs, "drop_id"),
                rs.getString("file_name"),
                Sql.getInt(rs, "line"),
                rs.getString("worker_id"),
                rs.getString("field"),
                rs.getString("target"),
                Sql.getLong(rs, "delivery_id"),
                rs.getString("reason"),
                rs.getString("error_class"),
                Sql.getInt(rs, "attempts"),
                Sql.getInt(rs, "http_status"),
                rs.getString("response_excerpt"),
                rs.getString("source_record"),
                Sql.time(rs, "created_at"),
                Sql.time(rs, "replayed_at"),
                rs.getInt("replay_count"),
                Sql.getLong(rs, "event_id"),
                rs.getString("origin"));
    }
}
