package io.learnbridge.store;

import java.sql.PreparedStatement;
import java.sql.ResultSet;
import java.time.Instant;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;

/**
 * A drop's plan as stored: counts by change kind and by status, and each worker's change with
 * its field-by-field diff. Reading it writes nothing; it is what an operator reviews before
 * approving a quarantined drop, and exactly what approval applies.
 */
public final class Plans {

    /** One worker's change in a plan. {@code line} is negative for a leaver absent from a full snapshot. */
    public record PlannedChange(int line, String workerId, String kind, String reason, String status, Instant effectiveAt,
                                String diff, String canonical, String warning) {
    }

    /** A drop's plan; {@code changes} holds at most the requested number, {@code byKind} counts all of them. */
    public record Plan(long dropId, String source, String fileName, String checksum, String status, List<String> gateReasons,
                       Map<String, Integer> byKind, Map<String, Integer> byStatus, int warnings, List<PlannedChange> changes) {
    }

    private final Store store;

    public Plans(Store store) {
        this.store = store;
    }

    public Optional<Plan> forDrop(long dropId, int limit) {
        return store.tx(c -> {
            String source;
            String fileName;
            String checksum;
            String status;
            String reasons;
            try (PreparedStatement ps = c.prepareStatement("select source, file_name, checksum, status, gate_reasons from drop_file where id = ?")) {
                ps.setLong(1, dropId);
                try (ResultSet rs = ps.executeQuery()) {
                    if (!rs.next()) {
                        return Optional.empty();
                    }
                    source = rs.getString(1);
                    fileName = rs.getString(2);
                    checksum = rs.getString(3);
                    status = rs.getString(4);
                    reasons = rs.getString(5);
                }
            }
            Map<String, Integer> byKind = new LinkedHashMap<>();
            for (String kind : List.of("JOIN", "MOVE", "UPDATE", "LEAVE", "NOOP")) {
                byKind.put(kind, 0);
            }
            Map<String, Integer> byStatus = new LinkedHashMap<>();
            int appliedLine = DropLedger.appliedLine(c, dropId);
            try (PreparedStatement ps = c.prepareStatement("""
                    select kind, row_status, count(*) from (
                        select coalesce(change_kind, 'NONE') as kind, %s as row_status from drop_row where drop_id = ?) r
                    group by kind, row_status""".formatted(DropLedger.ROW_STATUS))) {
                ps.setInt(1, appliedLine);
                ps.setLong(2, dropId);
                try (ResultSet rs = ps.executeQuery()) {
                    while (rs.next()) {
                        // a conflicting or repeated row was planned as it was staged, but is no change of the drop's
                        if (byKind.containsKey(rs.getString(1)) && !List.of("REJECTED", "CONFLICT", "DUPLICATE").contains(rs.getString(2))) {
                            byKind.merge(rs.getString(1), rs.getInt(3), Integer::sum);
                        }
                        byStatus.merge(rs.getString(2), rs.getInt(3), Integer::sum);
                    }
                }
            }
            // rows found unchanged by their state hash are counted, not stored
            int unchangedRows;
            try (PreparedStatement ps = c.prepareStatement("select unchanged_rows from drop_file where id = ?")) {
                ps.setLong(1, dropId);
                try (ResultSet rs = ps.executeQuery()) {
                    rs.next();
                    unchangedRows = rs.getInt(1);
                }
            }
            if (unchangedRows > 0) {
                byKind.merge("NOOP", unchangedRows, Integer::sum);
                byStatus.merge("UNCHANGED", unchangedRows, Integer::sum);
            }
            int warnings;
            try (PreparedStatement ps = c.prepareStatement("select count(*) from drop_row where drop_id = ? and warning is not null")) {
                ps.setLong(1, dropId);
                try (ResultSet rs = ps.executeQuery()) {
                    rs.next();
                    warnings = rs.getInt(1);
                }
            }
            List<PlannedChange> changes = new ArrayList<>();
            try (PreparedStatement ps = c.prepareStatement("""
                    select r.line, r.worker_id, r.change_kind, r.change_reason, r.row_status, r.effective_at, d.diff, d.canonical, r.warning, r.packed
                    from (select drop_id, line, worker_id, change_kind, change_reason, %s as row_status, effective_at, warning, packed
                        from drop_row where drop_id = ? and change_kind is not null and change_kind <> 'NOOP') r
                    left join drop_row_record d on d.drop_id = r.drop_id and d.line = r.line
                    order by case when r.line > 0 then 0 else 1 end, abs(r.line) limit ?""".formatted(DropLedger.ROW_STATUS))) {
                ps.setInt(1, appliedLine);
                ps.setLong(2, dropId);
                ps.setInt(3, limit);
                try (ResultSet rs = ps.executeQuery()) {
                    while (rs.next()) {
                        PackedRecord.Unpacked record = PackedRecord.unpack(rs.getString(7), rs.getString(8), rs.getBytes(10));
                        changes.add(new PlannedChange(rs.getInt(1), rs.getString(2), rs.getString(3), rs.getString(4), rs.getString(5),
                                Sql.time(rs, "effective_at"), DropPlanner.diffOf(record.diff(), rs.getString(3), record.canonical()),
                                record.canonical(), rs.getString(9)));
                    }
                }
            }
            List<String> gate = reasons == null ? List.of() : Arrays.asList(reasons.split("; "));
            return Optional.of(new Plan(dropId, source, fileName, checksum, status, gate, byKind, byStatus, warnings, changes));
        });
    }
}
