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
import java.sql.Connection;
import java.sql.PreparedStatement;
import java.sql.ResultSet;
import java.sql.SQLException;
import java.time.Instant;
import java.time.LocalDate;
import java.time.ZoneOffset;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;

/**
 * Plans and applies a drop's changes inside the drops ledger's transactions. Planning compares
 * each accepted row with the worker's stored state ({@link ChangeDetector}) page by page, so memory
 * stays flat in the size of the drop, and, for a full snapshot, adds a LEAVE for every active
 * worker of the source who is absent from the file. Applying makes the planned changes the
 * workers' state and queues one delivery per change and target; a change dated in the future is
 * held (PENDING) until its effective time.
 */
final class DropPlanner {

    private static final ObjectMapper JSON = new ObjectMapper();
    private static final int PAGE = 5_000;

    private DropPlanner() {
    }

    /** Plans every ACCEPTED row of a drop; returns the counts the gate needs. */
    static PlanCounts plan(Connection c, long dropId, String source, boolean fullSnapshot, ChangeDetector detector, Instant now)
            throws SQLException {
        int population = population(c, source);
        int rows = dataRows(c, dropId);
        Integer previous = fullSnapshot ? previousRows(c, source, dropId) : null;
        int[] counts = new int[ChangeKind.values().length];
        int maxLine = maxLine(c, dropId);
        for (int from = 0; from <= maxLine; from += PAGE) {
            planPage(c, dropId, from, Math.min(maxLine, from + PAGE - 1), detector, now, counts);
        }
        if (fullSnapshot) {
            if (unidentifiedRows(c, dropId) == 0) {
                counts[ChangeKind.LEAVE.ordinal()] += planAbsent(c, dropId, source, detector, now);
            }
        }
        try (PreparedStatement ps = c.prepareStatement("""
                update drop_row set warning = 'manager ' || manager_id || ' is not a known worker'
                where drop_id = ? and status = 'PLANNED' and manager_id is not null
                and not exists (select 1 from worker_state w where w.worker_id = drop_row.manager_id)
                and not exists (select 1 from drop_row m where m.drop_id = drop_row.drop_id and m.worker_id = drop_row.manager_id
                    and m.status not in ('REJECTED', 'CONFLICT'))""")) {
            // reported, not fatal: the change goes ahead with the id as HR sent it
            ps.setLong(1, dropId);
            ps.executeUpdate();
        }
        try (PreparedStatement ps = c.prepareStatement("update drop_file set full_snapshot = ?, data_rows = ? where id = ?")) {
            ps.setBoolean(1, fullSnapshot);
            ps.setInt(2, rows);
            ps.setLong(3, dropId);
            ps.executeUpdate();
        }
        return new PlanCounts(fullSnapshot, population, rows, previous, counts[ChangeKind.JOIN.ordinal()], counts[ChangeKind.MOVE.ordinal()],
                counts[ChangeKind.UPDATE.ordinal()], counts[ChangeKind.LEAVE.ordinal()], counts[ChangeKind.NOOP.ordinal()]);
    }

    private static void planPage(Connection c, long dropId, int fromLine, int toLine, ChangeDetector detector, Instant now, int[] counts)
            throws SQLException {
        record Row(int line, String canonical, Instant effectiveAt, String stored, Instant storedAt) {
        }
        List<Row> page = new ArrayList<>();
        try (PreparedStatement ps = c.prepareStatement("""
                select r.line, r.canonical, r.effective_at, w.canonical as stored, w.effective_at as stored_at
                from drop_row r left join worker_state w on w.worker_id = r.worker_id
                where r.drop_id = ? and r.status = 'ACCEPTED' and r.line between ? and ?""")) {
            ps.setLong(1, dropId);
            ps.setInt(2, fromLine);
            ps.setInt(3, toLine);
            try (ResultSet rs = ps.executeQuery()) {
                while (rs.next()) {
                    page.add(new Row(rs.getInt(1), rs.getString(2), Sql.time(rs, "effective_at"), rs.getString(4), Sql.time(rs, "stored_at")));
                }
            }
        }
        if (page.isEmpty()) {
            return;
        }
        try (PreparedStatement ps = c.prepareStatement("""
                update drop_row set status = ?, change_kind = ?, change_reason = ?, diff = ?, employment_status = ?, effective_at = ?,
                    manager_id = ?
                where drop_id = ? and line = ?""")) {
            for (Row row : page) {
                CanonicalRecord after = CanonicalRecord.fromJson(row.canonical());
                Instant effectiveAt = row.effectiveAt() == null ? now : row.effectiveAt();
                String status;
                Change change;
                if (row.storedAt() != null && row.storedAt().isAfter(effectiveAt)) {
                    change = null;
                    status = "SUPERSEDED";
                } else {
                    change = detector.detect(row.stored() == null ? null : CanonicalRecord.fromJson(row.stored()), after);
                    status = change.isNoop() ? "UNCHANGED" : "PLANNED";
                    counts[change.kind().ordinal()]++;
                    effectiveAt = effectiveTime(change, effectiveAt, now);
                }
                ps.setString(1, status);
                ps.setString(2, change == null ? null : change.kind().name());
                ps.setString(3, change == null ? "older than the stored state" : Sql.truncate(change.reason(), 300));
                ps.setString(4, change == null ? null : diffJson(change.diff()));
                ps.setString(5, after.get(CanonicalField.EMPLOYMENT_STATUS.fieldName()) == null ? "ACTIVE"
                        : after.get(CanonicalField.EMPLOYMENT_STATUS.fieldName()));
                Sql.setTime(ps, 6, effectiveAt);
                ps.setString(7, after.get(CanonicalField.MANAGER_ID.fieldName()));
                ps.setLong(8, dropId);
                ps.setInt(9, row.line());
                ps.addBatch();
            }
            ps.executeBatch();
        }
    }

