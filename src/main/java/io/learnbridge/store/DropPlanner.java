package io.learnbridge.store;

import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.node.ArrayNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import io.learnbridge.gate.PlanCounts;
import io.learnbridge.worker.CanonicalField;
import io.learnbridge.worker.CanonicalRecord;
import io.learnbridge.worker.Change;
import io.learnbridge.worker.ChangeDetector;
import io.learnbridge.worker.ChangeKind;
import io.learnbridge.worker.ChangeTiming;
import java.sql.Connection;
import java.sql.PreparedStatement;
import java.sql.ResultSet;
import java.sql.SQLException;
import java.time.Instant;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Set;

/**
 * Plans a drop's changes inside the drops ledger's transactions, a batch at a time while it is
 * staged: each accepted row is compared with the worker's stored state. A row whose state hash
 * equals the stored one is unchanged and only counted (no JSON read, parsed or written); the
 * others go through {@link ChangeDetector} and are written with their change. When the whole drop
 * is staged, repeats of a worker are resolved, a full snapshot's absent workers become leavers, and
 * the counts for the gate are read from the store.
 */
final class DropPlanner {

    private static final ObjectMapper JSON = new ObjectMapper();

    private DropPlanner() {
    }

    /** A staged row with its planned status (and change, when it has one). */
    record Planned(StagedRow row, String status, Change change, Instant effectiveAt, String stateHash) {

        boolean unchangedByHash() {
            return change == null && "UNCHANGED".equals(status);
        }
    }

    /**
     * Plans one batch of accepted rows against the stored states: SUPERSEDED (older than the stored
     * state), UNCHANGED by hash (no change to write), or the detector's verdict (PLANNED, or
     * UNCHANGED for a NOOP such as a worker first seen terminated).
     */
    static List<Planned> planBatch(Connection c, List<StagedRow> accepted, ChangeDetector detector, Instant now) throws SQLException {
        return planBatch(c, accepted, detector, now, null);
    }

    /**
     * As above; a row that {@code snapshot} (read when a full snapshot started staging; null: none)
     * is sure is unchanged is planned UNCHANGED without reading its stored state.
     */
    static List<Planned> planBatch(Connection c, List<StagedRow> accepted, ChangeDetector detector, Instant now, StoredStates snapshot)
            throws SQLException {
        if (snapshot != null) {
            // in the batch's order (the first of a worker's rows stays first)
            List<Planned> planned = new ArrayList<>(accepted.size());
            List<StagedRow> rest = new ArrayList<>(accepted.size());
            for (StagedRow row : accepted) {
                Instant effectiveAt = row.effectiveAt() == null ? now : row.effectiveAt();
                String stateHash = row.stateHashOrDerived();
                boolean unchanged = snapshot.unchanged(row.workerId(), stateHash, effectiveAt);
                planned.add(unchanged ? new Planned(row, "UNCHANGED", null, effectiveAt, stateHash) : null);
                if (!unchanged) {
                    rest.add(row);
                }
            }
            java.util.Iterator<Planned> fromStore = planBatch(c, rest, detector, now, null).iterator();
            planned.replaceAll(p -> p != null ? p : fromStore.next());
            return planned;
        }
        Set<String> ids = new java.util.LinkedHashSet<>();
        for (StagedRow row : accepted) {
            ids.add(row.workerId());
        }
        Map<String, WorkerStates.Known> known = WorkerStates.known(c, ids);
        Set<String> unknown = new java.util.LinkedHashSet<>(ids);
        unknown.removeAll(known.keySet());
        Map<String, String> inactive = firstSeenInactive(c, unknown);
        List<Planned> planned = new ArrayList<>(accepted.size());
        List<Integer> toDetect = new ArrayList<>();
        Set<String> detectIds = new java.util.HashSet<>();
        for (StagedRow row : accepted) {
            String stateHash = row.stateHashOrDerived();
            Instant effectiveAt = row.effectiveAt() == null ? now : row.effectiveAt();
            WorkerStates.Known stored = known.get(row.workerId());
            if (stored != null && stored.effectiveAt().isAfter(effectiveAt)) {
                planned.add(new Planned(row, "SUPERSEDED", null, effectiveAt, stateHash));
            } else if (stored != null ? stateHash.equals(stored.stateHash()) : stateHash != null && stateHash.equals(inactive.get(row.workerId()))) {
                // the stored state, or a worker first seen inactive in an earlier drop and listed the same again
                planned.add(new Planned(row, "UNCHANGED", null, effectiveAt, stateHash));
            } else {
                toDetect.add(planned.size());
                planned.add(null);
                if (stored != null) {
                    detectIds.add(row.workerId());
                }
            }
        }
        Map<String, String> before = detectIds.isEmpty() ? Map.of() : WorkerStates.canonicals(c, detectIds);
        for (int i : toDetect) {
            StagedRow row = accepted.get(i);
            String stored = before.get(row.workerId());
            CanonicalRecord after = row.record();
            Change change = detector.detect(stored == null ? null : CanonicalRecord.fromJson(stored), after);
            Instant effectiveAt = row.effectiveAt() == null ? now : row.effectiveAt();
            planned.set(i, new Planned(row, change.isNoop() ? "UNCHANGED" : "PLANNED", change, ChangeTiming.effectiveTime(change, effectiveAt, now),
                    row.stateHashOrDerived()));
        }
        return planned;
    }

