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
public final class EnrolmentOutbox implements Outbox<EnrolmentOutbox.Change> {

    /** What a change asks of the target. */
    public enum Action { ENROL, UNENROL }

    /** One enrolment change, as the ledger keeps it; a claimed one's {@code attempts} include the claim. */
    public record Change(long id, String workerId, String target, String curriculum, Action action, String reason, String changeKind,
                         String status, int attempts, Instant createdAt) implements Outbox.Item {

        @Override
        public int attempt() {
            return attempts;
        }

        @Override
        public String describe() {
            return "Enrolment change " + id + " (" + action + " " + curriculum + ") of worker " + workerId + " to " + target;
        }
    }

    private final Store store;
    private final LeasedQueue queue;

    /** @param lease longer than the longest retry budget of one batch */
    public EnrolmentOutbox(Store store, String instanceId, Duration lease) {
        this.store = store;
        this.queue = new LeasedQueue(store, instanceId, lease, new LeasedQueue.Table("enrolment_change", "e", "target", "PENDING", "SENDING", true));
    }

    /** At startup: this instance's claims from before a crash or stop go back to pending. */
    public int releaseOwnClaims() {
        return queue.releaseOwnClaims();
    }

    /** The changes instance {@code instance} holds claimed go back to waiting, in the caller's transaction. */
    public int releaseClaimsOf(Connection c, String instance) throws SQLException {
        return queue.releaseClaimsOf(c, instance);
    }

    /** Claims up to {@code max} changes for a target, oldest first; each carries its attempts with this one. */
    public List<Change> claim(String target, int max) {
        return queue.claim((c, condition, now, limit) -> candidates(c, target, condition, now, limit), max, Change::id).stream()
                .map(e -> new Change(e.id(), e.workerId(), e.target(), e.curriculum(), e.action(), e.reason(), e.changeKind(),
                        "SENDING", e.attempts() + 1, e.createdAt()))
                .toList();
    }

    /**
     * Puts claimed changes that were not sent back to pending until {@code notBefore}, without
     * counting the claim as an attempt (the target's circuit breaker is open, or the target was
     * unavailable for the deliveries claimed with them). Settled changes are left as they are.
     */
    public int holdBack(List<Long> ids, Instant notBefore) {
        return ids.isEmpty() ? 0 : store.tx(c -> queue.holdBack(c, ids, notBefore));
    }

    /**
     * A target's changes matching {@code condition}, oldest first, each only when no older change for the same
     * worker and curriculum is pending or being sent. An index range scan on (target, status, id), ordered as the
     * index is: ordering by id alone makes H2 read the whole ledger of the target on every claim.
     */
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
        queue.settle(id, "DELIVERED", null);
    }

    /** The target took the change; the ledger keeps no HTTP status. */
    @Override
    public void delivered(Change change, int httpStatus) {
        delivered(change.id());
    }

    /** A transient failure: the change goes back to pending and is claimed again from {@code notBefore}. */
    @Override
    public void retryLater(long id, Instant notBefore) {
        queue.settle(id, "PENDING", notBefore);
    }

    /**
     * A change the target cannot take (permanent) or that ran out of retries: FAILED, and into the
     * exception queue (stage {@code enrol}) with the worker, target, curriculum and the context's
     * reason, error class, attempts and target answer, in one transaction. Returns the exception id.
     */
    @Override
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
        return queue.count(target, status);
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
