package io.learnbridge.store;

import io.learnbridge.enrolment.EnrolmentRules;
import io.learnbridge.gate.GatePolicy;
import io.learnbridge.worker.CanonicalRecord;
import io.learnbridge.worker.ChangeKind;
import java.sql.Connection;
import java.sql.PreparedStatement;
import java.sql.ResultSet;
import java.sql.SQLException;
import java.time.Instant;
import java.util.ArrayList;
import java.util.List;
import java.util.Optional;

/**
 * Which enrolment rules every stored worker is in step with. A changed rules file (at startup, or
 * {@code rules apply}) is applied to every stored worker, not only to those who change next, and
 * behind the safety gate, as a drop is: a change that would unenrol, or change, more than the
 * gate allows is QUARANTINED, none of it applied, until an operator approves it with its checksum
 * ({@link #approve}) or rejects it. Meanwhile live enrolment keeps applying the rules applied last
 * ({@link #applied}), so a waiting change is not half applied through the workers who change.
 */
public final class EnrolmentRulesLedger {

    /** A rules version as the store knows it. */
    public record Version(String checksum, String status, String file, int workers, int enrolments, int unenrolments, String reason,
                          Instant seenAt, Instant decidedAt, String decidedBy) {
    }

    /** What {@link #reconcile} did with a rules file. */
    public record Outcome(Version version, boolean changedNow) {

        public String describe() {
            Version v = version;
            return switch (v.status()) {
                case "APPLIED" -> changedNow
                        ? "enrolment rules " + v.file() + " (" + shortSum(v.checksum()) + ") applied to every stored worker: " + v.workers()
                                + " workers, " + v.enrolments() + " enrolments, " + v.unenrolments() + " unenrolments"
                        : "enrolment rules " + v.file() + " (" + shortSum(v.checksum()) + ") are the ones applied";
                case "QUARANTINED" -> "enrolment rules " + v.file() + " (" + v.checksum() + ") QUARANTINED: " + v.reason() + " (" + v.workers()
                        + " workers, " + v.enrolments() + " enrolments, " + v.unenrolments() + " unenrolments); review with 'simulate --rules "
                        + v.file() + "', then 'rules approve --checksum " + v.checksum() + "' or 'rules reject --checksum " + v.checksum()
                        + "'; the rules applied before stay in force";
                default -> "enrolment rules " + v.file() + " (" + v.checksum() + ") were rejected by " + v.decidedBy()
                        + "; the rules applied before stay in force";
            };
        }
    }

    /** An operator's decision, and what it did. */
    public record Decision(boolean done, String message) {
    }

    private final Store store;

    public EnrolmentRulesLedger(Store store) {
        this.store = store;
    }

    static String shortSum(String checksum) {
        return checksum.length() > 12 ? checksum.substring(0, 12) : checksum;
    }

    /**
     * Brings every stored worker in step with {@code rules} unless the gate stops it. Nothing to do
     * when they are the rules applied last, or a version already decided (quarantined, rejected).
     * On a store that never applied any rules, a file that changes nothing is recorded as applied.
     */
    public Outcome reconcile(EnrolmentRules rules, GatePolicy gate, String by) {
        return store.tx(c -> {
            Optional<Version> known = version(c, rules.checksum());
            boolean current = known.isPresent() && (!known.get().status().equals("APPLIED") || rules.checksum().equals(appliedChecksum(c)));
            if (current) {
                return new Outcome(known.get(), false);
            }
            if (known.isPresent()) {
                // applied once, then replaced by other rules: back to these is a change like any other
                try (PreparedStatement ps = c.prepareStatement("delete from enrolment_rules_version where checksum = ?")) {
                    ps.setString(1, rules.checksum());
                    ps.executeUpdate();
                }
            }
            Plan plan = plan(c, rules);
            Instant now = Instant.now();
            String reason = gateReason(plan, gate);
            if (reason != null) {
                insert(c, rules, plan, "QUARANTINED", reason, now, null, null);
                return new Outcome(version(c, rules.checksum()).orElseThrow(), true);
            }
            apply(c, plan, now);
            insert(c, rules, plan, "APPLIED", null, now, now, by);
            return new Outcome(version(c, rules.checksum()).orElseThrow(), true);
        });
    }