    /** The state hash of each of {@code workerIds} first seen inactive in an applied drop (V11: never provisioned, no stored state). */
    private static Map<String, String> firstSeenInactive(Connection c, java.util.Collection<String> workerIds) throws SQLException {
        Map<String, String> hashes = new java.util.HashMap<>();
        Sql.selectByKeys(c, "worker_id, state_hash", "first_seen_inactive", "worker_id", workerIds,
                rs -> hashes.put(rs.getString(1), rs.getString(2)));
        return hashes;
    }

    /**
     * Remembers the workers of one page of a drop who were first seen inactive (a NOOP row with a
     * record and no stored state), with their state hash, so that the next drop listing them the
     * same counts them as unchanged instead of writing them again.
     */
    static void rememberFirstSeenInactive(Connection c, boolean postgres, long dropId, int fromLine, int toLine, Instant now)
            throws SQLException {
        String rows = """
                select r.worker_id, r.state_hash, r.drop_id from drop_row r
                where r.drop_id = ? and r.line between ? and ? and r.status = 'UNCHANGED' and r.change_kind = 'NOOP'
                and r.state_hash is not null
                and exists (select 1 from drop_row_record d where d.drop_id = r.drop_id and d.line = r.line and d.canonical is not null)
                and not exists (select 1 from worker_state w where w.worker_id = r.worker_id)""";
        String sql = postgres ? """
                insert into first_seen_inactive (worker_id, state_hash, drop_id, seen_at)
                select s.worker_id, s.state_hash, s.drop_id, ? from (%s) s
                on conflict (worker_id) do update set state_hash = excluded.state_hash, drop_id = excluded.drop_id, seen_at = excluded.seen_at"""
                .formatted(rows)
                : """
                merge into first_seen_inactive f using (%s) s on f.worker_id = s.worker_id
                when matched then update set state_hash = s.state_hash, drop_id = s.drop_id, seen_at = ?
                when not matched then insert (worker_id, state_hash, drop_id, seen_at) values (s.worker_id, s.state_hash, s.drop_id, ?)"""
                .formatted(rows);
        try (PreparedStatement ps = c.prepareStatement(sql)) {
            int i = 1;
            if (postgres) {
                Sql.setTime(ps, i++, now);
            }
            ps.setLong(i++, dropId);
            ps.setInt(i++, fromLine);
            ps.setInt(i++, toLine);
            if (!postgres) {
                Sql.setTime(ps, i++, now);
                Sql.setTime(ps, i, now);
            }
            ps.executeUpdate();
        }
    }

