package io.learnbridge.store;

import java.sql.Connection;
import java.sql.PreparedStatement;
import java.sql.ResultSet;
import java.sql.SQLException;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

/**
 * The drops ledger. A drop is claimed by its content checksum (unique per source), its rows are
 * staged in batches, and {@link #finish} turns the accepted rows into deliveries in one
 * transaction. Only after {@code finish} has committed may the file be moved: every row is then
 * accounted for in the store, whatever happens next.
 */
public final class DropLedger {

    private final Store store;
    private final String instanceId;
    private final Duration lease;

    /**
     * @param instanceId this instance's stable id: its own unfinished claims (e.g. after a crash)
     *                   are taken back at once
     * @param lease how long another instance's STAGING claim protects a drop
     */
    public DropLedger(Store store, String instanceId, Duration lease) {
        this.store = store;
        this.instanceId = instanceId;
        this.lease = lease;
    }

    public DropClaim claim(String source, String fileName, String checksum, long size) {
        Instant now = Instant.now();
        return store.tx(c -> {
            try (PreparedStatement ps = c.prepareStatement(
                    "insert into drop_file (source, file_name, checksum, size_bytes, status, claimed_by, claimed_at) values (?, ?, ?, ?, 'STAGING', ?, ?)",
                    new String[] {"id"})) {
                ps.setString(1, source);
                ps.setString(2, fileName);
                ps.setString(3, checksum);
                ps.setLong(4, size);
                ps.setString(5, instanceId);
                Sql.setTime(ps, 6, now);
                ps.executeUpdate();
                try (ResultSet keys = ps.getGeneratedKeys()) {
                    keys.next();
                    return new DropClaim(keys.getLong(1), source, fileName, checksum, now, null);
                }
            } catch (SQLException e) {
                if (!Store.isUniqueViolation(e)) {
                    throw e;
                }
            }
            c.rollback();
            return reclaim(c, source, fileName, checksum, now);
        });
    }

    private DropClaim reclaim(Connection c, String source, String fileName, String checksum, Instant now) throws SQLException {
        long id;
        String status;
        Instant claimedAt;
        String claimedBy;
        try (PreparedStatement ps = c.prepareStatement("select id, status, claimed_by, claimed_at from drop_file where source = ? and checksum = ? for update")) {
            ps.setString(1, source);
            ps.setString(2, checksum);
            try (ResultSet rs = ps.executeQuery()) {
                if (!rs.next()) {
                    throw new DropBusyException("drop " + fileName + " is being claimed concurrently; will retry");
                }
                id = rs.getLong("id");
                status = rs.getString("status");
                claimedAt = Sql.time(rs, "claimed_at");
                claimedBy = rs.getString("claimed_by");
            }
        }
        if (status.equals("STAGED")) {
            return new DropClaim(id, source, fileName, checksum, claimedAt, id);
        }
        if (status.equals("STAGING") && !claimedBy.equals(instanceId) && claimedAt.plus(lease).isAfter(now)) {
            throw new DropBusyException("drop " + fileName + " (same content as drop " + id + ") is being staged since " + claimedAt + "; will retry");
        }
        // A failed drop (e.g. a header problem since fixed in the mapping) or an abandoned claim:
        // start again from nothing.
        deleteRows(c, id);
        try (PreparedStatement ps = c.prepareStatement(
                "update drop_file set status = 'STAGING', file_name = ?, claimed_by = ?, claimed_at = ?, reason = null, finished_at = null where id = ?")) {
            ps.setString(1, fileName);
            ps.setString(2, instanceId);
            Sql.setTime(ps, 3, now);
            ps.setLong(4, id);
            ps.executeUpdate();
        }
        return new DropClaim(id, source, fileName, checksum, now, null);
    }

    private static void deleteRows(Connection c, long dropId) throws SQLException {
        for (String sql : List.of(
                "delete from exception_record where drop_id = ? and kind = 'REJECTED'",
                "delete from drop_row where drop_id = ?")) {
            try (PreparedStatement ps = c.prepareStatement(sql)) {
                ps.setLong(1, dropId);
                ps.executeUpdate();
            }
        }
    }

    /** Stages one batch of rows; rejected rows enter the exception queue in the same transaction. */
    public void stage(DropClaim claim, List<StagedRow> rows) {
        store.tx(c -> {
            List<ExceptionEntry> rejections = new ArrayList<>();
            try (PreparedStatement ps = c.prepareStatement(
                    "insert into drop_row (drop_id, line, worker_id, status, content_hash, source_record, canonical, effective_at) values (?, ?, ?, ?, ?, ?, ?, ?)")) {
                for (StagedRow row : rows) {
                    ps.setLong(1, claim.dropId());
                    ps.setInt(2, row.line());
                    ps.setString(3, row.workerId());
                    ps.setString(4, row.accepted() ? "ACCEPTED" : "REJECTED");
                    ps.setString(5, row.contentHash());
                    ps.setString(6, row.sourceRecord());
                    ps.setString(7, row.canonical());
                    Sql.setTime(ps, 8, row.effectiveAt());
                    ps.addBatch();
                    if (!row.accepted()) {
                        rejections.add(ExceptionEntry.rejected("map", claim.source(), claim.dropId(), claim.fileName(), row.line(),
                                row.workerId(), row.field(), row.reason(), row.sourceRecord()));
                    }
                }
                ps.executeBatch();
            }
            ExceptionQueue.addAll(c, rejections);
            return null;
        });
    }

