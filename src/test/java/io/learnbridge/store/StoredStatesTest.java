package io.learnbridge.store;

import static org.assertj.core.api.Assertions.assertThat;

import io.learnbridge.gate.GatePolicy;
import io.learnbridge.worker.CanonicalRecord;
import io.learnbridge.worker.ChangeDetector;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

class StoredStatesTest {

    private static final Duration LEASE = Duration.ofMinutes(10);
    private static final List<String> TARGETS = List.of("lms");
    private static final DropLedger.Policy SNAPSHOT = new DropLedger.Policy(true,
            new GatePolicy(Integer.MAX_VALUE, 100, 0, 100, 100, 0, false), new ChangeDetector(false));

    @OnEveryDatabase
    void aStoredStateIsUnchangedOnlyForItsOwnHashAndWhenItIsNotNewerThanTheRow(Store store) {
        Instant day1 = Instant.parse("2026-12-01T00:00:00Z");
        DropLedger ledger = new DropLedger(store, "a", LEASE);
        DropClaim first = ledger.claim("hr", "day1.csv", "sum-1", 10);
        ledger.stage(first, List.of(row(2, record("E1", "Sales"), day1), row(3, record("E2", "Sales"), day1)));
        ledger.finish(first, TARGETS);

        StoredStates states = store.tx(c -> StoredStates.of(c, "hr", store.postgres(), Long.MAX_VALUE));
        assertThat(states.size()).isEqualTo(2);
        String e1 = record("E1", "Sales").stateHash();
        assertThat(states.unchanged("E1", e1, day1)).as("the same state, as old").isTrue();
        assertThat(states.unchanged("E1", e1, day1.plusSeconds(1))).as("the same state, later").isTrue();
        assertThat(states.unchanged("E1", e1, day1.minusNanos(1_000))).as("a stored state newer than the row").isFalse();
        assertThat(states.unchanged("E1", record("E1", "Legal").stateHash(), day1)).as("a change").isFalse();
        assertThat(states.unchanged("E2", e1, day1)).as("another worker's hash").isFalse();
        assertThat(states.unchanged("E3", record("E3", "Sales").stateHash(), day1)).as("a worker not stored").isFalse();
        assertThat(states.unchanged("E1", null, day1)).isFalse();
        assertThat(states.unchanged("E1", "not a hash at all, not even hex!", day1)).isFalse();
        assertThat(store.tx(c -> StoredStates.of(c, "another-source", store.postgres(), Long.MAX_VALUE)).size()).as("only the source's own workers").isZero();
        assertThat(store.<StoredStates>tx(c -> StoredStates.of(c, "hr", store.postgres(), 16 * 4 * Long.BYTES - 1)))
                .as("more than the heap allowed them: not read").isNull();
        assertThat(store.tx(c -> StoredStates.of(c, "hr", store.postgres(), 16 * 4 * Long.BYTES)).size()).isEqualTo(2);
        store.close();
    }

    @OnEveryDatabase
    void aLargeSnapshotPlannedAgainstItsSourcesStatesReadAtOnceFindsTheSameChangesAsLookingEachWorkerUp(Store store) {
        int workers = DropLedger.SNAPSHOT_SCAN_AFTER + 1_000;
        Instant day1 = Instant.parse("2026-12-01T00:00:00Z");
        Instant day2 = day1.plus(Duration.ofDays(1));
        DropLedger ledger = new DropLedger(store, "a", LEASE);
        DropClaim first = ledger.claim("hr", "day1.csv", "sum-1", 10);
        List<StagedRow> rows = new ArrayList<>();
        for (int i = 1; i <= workers; i++) {
            rows.add(row(i + 1, record("E" + i, "Sales"), day1));
        }
        stageInBatches(ledger, first, rows);
        assertThat(ledger.finish(first, TARGETS, SNAPSHOT).plan().joins()).isEqualTo(workers);

        // an event restates the last worker listed on day 2 (staged after the states are read at once) as
        // of a time after its row there: the row, though equal to it, is older (SUPERSEDED, not UNCHANGED)
        store.tx(c -> WorkerStates.apply(c, "E" + (workers - 1), day2.plusSeconds(60),
                record("E" + (workers - 1), "Sales").with("effectiveAt", day2.plusSeconds(60).toString()).toJson(), "hr"));

        // day 2: every 10th worker moves; the last is absent (a leaver); the rest are listed unchanged
        DropClaim second = ledger.claim("hr", "day2.csv", "sum-2", 10);
        List<StagedRow> next = new ArrayList<>();
        int moves = 0;
        for (int i = 1; i < workers; i++) {
            boolean moved = i % 10 == 0;
            moves += moved ? 1 : 0;
            next.add(row(i + 1, record("E" + i, moved ? "Legal" : "Sales"), day2));
        }
        stageInBatches(ledger, second, next);
        DropLedger.Summary summary = ledger.finish(second, TARGETS, SNAPSHOT);

        assertThat(summary.plan().moves()).isEqualTo(moves);
        assertThat(summary.plan().leaves()).isEqualTo(1);
        assertThat(summary.plan().joins()).isZero();
        assertThat(summary.superseded()).as("the row older than the event's state").isEqualTo(1);
        assertThat(summary.plan().unchanged()).isEqualTo(workers - 1 - moves - 1);
        assertThat(new Reconciliation(store).forDrop(second.dropId()).orElseThrow().balanced()).isTrue();

        // day 3 lists only the first 1,000: the others leave, found while the population is read (H2: lazily)
        DropClaim third = ledger.claim("hr", "day3.csv", "sum-3", 10);
        stageInBatches(ledger, third, next.subList(0, 1_000));
        DropLedger.Summary leaving = ledger.finish(third, TARGETS, SNAPSHOT);
        assertThat(leaving.plan().leaves()).isEqualTo(workers - 1 - 1_000);
        assertThat(store.<Integer>tx(c -> {
            try (var rs = c.createStatement().executeQuery("select count(distinct worker_id) from drop_row where drop_id = "
                    + third.dropId() + " and line < 0 and change_kind = 'LEAVE'")) {
                rs.next();
                return rs.getInt(1);
            }
        })).as("each absent worker once").isEqualTo(workers - 1 - 1_000);
        store.close();
    }

    private static void stageInBatches(DropLedger ledger, DropClaim claim, List<StagedRow> rows) {
        for (int from = 0; from < rows.size(); from += 1_000) {
            ledger.stage(claim, rows.subList(from, Math.min(rows.size(), from + 1_000)), SNAPSHOT);
        }
    }

    private static CanonicalRecord record(String workerId, String orgUnit) {
        Map<String, String> values = new LinkedHashMap<>();
        values.put("workerId", workerId);
        values.put("orgUnit", orgUnit);
        values.put("employmentStatus", "ACTIVE");
        return new CanonicalRecord(values);
    }

    private static StagedRow row(int line, CanonicalRecord record, Instant effectiveAt) {
        CanonicalRecord dated = record.with("effectiveAt", effectiveAt.toString());
        return StagedRow.mapped(line, dated, dated.stateHash(), dated.stateHash(), effectiveAt, () -> "src," + line);
    }
}