    /** Inserts planned rows (the caller leaves out those unchanged by hash, which are only counted). */
    static void insert(Connection c, long dropId, List<Planned> rows) throws SQLException {
        try (PreparedStatement ps = c.prepareStatement("""
                insert into drop_row (drop_id, line, worker_id, status, content_hash, state_hash, effective_at,
                    change_kind, change_reason, employment_status, manager_id)
                values (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)""");
             RecordWriter records = new RecordWriter(c, dropId)) {
            for (Planned p : rows) {
                StagedRow row = p.row();
                ps.setLong(1, dropId);
                ps.setInt(2, row.line());
                ps.setString(3, row.workerId());
                ps.setString(4, p.status());
                ps.setString(5, row.contentHash());
                ps.setString(6, p.stateHash());
                Sql.setTime(ps, 7, p.effectiveAt());
                Change change = p.change();
                ps.setString(8, change != null ? change.kind().name() : "UNCHANGED".equals(p.status()) ? ChangeKind.NOOP.name() : null);
                ps.setString(9, change != null ? Sql.truncate(change.reason(), 300)
                        : "SUPERSEDED".equals(p.status()) ? "older than the stored state" : "unchanged");
                CanonicalRecord after = change != null ? change.after() : row.record();
                String status = after != null ? after.get(CanonicalField.EMPLOYMENT_STATUS.fieldName()) : null;
                ps.setString(10, status == null ? "ACTIVE" : status);
                ps.setString(11, change == null ? null : after.get(CanonicalField.MANAGER_ID.fieldName()));
                ps.addBatch();
                // a new worker's diff is the whole record: derived from it when read (diffOf), not stored twice
                records.add(row.line(), row.sourceRecord(), row.canonical(), change == null || newWorker(change) ? null : diffJson(change.diff()));
            }
            ps.executeBatch();
        }
    }

    /**
     * Writes drop rows' JSON (V13: table drop_row_record, apart from the row's status) in one JDBC
     * batch when closed; a row with none is not written.
     */
    static final class RecordWriter implements AutoCloseable {

        private final PreparedStatement ps;
        private final long dropId;
        private int pending;

        RecordWriter(Connection c, long dropId) throws SQLException {
            this.ps = c.prepareStatement("insert into drop_row_record (drop_id, line, source_record, canonical, diff) values (?, ?, ?, ?, ?)");
            this.dropId = dropId;
        }

        void add(int line, String sourceRecord, String canonical, String diff) throws SQLException {
            if (sourceRecord == null && canonical == null && diff == null) {
                return;
            }
            ps.setLong(1, dropId);
            ps.setInt(2, line);
            ps.setString(3, sourceRecord);
            ps.setString(4, canonical);
            ps.setString(5, diff);
            ps.addBatch();
            pending++;
        }

        @Override
        public void close() throws SQLException {
            try {
                if (pending > 0) {
                    ps.executeBatch();
                }
            } finally {
                ps.close();
            }
        }
    }

    /** Sets the canonical record of a drop row (a replay): in its drop_row_record, made if it has none. */
    static void putCanonical(Connection c, long dropId, int line, String canonical) throws SQLException {
        try (PreparedStatement ps = c.prepareStatement("update drop_row_record set canonical = ? where drop_id = ? and line = ?")) {
            ps.setString(1, canonical);
            ps.setLong(2, dropId);
            ps.setInt(3, line);
            if (ps.executeUpdate() > 0) {
                return;
            }
        }
        try (RecordWriter records = new RecordWriter(c, dropId)) {
            records.add(line, null, canonical, null);
        }
    }

    /** A first row that was counted as unchanged, written now because its worker repeats in the drop. */
    static void insertFirstOfRepeat(Connection c, long dropId, int line, String workerId, long contentKey) throws SQLException {
        try (PreparedStatement ps = c.prepareStatement("""
                insert into drop_row (drop_id, line, worker_id, status, content_hash, change_kind, change_reason, employment_status)
                values (?, ?, ?, 'UNCHANGED', ?, 'NOOP', 'unchanged', 'ACTIVE')""")) {
            ps.setLong(1, dropId);
            ps.setInt(2, line);
            ps.setString(3, workerId);
            ps.setString(4, contentKeyText(contentKey));
            ps.executeUpdate();
        }
    }

