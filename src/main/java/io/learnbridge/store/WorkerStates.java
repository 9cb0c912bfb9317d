package io.learnbridge.store;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import java.sql.Connection;
import java.sql.PreparedStatement;
import java.sql.ResultSet;
import java.sql.SQLException;
import java.time.Instant;
import java.time.OffsetDateTime;
import java.util.List;
import java.util.Optional;

/**
 * The newest known state of each worker, whatever channel it came from. A change replaces the
 * stored state only if its {@code effectiveAt} is not older; an older change is superseded and
 * never delivered. Deliveries send this state (see {@link DeliveryQueue#claim}), so changes for a
 * worker land in effective-date order however they arrive.
 */
public final class WorkerStates {

    private static final ObjectMapper JSON = new ObjectMapper();

    /** What applying a change did. */
    public enum Outcome { APPLIED, SUPERSEDED, UNCHANGED }

    /** A worker's stored state. */
    public record State(String workerId, Instant effectiveAt, String canonical, String source) {
    }

    private final Store store;

    public WorkerStates(Store store) {
        this.store = store;
    }

    public Optional<State> get(String workerId) {
        return store.tx(c -> {
            try (PreparedStatement ps = c.prepareStatement("select s.worker_id, s.effective_at, r.canonical, s.source from worker_state s "
                    + "join worker_record r on r.worker_id = s.worker_id where s.worker_id = ?")) {
                ps.setString(1, workerId);
                try (ResultSet rs = ps.executeQuery()) {
                    return rs.next()
                            ? Optional.of(new State(rs.getString(1), Sql.time(rs, "effective_at"), rs.getString(3), rs.getString(4)))
                            : Optional.empty();
                }
            }
        });
    }

    /** Applies one change for a worker (in the caller's transaction) unless a newer one is stored. */
    static Outcome apply(Connection c, String workerId, Instant effectiveAt, String canonical, String source) throws SQLException {
        return apply(c, workerId, effectiveAt, canonical, source, statusOf(canonical));
    }

    static Outcome apply(Connection c, String workerId, Instant effectiveAt, String canonical, String source, String employmentStatus)
            throws SQLException {
        return apply(c, workerId, effectiveAt, canonical, source, employmentStatus, null);
    }

    /**
     * As above, with the kind of the change (JOIN, MOVE, UPDATE, LEAVE; null: JOIN for a new worker,
     * UPDATE otherwise): an applied change marks the worker due for the enrolment rules with it.
     */
    static Outcome apply(Connection c, String workerId, Instant effectiveAt, String canonical, String source, String employmentStatus,
                         String changeKind) throws SQLException {
        Instant stored = null;
        boolean exists = false;
        try (PreparedStatement ps = c.prepareStatement("select effective_at from worker_state where worker_id = ? for update")) {
            ps.setString(1, workerId);
            try (ResultSet rs = ps.executeQuery()) {
                if (rs.next()) {
                    exists = true;
                    stored = Sql.time(rs, "effective_at");
                }
            }
        }
        if (exists && stored.isAfter(effectiveAt)) {
            return Outcome.SUPERSEDED;
        }
        String sql = exists
                ? "update worker_state set effective_at = ?, source = ?, updated_at = ?, employment_status = ?, "
                        + "enrolment_due = true, enrolment_kind = ?, state_hash = ? where worker_id = ?"
                : "insert into worker_state (effective_at, source, updated_at, employment_status, enrolment_due, enrolment_kind, "
                        + "state_hash, worker_id, home_source) values (?, ?, ?, ?, true, ?, ?, ?, ?)";
        try (PreparedStatement ps = c.prepareStatement(sql)) {
            Sql.setTime(ps, 1, effectiveAt);
            ps.setString(2, source);
            Sql.setTime(ps, 3, Instant.now());
            ps.setString(4, employmentStatus);
            ps.setString(5, changeKind != null ? changeKind : exists ? "UPDATE" : "JOIN");
            ps.setString(6, io.learnbridge.worker.CanonicalRecord.fromJson(canonical).stateHash());
            ps.setString(7, workerId);
            if (!exists) {
                ps.setString(8, source);
            }
            ps.executeUpdate();
        }
        try (PreparedStatement ps = c.prepareStatement(exists
                ? "update worker_record set canonical = ? where worker_id = ?"
                : "insert into worker_record (canonical, worker_id) values (?, ?)")) {
            ps.setString(1, canonical);
            ps.setString(2, workerId);
            ps.executeUpdate();
        }
        return Outcome.APPLIED;
    }

    /** A worker's newest state as a batch of events leaves it ({@link #writeAll}); {@code homeSource} is written only for a new worker. */
    record Write(String workerId, Instant effectiveAt, String source, String employmentStatus, String enrolmentKind, String stateHash,
                 String canonical, String homeSource) {
    }

