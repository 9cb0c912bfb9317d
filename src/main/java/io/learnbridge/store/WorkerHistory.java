package io.learnbridge.store;

import java.sql.PreparedStatement;
import java.sql.ResultSet;
import java.time.Instant;
import java.util.ArrayList;
import java.util.List;
import java.util.Optional;

/**
 * A worker's audit trail, from the store: every change received for the worker (drop rows and
 * webhook or Kafka events, with what change detection made of them), every delivery to every
 * target with its outcome, and the state as it stands.
 */
public final class WorkerHistory {

    /**
     * One change received for the worker. {@code line} is negative for a leaver absent from a full snapshot.
     * {@code instance}: the instance that staged its drop or last claimed its event (several instances share a store).
     */
    public record ChangeEntry(String source, String channel, Long dropId, String fileName, Integer line, Long eventId, String origin,
                              Instant receivedAt, Instant effectiveAt, String status, String kind, String reason, String diff, String instance) {
    }

    /**
     * One delivery of the worker's state to a target. {@code id} is null once its drop was compacted
     * (learnbridge.drops.retention): the delivery is then kept in its narrow form. {@code instance}: the instance that
     * sent it last (null for a drop's change not sent yet, and for one delivered before version 22 of the store).
     */
    public record DeliveryEntry(Long id, String target, String status, int attempts, Integer httpStatus, Long dropId, Integer line,
                                Long eventId, Instant queuedAt, Instant updatedAt, String instance) {
    }

    /** The whole trail, oldest first. */
    public record Trail(String workerId, WorkerStates.State state, List<ChangeEntry> changes, List<DeliveryEntry> deliveries) {
    }

    private final Store store;

    public WorkerHistory(Store store) {
        this.store = store;
    }

    public Optional<Trail> of(String workerId) {
        Optional<WorkerStates.State> state = new WorkerStates(store).get(workerId);
        return store.tx(c -> {
            List<ChangeEntry> changes = new ArrayList<>();
            try (PreparedStatement ps = c.prepareStatement("""
                    select f.source, f.id, f.file_name, f.claimed_at, r.line, %s, r.change_kind, r.change_reason, d.diff, r.effective_at,
                        d.canonical, r.packed, f.claimed_by
                    from drop_row r join drop_file f on f.id = r.drop_id left join drop_row_record d on d.drop_id = r.drop_id and d.line = r.line
                    where r.worker_id = ? order by f.id, r.line""".formatted(DropLedger.rowStatus("r.", "f.applied_line")))) {
                ps.setString(1, workerId);
                try (ResultSet rs = ps.executeQuery()) {
                    while (rs.next()) {
                        PackedRecord.Unpacked record = PackedRecord.unpack(rs.getString(9), rs.getString(11), rs.getBytes(12));
                        changes.add(new ChangeEntry(rs.getString(1), "DROP", rs.getLong(2), rs.getString(3), rs.getInt(5), null, null,
                                Sql.time(rs, "claimed_at"), Sql.time(rs, "effective_at"), rs.getString(6), rs.getString(7), rs.getString(8),
                                DropPlanner.diffOf(record.diff(), rs.getString(7), record.canonical()), rs.getString(13)));
                    }
                }
            }
            try (PreparedStatement ps = c.prepareStatement("""
                    select source, channel, id, origin, received_at, effective_at, status, claimed_by from inbound_event where worker_id = ? order by id""")) {
                ps.setString(1, workerId);
                try (ResultSet rs = ps.executeQuery()) {
                    while (rs.next()) {
                        changes.add(new ChangeEntry(rs.getString(1), rs.getString(2), null, null, null, rs.getLong(3), rs.getString(4),
                                Sql.time(rs, "received_at"), Sql.time(rs, "effective_at"), rs.getString(7), null, null, null, rs.getString(8)));
                    }
                }
            }
            changes.sort(java.util.Comparator.comparing(ChangeEntry::receivedAt, java.util.Comparator.nullsFirst(java.util.Comparator.naturalOrder())));
            List<DeliveryEntry> deliveries = new ArrayList<>();
            // compacted drops' deliveries first: they are older than any the outbox still holds but failed ones
            try (PreparedStatement ps = c.prepareStatement("""
                    select l.target, l.attempts, l.http_status, l.drop_id, l.line, l.queued_at, l.delivered_at, l.delivered_by
                    from drop_row r join delivered_change l on l.drop_id = r.drop_id and l.line = r.line
                    where r.worker_id = ? order by l.drop_id, l.line, l.target""")) {
                ps.setString(1, workerId);
                try (ResultSet rs = ps.executeQuery()) {
                    while (rs.next()) {
                        deliveries.add(new DeliveryEntry(null, rs.getString(1), "DELIVERED", rs.getInt(2), Sql.getInt(rs, "http_status"),
                                rs.getLong(4), rs.getInt(5), null, Sql.time(rs, "queued_at"), Sql.time(rs, "delivered_at"), rs.getString(8)));
                    }
                }
            }
            try (PreparedStatement ps = c.prepareStatement("""
                    select id, target, status, attempts, http_status, drop_id, line, event_id, created_at, updated_at, claimed_by
                    from delivery where worker_id = ? order by id""")) {
                ps.setString(1, workerId);
                try (ResultSet rs = ps.executeQuery()) {
                    while (rs.next()) {
                        deliveries.add(new DeliveryEntry(rs.getLong(1), rs.getString(2), rs.getString(3), rs.getInt(4), Sql.getInt(rs, "http_status"),
                                Sql.getLong(rs, "drop_id"), Sql.getInt(rs, "line"), Sql.getLong(rs, "event_id"), Sql.time(rs, "created_at"),
                                Sql.time(rs, "updated_at"), rs.getString(11)));
                    }
                }
            }
            // the rows of a drop's ranges not yet sent (V18): queued with their page, no delivery of their own yet
            try (PreparedStatement ps = c.prepareStatement("""
                    select g.target, g.status, g.attempts, g.drop_id, r.line, g.created_at, g.updated_at
                    from drop_row r join delivery_range g on g.drop_id = r.drop_id and g.from_line <= r.line and g.to_line >= r.line
                    where r.worker_id = ? and %s order by g.id""".formatted(DeliveryQueue.RANGE_ROWS))) {
                ps.setString(1, workerId);
                try (ResultSet rs = ps.executeQuery()) {
                    while (rs.next()) {
                        deliveries.add(new DeliveryEntry(null, rs.getString(1), rs.getString(2), rs.getInt(3), null, rs.getLong(4), rs.getInt(5),
                                null, Sql.time(rs, "created_at"), Sql.time(rs, "updated_at"), null));
                    }
                }
            }
            // oldest first: by the time each was queued (a failed delivery of an old drop before a newer drop's)
            deliveries.sort(java.util.Comparator.comparing(DeliveryEntry::queuedAt,
                    java.util.Comparator.nullsFirst(java.util.Comparator.naturalOrder())));
            if (state.isEmpty() && changes.isEmpty() && deliveries.isEmpty()) {
                return Optional.empty();
            }
            return Optional.of(new Trail(workerId, state.orElse(null), changes, deliveries));
        });
    }
}
