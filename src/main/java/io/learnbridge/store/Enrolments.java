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
 * {@link #applyDue} applies the rules live to the workers whose state changed (joiners, movers,
 * leavers). Every ledger entry is PENDING for its target in the outbox ({@link EnrolmentOutbox}).
 */
public final class Enrolments {

    /** The source named on exception-queue entries of the enrolment stage. */
    public static final String SOURCE = "enrolment-rules";

    private final Store store;

    public Enrolments(Store store) {
        this.store = store;
    }

    /** Every stored worker's newest state. */
    public List<CanonicalRecord> workers() {
        return store.tx(c -> {
            List<CanonicalRecord> workers = new ArrayList<>();
            try (PreparedStatement ps = c.prepareStatement("select canonical from worker_record order by worker_id");
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

    static SortedMap<String, SortedSet<String>> held(Connection c, String workerId) throws SQLException {
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

    /** What one {@link #applyDue} batch did: how many due workers it settled, and the ones whose enrolments changed. */
    public record Applied(int workers, List<RuleChangeSimulation.WorkerOutcome> changed) {
    }

    /**
     * Ordered as the index (enrolment_due, worker_id) is: with "order by worker_id" alone H2 (2.3)
     * sorted every due worker on each batch (after a first load, all of them) instead of walking it;
     * the flag as a range so that PostgreSQL cannot walk the primary key instead ({@link Sql#rangeIs}).
     */
    static final String DUE = "select worker_id from worker_state where " + Sql.rangeIs("enrolment_due", "true")
            + " order by enrolment_due, worker_id limit ?";

    /**
     * Applies the rules to up to {@code max} workers whose state changed since the rules last
     * looked at them (marked due by every change to {@code worker_state}), in one transaction:
     * for each, the enrolments and unenrolments its change makes are recorded (enrolment and
     * ledger, PENDING for the target) and the mark is cleared, so a crash before the commit leaves
     * the worker due and nothing recorded, and nothing is applied twice.
     *
     * <p>The kind of the change decides the policy ({@link EnrolmentRules#changes}): a JOIN never
     * unenrols; a terminated worker is taken as a LEAVE (onLeave); MOVE and UPDATE alike follow
     * onMove, since rules may depend on any canonical field, not only the ones that make a MOVE.
     * A NOOP changes no state, so it never marks a worker. While a worker waits, the latest change
     * kind wins; the rules compare the newest state with what the worker holds, so changes that
     * came in between are not lost. A worker locked by a change being applied right now is left
     * for the next batch (skip locked), so this never waits on, or deadlocks with, a drop's finish.
     */
    public Applied applyDue(EnrolmentRules rules, int max) {
        return store.tx(c -> {
            List<String> due = new ArrayList<>();
            try (PreparedStatement ps = c.prepareStatement(DUE)) {
                ps.setInt(1, max);
                try (ResultSet rs = ps.executeQuery()) {
                    while (rs.next()) {
                        due.add(rs.getString(1));
                    }
                }
            }
            List<RuleChangeSimulation.WorkerOutcome> changed = new ArrayList<>();
            Instant now = Instant.now();
            int settled = 0;
            try (PreparedStatement lock = c.prepareStatement(
                    "select enrolment_kind, employment_status from worker_state where worker_id = ? and enrolment_due = true for update skip locked");
                 PreparedStatement record = c.prepareStatement("select canonical from worker_record where worker_id = ?");
                 PreparedStatement clear = c.prepareStatement("update worker_state set enrolment_due = false, enrolment_kind = null where worker_id = ?")) {
                for (String workerId : due) {
                    String canonical;
                    String kindName;
                    String status;
                    lock.setString(1, workerId);
                    try (ResultSet rs = lock.executeQuery()) {
                        if (!rs.next()) {
                            continue; // settled by another instance, or its state is changing now: the next batch sees it
                        }
                        kindName = rs.getString(1);
                        status = rs.getString(2);
                    }
                    record.setString(1, workerId);
                    try (ResultSet rs = record.executeQuery()) {
                        canonical = rs.next() ? rs.getString(1) : null;
                    }
                    ChangeKind kind = "TERMINATED".equals(status) ? ChangeKind.LEAVE : kindOf(kindName);
                    CanonicalRecord worker;
                    try {
                        worker = CanonicalRecord.fromJson(canonical);
                    } catch (RuntimeException e) {
                        // never blocks the others: the worker goes to the exception queue and is settled
                        ExceptionQueue.add(c, ExceptionEntry.rejected("enrol", SOURCE, null, null, null, workerId, null,
                                "the stored state of the worker is not a canonical record (" + e.getClass().getSimpleName()
                                        + "): enrolment rules not applied to its " + kind + " change", null));
                        worker = null;
                    }
                    EnrolmentRules.Changes changes = worker == null ? EnrolmentRules.none().changes(new TreeMap<>(), null, ChangeKind.JOIN)
                            : rules.changes(held(c, workerId), worker, kind);
                    if (!changes.isEmpty()) {
                        record(c, workerId, changes, kind.name() + " (rules " + rules.file() + ")", kind.name(), now);
                        changed.add(new RuleChangeSimulation.WorkerOutcome(workerId, changes.enrol(), changes.unenrol()));
                    }
                    clear.setString(1, workerId);
                    clear.executeUpdate();
                    settled++;
                }
            }
            return new Applied(settled, changed);
        });
    }

    private static ChangeKind kindOf(String name) {
        if (name == null) {
            return ChangeKind.UPDATE;
        }
        try {
            return ChangeKind.valueOf(name);
        } catch (IllegalArgumentException e) {
            return ChangeKind.UPDATE;
        }
    }

    /** Workers still due for the enrolment rules. */
    public int due() {
        return store.tx(c -> {
            try (PreparedStatement ps = c.prepareStatement("select count(*) from worker_state where enrolment_due = true");
                 ResultSet rs = ps.executeQuery()) {
                rs.next();
                return rs.getInt(1);
            }
        });
    }

    /** A worker's enrolment ledger, oldest first. */
    public List<EnrolmentOutbox.Change> ledger(String workerId) {
        return store.tx(c -> EnrolmentOutbox.ledger(c, workerId));
    }

    static void record(Connection c, String workerId, EnrolmentRules.Changes changes, String reason, Instant now) throws SQLException {
        record(c, workerId, changes, reason, "RULES", now);
    }

    private static void record(Connection c, String workerId, EnrolmentRules.Changes changes, String reason, String changeKind, Instant now)
            throws SQLException {
        try (PreparedStatement enrol = c.prepareStatement("insert into enrolment (worker_id, target, curriculum, enrolled_at) values (?, ?, ?, ?)");
             PreparedStatement unenrol = c.prepareStatement("delete from enrolment where worker_id = ? and target = ? and curriculum = ?");
             PreparedStatement ledger = c.prepareStatement("""
                     insert into enrolment_change (worker_id, target, curriculum, action, reason, created_at, change_kind, status, attempts, updated_at)
                     values (?, ?, ?, ?, ?, ?, ?, 'PENDING', 0, ?)""")) {
            for (var e : changes.enrol().entrySet()) {
                for (String curriculum : e.getValue()) {
                    enrol.setString(1, workerId);
                    enrol.setString(2, e.getKey());
                    enrol.setString(3, curriculum);
                    Sql.setTime(enrol, 4, now);
                    enrol.executeUpdate();
                    entry(ledger, workerId, e.getKey(), curriculum, "ENROL", reason, changeKind, now);
                }
            }
            for (var e : changes.unenrol().entrySet()) {
                for (String curriculum : e.getValue()) {
                    unenrol.setString(1, workerId);
                    unenrol.setString(2, e.getKey());
                    unenrol.setString(3, curriculum);
                    unenrol.executeUpdate();
                    entry(ledger, workerId, e.getKey(), curriculum, "UNENROL", reason, changeKind, now);
                }
            }
        }
    }

    private static void entry(PreparedStatement ledger, String workerId, String target, String curriculum, String action, String reason,
                              String changeKind, Instant now) throws SQLException {
        ledger.setString(1, workerId);
        ledger.setString(2, target);
        ledger.setString(3, curriculum);
        ledger.setString(4, action);
        ledger.setString(5, Sql.truncate(reason, 300));
        Sql.setTime(ledger, 6, now);
        ledger.setString(7, changeKind);
        Sql.setTime(ledger, 8, now);
        ledger.executeUpdate();
    }
}
