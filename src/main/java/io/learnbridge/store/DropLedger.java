package io.learnbridge.store;

import io.learnbridge.gate.GatePolicy;
import io.learnbridge.gate.PlanCounts;
import io.learnbridge.worker.ChangeDetector;

import java.sql.Connection;
import java.sql.PreparedStatement;
import java.sql.ResultSet;
import java.sql.SQLException;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;

/**
 * The drops ledger. A drop is claimed by its content checksum (unique per source), its rows are
 * staged and planned in batches (one transaction each; unchanged workers are only counted), and
 * {@link #finish} resolves repeats, infers leavers, lets the safety gate decide on the whole plan,
 * then applies it in pages of lines, one transaction each, recording how far it got: a crash in the
 * middle resumes with the next page, so nothing is applied twice or lost. Only after {@code finish}
 * has returned may the file be moved: every row is then accounted for in the store.
 *
 * <p>A row applied with its page keeps the status PLANNED: the page's line at or below the drop's
 * {@code applied_line} is what says it was applied, so applying a page writes no row twice (the
 * status rewrite was a sixth of a 1M delta's apply on H2, the rows' pages written again at its
 * commit). Every reader of a row's status reads it through {@link #ROW_STATUS}; compaction
 * ({@link #prune}), which rewrites the rows anyway, stores APPLIED.
 */
public final class DropLedger {

    /**
     * A drop row's status as the ledger reports it, in SQL over {@code drop_row}'s own columns
     * ({@code status}, {@code line}): a PLANNED row at or below the drop's applied line was applied
     * (APPLIED). Binds one parameter, the drop's {@link #appliedLine}.
     */
    public static final String ROW_STATUS = rowStatus("", "?");

    /** {@link #ROW_STATUS} over the columns of {@code drop_row} with the given prefix (e.g. {@code "r."}) and applied line. */
    static String rowStatus(String prefix, String appliedLine) {
        return "case when %1$sstatus = 'PLANNED' and %1$sline <= %2$s then 'APPLIED' else %1$sstatus end".formatted(prefix, appliedLine);
    }

    /** The last line of a drop applied so far, for {@link #ROW_STATUS}; below any line when none is. */
    public static int appliedLine(Connection c, long dropId) throws SQLException {
        try (PreparedStatement ps = c.prepareStatement("select applied_line from drop_file where id = ?")) {
            ps.setLong(1, dropId);
            try (ResultSet rs = ps.executeQuery()) {
                Integer line = rs.next() ? Sql.getInt(rs, "applied_line") : null;
                return line == null ? Integer.MIN_VALUE : line;
            }
        }
    }