    private static final String CONTENT_KEY_PREFIX = "key:";

    private static String contentKeyText(long key) {
        return CONTENT_KEY_PREFIX + Long.toHexString(key);
    }

    /** The key of a stored row's content hash: parsed when the row was written from a key, derived otherwise. */
    private static long contentKeyOf(String stored) {
        return stored != null && stored.startsWith(CONTENT_KEY_PREFIX)
                ? Long.parseUnsignedLong(stored.substring(CONTENT_KEY_PREFIX.length()), 16) : SeenWorkers.contentKey(stored);
    }

    /** What resolving the repeats found. */
    record Repeats(int conflicts, int duplicates, List<ExceptionEntry> exceptions) {
    }

    /**
     * Resolves workers with more than one row in the drop (all their rows are in the store by now):
     * rows that disagree are all CONFLICT, each with an exception; identical repeats after the
     * first are DUPLICATE (the first row keeps its plan).
     */
    static Repeats resolveRepeats(Connection c, DropClaim claim, Set<String> workers) throws SQLException {
        int conflicts = 0;
        int duplicates = 0;
        List<ExceptionEntry> exceptions = new ArrayList<>();
        for (List<String> chunk : Sql.chunks(workers, Sql.IN_LIST)) {
            Map<String, List<Object[]>> byWorker = new LinkedHashMap<>();
            try (PreparedStatement ps = c.prepareStatement("select r.worker_id, r.line, r.content_hash, d.source_record from drop_row r "
                    + "left join drop_row_record d on d.drop_id = r.drop_id and d.line = r.line where r.drop_id = ? "
                    + "and r.worker_id in (" + Sql.marks(chunk.size()) + ") order by r.worker_id, r.line")) {
                ps.setLong(1, claim.dropId());
                for (int i = 0; i < chunk.size(); i++) {
                    ps.setString(i + 2, chunk.get(i));
                }
                try (ResultSet rs = ps.executeQuery()) {
                    while (rs.next()) {
                        byWorker.computeIfAbsent(rs.getString(1), k -> new ArrayList<>())
                                .add(new Object[] {rs.getInt(2), contentKeyOf(rs.getString(3)), rs.getString(4)});
                    }
                }
            }
            try (PreparedStatement mark = c.prepareStatement("update drop_row set status = ? where drop_id = ? and line = ?")) {
                for (Map.Entry<String, List<Object[]>> e : byWorker.entrySet()) {
                    List<Object[]> rows = e.getValue();
                    boolean differ = rows.stream().map(r -> r[1]).distinct().count() > 1;
                    List<Integer> lines = rows.stream().map(r -> (Integer) r[0]).toList();
                    for (int i = differ ? 0 : 1; i < rows.size(); i++) {
                        int line = (Integer) rows.get(i)[0];
                        mark.setString(1, differ ? "CONFLICT" : "DUPLICATE");
                        mark.setLong(2, claim.dropId());
                        mark.setInt(3, line);
                        mark.addBatch();
                        if (differ) {
                            conflicts++;
                            String sourceRecord = (String) rows.get(i)[2];
                            exceptions.add(ExceptionEntry.rejected("dedupe", claim.source(), claim.dropId(), claim.fileName(), line, e.getKey(),
                                    "workerId", "worker " + e.getKey() + " appears on lines " + lines + " of this drop with different values; "
                                            + "none of them was delivered (replay the line that is right"
                                            + (sourceRecord == null ? "; this line matched the stored state" : "") + ")", sourceRecord));
                        } else {
                            duplicates++;
                        }
                    }
                }
                mark.executeBatch();
            }
        }
        return new Repeats(conflicts, duplicates, exceptions);
    }