    /** Applies a quarantined version exactly as its file was; only with its checksum, once. */
    public Decision approve(String checksum, String operator) {
        return store.tx(c -> {
            Optional<Version> version = version(c, checksum);
            if (version.isEmpty() || !version.get().status().equals("QUARANTINED")) {
                return new Decision(false, "no quarantined enrolment rules with checksum " + checksum
                        + version.map(v -> " (they are " + v.status() + ")").orElse(""));
            }
            EnrolmentRules rules = EnrolmentRules.parse(version.get().file(), text(c, checksum));
            Plan plan = plan(c, rules);
            Instant now = Instant.now();
            apply(c, plan, now);
            try (PreparedStatement ps = c.prepareStatement("""
                    update enrolment_rules_version set status = 'APPLIED', workers = ?, enrolments = ?, unenrolments = ?, decided_at = ?, decided_by = ?
                    where checksum = ? and status = 'QUARANTINED'""")) {
                ps.setInt(1, plan.workers.size());
                ps.setInt(2, plan.enrolments);
                ps.setInt(3, plan.unenrolments);
                Sql.setTime(ps, 4, now);
                ps.setString(5, operator);
                ps.setString(6, checksum);
                ps.executeUpdate();
            }
            return new Decision(true, "enrolment rules " + shortSum(checksum) + " approved and applied to every stored worker: " + plan.workers.size()
                    + " workers, " + plan.enrolments + " enrolments, " + plan.unenrolments + " unenrolments queued");
        });
    }

    /** Keeps a quarantined version from ever being applied; the rules applied before stay in force. */
    public Decision reject(String checksum, String operator) {
        return store.tx(c -> {
            try (PreparedStatement ps = c.prepareStatement("""
                    update enrolment_rules_version set status = 'REJECTED', decided_at = ?, decided_by = ? where checksum = ? and status = 'QUARANTINED'""")) {
                Sql.setTime(ps, 1, Instant.now());
                ps.setString(2, operator);
                ps.setString(3, checksum);
                if (ps.executeUpdate() == 0) {
                    return new Decision(false, "no quarantined enrolment rules with checksum " + checksum);
                }
            }
            return new Decision(true, "enrolment rules " + shortSum(checksum) + " rejected: none of their changes is applied");
        });
    }

    /** The rules applied last (what live enrolment applies), or empty when none ever was. */
    public Optional<EnrolmentRules> applied() {
        return store.tx(c -> {
            try (PreparedStatement ps = c.prepareStatement("""
                    select rules_file, rules_text from enrolment_rules_version where status = 'APPLIED' order by decided_at desc limit 1""");
                 ResultSet rs = ps.executeQuery()) {
                return rs.next() ? Optional.of(rs.getString(2).isEmpty() ? EnrolmentRules.none() : EnrolmentRules.parse(rs.getString(1), rs.getString(2)))
                        : Optional.<EnrolmentRules>empty();
            }
        });
    }

    /** The checksum of the rules applied last, or null: cheap enough to ask every poll. */
    public String appliedChecksum() {
        return store.tx(EnrolmentRulesLedger::appliedChecksum);
    }

    private static String appliedChecksum(Connection c) throws SQLException {
        try (PreparedStatement ps = c.prepareStatement(
                "select checksum from enrolment_rules_version where status = 'APPLIED' order by decided_at desc limit 1");
             ResultSet rs = ps.executeQuery()) {
            return rs.next() ? rs.getString(1) : null;
        }
    }

    /** Every version the store has seen, newest first. */
    public List<Version> versions() {
        return store.tx(c -> {
            List<Version> versions = new ArrayList<>();
            try (PreparedStatement ps = c.prepareStatement(SELECT + " order by seen_at desc");
                 ResultSet rs = ps.executeQuery()) {
                while (rs.next()) {
                    versions.add(read(rs));
                }
            }
            return versions;
        });
    }

    /**
     * Every stored worker's changes under the rules: enrolments they lack, unenrolments (by the rules'
     * onMove policy) they hold. Workers due for live enrolment (their state changed since the rules
     * last looked at them) are left to it: it applies their change's kind with the rules in force.
     */
    private record Plan(List<String> workers, List<EnrolmentRules.Changes> changes, int enrolments, int unenrolments, int losing,
                        int population) {
    }

