package io.learnbridge.store;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import java.sql.Connection;
import java.sql.PreparedStatement;
import java.sql.ResultSet;
import java.sql.SQLException;
import java.time.Instant;
import java.time.OffsetDateTime;
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
            try (PreparedStatement ps = c.prepareStatement("select worker_id, effective_at, canonical, source from worker_state where worker_id = ?")) {
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
                ? "update worker_state set effective_at = ?, canonical = ?, source = ?, updated_at = ?, employment_status = ?, "
                        + "enrolment_due = true, enrolment_kind = ? where worker_id = ?"
                : "insert into worker_state (effective_at, canonical, source, updated_at, employment_status, enrolment_due, enrolment_kind, "
                        + "worker_id, home_source) values (?, ?, ?, ?, ?, true, ?, ?, ?)";
        try (PreparedStatement ps = c.prepareStatement(sql)) {
            Sql.setTime(ps, 1, effectiveAt);
            ps.setString(2, canonical);
            ps.setString(3, source);
            Sql.setTime(ps, 4, Instant.now());
            ps.setString(5, employmentStatus);
            ps.setString(6, changeKind != null ? changeKind : exists ? "UPDATE" : "JOIN");
            ps.setString(7, workerId);
            if (!exists) {
                ps.setString(8, source);
            }
            ps.executeUpdate();
        }
        return Outcome.APPLIED;
    }

    /**
     * Applies the PLANNED rows of a drop (at most one per worker) in the caller's transaction:
     * rows older than the stored state become SUPERSEDED, the others become the stored state.
     * Returns how many rows were superseded.
     */
    static int applyDrop(Connection c, long dropId, String source) throws SQLException {
        Instant now = Instant.now();
        int superseded;
        try (PreparedStatement ps = c.prepareStatement("""
                update drop_row set status = 'SUPERSEDED', change_reason = 'older than the stored state'
                where drop_id = ? and status = 'PLANNED' and exists (
                    select 1 from worker_state w where w.worker_id = drop_row.worker_id and w.effective_at > drop_row.effective_at)""")) {
            ps.setLong(1, dropId);
            superseded = ps.executeUpdate();
        }
        try (PreparedStatement ps = c.prepareStatement("""
                update worker_state set
                    canonical = (select r.canonical from drop_row r where r.drop_id = ? and r.status = 'PLANNED' and r.worker_id = worker_state.worker_id),
                    effective_at = (select coalesce(r.effective_at, ?) from drop_row r where r.drop_id = ? and r.status = 'PLANNED' and r.worker_id = worker_state.worker_id),
                    employment_status = (select r.employment_status from drop_row r where r.drop_id = ? and r.status = 'PLANNED' and r.worker_id = worker_state.worker_id),
                    enrolment_kind = (select coalesce(r.change_kind, 'UPDATE') from drop_row r where r.drop_id = ? and r.status = 'PLANNED' and r.worker_id = worker_state.worker_id),
                    enrolment_due = true, source = ?, updated_at = ?
                where exists (select 1 from drop_row r where r.drop_id = ? and r.status = 'PLANNED' and r.worker_id = worker_state.worker_id)""")) {
            ps.setLong(1, dropId);
            Sql.setTime(ps, 2, now);
            ps.setLong(3, dropId);
            ps.setLong(4, dropId);
            ps.setLong(5, dropId);
            ps.setString(6, source);
            Sql.setTime(ps, 7, now);
            ps.setLong(8, dropId);
            ps.executeUpdate();
        }
        try (PreparedStatement ps = c.prepareStatement("""
                insert into worker_state (worker_id, effective_at, canonical, source, updated_at, employment_status, home_source,
                    enrolment_due, enrolment_kind)
                select r.worker_id, coalesce(r.effective_at, ?), r.canonical, ?, ?, r.employment_status, ?, true, coalesce(r.change_kind, 'JOIN')
                from drop_row r
                where r.drop_id = ? and r.status = 'PLANNED'
                and not exists (select 1 from worker_state w where w.worker_id = r.worker_id)""")) {
            Sql.setTime(ps, 1, now);
            ps.setString(2, source);
            Sql.setTime(ps, 3, now);
            ps.setString(4, source);
            ps.setLong(5, dropId);
            ps.executeUpdate();
        }
        return superseded;
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