    /**
     * A full snapshot: every active worker the source owns who is absent from the file leaves
     * (at the drop's planning time, {@code now}). Streams the source's population and checks it
     * against the workers seen in the drop; returns the number of leavers planned.
     */
    static int planAbsent(Connection c, boolean postgres, long dropId, String source, SeenWorkers seen, ChangeDetector detector, Instant now)
            throws SQLException {
        List<String> absent = new ArrayList<>();
        int leavers = Sql.scan(c, postgres, "worker_id", "worker_state", WorkerStates.mostWorkers(c, WorkerStates.ownedBy(c, source)), "where home_source = ? and employment_status in (?, ?)", ps -> {
            int planned = 0;
            ps.setString(1, source);
            ps.setString(2, "ACTIVE");
            ps.setString(3, detector.leaveOfAbsenceDeactivates() ? "ACTIVE" : "LEAVE_OF_ABSENCE");
            try (ResultSet rs = ps.executeQuery()) {
                while (rs.next()) {
                    String id = rs.getString(1);
                    if (!seen.listed(id)) {
                        absent.add(id);
                        if (absent.size() == Sql.IN_LIST) {
                            planned = insertLeavers(c, dropId, absent, detector, now, planned);
                            absent.clear();
                        }
                    }
                }
            }
            return planned;
        });
        return insertLeavers(c, dropId, absent, detector, now, leavers);
    }

    /** Leavers by absence get negative lines (they are not in the file): -1, -2, ... */
    private static int insertLeavers(Connection c, long dropId, List<String> absent, ChangeDetector detector, Instant now, int before)
            throws SQLException {
        if (absent.isEmpty()) {
            return before;
        }
        Map<String, String> states = WorkerStates.canonicals(c, absent);
        int line = -before;
        try (PreparedStatement ps = c.prepareStatement("""
                insert into drop_row (drop_id, line, worker_id, status, content_hash, state_hash, effective_at,
                    change_kind, change_reason, employment_status)
                values (?, ?, ?, 'PLANNED', ?, ?, ?, 'LEAVE', ?, 'TERMINATED')""");
             RecordWriter records = new RecordWriter(c, dropId)) {
            for (String id : absent) {
                Change change = detector.absent(CanonicalRecord.fromJson(states.get(id)));
                CanonicalRecord after = change.after().with(CanonicalField.EFFECTIVE_AT.fieldName(), now.toString());
                String canonical = after.toJson();
                ps.setLong(1, dropId);
                ps.setInt(2, --line);
                ps.setString(3, id);
                ps.setString(4, io.learnbridge.drop.DropChecksum.sha256(canonical));
                ps.setString(5, after.stateHash());
                Sql.setTime(ps, 6, now);
                ps.setString(7, change.reason());
                ps.addBatch();
                records.add(line, "{\"absent\":\"worker " + id.replace("\"", "") + " is not in this full snapshot\"}", canonical,
                        diffJson(change.diff()));
            }
            ps.executeBatch();
        }
        return before + absent.size();
    }

    /**
     * Planned changes naming a manager who is neither a known worker nor in the drop: reported, not
     * fatal. A manager the drop lists once, accepted, is known (stored, or in the drop as a change);
     * only the others are checked in the store, row by row. Checking every row there took 8 of a 1M
     * first load's 9 s of planning on H2.
     */
    static void warnUnknownManagers(Connection c, boolean postgres, long dropId, SeenWorkers seen) throws SQLException {
        List<Integer> lines = new ArrayList<>();
        Sql.scan(c, postgres, "line, manager_id", "drop_row", false, "where drop_id = ? and status = 'PLANNED' and manager_id is not null", ps -> {
            ps.setLong(1, dropId);
            try (ResultSet rs = ps.executeQuery()) {
                while (rs.next()) {
                    String manager = rs.getString(2);
                    // listed more than once, the manager's rows may all be conflicts (then unknown)
                    if (!seen.contains(manager) || seen.repeated().contains(manager)) {
                        lines.add(rs.getInt(1));
                    }
                }
            }
            return null;
        });
        if (lines.isEmpty()) {
            return;
        }
        try (PreparedStatement ps = c.prepareStatement("""
                update drop_row set warning = 'manager ' || manager_id || ' is not a known worker'
                where drop_id = ? and line = ?
                and not exists (select 1 from worker_state w where w.worker_id = drop_row.manager_id)
                and not exists (select 1 from drop_row m where m.drop_id = drop_row.drop_id and m.worker_id = drop_row.manager_id
                    and m.status not in ('REJECTED', 'CONFLICT'))""")) {
            // a manager in the drop whose row is unchanged is a known worker already (first check)
            for (int line : lines) {
                ps.setLong(1, dropId);
                ps.setInt(2, line);
                ps.addBatch();
            }
            ps.executeBatch();
        }
    }

