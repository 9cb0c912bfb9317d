package io.learnbridge.store;

import java.sql.PreparedStatement;
import java.sql.ResultSet;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;

/**
 * The reconciliation report of a drop, derived from the store (never from counters that could
 * drift): for every target, received = delivered + unchanged + superseded + rejected + failed + pending.
 */
public final class Reconciliation {

    /** Counts for one drop and target. */
    public record TargetCounts(String target, int delivered, int failed, int pending) {
    }

    /** The report of one drop. */
    public record Report(long dropId, String source, String fileName, String status, int received, int unchanged,
                         int superseded, int rejected, List<TargetCounts> targets) {

        /** True when every received row is accounted for at every target. */
        public boolean balanced() {
            return targets.stream().allMatch(t -> received == unchanged + superseded + rejected + t.delivered() + t.failed() + t.pending());
        }

        /** True when nothing is pending any more. */
        public boolean settled() {
            return "STAGED".equals(status) && targets.stream().allMatch(t -> t.pending() == 0);
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
            try (PreparedStatement ps = c.prepareStatement("select source, file_name, status from drop_file where id = ?")) {
                ps.setLong(1, dropId);
                try (ResultSet rs = ps.executeQuery()) {
                    if (!rs.next()) {
                        return Optional.empty();
                    }
                    source = rs.getString(1);
                    fileName = rs.getString(2);
                    status = rs.getString(3);
                }
            }
            Map<String, Integer> rows = new LinkedHashMap<>();
            try (PreparedStatement ps = c.prepareStatement("select status, count(*) from drop_row where drop_id = ? group by status")) {
                ps.setLong(1, dropId);
                try (ResultSet rs = ps.executeQuery()) {
                    while (rs.next()) {
                        rows.put(rs.getString(1), rs.getInt(2));
                    }
                }
            }
            Map<String, int[]> byTarget = new LinkedHashMap<>();
            try (PreparedStatement ps = c.prepareStatement("select target, status, count(*) from delivery where drop_id = ? group by target, status order by target")) {
                ps.setLong(1, dropId);
                try (ResultSet rs = ps.executeQuery()) {
                    while (rs.next()) {
                        int[] counts = byTarget.computeIfAbsent(rs.getString(1), k -> new int[3]);
                        switch (rs.getString(2)) {
                            case "DELIVERED" -> counts[0] += rs.getInt(3);
                            case "FAILED" -> counts[1] += rs.getInt(3);
                            default -> counts[2] += rs.getInt(3);
                        }
                    }
                }
            }
            List<TargetCounts> targets = new ArrayList<>();
            byTarget.forEach((t, n) -> targets.add(new TargetCounts(t, n[0], n[1], n[2])));
            int received = rows.values().stream().mapToInt(Integer::intValue).sum();
            int rejected = rows.getOrDefault("REJECTED", 0) + rows.getOrDefault("CONFLICT", 0);
            return Optional.of(new Report(dropId, source, fileName, status, received, rows.getOrDefault("DUPLICATE", 0), rows.getOrDefault("SUPERSEDED", 0), rejected, targets));
        });
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