    /**
     * When a change takes effect: a hire dated in the future on its hire date, a termination dated
     * in the future the day after the last day worked; otherwise its {@code effectiveAt}.
     */
    static Instant effectiveTime(Change change, Instant effectiveAt, Instant now) {
        String date = null;
        int plusDays = 0;
        if (change.kind() == ChangeKind.JOIN) {
            date = change.after().get(CanonicalField.HIRE_DATE.fieldName());
        } else if (change.kind() == ChangeKind.LEAVE) {
            date = change.after().get(CanonicalField.TERMINATION_DATE.fieldName());
            plusDays = 1;
        }
        if (date == null) {
            return effectiveAt;
        }
        Instant dated = LocalDate.parse(date).plusDays(plusDays).atStartOfDay(ZoneOffset.UTC).toInstant();
        return dated.isAfter(now) && dated.isAfter(effectiveAt) ? dated : effectiveAt;
    }

    /** Leavers by absence take effect at the drop's planning time ({@code now}), like its other rows. */
    private static int planAbsent(Connection c, long dropId, String source, ChangeDetector detector, Instant now) throws SQLException {
        List<String[]> absent = new ArrayList<>();
        try (PreparedStatement ps = c.prepareStatement("""
                select w.worker_id, w.canonical from worker_state w
                where w.home_source = ? and w.employment_status in (?, ?)
                and not exists (select 1 from drop_row r where r.drop_id = ? and r.worker_id = w.worker_id)
                order by w.worker_id""")) {
            ps.setString(1, source);
            ps.setString(2, "ACTIVE");
            ps.setString(3, detector.leaveOfAbsenceDeactivates() ? "ACTIVE" : "LEAVE_OF_ABSENCE");
            ps.setLong(4, dropId);
            try (ResultSet rs = ps.executeQuery()) {
                while (rs.next()) {
                    absent.add(new String[] {rs.getString(1), rs.getString(2)});
                }
            }
        }
        try (PreparedStatement ps = c.prepareStatement("""
                insert into drop_row (drop_id, line, worker_id, status, content_hash, source_record, canonical, effective_at,
                    change_kind, change_reason, diff, employment_status)
                values (?, ?, ?, 'PLANNED', ?, ?, ?, ?, 'LEAVE', ?, ?, 'TERMINATED')""")) {
            int line = 0;
            for (String[] worker : absent) {
                Change change = detector.absent(CanonicalRecord.fromJson(worker[1]));
                String canonical = change.after().with(CanonicalField.EFFECTIVE_AT.fieldName(), now.toString()).toJson();
                ps.setLong(1, dropId);
                ps.setInt(2, --line);
                ps.setString(3, worker[0]);
                ps.setString(4, io.learnbridge.source.DropChecksum.sha256(canonical));
                ps.setString(5, "{\"absent\":\"worker " + worker[0].replace("\"", "") + " is not in this full snapshot\"}");
                ps.setString(6, canonical);
                Sql.setTime(ps, 7, now);
                ps.setString(8, change.reason());
                ps.setString(9, diffJson(change.diff()));
                ps.addBatch();
                if (-line % 500 == 0) {
                    ps.executeBatch();
                }
            }
            ps.executeBatch();
        }
        return absent.size();
    }

    /**
     * Applies a drop's PLANNED changes: those dated in the future are held (PENDING), those now
     * older than the stored state are SUPERSEDED, the rest become the workers' state and are
     * queued for every target. Returns the number of deliveries queued.
     */
    static int apply(Connection c, long dropId, String source, List<String> targets, Instant now,
                     java.util.function.Function<String, java.util.Set<String>> kindsOf) throws SQLException {
        try (PreparedStatement ps = c.prepareStatement(
                "update drop_row set status = 'PENDING' where drop_id = ? and status = 'PLANNED' and effective_at > ?")) {
            ps.setLong(1, dropId);
            Sql.setTime(ps, 2, now);
            ps.executeUpdate();
        }
        WorkerStates.applyDrop(c, dropId, source);
        try (PreparedStatement ps = c.prepareStatement("update drop_row set status = 'APPLIED' where drop_id = ? and status = 'PLANNED'")) {
            ps.setLong(1, dropId);
            ps.executeUpdate();
        }
        int deliveries = 0;
        for (String target : targets) {
            deliveries += DeliveryQueue.enqueueApplied(c, source, dropId, target, null, kindsOf.apply(target));
        }
        return deliveries;
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

    private static int dataRows(Connection c, long dropId) throws SQLException {
        return count(c, "select count(*) from drop_row where drop_id = ? and line > 0", dropId);
    }

    private static int unidentifiedRows(Connection c, long dropId) throws SQLException {
        return count(c, "select count(*) from drop_row where drop_id = ? and line > 0 and worker_id is null", dropId);
    }

    private static int maxLine(Connection c, long dropId) throws SQLException {
        return count(c, "select coalesce(max(line), 0) from drop_row where drop_id = ?", dropId);
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

    private static int count(Connection c, String sql, long dropId) throws SQLException {
        try (PreparedStatement ps = c.prepareStatement(sql)) {
            ps.setLong(1, dropId);
            try (ResultSet rs = ps.executeQuery()) {
                rs.next();
                return rs.getInt(1);
            }
        }
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