    /** Records whether the drop is a full snapshot and how many data rows it has (for the next snapshot's shrink check). */
    static void recordKind(Connection c, long dropId, boolean fullSnapshot) throws SQLException {
        try (PreparedStatement ps = c.prepareStatement("""
                update drop_file set full_snapshot = ?, data_rows = unchanged_rows + (select count(*) from drop_row where drop_id = ? and line > 0)
                where id = ?""")) {
            ps.setBoolean(1, fullSnapshot);
            ps.setLong(2, dropId);
            ps.setLong(3, dropId);
            ps.executeUpdate();
        }
    }

    /**
     * The counts the gate decides on, read from the store (after {@link #recordKind}): changes by
     * kind of every row that is not rejected, a conflict or a repeat, plus the rows only counted
     * as unchanged.
     */
    static PlanCounts counts(Connection c, long dropId, String source) throws SQLException {
        boolean fullSnapshot;
        int rows;
        int unchangedRows;
        try (PreparedStatement ps = c.prepareStatement("select full_snapshot, data_rows, unchanged_rows from drop_file where id = ?")) {
            ps.setLong(1, dropId);
            try (ResultSet rs = ps.executeQuery()) {
                rs.next();
                fullSnapshot = rs.getBoolean(1);
                rows = rs.getInt(2);
                unchangedRows = rs.getInt(3);
            }
        }
        int[] counts = new int[ChangeKind.values().length];
        try (PreparedStatement ps = c.prepareStatement("""
                select change_kind, count(*) from drop_row where drop_id = ? and change_kind is not null
                and status not in ('REJECTED', 'CONFLICT', 'DUPLICATE') group by change_kind""")) {
            ps.setLong(1, dropId);
            try (ResultSet rs = ps.executeQuery()) {
                while (rs.next()) {
                    counts[ChangeKind.valueOf(rs.getString(1)).ordinal()] += rs.getInt(2);
                }
            }
        }
        counts[ChangeKind.NOOP.ordinal()] += unchangedRows;
        Integer previous = fullSnapshot ? previousRows(c, source, dropId) : null;
        return new PlanCounts(fullSnapshot, population(c, source), rows, previous, counts[ChangeKind.JOIN.ordinal()],
                counts[ChangeKind.MOVE.ordinal()], counts[ChangeKind.UPDATE.ordinal()], counts[ChangeKind.LEAVE.ordinal()],
                counts[ChangeKind.NOOP.ordinal()]);
    }

    /** Lines per page when a drop is applied (default of learnbridge.drops.applyPage): each page is one transaction. */
    static final int PAGE = 5_000;

    /**
     * Applies one page of a drop (lines {@code fromLine..toLine}) in the caller's transaction:
     * PLANNED changes dated in the future are held (PENDING, in held_change), those now older than
     * the stored state are SUPERSEDED, the rest become the workers' state and are queued for every
     * target. Returns the number of deliveries queued.
     */
    /** What applying one page did: the rows that became workers' state, and the deliveries queued for them. */
    record PageApplied(int rows, int deliveries) {

        static final PageApplied NOTHING = new PageApplied(0, 0);
    }

