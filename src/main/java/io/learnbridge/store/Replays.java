package io.learnbridge.store;

import io.learnbridge.worker.CanonicalRecord;
import io.learnbridge.worker.Change;
import java.sql.PreparedStatement;
import java.time.Duration;
import java.time.Instant;
import java.util.List;

/**
 * The store side of replay: what happens when a re-mapped record is accepted again. The
 * re-mapping itself is done by {@code ops.Replayer} with the current mapping files.
 */
public final class Replays {

    private final Store store;

    private final Duration maxHold;

    public Replays(Store store) {
        this(store, DropLedger.MAX_HOLD);
    }

    /** @param maxHold {@code learnbridge.changes.maxHold}: a replayed row is held for its date only that far ahead, as in a drop */
    public Replays(Store store, Duration maxHold) {
        this.store = store;
        this.maxHold = maxHold;
    }

    /**
     * What replaying a rejected drop row did: applied and queued now ({@code heldUntil} null), held
     * for its date, or refused again because its date is beyond {@code maxHold} ({@code refused}).
     */
    public record RowReplay(Instant heldUntil, String refused) {
    }

    /**
     * A rejected drop row is now accepted and planned as a drop plans it: a change dated in the
     * future is held until then (released by route release-held-changes), one dated beyond
     * {@code maxHold} stays in the exception queue, the rest is applied and enqueued for its targets.
     */
    public RowReplay acceptRejectedRow(ExceptionEntry entry, String workerId, String contentHash, String canonical, List<String> targets) {
        return store.tx(c -> {
            // a record without effectiveAt takes effect now: read before now, so that it is never "in the future"
            Instant effectiveAt = WorkerStates.effectiveAtOf(canonical);
            Instant now = Instant.now();
            CanonicalRecord after = CanonicalRecord.fromJson(canonical);
            String stored = WorkerStates.canonicals(c, List.of(workerId)).get(workerId);
            Change change = DropLedger.Policy.DELTA.detector()
                    .detect(stored == null ? null : CanonicalRecord.fromJson(stored), after);
            Instant dated = change.isNoop() ? now : io.learnbridge.worker.ChangeTiming.effectiveTime(change, effectiveAt, now);
            if (dated.isAfter(now.plus(maxHold))) {
                String reason = io.learnbridge.worker.ChangeTiming.tooFarAhead(change, dated, maxHold, now.plus(maxHold));
                ExceptionQueue.stillFailing(c, entry.id(), io.learnbridge.worker.ChangeTiming.datedBy(change), reason);
                return new RowReplay(null, reason);
            }
            if (dated.isAfter(now)) {
                try (PreparedStatement ps = c.prepareStatement("""
                        update drop_row set status = 'PENDING', worker_id = ?, content_hash = ?, change_reason = 'replayed', effective_at = ?,
                            change_kind = ?, employment_status = ? where drop_id = ? and line = ?""")) {
                    ps.setString(1, workerId);
                    ps.setString(2, contentHash);
                    Sql.setTime(ps, 3, dated);
                    ps.setString(4, change.kind().name());
                    ps.setString(5, WorkerStates.statusOf(after));
                    ps.setLong(6, entry.dropId());
                    ps.setInt(7, entry.line());
                    ps.executeUpdate();
                }
                DropPlanner.putCanonical(c, entry.dropId(), entry.line(), canonical);
                try (PreparedStatement ps = c.prepareStatement("insert into held_change (drop_id, line, effective_at) values (?, ?, ?)")) {
                    ps.setLong(1, entry.dropId());
                    ps.setInt(2, entry.line());
                    Sql.setTime(ps, 3, dated);
                    ps.executeUpdate();
                }
                ExceptionQueue.markReplayed(c, entry.id());
                return new RowReplay(dated, null);
            }
            try (PreparedStatement ps = c.prepareStatement(
                    "update drop_row set status = 'APPLIED', worker_id = ?, content_hash = ?, change_reason = 'replayed' where drop_id = ? and line = ?")) {
                ps.setString(1, workerId);
                ps.setString(2, contentHash);
                ps.setLong(3, entry.dropId());
                ps.setInt(4, entry.line());
                ps.executeUpdate();
            }
            DropPlanner.putCanonical(c, entry.dropId(), entry.line(), canonical);
            // the worker's state follows unless a newer change arrived since; either way the
            // delivery sends the newest state
            WorkerStates.apply(c, workerId, WorkerStates.effectiveAtOf(canonical), canonical, entry.source());
            for (String target : targets) {
                try (PreparedStatement ps = c.prepareStatement("delete from delivery where drop_id = ? and line = ? and target = ? and status = 'FAILED'")) {
                    ps.setLong(1, entry.dropId());
                    ps.setInt(2, entry.line());
                    ps.setString(3, target);
                    ps.executeUpdate();
                }
                DeliveryQueue.enqueueApplied(c, entry.source(), entry.dropId(), target, entry.line());
            }
            ExceptionQueue.markReplayed(c, entry.id());
            return new RowReplay(null, null);
        });
    }