    private static Plan plan(Connection c, EnrolmentRules rules) throws SQLException {
        List<String> workers = new ArrayList<>();
        List<EnrolmentRules.Changes> changes = new ArrayList<>();
        int enrolments = 0;
        int unenrolments = 0;
        int losing = 0;
        int population = 0;
        List<CanonicalRecord> records = new ArrayList<>();
        // a worker whose state changed and is due is brought in step by live enrolment, with its change's kind
        try (PreparedStatement ps = c.prepareStatement("""
                select r.canonical from worker_record r join worker_state s on s.worker_id = r.worker_id
                where s.enrolment_due = false order by r.worker_id""");
             ResultSet rs = ps.executeQuery()) {
            while (rs.next()) {
                records.add(CanonicalRecord.fromJson(rs.getString(1)));
            }
        }
        for (CanonicalRecord worker : records) {
            if (!"TERMINATED".equals(worker.get("employmentStatus"))) {
                population++;
            }
            EnrolmentRules.Changes change = rules.changes(Enrolments.held(c, worker.workerId()), worker, ChangeKind.MOVE);
            if (change.isEmpty()) {
                continue;
            }
            workers.add(worker.workerId());
            changes.add(change);
            int gained = change.enrol().values().stream().mapToInt(java.util.Set::size).sum();
            int lost = change.unenrol().values().stream().mapToInt(java.util.Set::size).sum();
            enrolments += gained;
            unenrolments += lost;
            losing += lost > 0 ? 1 : 0;
        }
        return new Plan(workers, changes, enrolments, unenrolments, losing, population);
    }

    /** Why the gate stops this plan, or null ({@link GatePolicy#enrolmentReasons}). */
    static String gateReason(Plan plan, GatePolicy gate) {
        return gate.enrolmentReasons(plan.enrolments, plan.unenrolments, plan.losing, plan.workers.size(), plan.population);
    }

    private static void apply(Connection c, Plan plan, Instant now) throws SQLException {
        for (int i = 0; i < plan.workers.size(); i++) {
            Enrolments.record(c, plan.workers.get(i), plan.changes.get(i), "rules changed", now);
        }
    }

    private static void insert(Connection c, EnrolmentRules rules, Plan plan, String status, String reason, Instant now, Instant decidedAt,
                               String by) throws SQLException {
        try (PreparedStatement ps = c.prepareStatement("""
                insert into enrolment_rules_version (checksum, status, rules_file, rules_text, workers, enrolments, unenrolments, reason, seen_at,
                    decided_at, decided_by) values (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)""")) {
            ps.setString(1, rules.checksum());
            ps.setString(2, status);
            ps.setString(3, rules.file());
            ps.setString(4, rules.text());
            ps.setInt(5, plan.workers.size());
            ps.setInt(6, plan.enrolments);
            ps.setInt(7, plan.unenrolments);
            ps.setString(8, reason);
            Sql.setTime(ps, 9, now);
            Sql.setTime(ps, 10, decidedAt);
            ps.setString(11, by);
            ps.executeUpdate();
        }
    }

    private static final String SELECT = """
            select checksum, status, rules_file, workers, enrolments, unenrolments, reason, seen_at, decided_at, decided_by
            from enrolment_rules_version""";

    private static Optional<Version> version(Connection c, String checksum) throws SQLException {
        try (PreparedStatement ps = c.prepareStatement(SELECT + " where checksum = ?")) {
            ps.setString(1, checksum);
            try (ResultSet rs = ps.executeQuery()) {
                return rs.next() ? Optional.of(read(rs)) : Optional.empty();
            }
        }
    }

    private static String text(Connection c, String checksum) throws SQLException {
        try (PreparedStatement ps = c.prepareStatement("select rules_text from enrolment_rules_version where checksum = ?")) {
            ps.setString(1, checksum);
            try (ResultSet rs = ps.executeQuery()) {
                rs.next();
                return rs.getString(1);
            }
        }
    }

    private static Version read(ResultSet rs) throws SQLException {
        return new Version(rs.getString(1), rs.getString(2), rs.getString(3), rs.getInt(4), rs.getInt(5), rs.getInt(6), rs.getString(7),
                Sql.time(rs, "seen_at"), Sql.time(rs, "decided_at"), rs.getString(10));
    }
}