    static PageApplied applyPage(Connection c, boolean postgres, long dropId, String source, List<String> targets, int fromLine, int toLine,
                         Instant now, java.util.function.Function<String, java.util.Set<String>> kindsOf) throws SQLException {
        try (PreparedStatement ps = c.prepareStatement(
                "update drop_row set status = 'PENDING' where drop_id = ? and line between ? and ? and status = 'PLANNED' and effective_at > ?")) {
            ps.setLong(1, dropId);
            ps.setInt(2, fromLine);
            ps.setInt(3, toLine);
            Sql.setTime(ps, 4, now);
            if (ps.executeUpdate() > 0) {
                try (PreparedStatement held = c.prepareStatement("""
                        insert into held_change (drop_id, line, effective_at)
                        select drop_id, line, effective_at from drop_row where drop_id = ? and line between ? and ? and status = 'PENDING'""")) {
                    held.setLong(1, dropId);
                    held.setInt(2, fromLine);
                    held.setInt(3, toLine);
                    held.executeUpdate();
                }
            }
        }
        try (PreparedStatement ps = c.prepareStatement("""
                update drop_row set status = 'SUPERSEDED', change_reason = 'older than the stored state'
                where drop_id = ? and line between ? and ? and status = 'PLANNED' and exists (
                    select 1 from worker_state w where w.worker_id = drop_row.worker_id and w.effective_at > drop_row.effective_at)""")) {
            ps.setLong(1, dropId);
            ps.setInt(2, fromLine);
            ps.setInt(3, toLine);
            ps.executeUpdate();
        }
        rememberFirstSeenInactive(c, postgres, dropId, fromLine, toLine, now);
        WorkerStates.applyPage(c, postgres, dropId, fromLine, toLine, source, now);
        // the rows still PLANNED are the page's applied ones; they keep that status (the caller records
        // the page's last line as applied, which DropLedger.ROW_STATUS reads as APPLIED)
        int rows;
        try (PreparedStatement ps = c.prepareStatement(
                "select count(*) from drop_row where drop_id = ? and line between ? and ? and status = 'PLANNED'")) {
            ps.setLong(1, dropId);
            ps.setInt(2, fromLine);
            ps.setInt(3, toLine);
            try (ResultSet rs = ps.executeQuery()) {
                rs.next();
                rows = rs.getInt(1);
            }
            if (rows == 0) {
                return PageApplied.NOTHING;
            }
        }
        int deliveries = 0;
        for (String target : targets) {
            // one range of the page's lines per target, not a delivery per row (V18)
            deliveries += DeliveryQueue.enqueueRange(c, source, dropId, target, fromLine, toLine, kindsOf.apply(target), rows);
        }
        return new PageApplied(rows, deliveries);
    }

    /** The lowest and highest line of a drop's stored rows (leavers by absence have negative lines). */
    static int[] lineRange(Connection c, long dropId) throws SQLException {
        try (PreparedStatement ps = c.prepareStatement("select coalesce(min(line), 0), coalesce(max(line), 0) from drop_row where drop_id = ?")) {
            ps.setLong(1, dropId);
            try (ResultSet rs = ps.executeQuery()) {
                rs.next();
                return new int[] {rs.getInt(1), rs.getInt(2)};
            }
        }
    }

    /**
     * Whether a drop stores a row for at least half of its lines (a first load, a snapshot that
     * changed much): then a page of {@code pageRows} lines holds at most {@code pageRows} rows and is
     * cut without reading the rows ({@link #pageEnd} reads each stored row once over the drop: on H2
     * about 13 us a row beside a first load's deliveries, 19% of a 1M first load's apply). Known
     * once the drop is planned ({@link #recordKind}); the same on every run of the plan.
     */
    static boolean dense(Connection c, long dropId, int[] range) throws SQLException {
        try (PreparedStatement ps = c.prepareStatement("select data_rows, unchanged_rows from drop_file where id = ?")) {
            ps.setLong(1, dropId);
            try (ResultSet rs = ps.executeQuery()) {
                if (!rs.next() || Sql.getInt(rs, "data_rows") == null) {
                    return false;
                }
                // stored rows: the data rows not only counted as unchanged, and the leavers by absence (lines -1 .. range[0])
                long stored = (long) rs.getInt(1) - rs.getInt(2) + Math.max(0, -range[0]);
                long lines = (long) range[1] - range[0] + 1;
                return stored * 2 >= lines;
            }
        }
    }