    /** A rejected webhook or Kafka event is now accepted: apply it and queue it for its targets. */
    public WorkerStates.Outcome acceptRejectedEvent(ExceptionEntry entry, String workerId, String canonical, List<String> targets) {
        return store.tx(c -> {
            Instant effectiveAt = WorkerStates.effectiveAtOf(canonical);
            WorkerStates.Outcome outcome = WorkerStates.apply(c, workerId, effectiveAt, canonical, entry.source());
            if (outcome == WorkerStates.Outcome.APPLIED) {
                for (String target : targets) {
                    if (!sendAgain(c, entry.eventId(), target, canonical)) {
                        DeliveryQueue.enqueueEvent(c, entry.source(), entry.eventId(), workerId, target, canonical);
                    }
                }
            }
            EventInbox.finish(c, entry.eventId(), outcome.name(), workerId, effectiveAt);
            ExceptionQueue.markReplayed(c, entry.id());
            return outcome;
        });
    }

    /**
     * The delivery an event already has for a target (a correction sent under a reused event id,
     * replayed: the event's first body was delivered) goes out again with the new state. False
     * when the event has none yet.
     */
    private static boolean sendAgain(java.sql.Connection c, long eventId, String target, String canonical) throws java.sql.SQLException {
        try (PreparedStatement ps = c.prepareStatement("""
                update delivery set status = 'PENDING', attempts = 0, lease_until = null, not_before = null, canonical = ?, updated_at = ?
                where event_id = ? and target = ?""")) {
            ps.setString(1, canonical);
            Sql.setTime(ps, 2, Instant.now());
            ps.setLong(3, eventId);
            ps.setString(4, target);
            return ps.executeUpdate() > 0;
        }
    }

    /** A failed delivery goes out again with the re-mapped canonical state. */
    public void retryDelivery(ExceptionEntry entry, String canonical) {
        store.tx(c -> {
            if (canonical != null && entry.workerId() != null) {
                // the re-mapped record becomes the worker's state unless a newer change arrived since
                WorkerStates.apply(c, entry.workerId(), WorkerStates.effectiveAtOf(canonical), canonical, entry.source());
            }
            try (PreparedStatement ps = c.prepareStatement("""
                    update delivery set status = 'PENDING', attempts = 0, lease_until = null, not_before = null, canonical = coalesce(?, canonical), updated_at = ?
                    where id = ?""")) {
                ps.setString(1, canonical);
                Sql.setTime(ps, 2, Instant.now());
                ps.setLong(3, entry.deliveryId());
                ps.executeUpdate();
            }
            if (entry.dropId() != null && entry.line() != null && canonical != null) {
                DropPlanner.putCanonical(c, entry.dropId(), entry.line(), canonical);
            }
            ExceptionQueue.markReplayed(c, entry.id());
            return null;
        });
    }

    /** A failed enrolment change goes out again (pending from now, fresh retry budget). Returns whether it was still failed. */
    public boolean retryEnrolment(ExceptionEntry entry) {
        return store.tx(c -> {
            int updated = EnrolmentOutbox.retry(c, entry.deliveryId());
            ExceptionQueue.markReplayed(c, entry.id());
            return updated == 1;
        });
    }

    /** The replay did not get further: keep the entry open with the new reason. */
    public void stillFailing(ExceptionEntry entry, String field, String reason) {
        store.tx(c -> {
            ExceptionQueue.stillFailing(c, entry.id(), field, reason);
            return null;
        });
    }
}