    private final Store store;
    private final String instanceId;
    private final Duration lease;
    private final java.util.function.Function<String, java.util.Set<String>> kindsOf;
    private final int applyPage;
    private final Duration maxHold;
    /** The workers seen so far in each drop this instance is staging (see {@link SeenWorkers}). */
    private final Map<Long, SeenWorkers> staging = new java.util.concurrent.ConcurrentHashMap<>();

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
        this(store, instanceId, lease, kindsOf, DropPlanner.PAGE);
    }

    /** @param applyPage stored rows of a drop (its changes) applied per transaction ({@code learnbridge.drops.applyPage}) */
    public DropLedger(Store store, String instanceId, Duration lease, java.util.function.Function<String, java.util.Set<String>> kindsOf,
                      int applyPage) {
        this(store, instanceId, lease, kindsOf, applyPage, MAX_HOLD);
    }

    /** Default of {@code learnbridge.changes.maxHold}. */
    public static final Duration MAX_HOLD = Duration.ofDays(90);

    /**
     * @param maxHold how far ahead of its drop a change may take effect and be held for its date
     *                ({@code learnbridge.changes.maxHold}); a change dated further ahead is rejected
     *                into the exception queue instead
     */
    public DropLedger(Store store, String instanceId, Duration lease, java.util.function.Function<String, java.util.Set<String>> kindsOf,
                      int applyPage, Duration maxHold) {
        this.store = store;
        this.instanceId = instanceId;
        this.lease = lease;
        this.kindsOf = kindsOf;
        this.applyPage = applyPage;
        this.maxHold = maxHold;
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
                    staging.put(keys.getLong(1), new SeenWorkers());
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
        if ((status.equals("STAGING") || status.equals("APPLYING")) && !claimedBy.equals(instanceId) && claimedAt.plus(lease).isAfter(now)
                && !Instances.abandoned(c, claimedBy, claimedAt)) {
            throw new DropBusyException("drop " + fileName + " (same content as drop " + id + ") is being " + status.toLowerCase(java.util.Locale.ROOT)
                    + " since " + claimedAt + "; will retry");
        }
        if (status.equals("APPLYING")) {
            // planned and through the gate before a crash or stop: apply the pages that are left
            try (PreparedStatement ps = c.prepareStatement("update drop_file set file_name = ?, claimed_by = ?, claimed_at = ? where id = ?")) {
                ps.setString(1, fileName);
                ps.setString(2, instanceId);
                Sql.setTime(ps, 3, now);
                ps.setLong(4, id);
                ps.executeUpdate();
            }
            return new DropClaim(id, source, fileName, checksum, now, null, true);
        }
        // A failed drop (e.g. a header problem since fixed in the mapping) or an abandoned claim
        // (staged rows only: nothing was applied yet): start again from nothing. The record of an
        // earlier file's failure stays, marked as read again: each file that failed keeps its trace.
        if (status.equals("FAILED")) {
            try (PreparedStatement ps = c.prepareStatement("""
                    update exception_record set status = 'REPLAYED', replayed_at = ?, replay_count = replay_count + 1
                    where drop_id = ? and stage = 'drop' and status = 'OPEN'""")) {
                Sql.setTime(ps, 1, now);
                ps.setLong(2, id);
                ps.executeUpdate();
            }
        }
        deleteRows(c, id);
        try (PreparedStatement ps = c.prepareStatement("""
                update drop_file set status = 'STAGING', file_name = ?, claimed_by = ?, claimed_at = ?, reason = null, finished_at = null,
                    unchanged_rows = 0, staged_at = null, planned_at = null, applied_line = null, apply_lease = null where id = ?""")) {
            ps.setString(1, fileName);
            ps.setString(2, instanceId);
            Sql.setTime(ps, 3, now);
            ps.setLong(4, id);
            ps.executeUpdate();
        }
        staging.put(id, new SeenWorkers());
        return new DropClaim(id, source, fileName, checksum, now, null);
    }

    /**
     * Locks the drop's row until the caller's transaction ends and checks that this instance still holds its claim with
     * the drop in {@code status}: an instance taken for departed ({@link Instances}) whose drop another instance
     * claimed again must not write into the rows that instance stages afresh. Throws {@link DropBusyException} (the
     * file is read again at a later poll, and found busy) when the claim was lost.
     */
    private void holdsClaim(Connection c, DropClaim claim, String status) throws SQLException {
        try (PreparedStatement ps = c.prepareStatement("select status, claimed_by from drop_file where id = ? for update")) {
            ps.setLong(1, claim.dropId());
            try (ResultSet rs = ps.executeQuery()) {
                String now = rs.next() ? rs.getString(1) : "gone";
                String holder = now.equals("gone") ? null : rs.getString(2);
                if (!status.equals(now) || !instanceId.equals(holder)) {
                    throw new DropBusyException("drop " + claim.dropId() + " (" + claim.fileName() + ") is now " + now + ", claimed by instance "
                            + holder + ", while this instance (" + instanceId + ") was " + status.toLowerCase(java.util.Locale.ROOT)
                            + " it (it was claimed again when this instance was taken for departed): this instance stops here");
                }
            }
        }
    }

    private static void deleteRows(Connection c, long dropId) throws SQLException {
        for (String sql : List.of(
                "delete from exception_record where drop_id = ? and kind = 'REJECTED' and stage <> 'drop'",
                "delete from held_change where drop_id = ?",
                "delete from drop_row_record where drop_id = ?",
                "delete from drop_row where drop_id = ?")) {
            try (PreparedStatement ps = c.prepareStatement(sql)) {
                ps.setLong(1, dropId);
                ps.executeUpdate();
            }
        }
    }

    /**
     * Rows a drop must have written while staged before its tables are analysed on PostgreSQL: a
     * 100k delta of 3,159 changes applied in 1.1-1.4 s without, 0.2-0.3 s with; a 1-row drop spent
     * 0.4 s of its 0.8 s in ANALYZE.
     */
    static final int ANALYZE_AFTER_ROWS = 1_000;

    /** {@link #stage(DropClaim, List, ChangeDetector)} with the default detector (a leave of absence stays active). */
    public void stage(DropClaim claim, List<StagedRow> rows) {
        stage(claim, rows, Policy.DELTA.detector());
    }

    /**
     * Stages and plans one batch of rows in one transaction: each accepted row is compared with
     * its worker's stored state; an unchanged one is only counted, the others are written with
     * their change. Rejected rows are written and enter the exception queue in the same
     * transaction. A worker's second row in the drop is written whatever it holds (and its first
     * row too, if that was only counted), so that {@link #finish} resolves repeats exactly.
     */
    public void stage(DropClaim claim, List<StagedRow> rows, ChangeDetector detector) {
        stage(claim, rows, new Policy(false, GatePolicy.DEFAULT, detector));
    }

    /**
     * As above, by the source's policy: once a full snapshot has staged {@link #SNAPSHOT_SCAN_AFTER}
     * rows, the source's stored states are read in one pass ({@link StoredStates}, when they fit in
     * an eighth of the heap) and a row they show unchanged is counted without looking its worker up.
     */
    public void stage(DropClaim claim, List<StagedRow> rows, Policy policy) {
        ChangeDetector detector = policy.detector();
        SeenWorkers seen = staging.computeIfAbsent(claim.dropId(), id -> new SeenWorkers());
        if (policy.fullSnapshot() && !seen.storedStatesRead() && seen.size() >= SNAPSHOT_SCAN_AFTER) {
            // at most an eighth of the heap: a million workers take 48 MB, and at -Xmx256m the 1M delta holding
            // them took 56 s instead of 27 (3 full collections instead of none); beyond it every row is looked up
            seen.storedStates(store.tx(c -> StoredStates.of(c, claim.source(), store.postgres(), Runtime.getRuntime().maxMemory() / 8)));
        }
        StoredStates snapshot = seen.storedStates();
        Instant now = Instant.now().truncatedTo(java.time.temporal.ChronoUnit.MICROS);
        store.tx(c -> {
            holdsClaim(c, claim, "STAGING");
            // staging is not resumable (a drop claimed again is staged afresh, its partial rows deleted),
            // so a batch need not wait for its WAL flush: the synchronous commit that plans the drop
            // flushes every batch before it. Saves a flush per batch, about a fifth of a 100k delta's staging.
            Sql.commitWithoutFlushWait(c, store.postgres());
            List<StagedRow> accepted = new ArrayList<>(rows.size());
            List<DropPlanner.Planned> keep = new ArrayList<>(rows.size());
            List<ExceptionEntry> rejections = new ArrayList<>();
            for (StagedRow row : rows) {
                if (row.accepted()) {
                    accepted.add(row);
                } else {
                    keep.add(new DropPlanner.Planned(row, "REJECTED", null, row.effectiveAt(), null));
                    rejections.add(ExceptionEntry.rejected("map", claim.source(), claim.dropId(), claim.fileName(), row.line(),
                            row.namedWorkerId(), row.field(), row.reason(), row.sourceRecord()));
                    seen.rejected(row.namedWorkerId());
                }
            }
            int unchanged = 0;
            Instant holdLimit = now.plus(maxHold);
            for (DropPlanner.Planned planned : DropPlanner.planBatch(c, accepted, detector, now, snapshot)) {
                StagedRow row = planned.row();
                if ("PLANNED".equals(planned.status()) && planned.effectiveAt().isAfter(holdLimit)) {
                    // a date far ahead is nearly always misread (a two-digit year in the wrong century):
                    // refused where an operator sees it, instead of held in silence until then
                    keep.add(new DropPlanner.Planned(row, "REJECTED", null, row.effectiveAt(), null));
                    rejections.add(ExceptionEntry.rejected("plan", claim.source(), claim.dropId(), claim.fileName(), row.line(),
                            row.workerId(), io.learnbridge.worker.ChangeTiming.datedBy(planned.change()), io.learnbridge.worker.ChangeTiming.tooFarAhead(planned.change(), planned.effectiveAt(), maxHold, holdLimit), row.sourceRecord()));
                    seen.rejected(row.workerId());
                    continue;
                }
                boolean counted = planned.unchangedByHash();
                SeenWorkers.First first = seen.add(row.workerId(), row.line(), SeenWorkers.contentKey(row.contentHash()), !counted);
                if (first != null) {
                    // a repeat: every row of the worker is written, to be resolved when the drop is staged
                    if (!first.stored()) {
                        DropPlanner.insertFirstOfRepeat(c, claim.dropId(), first.line(), row.workerId(), first.contentKey());
                        seen.markStored(row.workerId());
                        unchanged--;
                    }
                    keep.add(planned);
                } else if (counted) {
                    unchanged++;
                } else {
                    keep.add(planned);
                }
            }
            DropPlanner.insert(c, claim.dropId(), keep);
            seen.wrote(keep.size());
            ExceptionQueue.addAll(c, rejections);
            if (unchanged != 0) {
                try (PreparedStatement ps = c.prepareStatement("update drop_file set unchanged_rows = unchanged_rows + ? where id = ?")) {
                    ps.setInt(1, unchanged);
                    ps.setLong(2, claim.dropId());
                    ps.executeUpdate();
                }
            }
            return null;
        });
    }

    /** Rows a full snapshot stages before its source's stored states are read at once (a small file looks its few workers up). */
    static final int SNAPSHOT_SCAN_AFTER = 5_000;

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
     * Settles a fully staged drop. One transaction plans it as a whole: rows for one worker that
     * disagree are all rejected as conflicts, identical repeats are counted as unchanged, a full
     * snapshot's absent workers become leavers, then the safety gate decides: over any limit the
     * whole drop is QUARANTINED and nothing is applied until an operator approves it
     * ({@link #approve}); within its limits the plan is applied page by page ({@link #applyPages}).
     * A drop claimed while APPLYING (after a crash) only has its remaining pages applied.
     */
    public Summary finish(DropClaim claim, List<String> targets, Policy policy) {
        long dropId = claim.dropId();
        if (!claim.applying()) {
            SeenWorkers seen = staging.get(dropId);
            if (seen == null) {
                throw new IllegalStateException("drop " + dropId + " (" + claim.fileName() + ") was not staged by this instance since it was claimed");
            }
            Summary planned = store.tx(c -> plan(c, claim, policy, seen));
            staging.remove(dropId);
            if (planned.quarantined()) {
                return planned;
            }
        }
        int deliveries = applyPages(dropId, claim.source(), targets);
        return store.tx(c -> summary(c, dropId, deliveries, List.of(), DropPlanner.counts(c, dropId, claim.source())));
    }

    private Summary plan(Connection c, DropClaim claim, Policy policy, SeenWorkers seen) throws SQLException {
        long dropId = claim.dropId();
        Instant now = Instant.now().truncatedTo(java.time.temporal.ChronoUnit.MICROS);
        holdsClaim(c, claim, "STAGING");
        try (PreparedStatement ps = c.prepareStatement("update drop_file set staged_at = ? where id = ?")) {
            Sql.setTime(ps, 1, now);
            ps.setLong(2, dropId);
            ps.executeUpdate();
        }
        if (store.postgres() && seen.written() >= ANALYZE_AFTER_ROWS) {
            // the rows were just written: without fresh statistics PostgreSQL plans the queries below
            // for an empty table (a nested loop that ran for minutes on 100k rows). A drop of a few
            // rows is planned well enough without, and ANALYZE samples whole tables (0.2-0.4 s at
            // 100k workers, most of a 1-row drop's cost).
            try (var st = c.createStatement()) {
                st.execute("analyze drop_row");
                st.execute("analyze drop_row_record");
            }
        }
        DropPlanner.Repeats repeats = DropPlanner.resolveRepeats(c, claim, seen.repeated());
        ExceptionQueue.addAll(c, repeats.exceptions());
        if (policy.fullSnapshot() && DropPlanner.unidentifiedRows(c, dropId) == 0) {
            DropPlanner.planAbsent(c, store.postgres(), dropId, claim.source(), seen, policy.detector(), now);
        }
        DropPlanner.warnUnknownManagers(c, store.postgres(), dropId, seen);
        DropPlanner.recordKind(c, dropId, policy.fullSnapshot());
        PlanCounts plan = DropPlanner.counts(c, dropId, claim.source());
        List<String> reasons = policy.gate().reasons(plan);
        if (!reasons.isEmpty()) {
            setStatus(c, dropId, "QUARANTINED", null);
            setGateReasons(c, dropId, reasons);
        } else {
            try (PreparedStatement ps = c.prepareStatement("update drop_file set status = 'APPLYING', planned_at = ? where id = ?")) {
                Sql.setTime(ps, 1, Instant.now());
                ps.setLong(2, dropId);
                ps.executeUpdate();
            }
        }
        return summary(c, dropId, 0, List.copyOf(reasons), plan);
    }

    /** The summary of a drop from the store: the plan's counts, repeats, conflicts and superseded rows. */
    private static Summary summary(Connection c, long dropId, int deliveries, List<String> reasons, PlanCounts plan) throws SQLException {
        Map<String, Integer> byStatus = new java.util.HashMap<>(); // rows of the file (leavers by absence have negative lines)
        int superseded = 0;
        int warnings = 0;
        // one pass over the drop's rows (no index serves the status)
        try (PreparedStatement ps = c.prepareStatement("""
                select row_status, in_file, count(*), count(warning) from (
                    select %s as row_status, case when line > 0 then 1 else 0 end as in_file, warning from drop_row where drop_id = ?) r
                group by row_status, in_file""".formatted(ROW_STATUS))) {
            ps.setInt(1, appliedLine(c, dropId));
            ps.setLong(2, dropId);
            try (ResultSet rs = ps.executeQuery()) {
                while (rs.next()) {
                    if (rs.getInt(2) == 1) {
                        byStatus.merge(rs.getString(1), rs.getInt(3), Integer::sum);
                    }
                    if ("SUPERSEDED".equals(rs.getString(1))) {
                        superseded += rs.getInt(3);
                    }
                    warnings += rs.getInt(4);
                }
            }
        }
        int unchanged = unchangedRows(c, dropId);
        int accepted = unchanged + byStatus.entrySet().stream()
                .filter(e -> !List.of("REJECTED", "CONFLICT", "DUPLICATE").contains(e.getKey())).mapToInt(Map.Entry::getValue).sum();
        return new Summary(accepted, byStatus.getOrDefault("DUPLICATE", 0), byStatus.getOrDefault("CONFLICT", 0),
                superseded, deliveries, plan, reasons, warnings);
    }

    private static int unchangedRows(Connection c, long dropId) throws SQLException {
        return count(c, "select unchanged_rows from drop_file where id = ?", dropId);
    }

    /**
     * Applies an APPLYING drop's plan page by page (lines in order, leavers by absence first), one
     * transaction per page that also records the last line applied, then marks the drop STAGED.
     * Safe to call again after a crash, from any instance: each page is applied once. Returns the
     * deliveries queued by this call.
     */
    int applyPages(long dropId, String source, List<String> targets) {
        int[] range = store.tx(c -> DropPlanner.lineRange(c, dropId));
        boolean byLines = store.tx(c -> DropPlanner.dense(c, dropId, range));
        int deliveries = 0;
        int rows = 0;
        // a page is the next applyPage stored rows, not lines: a delta stores only its changes, so the
        // 3,000 of a 100,000-line file are one page instead of twenty mostly empty ones; a drop with a
        // row for most lines (a first load) is paged by lines, which holds no more rows and reads none
        for (long after = (long) range[0] - 1; after < range[1]; ) {
            int fromLine = (int) (after + 1);
            int toLine = byLines ? (int) Math.min(range[1], (long) fromLine + applyPage - 1)
                    : store.tx(c -> DropPlanner.pageEnd(c, dropId, fromLine, applyPage, range[1]));
            after = toLine;
            DropPlanner.PageApplied page = store.tx(c -> {
                Integer applied;
                String status;
                try (PreparedStatement ps = c.prepareStatement("select status, applied_line from drop_file where id = ? for update")) {
                    ps.setLong(1, dropId);
                    try (ResultSet rs = ps.executeQuery()) {
                        rs.next();
                        status = rs.getString(1);
                        applied = Sql.getInt(rs, "applied_line");
                    }
                }
                if (!"APPLYING".equals(status) || (applied != null && applied >= toLine)) {
                    return DropPlanner.PageApplied.NOTHING; // applied already (by an earlier run, or by another instance meanwhile)
                }
                DropPlanner.PageApplied result = DropPlanner.applyPage(c, store.postgres(), dropId, source, targets, fromLine, toLine,
                        Instant.now().truncatedTo(java.time.temporal.ChronoUnit.MICROS), kindsOf);
                try (PreparedStatement ps = c.prepareStatement("update drop_file set applied_line = ?, apply_lease = ? where id = ?")) {
                    ps.setInt(1, toLine);
                    Sql.setTime(ps, 2, Instant.now().plus(lease));
                    ps.setLong(3, dropId);
                    ps.executeUpdate();
                }
                return result;
            });
            rows += page.rows();
            deliveries += page.deliveries();
        }
        int appliedRows = rows;
        store.tx(c -> {
            try (PreparedStatement ps = c.prepareStatement(
                    "update drop_file set status = 'STAGED', finished_at = ?, apply_lease = null where id = ? and status = 'APPLYING'")) {
                Sql.setTime(ps, 1, Instant.now());
                ps.setLong(2, dropId);
                ps.executeUpdate();
            }
            if (store.postgres() && appliedRows >= ANALYZE_AFTER_ROWS) {
                // the next drop looks its workers up by id: planned on statistics from before this drop's
                // joiners (an empty table after a first load), PostgreSQL scanned worker_state for every
                // batch (a 100k delta staged in 41 s instead of about 4)
                try (var st = c.createStatement()) {
                    st.execute("analyze worker_state");
                }
            }
            return null;
        });
        return deliveries;
    }

    /**
     * Compacts the oldest settled drop whose retention has passed to what the audit trail needs:
     * every row keeps its line, worker, status, change, reason and diff; its content and state
     * hashes, employment status and manager go (used only while the drop was planned and applied);
     * the source record goes (rejections and conflicts keep theirs in the exception queue), and so
     * does the canonical record of every change but a JOIN (whose record is its diff); each
     * delivered delivery moves from the outbox to {@code delivered_change}. A drop with deliveries
     * still to send, or changes still held, waits. Returns the drop compacted, or null when none was due.
     */
    public Long prune(Duration retention) {
        Long dropId = store.tx(c -> {
            try (PreparedStatement ps = c.prepareStatement("""
                    select f.id from drop_file f where f.status in ('STAGED', 'DISCARDED') and f.pruned_at is null and f.finished_at <= ?
                    and not exists (select 1 from delivery d where d.drop_id = f.id and d.status in ('PENDING', 'SENDING'))
                    and not exists (select 1 from delivery_range g where g.drop_id = f.id)
                    and not exists (select 1 from held_change h where h.drop_id = f.id)
                    order by f.id limit 1""")) {
                Sql.setTime(ps, 1, Instant.now().minus(retention));
                try (ResultSet rs = ps.executeQuery()) {
                    return rs.next() ? rs.getLong(1) : null;
                }
            }
        });
        if (dropId == null) {
            return null;
        }
        int[] range = store.tx(c -> DropPlanner.lineRange(c, dropId));
        for (int from = range[0]; from <= range[1]; from += applyPage) {
            int fromLine = from;
            int toLine = (int) Math.min(range[1], (long) from + applyPage - 1);
            store.tx(c -> {
                compactPage(c, dropId, fromLine, toLine);
                return null;
            });
        }
        store.tx(c -> {
            try (PreparedStatement ps = c.prepareStatement("update drop_file set pruned_at = ? where id = ?")) {
                Sql.setTime(ps, 1, Instant.now());
                ps.setLong(2, dropId);
                return ps.executeUpdate();
            }
        });
        return dropId;
    }

    /** Statuses of a settled row, whose record only the audit trail still reads. */
    private static final String SETTLED = "('APPLIED', 'SUPERSEDED', 'UNCHANGED', 'DUPLICATE', 'DISCARDED')";

    /**
     * One page of {@link #prune}, in the caller's transaction: deliveries, then records, then what
     * planning alone used. The drop's ledger row is locked first: two pruners of one drop (the route
     * of each of several instances, or an operator's run beside it) take each page in turn, and the
     * second finds it done instead of moving its deliveries twice.
     */
    private static void compactPage(Connection c, long dropId, int fromLine, int toLine) throws SQLException {
        try (PreparedStatement ps = c.prepareStatement("select id from drop_file where id = ? for update")) {
            ps.setLong(1, dropId);
            ps.executeQuery().close();
        }
        // the rows applied with their pages were left PLANNED (see ROW_STATUS): they are rewritten below
        // anyway, so their status is stored here
        try (PreparedStatement ps = c.prepareStatement("""
                update drop_row set status = 'APPLIED' where drop_id = ? and line between ? and ? and status = 'PLANNED' and line <= ?""")) {
            setPage(ps, dropId, fromLine, toLine);
            ps.setInt(4, appliedLine(c, dropId));
            ps.executeUpdate();
        }
        // a delivered delivery leaves the outbox for its narrow record (V15); a failed one stays
        // where the exception queue finds and replays it
        try (PreparedStatement ps = c.prepareStatement("""
                insert into delivered_change (drop_id, line, target, attempts, http_status, queued_at, delivered_at, delivered_by)
                select drop_id, line, target, attempts, http_status, created_at, updated_at, claimed_by from delivery
                where drop_id = ? and line between ? and ? and status = 'DELIVERED'""")) {
            setPage(ps, dropId, fromLine, toLine);
            ps.executeUpdate();
        }
        try (PreparedStatement ps = c.prepareStatement(
                "delete from delivery where drop_id = ? and line between ? and ? and status = 'DELIVERED'")) {
            setPage(ps, dropId, fromLine, toLine);
            ps.executeUpdate();
        }
        // a settled row with nothing left in the outbox keeps its diff, or a joiner its record (its diff is
        // derived from it), packed on the row itself (V16); its source record goes (a rejection or conflict
        // keeps its own, in the exception queue), and the hashes, status and manager that served only the
        // drop's planning and applying go with it
        List<Object[]> packed = new ArrayList<>();
        try (PreparedStatement ps = c.prepareStatement("""
                select r.line, r.change_kind, d.canonical, d.diff from drop_row r join drop_row_record d on d.drop_id = r.drop_id and d.line = r.line
                where r.drop_id = ? and r.line between ? and ? and r.packed is null and r.status in """ + SETTLED + """

                and not exists (select 1 from delivery x where x.drop_id = r.drop_id and x.line = r.line)""")) {
            setPage(ps, dropId, fromLine, toLine);
            try (ResultSet rs = ps.executeQuery()) {
                while (rs.next()) {
                    boolean join = "JOIN".equals(rs.getString(2));
                    String canonical = rs.getString(3);
                    String diff = rs.getString(4);
                    if (!join) {
                        packed.add(new Object[] {rs.getInt(1), diff == null ? null : PackedRecord.diff(diff)});
                    } else if (canonical != null && diff == null) {
                        packed.add(new Object[] {rs.getInt(1), PackedRecord.canonical(canonical)});
                    }
                    // a joiner with a diff too, or without its record, keeps what it has whole
                }
            }
        }
        if (!packed.isEmpty()) {
            try (PreparedStatement pack = c.prepareStatement("""
                    update drop_row set packed = ?, content_hash = null, state_hash = null, employment_status = null, manager_id = null
                    where drop_id = ? and line = ?""");
                 PreparedStatement drop = c.prepareStatement("delete from drop_row_record where drop_id = ? and line = ?")) {
                for (Object[] row : packed) {
                    pack.setBytes(1, (byte[]) row[1]);
                    pack.setLong(2, dropId);
                    pack.setInt(3, (Integer) row[0]);
                    pack.addBatch();
                    drop.setLong(1, dropId);
                    drop.setInt(2, (Integer) row[0]);
                    drop.addBatch();
                }
                pack.executeBatch();
                drop.executeBatch();
            }
        }
        // the rows kept whole (a delivery still failed) lose only their source record
        try (PreparedStatement ps = c.prepareStatement("""
                update drop_row_record set source_record = null where drop_id = ? and line between ? and ? and source_record is not null
                and exists (select 1 from drop_row r where r.drop_id = drop_row_record.drop_id and r.line = drop_row_record.line
                    and r.status in """ + SETTLED + ")")) {
            setPage(ps, dropId, fromLine, toLine);
            ps.executeUpdate();
        }
        try (PreparedStatement ps = c.prepareStatement("""
                update drop_row set content_hash = null, state_hash = null, employment_status = null, manager_id = null
                where drop_id = ? and line between ? and ?
                and (content_hash is not null or state_hash is not null or employment_status is not null or manager_id is not null)
                and status in """ + SETTLED)) {
            setPage(ps, dropId, fromLine, toLine);
            ps.executeUpdate();
        }
    }

    private static void setPage(PreparedStatement ps, long dropId, int fromLine, int toLine) throws SQLException {
        ps.setLong(1, dropId);
        ps.setInt(2, fromLine);
        ps.setInt(3, toLine);
    }

    /**
     * Finishes applying drops whose applier stopped half-way and that no file route will claim
     * again (an approval whose command was killed; an instance that died after moving nothing):
     * APPLYING drops whose apply lease ran out. Returns how many were finished.
     */
    public int resumeAbandoned(java.util.function.Function<String, List<String>> targetsOf) {
        List<Object[]> abandoned = store.tx(c -> {
            List<Object[]> out = new ArrayList<>();
            try (PreparedStatement ps = c.prepareStatement(
                    "select id, source from drop_file where status = 'APPLYING' and ((apply_lease is not null and apply_lease < ?) or "
                            + Instances.abandonedClaim("drop_file.claimed_by", "drop_file.claimed_at") + ")")) {
                Sql.setTime(ps, 1, Instant.now());
                try (ResultSet rs = ps.executeQuery()) {
                    while (rs.next()) {
                        out.add(new Object[] {rs.getLong(1), rs.getString(2)});
                    }
                }
            }
            // taken by this instance, so that the next run does not find the same drops abandoned while it applies them
            for (Object[] drop : out) {
                try (PreparedStatement ps = c.prepareStatement("update drop_file set claimed_by = ?, claimed_at = ?, apply_lease = ? where id = ?")) {
                    ps.setString(1, instanceId);
                    Sql.setTime(ps, 2, Instant.now());
                    Sql.setTime(ps, 3, Instant.now().plus(lease));
                    ps.setLong(4, (Long) drop[0]);
                    ps.executeUpdate();
                }
            }
            return out;
        });
        for (Object[] drop : abandoned) {
            applyPages((Long) drop[0], (String) drop[1], targetsOf.apply((String) drop[1]));
        }
        return abandoned.size();
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
        String[] approvedSource = new String[1];
        Decision decision = store.tx(c -> {
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
            if (approve) {
                try (PreparedStatement ps = c.prepareStatement("update drop_file set status = 'APPLYING', planned_at = ?, apply_lease = ? where id = ?")) {
                    Sql.setTime(ps, 1, Instant.now());
                    Sql.setTime(ps, 2, Instant.now().plus(lease));
                    ps.setLong(3, dropId);
                    ps.executeUpdate();
                }
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
            approvedSource[0] = approve ? source : null;
            return new Decision(true, "drop " + dropId + " rejected: its changes are discarded", 0);
        });
        if (approvedSource[0] == null) {
            return decision;
        }
        // the approval is committed (APPLYING): the plan is applied in pages, resumed if this stops half-way
        int deliveries = applyPages(dropId, approvedSource[0], targets);
        return new Decision(true, "drop " + dropId + " approved: " + deliveries + " deliveries queued", deliveries);
    }

    /** The changes of one source held for their date: how many, and when the first is released. */
    public record HeldChanges(String source, int count, Instant firstRelease) {
    }

    /** What every source has held for its date now. */
    public List<HeldChanges> held() {
        return store.tx(c -> {
            List<HeldChanges> held = new ArrayList<>();
            try (PreparedStatement ps = c.prepareStatement("""
                    select f.source, count(*), min(h.effective_at) from held_change h join drop_file f on f.id = h.drop_id
                    group by f.source order by f.source""");
                 ResultSet rs = ps.executeQuery()) {
                while (rs.next()) {
                    held.add(new HeldChanges(rs.getString(1), rs.getInt(2), rs.getObject(3, java.time.OffsetDateTime.class).toInstant()));
                }
            }
            return held;
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
                    select r.drop_id, r.line, f.source, r.worker_id, r.effective_at, d.canonical, r.employment_status, r.change_kind
                    from held_change h join drop_row r on r.drop_id = h.drop_id and r.line = h.line join drop_file f on f.id = r.drop_id
                    join drop_row_record d on d.drop_id = r.drop_id and d.line = r.line
                    where h.effective_at <= ? order by h.effective_at, h.drop_id, h.line limit ?""")) {
                Sql.setTime(ps, 1, Instant.now());
                ps.setInt(2, max);
                try (ResultSet rs = ps.executeQuery()) {
                    while (rs.next()) {
                        due.add(new Held(rs.getLong(1), rs.getInt(2), rs.getString(3), rs.getString(4), Sql.time(rs, "effective_at"),
                                rs.getString(6), rs.getString(7), rs.getString(8)));
                    }
                }
            }
            int released = 0;
            for (Held held : due) {
                // taken by deleting it: another instance releasing the same change at once waits for this transaction,
                // then deletes nothing and leaves it alone, so each held change is applied and queued once
                try (PreparedStatement ps = c.prepareStatement("delete from held_change where drop_id = ? and line = ?")) {
                    ps.setLong(1, held.dropId());
                    ps.setInt(2, held.line());
                    if (ps.executeUpdate() == 0) {
                        continue;
                    }
                }
                released++;
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
            return released;
        });
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
        staging.remove(claim.dropId());
        store.tx(c -> {
            deleteRows(c, claim.dropId());
            setStatus(c, claim.dropId(), "FAILED", reason);
            ExceptionQueue.add(c, ExceptionEntry.rejected("drop", claim.source(), claim.dropId(), claim.fileName(), null, null, field, reason, null));
            return null;
        });
    }

    /** A drop file refused before it was claimed (a symbolic link): queued under its name, with no drop. */
    public void refuse(String source, String fileName, String field, String reason) {
        store.tx(c -> {
            ExceptionQueue.add(c, ExceptionEntry.rejected("drop", source, null, fileName, null, null, field, reason, null));
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
