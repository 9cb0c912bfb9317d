package io.learnbridge.store;

import java.sql.Connection;
import java.sql.PreparedStatement;
import java.sql.ResultSet;
import java.sql.SQLException;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.List;

/**
 * The outbox of enrolment changes, per target: the enrolment ledger ({@code enrolment_change})
 * with a delivery state. A target's adapter claims a batch (SENDING with a lease), oldest first,
 * and settles each change: delivered, retried later from a given time, or failed into the
 * exception queue. Changes for one worker, target and curriculum go out in ledger order: a
 * change is not claimed while an older one for the same curriculum is still pending or being
 * sent, so an unenrol never overtakes the enrol it undoes. A claim whose lease runs out (the
 * instance died) is claimed again: targets treat an enrol of an enrolled worker as done.
 */
public final class EnrolmentOutbox {

    /** What a change asks of the target. */
    public enum Action { ENROL, UNENROL }

    /** One enrolment change, as the ledger keeps it. */
    public record Change(long id, String workerId, String target, String curriculum, Action action, String reason, String changeKind,
                         String status, int attempts, Instant createdAt) {
    }

    private final Store store;
    private final String instanceId;
    private final Duration lease;

    /** @param lease longer than the longest retry budget of one batch */
    public EnrolmentOutbox(Store store, String instanceId, Duration lease) {
        this.store = store;
        this.instanceId = instanceId;
        this.lease = lease;
    }

    /** At startup: this instance's claims from before a crash or stop go back to pending. */
    public int releaseOwnClaims() {
        return store.tx(c -> {
            try (PreparedStatement ps = c.prepareStatement(
                    "update enrolment_change set status = 'PENDING', lease_until = null where status = 'SENDING' and claimed_by = ?")) {
                ps.setString(1, instanceId);
                return ps.executeUpdate();
            }
        });
    }

    /** Claims up to {@code max} changes for a target, oldest first. */
    public List<Change> claim(String target, int max) {
        Instant now = Instant.now();
        return store.tx(c -> {
            Sql.commitWithoutFlushWait(c, store.postgres()); // lost in a server crash, the changes are claimed again
            // two index range scans on (target, status, id), ordered as the index is: an OR, or ordering by id
            // alone, makes H2 read the whole ledger of the target on every claim
            List<Change> candidates = new ArrayList<>(candidates(c, target, Sql.rangeIs("e.status", "'PENDING'") + " and (e.not_before is null or e.not_before <= ?)",
                    now, max));
            candidates.addAll(candidates(c, target, Sql.rangeIs("e.status", "'SENDING'") + " and e.lease_until < ?", now, max));
            candidates.sort(java.util.Comparator.comparingLong(Change::id));
            if (candidates.size() > max) {
                candidates.subList(max, candidates.size()).clear();
            }
            if (candidates.isEmpty()) {
                return candidates;
            }
            List<Change> claimed = new ArrayList<>(candidates.size());
            try (PreparedStatement ps = c.prepareStatement("""
                    update enrolment_change set status = 'SENDING', lease_until = ?, claimed_by = ?, attempts = attempts + 1, updated_at = ?
                    where id = ? and (status = 'PENDING' or (status = 'SENDING' and lease_until < ?))""")) {
                for (Change e : candidates) {
                    Sql.setTime(ps, 1, now.plus(lease));
                    ps.setString(2, instanceId);
                    Sql.setTime(ps, 3, now);
                    ps.setLong(4, e.id());
                    Sql.setTime(ps, 5, now);
                    if (ps.executeUpdate() == 1) {
                        claimed.add(new Change(e.id(), e.workerId(), e.target(), e.curriculum(), e.action(), e.reason(), e.changeKind(),
                                "SENDING", e.attempts() + 1, e.createdAt()));
                    }
                }
            }
            return claimed;
        });
    }

    /**
     * Puts claimed changes that were not sent back to pending until {@code notBefore}, without
     * counting the claim as an attempt (the target's circuit breaker is open, or the target was
     * unavailable for the deliveries claimed with them). Settled changes are left as they are.
     */
    public int holdBack(List<Long> ids, Instant notBefore) {
        if (ids.isEmpty()) {
            return 0;
        }
        return store.tx(c -> {
            int held = 0;
            try (PreparedStatement ps = c.prepareStatement("""
                    update enrolment_change set status = 'PENDING', lease_until = null, not_before = ?, attempts = attempts - 1, updated_at = ?
                    where id = ? and status = 'SENDING' and claimed_by = ?""")) {
                Instant now = Instant.now();
                for (long id : ids) {
                    Sql.setTime(ps, 1, notBefore);
                    Sql.setTime(ps, 2, now);
                    ps.setLong(3, id);
                    ps.setString(4, instanceId);
                    held += ps.executeUpdate();
                }
            }
            return held;
        });
    }