    /**
     * Writes each worker's state and record in JDBC batches: an update for the workers in
     * {@code existed} (stored before), an insert for the others. What {@link #apply} writes for the
     * last applied change of each worker; the caller decided the changes against the locked states.
     */
    static void writeAll(Connection c, java.util.Collection<Write> writes, java.util.Set<String> existed) throws SQLException {
        if (writes.isEmpty()) {
            return;
        }
        Instant now = Instant.now();
        try (PreparedStatement update = c.prepareStatement("update worker_state set effective_at = ?, source = ?, updated_at = ?, "
                + "employment_status = ?, enrolment_due = true, enrolment_kind = ?, state_hash = ? where worker_id = ?");
             PreparedStatement insert = c.prepareStatement("insert into worker_state (effective_at, source, updated_at, employment_status, "
                     + "enrolment_due, enrolment_kind, state_hash, worker_id, home_source) values (?, ?, ?, ?, true, ?, ?, ?, ?)");
             PreparedStatement updateRecord = c.prepareStatement("update worker_record set canonical = ? where worker_id = ?");
             PreparedStatement insertRecord = c.prepareStatement("insert into worker_record (canonical, worker_id) values (?, ?)")) {
            for (Write w : writes) {
                boolean stored = existed.contains(w.workerId());
                PreparedStatement ps = stored ? update : insert;
                Sql.setTime(ps, 1, w.effectiveAt());
                ps.setString(2, w.source());
                Sql.setTime(ps, 3, now);
                ps.setString(4, w.employmentStatus());
                ps.setString(5, w.enrolmentKind());
                ps.setString(6, w.stateHash());
                ps.setString(7, w.workerId());
                if (!stored) {
                    ps.setString(8, w.homeSource());
                }
                ps.addBatch();
                PreparedStatement record = stored ? updateRecord : insertRecord;
                record.setString(1, w.canonical());
                record.setString(2, w.workerId());
                record.addBatch();
            }
            update.executeBatch();
            insert.executeBatch();
            updateRecord.executeBatch();
            insertRecord.executeBatch();
        }
    }

    /** What the store knows of a worker before a change: the state hash (null before V10) and effective time. */
    record Known(String stateHash, Instant effectiveAt) {
    }

    /**
     * Whether {@code sourceWorkers}, the number of workers a source owns, is most of the stored
     * workers: then a pass over the source's workers is cheapest as a scan of the whole table (on H2),
     * otherwise through the home-source index.
     */
    static boolean mostWorkers(Connection c, int sourceWorkers) throws SQLException {
        try (PreparedStatement ps = c.prepareStatement("select count(*) from worker_state"); ResultSet rs = ps.executeQuery()) {
            rs.next();
            return sourceWorkers * 2L >= rs.getLong(1);
        }
    }

    /** The number of workers {@code source} owns (its home source). */
    static int ownedBy(Connection c, String source) throws SQLException {
        try (PreparedStatement ps = c.prepareStatement("select count(*) from worker_state where home_source = ?")) {
            ps.setString(1, source);
            try (ResultSet rs = ps.executeQuery()) {
                rs.next();
                return rs.getInt(1);
            }
        }
    }

    /** The state hash and effective time of each of {@code workerIds} that has a stored state. */
    static java.util.Map<String, Known> known(Connection c, java.util.Collection<String> workerIds) throws SQLException {
        java.util.Map<String, Known> known = new java.util.HashMap<>();
        Sql.selectByKeys(c, "worker_id, state_hash, effective_at", "worker_state", "worker_id", workerIds,
                rs -> known.put(rs.getString(1), new Known(rs.getString(2), Sql.time(rs, "effective_at"))));
        return known;
    }

    /** The stored canonical state of each of {@code workerIds} that has one. */
    static java.util.Map<String, String> canonicals(Connection c, java.util.Collection<String> workerIds) throws SQLException {
        java.util.Map<String, String> states = new java.util.HashMap<>();
        Sql.selectByKeys(c, "worker_id, canonical", "worker_record", "worker_id", workerIds,
                rs -> states.put(rs.getString(1), rs.getString(2)));
        return states;
    }

