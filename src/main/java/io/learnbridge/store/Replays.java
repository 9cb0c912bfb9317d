package io.learnbridge.store;

import java.sql.PreparedStatement;
import java.time.Instant;
import java.util.List;

/**
 * The store side of replay: what happens when a re-mapped record is accepted again. The
 * re-mapping itself is done by {@code ops.Replayer} with the current mapping files.
 */
public final class Replays {

    private final Store store;

    public Replays(Store store) {
        this.store = store;
    }

    /** A rejected drop row is now accepted: stage it as accepted and enqueue it for its targets. */
    public void acceptRejectedRow(ExceptionEntry entry, String workerId, String contentHash, String canonical, List<String> targets) {
        store.tx(c -> {
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
            return null;
        });
    }

    /** A rejected webhook or Kafka event is now accepted: apply it and queue it for its targets. */
    public WorkerStates.Outcome acceptRejectedEvent(ExceptionEntry entry, String workerId, String canonical, List<String> targets) {
        return store.tx(c -> {
            java.time.Instant effectiveAt = WorkerStates.effectiveAtOf(canonical);
            WorkerStates.Outcome outcome = WorkerStates.apply(c, workerId, effectiveAt, canonical, entry.source());
            if (outcome == WorkerStates.Outcome.APPLIED) {
                for (String target : targets) {
                    DeliveryQueue.enqueueEvent(c, entry.source(), entry.eventId(), workerId, target, canonical);
                }
            }
            EventInbox.finish(c, entry.eventId(), outcome.name(), workerId, effectiveAt);
            ExceptionQueue.markReplayed(c, entry.id());
            return outcome;
        });
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
