package io.learnbridge.store;

import io.learnbridge.gate.GatePolicy;
import io.learnbridge.gate.PlanCounts;
import io.learnbridge.gate.SafetyGate;
import io.learnbridge.worker.ChangeDetector;

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
    private final java.util.function.Function<String, java.util.Set<String>> kindsOf;

    /**
     * @param instanceId this instance's stable id: its own unfinished claims (e.g. after a crash)
     *                   are taken back at once
     * @param lease how long another instance's STAGING claim protects a drop
     */
    public DropLedger(Store store, String instanceId, Duration lease) {
        this(store, instanceId, lease, target -> null);
    }

    /** @param kindsOf the change kinds each target takes ({@code learnbridge.targets.<t>.changes}); null: all */
    public DropLedger(Store store, String instanceId, Duration lease, java.util.function.Function<String, java.util.Set<String>> kindsOf) {
        this.store = store;
        this.instanceId = instanceId;
        this.lease = lease;
        this.kindsOf = kindsOf;
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
        if (status.equals("STAGED") || status.equals("QUARANTINED") || status.equals("DISCARDED")) {
            // settled, waiting for an operator, or rejected by one: the same content is never planned again
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
    public record Summary(int accepted, int duplicates, int conflicts, int superseded, int deliveries,
                          PlanCounts plan, List<String> gateReasons, int warnings) {

        public boolean quarantined() {
            return !gateReasons.isEmpty();
        }
    }

    /** How a source's drops are planned and gated. */
    public record Policy(boolean fullSnapshot, GatePolicy gate, ChangeDetector detector) {

        /** A delta source with the default gate; a leave of absence stays active. */
        public static final Policy DELTA = new Policy(false, GatePolicy.DEFAULT, new ChangeDetector(false));
    }

    /** {@link #finish(DropClaim, List, Policy)} for a delta source with the default gate. */
    public Summary finish(DropClaim claim, List<String> targets) {
        return finish(claim, targets, Policy.DELTA);
    }

    /**
     * Settles a fully staged drop in one transaction: rows for one worker that disagree are all
     * rejected as conflicts, identical repeats are counted as unchanged, each remaining row is
     * compared with the worker's state (and, for a full snapshot, absent workers become leavers),
     * then the safety gate decides: within its limits the changes are applied and queued for every
     * target; over any limit the whole drop is QUARANTINED and nothing is applied until an
     * operator approves it ({@link #approve}).
     */
    public Summary finish(DropClaim claim, List<String> targets, Policy policy) {
        return store.tx(c -> {
            long dropId = claim.dropId();
            Instant now = Instant.now().truncatedTo(java.time.temporal.ChronoUnit.MICROS);
            int conflicts = markConflicts(c, claim);
            int duplicates;
            try (PreparedStatement ps = c.prepareStatement("""
                    update drop_row set status = 'DUPLICATE' where drop_id = ? and status = 'ACCEPTED' and exists (
                        select 1 from drop_row earlier where earlier.drop_id = drop_row.drop_id and earlier.worker_id = drop_row.worker_id
                        and earlier.status = 'ACCEPTED' and earlier.line < drop_row.line)""")) {
                ps.setLong(1, dropId);
                duplicates = ps.executeUpdate();
            }
            int accepted = count(c, "select count(*) from drop_row where drop_id = ? and status = 'ACCEPTED'", dropId);
            PlanCounts plan = DropPlanner.plan(c, dropId, claim.source(), policy.fullSnapshot(), policy.detector(), now);
            List<String> reasons = SafetyGate.reasons(plan, policy.gate());
            int warnings = count(c, "select count(*) from drop_row where drop_id = ? and warning is not null", dropId);
            if (!reasons.isEmpty()) {
                setStatus(c, dropId, "QUARANTINED", null);
                setGateReasons(c, dropId, reasons);
                return new Summary(accepted, duplicates, conflicts, countSuperseded(c, dropId), 0, plan, List.copyOf(reasons), warnings);
            }
            int deliveries = DropPlanner.apply(c, dropId, claim.source(), targets, now, kindsOf);
            setStatus(c, dropId, "STAGED", null);
            return new Summary(accepted, duplicates, conflicts, countSuperseded(c, dropId), deliveries, plan, List.of(), warnings);
        });
    }

    /** What an operator's decision on a quarantined drop did. */
    public record Decision(boolean done, String message, int deliveries) {
    }

    /**
     * Applies a quarantined drop's plan exactly as it was planned. The approval names the drop's
     * content checksum (so it approves what was reviewed) and works once: a second approval, or
     * one for a drop that is not quarantined, changes nothing.
     */
    public Decision approve(long dropId, String checksum, String operator, List<String> targets) {
        return decide(dropId, checksum, operator, true, targets);
    }

    /** Discards a quarantined drop: none of its changes is ever applied. Bound to the checksum, once. */
    public Decision reject(long dropId, String checksum, String operator) {
        return decide(dropId, checksum, operator, false, List.of());
    }

    private Decision decide(long dropId, String checksum, String operator, boolean approve, List<String> targets) {
        return store.tx(c -> {
            String source;
            String status;
            String stored;
            try (PreparedStatement ps = c.prepareStatement("select source, status, checksum from drop_file where id = ? for update")) {
                ps.setLong(1, dropId);
                try (ResultSet rs = ps.executeQuery()) {
                    if (!rs.next()) {
                        return new Decision(false, "no drop " + dropId, 0);
                    }
                    source = rs.getString(1);
                    status = rs.getString(2);
                    stored = rs.getString(3);
                }
            }
            if (!"QUARANTINED".equals(status)) {
                return new Decision(false, "drop " + dropId + " is " + status + ", not quarantined: nothing to " + (approve ? "approve" : "reject"), 0);
            }
            if (checksum == null || !stored.equalsIgnoreCase(checksum.strip())) {
                return new Decision(false, "checksum does not match drop " + dropId + " (sha256 " + stored + "): nothing done", 0);
            }
            int deliveries = 0;
            if (approve) {
                deliveries = DropPlanner.apply(c, dropId, source, targets, Instant.now(), kindsOf);
                setStatus(c, dropId, "STAGED", null);
            } else {
                try (PreparedStatement ps = c.prepareStatement("update drop_row set status = 'DISCARDED' where drop_id = ? and status = 'PLANNED'")) {
                    ps.setLong(1, dropId);
                    ps.executeUpdate();
                }
                setStatus(c, dropId, "DISCARDED", null);
            }
            try (PreparedStatement ps = c.prepareStatement("update drop_file set decided_by = ?, decided_at = ? where id = ?")) {
                ps.setString(1, Sql.truncate(operator, 200));
                Sql.setTime(ps, 2, Instant.now());
                ps.setLong(3, dropId);
                ps.executeUpdate();
            }
            return new Decision(true, approve ? "drop " + dropId + " approved: " + deliveries + " deliveries queued"
                    : "drop " + dropId + " rejected: its changes are discarded", deliveries);
        });
    }

    /**
     * Releases held changes whose effective time has come: each becomes the worker's state
     * (unless a newer change arrived meanwhile) and is queued for its source's targets.
     */
    public int releaseDue(java.util.function.Function<String, List<String>> targetsOf, int max) {
        return store.tx(c -> {
            record Held(long dropId, int line, String source, String workerId, Instant effectiveAt, String canonical, String status,
                        String kind) {
            }
            List<Held> due = new ArrayList<>();
            try (PreparedStatement ps = c.prepareStatement("""
                    select r.drop_id, r.line, f.source, r.worker_id, r.effective_at, r.canonical, r.employment_status, r.change_kind
                    from drop_row r join drop_file f on f.id = r.drop_id
                    where r.status = 'PENDING' and r.effective_at <= ? order by r.effective_at, r.drop_id, r.line limit ?""")) {
                Sql.setTime(ps, 1, Instant.now());
                ps.setInt(2, max);
                try (ResultSet rs = ps.executeQuery()) {
                    while (rs.next()) {
                        due.add(new Held(rs.getLong(1), rs.getInt(2), rs.getString(3), rs.getString(4), Sql.time(rs, "effective_at"),
                                rs.getString(6), rs.getString(7), rs.getString(8)));
                    }
                }
            }
            for (Held held : due) {
                WorkerStates.Outcome outcome = WorkerStates.apply(c, held.workerId(), held.effectiveAt(), held.canonical(), held.source(), held.status(),
                        held.kind());
                try (PreparedStatement ps = c.prepareStatement("update drop_row set status = ? where drop_id = ? and line = ?")) {
                    ps.setString(1, outcome == WorkerStates.Outcome.APPLIED ? "APPLIED" : "SUPERSEDED");
                    ps.setLong(2, held.dropId());
                    ps.setInt(3, held.line());
                    ps.executeUpdate();
                }
                if (outcome == WorkerStates.Outcome.APPLIED) {
                    for (String target : targetsOf.apply(held.source())) {
                        DeliveryQueue.enqueueApplied(c, held.source(), held.dropId(), target, held.line(), kindsOf.apply(target));
                    }
                }
            }
            return due.size();
        });
    }

    private int markConflicts(Connection c, DropClaim claim) throws SQLException {
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
        return entries.size();
    }

    private static int countSuperseded(Connection c, long dropId) throws SQLException {
        return count(c, "select count(*) from drop_row where drop_id = ? and status = 'SUPERSEDED'", dropId);
    }

    private static int count(Connection c, String sql, long dropId) throws SQLException {
        try (PreparedStatement ps = c.prepareStatement(sql)) {
            ps.setLong(1, dropId);
            try (ResultSet rs = ps.executeQuery()) {
                rs.next();
                return rs.getInt(1);
            }
        }
    }

    private static void setGateReasons(Connection c, long dropId, List<String> reasons) throws SQLException {
        try (PreparedStatement ps = c.prepareStatement("update drop_file set gate_reasons = ? where id = ?")) {
            ps.setString(1, Sql.truncate(String.join("; ", reasons), 4000));
            ps.setLong(2, dropId);
            ps.executeUpdate();
        }
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