    private static List<Change> candidates(Connection c, String target, String condition, Instant now, int max) throws SQLException {
        List<Change> candidates = new ArrayList<>();
        try (PreparedStatement ps = c.prepareStatement("select e.* from enrolment_change e where e.target = ? and " + condition
                + " and not exists (select 1 from enrolment_change o where o.worker_id = e.worker_id and o.target = e.target"
                + " and o.curriculum = e.curriculum and o.id < e.id and o.status in ('PENDING', 'SENDING'))"
                + " order by e.target, e.status, e.id limit ?")) {
            ps.setString(1, target);
            Sql.setTime(ps, 2, now);
            ps.setInt(3, max);
            try (ResultSet rs = ps.executeQuery()) {
                while (rs.next()) {
                    candidates.add(read(rs));
                }
            }
        }
        return candidates;
    }

    /** The target took the change. */
    public void delivered(long id) {
        settle(id, "DELIVERED", null);
    }

    /** A transient failure: the change goes back to pending and is claimed again from {@code notBefore}. */
    public void retryLater(long id, Instant notBefore) {
        settle(id, "PENDING", notBefore);
    }

    private void settle(long id, String status, Instant notBefore) {
        store.tx(c -> {
            try (PreparedStatement ps = c.prepareStatement(
                    "update enrolment_change set status = ?, lease_until = null, not_before = ?, updated_at = ? where id = ? and status = 'SENDING'")) {
                ps.setString(1, status);
                Sql.setTime(ps, 2, notBefore);
                Sql.setTime(ps, 3, Instant.now());
                ps.setLong(4, id);
                return ps.executeUpdate();
            }
        });
    }

    /**
     * A change the target cannot take (permanent) or that ran out of retries: FAILED, and into the
     * exception queue (stage {@code enrol}) with the worker, target, curriculum and the context's
     * reason, error class, attempts and target answer, in one transaction. Returns the exception id.
     */
    public long failed(Change change, ExceptionEntry context) {
        return store.tx(c -> {
            try (PreparedStatement ps = c.prepareStatement(
                    "update enrolment_change set status = 'FAILED', lease_until = null, updated_at = ? where id = ?")) {
                Sql.setTime(ps, 1, Instant.now());
                ps.setLong(2, change.id());
                ps.executeUpdate();
            }
            // an adapter may have named the change already (Moodle's does): never "ENROL X: ENROL X: ..."
            String named = change.action() + " " + change.curriculum() + ": ";
            String reason = context.reason() != null && context.reason().startsWith(named) ? context.reason() : named + context.reason();
            ExceptionEntry entry = new ExceptionEntry(null, ExceptionEntry.Kind.FAILED, ExceptionEntry.Status.OPEN, STAGE,
                    Enrolments.SOURCE, null, null, null, change.workerId(), context.field(), change.target(), change.id(),
                    reason, context.errorClass(),
                    context.attempts() != null ? context.attempts() : change.attempts(), context.httpStatus(), context.responseExcerpt(),
                    null, null, null, 0, null, origin(change));
            return ExceptionQueue.add(c, entry);
        });
    }

    /** The exception-queue stage of failed enrolment changes; their {@code deliveryId} is the change's id. */
    public static final String STAGE = "enrol";

    /** Where a failed change came from, for people: its ledger id, action and curriculum. */
    static String origin(Change change) {
        return Sql.truncate("enrolment change " + change.id() + ": " + change.action() + " " + change.curriculum(), 300);
    }

    /** Replay of a failed change: pending again, from now, with a fresh retry budget. */
    static int retry(Connection c, long id) throws SQLException {
        try (PreparedStatement ps = c.prepareStatement("""
                update enrolment_change set status = 'PENDING', attempts = 0, lease_until = null, not_before = null, updated_at = ?
                where id = ? and status = 'FAILED'""")) {
            Sql.setTime(ps, 1, Instant.now());
            ps.setLong(2, id);
            return ps.executeUpdate();
        }
    }

    /** Changes of a target by status (PENDING, SENDING, DELIVERED, FAILED). */
    public int count(String target, String status) {
        return store.tx(c -> {
            try (PreparedStatement ps = c.prepareStatement("select count(*) from enrolment_change where target = ? and status = ?")) {
                ps.setString(1, target);
                ps.setString(2, status);
                try (ResultSet rs = ps.executeQuery()) {
                    rs.next();
                    return rs.getInt(1);
                }
            }
        });
    }

    static List<Change> ledger(Connection c, String workerId) throws SQLException {
        List<Change> changes = new ArrayList<>();
        try (PreparedStatement ps = c.prepareStatement("select * from enrolment_change where worker_id = ? order by id")) {
            ps.setString(1, workerId);
            try (ResultSet rs = ps.executeQuery()) {
                while (rs.next()) {
                    changes.add(read(rs));
                }
            }
        }
        return changes;
    }

    private static Change read(ResultSet rs) throws SQLException {
        return new Change(rs.getLong("id"), rs.getString("worker_id"), rs.getString("target"), rs.getString("curriculum"),
                Action.valueOf(rs.getString("action")), rs.getString("reason"), rs.getString("change_kind"), rs.getString("status"),
                rs.getInt("attempts"), Sql.time(rs, "created_at"));
    }
}