    /** What {@link #finish} found, for logs and metrics. */
    public record Summary(int accepted, int duplicates, int conflicts, int superseded, int deliveries) {
    }

    /**
     * Settles a fully staged drop in one transaction: rows for one worker that disagree are all
     * rejected as conflicts, identical repeats are counted as unchanged, and each remaining
     * accepted row either is superseded (a newer change for the worker is stored already) or
     * becomes the worker's state and one pending delivery per target.
     */
    public Summary finish(DropClaim claim, List<String> targets) {
        return store.tx(c -> {
            long dropId = claim.dropId();
            Map<String, List<Integer>> conflicts = new LinkedHashMap<>();
            try (PreparedStatement ps = c.prepareStatement("""
                    select a.worker_id, a.line from drop_row a where a.drop_id = ? and a.status = 'ACCEPTED' and exists (
                        select 1 from drop_row b where b.drop_id = a.drop_id and b.worker_id = a.worker_id
                        and b.status = 'ACCEPTED' and b.content_hash <> a.content_hash)
                    order by a.worker_id, a.line""")) {
                // exists, not "in (... group by ... having ...)": the grouped form holds every worker of a
                // 1M-row drop in memory at once (about 435 bytes each, measured by the benchmark command)
                ps.setLong(1, dropId);
                try (ResultSet rs = ps.executeQuery()) {
                    while (rs.next()) {
                        conflicts.computeIfAbsent(rs.getString(1), k -> new ArrayList<>()).add(rs.getInt(2));
                    }
                }
            }
            List<ExceptionEntry> entries = new ArrayList<>();
            if (!conflicts.isEmpty()) {
                try (PreparedStatement update = c.prepareStatement("update drop_row set status = 'CONFLICT' where drop_id = ? and line = ?");
                     PreparedStatement read = c.prepareStatement("select source_record from drop_row where drop_id = ? and line = ?")) {
                    for (Map.Entry<String, List<Integer>> e : conflicts.entrySet()) {
                        for (int line : e.getValue()) {
                            update.setLong(1, dropId);
                            update.setInt(2, line);
                            update.addBatch();
                            read.setLong(1, dropId);
                            read.setInt(2, line);
                            String sourceRecord;
                            try (ResultSet rs = read.executeQuery()) {
                                rs.next();
                                sourceRecord = rs.getString(1);
                            }
                            entries.add(ExceptionEntry.rejected("dedupe", claim.source(), dropId, claim.fileName(), line, e.getKey(), "workerId",
                                    "worker " + e.getKey() + " appears on lines " + e.getValue() + " of this drop with different values; "
                                            + "none of them was delivered (replay the line that is right)", sourceRecord));
                        }
                    }
                    update.executeBatch();
                }
                ExceptionQueue.addAll(c, entries);
            }
            int duplicates;
            try (PreparedStatement ps = c.prepareStatement("""
                    update drop_row set status = 'DUPLICATE' where drop_id = ? and status = 'ACCEPTED' and exists (
                        select 1 from drop_row earlier where earlier.drop_id = drop_row.drop_id and earlier.worker_id = drop_row.worker_id
                        and earlier.status = 'ACCEPTED' and earlier.line < drop_row.line)""")) {
                ps.setLong(1, dropId);
                duplicates = ps.executeUpdate();
            }
            int superseded = WorkerStates.applyDrop(c, dropId, claim.source());
            int deliveries = 0;
            for (String target : targets) {
                deliveries += DeliveryQueue.enqueueAccepted(c, claim.source(), dropId, target, null);
            }
            int accepted;
            try (PreparedStatement ps = c.prepareStatement("select count(*) from drop_row where drop_id = ? and status = 'ACCEPTED'")) {
                ps.setLong(1, dropId);
                try (ResultSet rs = ps.executeQuery()) {
                    rs.next();
                    accepted = rs.getInt(1);
                }
            }
            setStatus(c, dropId, "STAGED", null);
            return new Summary(accepted, duplicates, entries.size(), superseded, deliveries);
        });
    }

    /** The drop as a whole is unusable (e.g. a mapped column is missing from its header). */
    public void fail(DropClaim claim, String field, String reason) {
        store.tx(c -> {
            deleteRows(c, claim.dropId());
            setStatus(c, claim.dropId(), "FAILED", reason);
            ExceptionQueue.add(c, ExceptionEntry.rejected("drop", claim.source(), claim.dropId(), claim.fileName(), null, null, field, reason, null));
            return null;
        });
    }

    private static void setStatus(Connection c, long dropId, String status, String reason) throws SQLException {
        try (PreparedStatement ps = c.prepareStatement("update drop_file set status = ?, reason = ?, finished_at = ? where id = ?")) {
            ps.setString(1, status);
            ps.setString(2, Sql.truncate(reason, 4000));
            Sql.setTime(ps, 3, Instant.now());
            ps.setLong(4, dropId);
            ps.executeUpdate();
        }
    }

    /** A drop's row as staged, for replay. */
    public record Row(long dropId, int line, String status, String sourceRecord) {
    }
}
