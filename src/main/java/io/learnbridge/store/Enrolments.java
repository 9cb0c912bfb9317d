package io.learnbridge.store;

import io.learnbridge.enrolment.EnrolmentRules;
import io.learnbridge.enrolment.RuleChangeSimulation;
import io.learnbridge.worker.CanonicalRecord;
import io.learnbridge.worker.ChangeKind;
import java.sql.Connection;
import java.sql.PreparedStatement;
import java.sql.ResultSet;
import java.sql.SQLException;
import java.time.Instant;
import java.util.ArrayList;
import java.util.List;
import java.util.SortedMap;
import java.util.SortedSet;
import java.util.TreeMap;
import java.util.TreeSet;

/**
 * What each worker is enrolled in per target, and the ledger of enrolment changes. Applying a
 * rules file recomputes every stored worker against it and records the enrolments and
 * unenrolments it makes; {@link #workers()} is what {@code simulate} runs against.
 */
public final class Enrolments {

    private final Store store;

    public Enrolments(Store store) {
        this.store = store;
    }

    /** Every stored worker's newest state. */
    public List<CanonicalRecord> workers() {
        return store.tx(c -> {
            List<CanonicalRecord> workers = new ArrayList<>();
            try (PreparedStatement ps = c.prepareStatement("select canonical from worker_state order by worker_id");
                 ResultSet rs = ps.executeQuery()) {
                while (rs.next()) {
                    workers.add(CanonicalRecord.fromJson(rs.getString(1)));
                }
            }
            return workers;
        });
    }

    public SortedMap<String, SortedSet<String>> held(String workerId) {
        return store.tx(c -> held(c, workerId));
    }

    private static SortedMap<String, SortedSet<String>> held(Connection c, String workerId) throws SQLException {
        SortedMap<String, SortedSet<String>> held = new TreeMap<>();
        try (PreparedStatement ps = c.prepareStatement("select target, curriculum from enrolment where worker_id = ?")) {
            ps.setString(1, workerId);
            try (ResultSet rs = ps.executeQuery()) {
                while (rs.next()) {
                    held.computeIfAbsent(rs.getString(1), t -> new TreeSet<>()).add(rs.getString(2));
                }
            }
        }
        return held;
    }

    /**
     * Applies a rules file to every stored worker (as a change of what roles need: the rules'
     * onMove policy decides unenrolments) and records what it did. Returns the per-worker outcome.
     */
    public List<RuleChangeSimulation.WorkerOutcome> applyRules(EnrolmentRules rules, String reason) {
        List<CanonicalRecord> workers = workers();
        return store.tx(c -> {
            List<RuleChangeSimulation.WorkerOutcome> outcomes = new ArrayList<>();
            Instant now = Instant.now();
            for (CanonicalRecord worker : workers) {
                EnrolmentRules.Changes changes = rules.changes(held(c, worker.workerId()), worker, ChangeKind.MOVE);
                if (changes.isEmpty()) {
                    continue;
                }
                record(c, worker.workerId(), changes, reason, now);
                outcomes.add(new RuleChangeSimulation.WorkerOutcome(worker.workerId(), changes.enrol(), changes.unenrol()));
            }
            return outcomes;
        });
    }

    private static void record(Connection c, String workerId, EnrolmentRules.Changes changes, String reason, Instant now) throws SQLException {
        try (PreparedStatement enrol = c.prepareStatement("insert into enrolment (worker_id, target, curriculum, enrolled_at) values (?, ?, ?, ?)");
             PreparedStatement unenrol = c.prepareStatement("delete from enrolment where worker_id = ? and target = ? and curriculum = ?");
             PreparedStatement ledger = c.prepareStatement(
                     "insert into enrolment_change (worker_id, target, curriculum, action, reason, created_at) values (?, ?, ?, ?, ?, ?)")) {
            for (var e : changes.enrol().entrySet()) {
                for (String curriculum : e.getValue()) {
                    enrol.setString(1, workerId);
                    enrol.setString(2, e.getKey());
                    enrol.setString(3, curriculum);
                    Sql.setTime(enrol, 4, now);
                    enrol.executeUpdate();
                    entry(ledger, workerId, e.getKey(), curriculum, "ENROL", reason, now);
                }
            }
            for (var e : changes.unenrol().entrySet()) {
                for (String curriculum : e.getValue()) {
                    unenrol.setString(1, workerId);
                    unenrol.setString(2, e.getKey());
                    unenrol.setString(3, curriculum);
                    unenrol.executeUpdate();
                    entry(ledger, workerId, e.getKey(), curriculum, "UNENROL", reason, now);
                }
            }
        }
    }

    private static void entry(PreparedStatement ledger, String workerId, String target, String curriculum, String action, String reason,
                              Instant now) throws SQLException {
        ledger.setString(1, workerId);
        ledger.setString(2, target);
        ledger.setString(3, curriculum);
        ledger.setString(4, action);
        ledger.setString(5, Sql.truncate(reason, 300));
        Sql.setTime(ledger, 6, now);
        ledger.executeUpdate();
    }
}