    /**
     * Makes the PLANNED rows of one page of a drop (lines {@code fromLine..toLine}, at most one
     * PLANNED row per worker) the workers' state, in one set-based statement, in the caller's
     * transaction. The caller has marked rows older than the stored state SUPERSEDED first; the
     * statement itself never replaces a newer state either (an event may have committed since).
     */
    static void applyPage(Connection c, boolean postgres, long dropId, int fromLine, int toLine, String source, Instant now)
            throws SQLException {
        // the records first, while worker_state still tells which rows are not older than the stored state
        String records = postgres ? """
                insert into worker_record (worker_id, canonical)
                select r.worker_id, d.canonical from drop_row r join drop_row_record d on d.drop_id = r.drop_id and d.line = r.line
                        left join worker_state w on w.worker_id = r.worker_id
                where r.drop_id = ? and r.line between ? and ? and r.status = 'PLANNED'
                    and (w.worker_id is null or w.effective_at <= coalesce(r.effective_at, ?))
                on conflict (worker_id) do update set canonical = excluded.canonical"""
                : """
                merge into worker_record x using (
                    select r.worker_id, d.canonical from drop_row r join drop_row_record d on d.drop_id = r.drop_id and d.line = r.line
                        left join worker_state w on w.worker_id = r.worker_id
                    where r.drop_id = ? and r.line between ? and ? and r.status = 'PLANNED'
                        and (w.worker_id is null or w.effective_at <= coalesce(r.effective_at, ?))) r
                on x.worker_id = r.worker_id
                when matched then update set canonical = r.canonical
                when not matched then insert (worker_id, canonical) values (r.worker_id, r.canonical)""";
        try (PreparedStatement ps = c.prepareStatement(records)) {
            ps.setLong(1, dropId);
            ps.setInt(2, fromLine);
            ps.setInt(3, toLine);
            Sql.setTime(ps, 4, now);
            ps.executeUpdate();
        }
        String sql = postgres ? """
                insert into worker_state (worker_id, effective_at, source, updated_at, employment_status, home_source,
                    enrolment_due, enrolment_kind, state_hash)
                select r.worker_id, coalesce(r.effective_at, ?), ?, ?, r.employment_status, ?, true, coalesce(r.change_kind, 'JOIN'),
                    r.state_hash
                from drop_row r where r.drop_id = ? and r.line between ? and ? and r.status = 'PLANNED'
                on conflict (worker_id) do update set effective_at = excluded.effective_at,
                    source = excluded.source, updated_at = excluded.updated_at, employment_status = excluded.employment_status,
                    enrolment_due = true, enrolment_kind = excluded.enrolment_kind, state_hash = excluded.state_hash
                where worker_state.effective_at <= excluded.effective_at"""
                : """
                merge into worker_state w using (
                    select r.worker_id, coalesce(r.effective_at, ?) as effective_at, cast(? as varchar(100)) as source,
                        cast(? as timestamp with time zone) as updated_at, r.employment_status, cast(? as varchar(100)) as home_source,
                        coalesce(r.change_kind, 'JOIN') as change_kind, r.state_hash
                    from drop_row r where r.drop_id = ? and r.line between ? and ? and r.status = 'PLANNED') r
                on w.worker_id = r.worker_id
                when matched and w.effective_at <= r.effective_at then update set effective_at = r.effective_at,
                    source = r.source, updated_at = r.updated_at, employment_status = r.employment_status, enrolment_due = true,
                    enrolment_kind = r.change_kind, state_hash = r.state_hash
                when not matched then insert (worker_id, effective_at, source, updated_at, employment_status, home_source,
                    enrolment_due, enrolment_kind, state_hash)
                    values (r.worker_id, r.effective_at, r.source, r.updated_at, r.employment_status, r.home_source, true,
                    r.change_kind, r.state_hash)""";
        try (PreparedStatement ps = c.prepareStatement(sql)) {
            Sql.setTime(ps, 1, now);
            ps.setString(2, source);
            Sql.setTime(ps, 3, now);
            ps.setString(4, source);
            ps.setLong(5, dropId);
            ps.setInt(6, fromLine);
            ps.setInt(7, toLine);
            ps.executeUpdate();
        }
    }

    /** The {@code effectiveAt} of a canonical record in its JSON form; now when it has none. */
    static Instant effectiveAtOf(String canonical) {
        try {
            JsonNode value = JSON.readTree(canonical).get("effectiveAt");
            return value == null || value.isNull() ? Instant.now() : parseInstant(value.asText());
        } catch (java.io.IOException e) {
            throw new IllegalArgumentException("canonical record is not JSON: " + e.getMessage(), e);
        }
    }

    /** The employment status of a canonical record in its JSON form (ACTIVE when it has none). */
    /** {@link #statusOf(String)} of a record read already. */
    static String statusOf(io.learnbridge.worker.CanonicalRecord record) {
        String status = record.get("employmentStatus");
        return status == null ? "ACTIVE" : status;
    }

    static String statusOf(String canonical) {
        try {
            JsonNode value = JSON.readTree(canonical).get("employmentStatus");
            return value == null || value.isNull() ? "ACTIVE" : value.asText();
        } catch (java.io.IOException e) {
            throw new IllegalArgumentException("canonical record is not JSON: " + e.getMessage(), e);
        }
    }

    /** An ISO-8601 instant, with {@code Z} or an offset. */
    public static Instant parseInstant(String text) {
        return OffsetDateTime.parse(text).toInstant();
    }
}
