package io.learnbridge.store;

import com.fasterxml.jackson.annotation.JsonProperty;
import java.sql.PreparedStatement;
import java.sql.ResultSet;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;

/**
 * The reconciliation report of a drop, derived from the store (never from counters that could
 * drift): for every target, received = delivered + failed + pending + not taken (a change kind the
 * target does not take) + unchanged + superseded + rejected + quarantined + held + discarded. Leavers inferred from a full snapshot are not rows of
 * the file; they are counted on their own, with their deliveries. A compacted drop's delivered
 * deliveries are counted from {@code delivered_change}.
 */
public final class Reconciliation {

    /** Counts for one drop and target: deliveries of the file's rows, and of inferred leavers. */
    public record TargetCounts(String target, int delivered, int failed, int pending, int leaversDelivered, int leaversFailed,
                               int leaversPending, int notTaken) {
    }

    /**
     * The report of one drop. {@code status}: the drop's stored status (STAGING, APPLYING, STAGED,
     * QUARANTINED, DISCARDED, FAILED; in JSON {@code storedStatus}), which operators are shown as
     * {@link #displayStatus()}. {@code quarantined}: rows planned but held back by the safety gate;
     * {@code held}: changes dated in the future, the first of them released at {@code heldUntil}
     * (null when none is held); {@code discarded}: rejected by an operator; {@code staging}: rows
     * not yet planned (the drop is being staged).
     */
    public record Report(long dropId, String source, String fileName, String checksum,
                         @JsonProperty("storedStatus") String status, String gateReasons,
                         int received, int unchanged, int superseded, int rejected, int quarantined, int held, java.time.Instant heldUntil,
                         int discarded, int staging, int inferredLeavers, List<TargetCounts> targets) {

        /** True when every received row is accounted for at every target. */
        public boolean balanced() {
            int settled = unchanged + superseded + rejected + quarantined + held + discarded + staging;
            return targets.isEmpty() ? received == settled
                    : targets.stream().allMatch(t -> received == settled + t.delivered() + t.failed() + t.pending() + t.notTaken());
        }

        /** True when nothing is in flight any more (held changes wait for their date; quarantine for a human). */
        public boolean settled() {
            return ("STAGED".equals(status) || "DISCARDED".equals(status))
                    && targets.stream().allMatch(t -> t.pending() == 0 && t.leaversPending() == 0);
        }

        /**
         * The status operators are shown (command {@code drops}, {@code GET /api/drops/{id}}), saying
         * what is true rather than how far the store got: SETTLED (applied, no delivery in flight),
         * IN PROGRESS (being staged, planned or applied, or deliveries still pending), QUARANTINED
         * (waiting for an operator), DISCARDED (rejected by one), FAILED (unreadable as a whole;
         * nothing of it was staged).
         */
        @JsonProperty("status")
        public String displayStatus() {
            return switch (status) {
                case "QUARANTINED", "DISCARDED", "FAILED" -> status;
                default -> settled() ? "SETTLED" : "IN PROGRESS";
            };
        }
    }

    private final Store store;

    public Reconciliation(Store store) {
        this.store = store;
    }