    /**
     * Ordered as the primary key (drop_id, line) is, not "order by line": H2 (2.3) walks an index in
     * order only when the order names its leading columns, and otherwise read every row from
     * {@code fromLine} to the drop's end into a sorted result (spilled to a temporary file) before
     * skipping the offset. Each page then read the rest of the drop: 57% of a 1M first load's
     * apply, quadratic in the drop's size.
     */
    static final String PAGE_END = "select line from drop_row where drop_id = ? and line >= ? order by drop_id, line offset ? rows fetch next 1 rows only";

    /**
     * The last line of the page starting at {@code fromLine}: the line of the {@code pageRows}-th
     * stored row from there, or {@code lastLine} when fewer are left. Pages so cut are the same on
     * every run of a plan (its rows are all stored before it is applied).
     */
    static int pageEnd(Connection c, long dropId, int fromLine, int pageRows, int lastLine) throws SQLException {
        try (PreparedStatement ps = c.prepareStatement(PAGE_END)) {
            ps.setLong(1, dropId);
            ps.setInt(2, fromLine);
            ps.setInt(3, pageRows - 1);
            try (ResultSet rs = ps.executeQuery()) {
                return rs.next() ? Math.min(rs.getInt(1), lastLine) : lastLine;
            }
        }
    }

    /** Active workers whose existence the source owns (a leave of absence counts as active). */
    static int population(Connection c, String source) throws SQLException {
        try (PreparedStatement ps = c.prepareStatement(
                "select count(*) from worker_state where home_source = ? and employment_status in ('ACTIVE', 'LEAVE_OF_ABSENCE')")) {
            ps.setString(1, source);
            try (ResultSet rs = ps.executeQuery()) {
                rs.next();
                return rs.getInt(1);
            }
        }
    }

    static int unidentifiedRows(Connection c, long dropId) throws SQLException {
        try (PreparedStatement ps = c.prepareStatement("select count(*) from drop_row where drop_id = ? and line > 0 and worker_id is null")) {
            ps.setLong(1, dropId);
            try (ResultSet rs = ps.executeQuery()) {
                rs.next();
                return rs.getInt(1);
            }
        }
    }

    private static Integer previousRows(Connection c, String source, long dropId) throws SQLException {
        try (PreparedStatement ps = c.prepareStatement("""
                select data_rows from drop_file where source = ? and id <> ? and full_snapshot = true and status = 'STAGED'
                order by id desc limit 1""")) {
            ps.setString(1, source);
            ps.setLong(2, dropId);
            try (ResultSet rs = ps.executeQuery()) {
                return rs.next() ? Sql.getInt(rs, "data_rows") : null;
            }
        }
    }

    private static boolean newWorker(Change change) {
        return change.kind() == ChangeKind.JOIN && change.diff().values().stream().allMatch(d -> d.before() == null);
    }

    /** A change's field-by-field diff as stored, or, for a new worker (stored without one), every field of its record. */
    static String diffOf(String stored, String kind, String canonical) {
        if (stored != null || !ChangeKind.JOIN.name().equals(kind) || canonical == null) {
            return stored;
        }
        Map<String, Change.Diff> diff = new LinkedHashMap<>();
        CanonicalRecord.fromJson(canonical).values().forEach((field, value) -> {
            if (!field.equals(CanonicalField.EFFECTIVE_AT.fieldName())) {
                diff.put(field, new Change.Diff(null, value));
            }
        });
        return diffJson(diff);
    }

    static String diffJson(Map<String, Change.Diff> diff) {
        ObjectNode node = JSON.createObjectNode();
        diff.forEach((field, d) -> {
            ArrayNode pair = node.putArray(field);
            pair.add(d.before());
            pair.add(d.after());
        });
        return node.toString();
    }
}