    public Optional<Report> forDrop(long dropId) {
        return store.tx(c -> {
            String source;
            String fileName;
            String status;
            String checksum;
            String gateReasons;
            int unchangedRows;
            try (PreparedStatement ps = c.prepareStatement(
                    "select source, file_name, status, checksum, gate_reasons, unchanged_rows from drop_file where id = ?")) {
                ps.setLong(1, dropId);
                try (ResultSet rs = ps.executeQuery()) {
                    if (!rs.next()) {
                        return Optional.empty();
                    }
                    source = rs.getString(1);
                    fileName = rs.getString(2);
                    status = rs.getString(3);
                    checksum = rs.getString(4);
                    gateReasons = rs.getString(5);
                    unchangedRows = rs.getInt(6);
                }
            }
            Map<String, Integer> rows = new LinkedHashMap<>();
            int leavers = 0;
            int appliedLine = DropLedger.appliedLine(c, dropId);
            try (PreparedStatement ps = c.prepareStatement("""
                    select row_status, in_file, count(*) from (
                        select %s as row_status, case when line > 0 then 1 else 0 end as in_file from drop_row where drop_id = ?) r
                    group by row_status, in_file""".formatted(DropLedger.ROW_STATUS))) {
                ps.setInt(1, appliedLine);
                ps.setLong(2, dropId);
                try (ResultSet rs = ps.executeQuery()) {
                    while (rs.next()) {
                        if (rs.getInt(2) == 1) {
                            rows.merge(rs.getString(1), rs.getInt(3), Integer::sum);
                        } else {
                            leavers += rs.getInt(3);
                        }
                    }
                }
            }
            Map<String, int[]> byTarget = new LinkedHashMap<>();
            try (PreparedStatement ps = c.prepareStatement("""
                    select target, status, in_file, count(*) from (
                        select target, status, case when line > 0 then 1 else 0 end as in_file from delivery where drop_id = ?
                        union all
                        select target, 'DELIVERED', case when line > 0 then 1 else 0 end from delivered_change where drop_id = ?
                        union all
                        select g.target, g.status, case when r.line > 0 then 1 else 0 end from delivery_range g join drop_row r on %s
                        where g.drop_id = ?) d
                    group by target, status, in_file order by target""".formatted(DeliveryQueue.RANGE_ROWS))) {
                ps.setLong(1, dropId);
                ps.setLong(2, dropId);
                ps.setLong(3, dropId);
                try (ResultSet rs = ps.executeQuery()) {
                    while (rs.next()) {
                        int[] counts = byTarget.computeIfAbsent(rs.getString(1), k -> new int[6]);
                        int offset = rs.getInt(3) == 1 ? 0 : 3;
                        switch (rs.getString(2)) {
                            case "DELIVERED" -> counts[offset] += rs.getInt(4);
                            case "FAILED" -> counts[offset + 1] += rs.getInt(4);
                            default -> counts[offset + 2] += rs.getInt(4);
                        }
                    }
                }
            }
            List<TargetCounts> targets = new ArrayList<>();
            for (Map.Entry<String, int[]> e : byTarget.entrySet()) {
                int[] n = e.getValue();
                targets.add(new TargetCounts(e.getKey(), n[0], n[1], n[2], n[3], n[4], n[5], notTaken(c, dropId, appliedLine, e.getKey())));
            }
            java.time.Instant heldUntil;
            try (PreparedStatement ps = c.prepareStatement("select min(effective_at) from held_change where drop_id = ?")) {
                ps.setLong(1, dropId);
                try (ResultSet rs = ps.executeQuery()) {
                    rs.next();
                    java.time.OffsetDateTime first = rs.getObject(1, java.time.OffsetDateTime.class);
                    heldUntil = first == null ? null : first.toInstant();
                }
            }
            // rows found unchanged by their state hash are counted, not stored
            rows.merge("UNCHANGED", unchangedRows, Integer::sum);
            int received = rows.values().stream().mapToInt(Integer::intValue).sum();
            boolean quarantined = "QUARANTINED".equals(status);
            return Optional.of(new Report(dropId, source, fileName, checksum, status, gateReasons, received,
                    rows.getOrDefault("DUPLICATE", 0) + rows.getOrDefault("UNCHANGED", 0),
                    rows.getOrDefault("SUPERSEDED", 0),
                    rows.getOrDefault("REJECTED", 0) + rows.getOrDefault("CONFLICT", 0),
                    quarantined ? rows.getOrDefault("PLANNED", 0) : 0,
                    rows.getOrDefault("PENDING", 0), heldUntil,
                    rows.getOrDefault("DISCARDED", 0),
                    rows.getOrDefault("ACCEPTED", 0) + (quarantined ? 0 : rows.getOrDefault("PLANNED", 0)),
                    leavers, targets));
        });
    }

    /** Applied rows of the file a target was not sent because it does not take their change kind. */
    private static int notTaken(java.sql.Connection c, long dropId, int appliedLine, String target) throws java.sql.SQLException {
        try (PreparedStatement ps = c.prepareStatement("""
                select count(*) from drop_row r where r.drop_id = ? and r.line > 0 and %s = 'APPLIED'
                and not exists (select 1 from delivery d where d.drop_id = r.drop_id and d.line = r.line and d.target = ?)
                and not exists (select 1 from delivered_change d where d.drop_id = r.drop_id and d.line = r.line and d.target = ?)
                and not exists (select 1 from delivery_range g where g.drop_id = r.drop_id and g.target = ?
                    and r.line between g.from_line and g.to_line and %s)"""
                .formatted(DropLedger.ROW_STATUS, DeliveryQueue.kindTaken("g.kinds")))) {
            ps.setLong(1, dropId);
            ps.setInt(2, appliedLine);
            ps.setString(3, target);
            ps.setString(4, target);
            ps.setString(5, target);
            try (ResultSet rs = ps.executeQuery()) {
                rs.next();
                return rs.getInt(1);
            }
        }
    }

    /** Reports of the most recent drops, newest first. */
    public List<Report> recent(int limit) {
        List<Long> ids = store.tx(c -> {
            try (PreparedStatement ps = c.prepareStatement("select id from drop_file order by id desc limit ?")) {
                ps.setInt(1, limit);
                try (ResultSet rs = ps.executeQuery()) {
                    List<Long> out = new ArrayList<>();
                    while (rs.next()) {
                        out.add(rs.getLong(1));
                    }
                    return out;
                }
            }
        });
        List<Report> reports = new ArrayList<>();
        for (long id : ids) {
            forDrop(id).ifPresent(reports::add);
        }
        return reports;
    }
}
