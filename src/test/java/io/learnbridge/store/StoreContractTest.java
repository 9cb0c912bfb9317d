package io.learnbridge.store;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;
import static org.assertj.core.api.Assertions.tuple;

import java.sql.PreparedStatement;
import java.sql.ResultSet;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.Map;
import java.util.TreeMap;
import java.util.concurrent.CyclicBarrier;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
import java.util.concurrent.TimeUnit;
import org.flywaydb.core.Flyway;

/**
 * What the rest of LearnBridge relies on from the store, proven on every database it supports:
 * each test runs on a new H2 file and on a new PostgreSQL database.
 */
class StoreContractTest {

    private static final Duration LONG_LEASE = Duration.ofMinutes(10);
    /** A lease that has always run out by the time anyone looks at it. */
    private static final Duration EXPIRED_LEASE = Duration.ZERO;
    private static final List<String> TARGETS = List.of("lms", "lxp");

    // --- migrations ---------------------------------------------------------------------------

    @OnEveryDatabase
    void migrationsApplyOnAnEmptyDatabaseAndReopeningIsANoOp(TestDatabase db) {
        assertThat(flyway(db).info().applied()).as("a new database has no migrations").isEmpty();

        Store first = db.open();
        List<String> applied = appliedMigrations(db);
        assertThat(applied).hasSize(22);
        assertThat(applied.get(0)).startsWith("1 spine: Success");
        assertThat(applied.get(1)).startsWith("2 events: Success");
        assertThat(applied.get(2)).startsWith("3 exception feed: Success");
        assertThat(applied.get(3)).startsWith("4 changes: Success");
        assertThat(applied.get(4)).startsWith("5 warnings: Success");
        assertThat(applied.get(5)).startsWith("6 event targets: Success");
        assertThat(applied.get(6)).startsWith("7 enrolments: Success");
        assertThat(applied.get(7)).startsWith("8 live enrolments: Success");
        assertThat(applied.get(8)).startsWith("9 rescinds: Success");
        assertThat(applied.get(9)).startsWith("10 paged drops: Success");
        assertThat(applied.get(10)).startsWith("11 first seen inactive: Success");
        assertThat(applied.get(11)).startsWith("12 worker record: Success");
        assertThat(applied.get(12)).startsWith("13 drop row record: Success");
        assertThat(applied.get(13)).startsWith("14 h2 identity cache: Success");
        assertThat(applied.get(14)).startsWith("15 delivered changes: Success");
        assertThat(applied.get(15)).startsWith("16 packed records: Success");
        assertThat(applied.get(16)).startsWith("17 partial delivery keys: Success");
        assertThat(applied.get(17)).startsWith("18 delivery ranges: Success");
        assertThat(applied.get(18)).startsWith("19 delivery ids from a sequence: Success");
        assertThat(applied.get(19)).startsWith("20 enrolment rules versions: Success");
        assertThat(applied.get(20)).startsWith("21 store probe: Success");
        assertThat(applied.get(21)).startsWith("22 instances: Success");
        assertThat(flyway(db).info().pending()).isEmpty();
        // H2 takes delivery ids a thousand at a time (it writes its store when a cache runs out); PostgreSQL keeps one
        long expectedCache = first.postgres() ? 1 : 1000;
        assertThat(first.<Long>tx(c -> {
            try (var rs = c.createStatement().executeQuery(first.postgres()
                    ? "select seqcache from pg_sequence s join pg_class k on k.oid = s.seqrelid where k.relname = 'delivery_id_seq'"
                    : "select cache from information_schema.sequences where sequence_name = 'DELIVERY_ID_SEQ'")) {
                rs.next();
                return rs.getLong(1);
            }
        })).isEqualTo(expectedCache);
        DropLedger ledger = new DropLedger(first, "a", LONG_LEASE);
        DropClaim claim = ledger.claim("hr", "workers.csv", "sum-1", 10);
        ledger.stage(claim, List.of(accepted(2, "E1", "h1")));
        ledger.finish(claim, TARGETS);
        first.close();

        Store reopened = db.open();
        assertThat(appliedMigrations(db)).as("re-opening applies nothing again").isEqualTo(applied);
        assertThat(new Reconciliation(reopened).forDrop(claim.dropId()))
                .hasValueSatisfying(r -> assertThat(r.received()).isEqualTo(1));
        assertThat(new DeliveryQueue(reopened, "a", LONG_LEASE).count("lms", "PENDING")).isEqualTo(1);
    }

    @OnEveryDatabase
    void version12MovesEachStoredRecordIntoWorkerRecordAndKeepsTheStateItDescribes(TestDatabase db) throws Exception {
        Flyway.configure().dataSource(db.jdbcUrl(), null, null).locations("classpath:db/migration").target("11").load().migrate();
        try (java.sql.Connection c = java.sql.DriverManager.getConnection(db.jdbcUrl());
             PreparedStatement ps = c.prepareStatement("""
                     insert into worker_state (worker_id, effective_at, canonical, source, updated_at, employment_status, home_source,
                         state_hash) values (?, timestamp with time zone '2026-01-02 03:04:05+00', ?, 'hr', current_timestamp, 'ACTIVE', 'hr', ?)""")) {
            ps.setString(1, "E1");
            ps.setString(2, "{\"workerId\":\"E1\",\"givenName\":\"Ada\"}");
            ps.setString(3, "hash-e1");
            ps.executeUpdate();
        }

        Store store = db.open();
        assertThat(appliedMigrations(db)).hasSize(22);
        assertThat(new WorkerStates(store).get("E1")).hasValueSatisfying(state -> {
            assertThat(state.canonical()).isEqualTo("{\"workerId\":\"E1\",\"givenName\":\"Ada\"}");
            assertThat(state.effectiveAt()).isEqualTo(java.time.Instant.parse("2026-01-02T03:04:05Z"));
            assertThat(state.source()).isEqualTo("hr");
        });
        String stateHash = store.tx(c -> {
            try (PreparedStatement ps = c.prepareStatement("select state_hash from worker_state where worker_id = 'E1'");
                 ResultSet rs = ps.executeQuery()) {
                return rs.next() ? rs.getString(1) : null;
            }
        });
        assertThat(stateHash).isEqualTo("hash-e1");
        store.close();
    }

    @OnEveryDatabase
    void version15MovesACompactedDropsDeliveredDeliveriesIntoTheirNarrowFormAndLeavesTheRest(TestDatabase db) throws Exception {
        storeAtVersion(db, "14", """
                    insert into drop_file (id, source, file_name, checksum, size_bytes, status, claimed_by, claimed_at, pruned_at)
                    values (7, 'hr', 'day1.csv', 'sum-7', 10, 'STAGED', 'a', current_timestamp, current_timestamp),
                    (8, 'hr', 'day2.csv', 'sum-8', 10, 'STAGED', 'a', current_timestamp, null)""", """
                    insert into drop_row (drop_id, line, worker_id, status, change_kind) values
                    (7, 2, 'E1', 'APPLIED', 'JOIN'), (7, 3, 'E2', 'APPLIED', 'JOIN'), (8, 2, 'E1', 'APPLIED', 'MOVE')""", """
                    insert into delivery (source, drop_id, line, worker_id, target, status, attempts, http_status, created_at, updated_at, change_kind)
                    values ('hr', 7, 2, 'E1', 'lms', 'DELIVERED', 2, 201, timestamp with time zone '2026-01-02 03:04:05+00',
                        timestamp with time zone '2026-01-02 03:04:09+00', 'JOIN'),
                    ('hr', 7, 3, 'E2', 'lms', 'FAILED', 5, 422, current_timestamp, current_timestamp, 'JOIN'),
                    ('hr', 8, 2, 'E1', 'lms', 'DELIVERED', 1, 200, current_timestamp, current_timestamp, 'MOVE')""");

        Store store = db.open();
        assertThat(appliedMigrations(db)).hasSize(22);
        DeliveryQueue queue = new DeliveryQueue(store, "a", LONG_LEASE);
        assertThat(queue.count("lms", "DELIVERED")).as("only the drop not yet compacted keeps its delivered one in the outbox").isEqualTo(1);
        assertThat(queue.count("lms", "FAILED")).isEqualTo(1);
        assertThat(new Reconciliation(store).forDrop(7L).orElseThrow().targets())
                .containsExactly(new Reconciliation.TargetCounts("lms", 1, 1, 0, 0, 0, 0, 0));
        assertThat(new WorkerHistory(store).of("E1").orElseThrow().deliveries())
                .extracting(WorkerHistory.DeliveryEntry::dropId, WorkerHistory.DeliveryEntry::status, WorkerHistory.DeliveryEntry::attempts,
                        WorkerHistory.DeliveryEntry::httpStatus, WorkerHistory.DeliveryEntry::queuedAt, WorkerHistory.DeliveryEntry::updatedAt)
                .first().isEqualTo(tuple(7L, "DELIVERED", 2, 201, java.time.Instant.parse("2026-01-02T03:04:05Z"),
                        java.time.Instant.parse("2026-01-02T03:04:09Z")));
        store.close();
    }

    /** A database migrated up to {@code version} only, holding what {@code statements} write. */
    private static void storeAtVersion(TestDatabase db, String version, String... statements) throws java.sql.SQLException {
        Flyway.configure().dataSource(db.jdbcUrl(), null, null).locations("classpath:db/migration").target(version).load().migrate();
        try (java.sql.Connection c = java.sql.DriverManager.getConnection(db.jdbcUrl());
             java.sql.Statement st = c.createStatement()) {
            for (String statement : statements) {
                st.execute(statement);
            }
        }
    }

    @OnEveryDatabase
    void version13MovesEachDropRowsJsonIntoDropRowRecordAndTheTrailStillShowsIt(TestDatabase db) throws Exception {
        storeAtVersion(db, "12", """
                    insert into drop_file (id, source, file_name, checksum, size_bytes, status, claimed_by, claimed_at)
                    values (7, 'hr', 'workers.csv', 'sum-7', 10, 'STAGED', 'a', current_timestamp)""", """
                    insert into drop_row (drop_id, line, worker_id, status, change_kind, change_reason, source_record, canonical, diff)
                    values (7, 2, 'E1', 'APPLIED', 'MOVE', 'org unit changed', '{"Id":"E1"}', '{"workerId":"E1","orgUnit":"Sales"}',
                        '{"orgUnit":["Finance","Sales"]}'),
                    (7, 3, null, 'REJECTED', null, null, '{"Id":""}', null, null)""");

        Store store = db.open();
        assertThat(appliedMigrations(db)).hasSize(22);
        WorkerHistory.Trail trail = new WorkerHistory(store).of("E1").orElseThrow();
        assertThat(trail.changes()).extracting(WorkerHistory.ChangeEntry::kind, WorkerHistory.ChangeEntry::diff)
                .containsExactly(tuple("MOVE", "{\"orgUnit\":[\"Finance\",\"Sales\"]}"));
        Map<Integer, String> records = store.tx(c -> {
            Map<Integer, String> byLine = new TreeMap<>();
            try (PreparedStatement ps = c.prepareStatement("select line, source_record, canonical from drop_row_record where drop_id = 7");
                 ResultSet rs = ps.executeQuery()) {
                while (rs.next()) {
                    byLine.put(rs.getInt(1), rs.getString(2) + " | " + rs.getString(3));
                }
            }
            return byLine;
        });
        assertThat(records).containsExactly(Map.entry(2, "{\"Id\":\"E1\"} | {\"workerId\":\"E1\",\"orgUnit\":\"Sales\"}"),
                Map.entry(3, "{\"Id\":\"\"} | null"));
        store.close();
    }

    @OnEveryDatabase
    void onPostgresqlADropThatWroteManyRowsIsAnalysedAndASmallOneIsNot(Store store) {
        org.junit.jupiter.api.Assumptions.assumeTrue(store.postgres(), "statistics are PostgreSQL's");
        DropLedger ledger = new DropLedger(store, "a", LONG_LEASE);
        DropClaim small = ledger.claim("hr", "small.csv", "sum-small", 10);
        ledger.stage(small, List.of(accepted(2, "S1", "h-s1"), accepted(3, "S2", "h-s2")));
        ledger.finish(small, TARGETS);
        // ANALYZE sets pg_class.reltuples in its own transaction (the statistics views may lag behind)
        assertThat(estimatedRows(store, "drop_row")).as("after a 2-row drop").isLessThan(1);
        assertThat(estimatedRows(store, "worker_state")).as("after a 2-row drop").isLessThan(1);

        DropClaim big = ledger.claim("hr", "big.csv", "sum-big", 10);
        List<StagedRow> rows = new ArrayList<>();
        for (int i = 0; i < DropLedger.ANALYZE_AFTER_ROWS; i++) {
            rows.add(accepted(i + 2, "B" + i, "h-b" + i));
        }
        ledger.stage(big, rows);
        ledger.finish(big, TARGETS);
        assertThat(estimatedRows(store, "drop_row")).isEqualTo(DropLedger.ANALYZE_AFTER_ROWS + 2);
        assertThat(estimatedRows(store, "drop_row_record")).isEqualTo(DropLedger.ANALYZE_AFTER_ROWS + 2);
        assertThat(estimatedRows(store, "worker_state")).isEqualTo(DropLedger.ANALYZE_AFTER_ROWS + 2);
    }

    /** The planner's row count of a table: -1 (or 0) until it is first analysed or vacuumed. */
    private static long estimatedRows(Store store, String table) {
        return store.tx(c -> {
            try (PreparedStatement ps = c.prepareStatement("select reltuples from pg_class where relname = ? and relkind = 'r'")) {
                ps.setString(1, table);
                try (ResultSet rs = ps.executeQuery()) {
                    rs.next();
                    return (long) rs.getFloat(1);
                }
            }
        });
    }

    // --- drops ledger: claims -----------------------------------------------------------------

    @OnEveryDatabase
    void sameContentClaimedAgainAfterItWasStagedIsADuplicateOfTheFirstDrop(Store store) {
        DropLedger ledger = new DropLedger(store, "a", LONG_LEASE);
        DropClaim first = ledger.claim("hr", "workers.csv", "sum-1", 10);
        ledger.stage(first, List.of(accepted(2, "E1", "h1")));
        ledger.finish(first, TARGETS);

        DropClaim again = ledger.claim("hr", "workers.csv", "sum-1", 10);
        DropClaim renamed = new DropLedger(store, "b", LONG_LEASE).claim("hr", "workers-copy.csv", "sum-1", 10);

        assertThat(first.isDuplicate()).isFalse();
        assertThat(again.isDuplicate()).isTrue();
        assertThat(again.duplicateOf()).isEqualTo(first.dropId());
        assertThat(renamed.isDuplicate()).as("same content under another name").isTrue();
        assertThat(renamed.duplicateOf()).isEqualTo(first.dropId());
        assertThat(new DeliveryQueue(store, "a", LONG_LEASE).count("lms", "PENDING")).as("nothing staged twice").isEqualTo(1);
    }

    @OnEveryDatabase
    void differentContentIsANewDrop(Store store) {
        DropLedger ledger = new DropLedger(store, "a", LONG_LEASE);
        DropClaim first = ledger.claim("hr", "workers.csv", "sum-1", 10);
        ledger.finish(first, TARGETS);

        DropClaim second = ledger.claim("hr", "workers.csv", "sum-2", 10);

        assertThat(second.isDuplicate()).isFalse();
        assertThat(second.dropId()).isNotEqualTo(first.dropId());
    }

    @OnEveryDatabase
    void anotherInstancesStagingClaimInsideItsLeaseIsBusy(Store store) {
        new DropLedger(store, "a", LONG_LEASE).claim("hr", "workers.csv", "sum-1", 10);

        DropLedger other = new DropLedger(store, "b", LONG_LEASE);

        assertThatThrownBy(() -> other.claim("hr", "workers.csv", "sum-1", 10))
                .isInstanceOf(DropBusyException.class)
                .hasMessageContaining("workers.csv");
    }

    @OnEveryDatabase
    @io.learnbridge.testing.ReliabilityScenario(16)
    void anotherInstancesStagingClaimIsTakenOverAfterItsLeaseWithoutItsPartialRows(Store store) {
        DropLedger crashed = new DropLedger(store, "a", LONG_LEASE);
        DropClaim abandoned = crashed.claim("hr", "workers.csv", "sum-1", 10);
        crashed.stage(abandoned, List.of(accepted(2, "E1", "h1"), rejected(3, "email", "not an email address")));

        DropLedger taker = new DropLedger(store, "b", EXPIRED_LEASE);
        DropClaim taken = taker.claim("hr", "workers-retry.csv", "sum-1", 10);

        assertThat(taken.isDuplicate()).isFalse();
        assertThat(taken.dropId()).isEqualTo(abandoned.dropId());
        assertThat(taken.fileName()).isEqualTo("workers-retry.csv");
        assertThat(rowStatuses(store, taken.dropId())).as("the old partial rows are gone").isEmpty();
        assertThat(exceptions(store, taken.dropId())).as("and so are their rejections").isEmpty();
        assertThat(claimedBy(store, taken.dropId())).isEqualTo("b");
        taker.stage(taken, List.of(accepted(2, "E1", "h1"), accepted(3, "E2", "h2")));
        assertThat(taker.finish(taken, TARGETS).accepted()).isEqualTo(2);
    }

    @OnEveryDatabase
    void theSameInstanceTakesItsOwnStagingClaimBackAtOnce(Store store) {
        DropClaim beforeRestart = new DropLedger(store, "a", LONG_LEASE).claim("hr", "workers.csv", "sum-1", 10);
        new DropLedger(store, "a", LONG_LEASE).stage(beforeRestart, List.of(accepted(2, "E1", "h1")));

        DropLedger afterRestart = new DropLedger(store, "a", LONG_LEASE);
        DropClaim again = afterRestart.claim("hr", "workers.csv", "sum-1", 10);

        assertThat(again.isDuplicate()).isFalse();
        assertThat(again.dropId()).isEqualTo(beforeRestart.dropId());
        assertThat(rowStatuses(store, again.dropId())).isEmpty();
    }

    @OnEveryDatabase
    void aFailedDropCanBeClaimedAgain(Store store) {
        DropLedger ledger = new DropLedger(store, "a", LONG_LEASE);
        DropClaim failed = ledger.claim("hr", "workers.csv", "sum-1", 10);
        ledger.stage(failed, List.of(accepted(2, "E1", "h1")));
        ledger.fail(failed, "email", "column email is missing from the header");
        assertThat(exceptions(store, failed.dropId()))
                .singleElement()
                .satisfies(e -> assertThat(e.reason()).isEqualTo("column email is missing from the header"));

        DropLedger other = new DropLedger(store, "b", LONG_LEASE);
        DropClaim again = other.claim("hr", "workers.csv", "sum-1", 10);

        assertThat(again.isDuplicate()).isFalse();
        assertThat(again.dropId()).isEqualTo(failed.dropId());
        assertThatThrownBy(() -> ledger.stage(again, List.of(accepted(2, "E1", "h1"))))
                .as("the instance whose claim failed no longer stages the drop").isInstanceOf(DropBusyException.class);
        other.stage(again, List.of(accepted(2, "E1", "h1")));
        assertThat(other.finish(again, TARGETS).deliveries()).isEqualTo(2);
    }

    @OnEveryDatabase
    @io.learnbridge.testing.ReliabilityScenario(16)
    void whenInstancesClaimTheSameNewContentAtOnceExactlyOneGetsIt(Store store) throws Exception {
        int instances = 4;
        CyclicBarrier together = new CyclicBarrier(instances);
        ExecutorService pool = Executors.newFixedThreadPool(instances);
        try {
            List<Future<DropClaim>> claims = new ArrayList<>();
            for (int i = 0; i < instances; i++) {
                DropLedger ledger = new DropLedger(store, "instance-" + i, LONG_LEASE);
                claims.add(pool.submit(() -> {
                    together.await();
                    return ledger.claim("hr", "workers.csv", "sum-1", 10);
                }));
            }
            List<DropClaim> won = new ArrayList<>();
            List<Throwable> busy = new ArrayList<>();
            for (Future<DropClaim> f : claims) {
                try {
                    won.add(f.get(30, TimeUnit.SECONDS));
                } catch (ExecutionException e) {
                    busy.add(e.getCause());
                }
            }
            assertThat(won).singleElement().satisfies(c -> assertThat(c.isDuplicate()).isFalse());
            assertThat(busy).hasSize(instances - 1).allSatisfy(t -> assertThat(t).isInstanceOf(DropBusyException.class));
        } finally {
            pool.shutdownNow();
        }
    }

    // --- drops ledger: stage and finish -------------------------------------------------------

    @OnEveryDatabase
    void acceptedRowsBecomeOnePendingDeliveryPerTarget(Store store) {
        DropLedger ledger = new DropLedger(store, "a", LONG_LEASE);
        DropClaim claim = ledger.claim("hr", "workers.csv", "sum-1", 10);
        ledger.stage(claim, List.of(accepted(2, "E1", "h1"), accepted(3, "E2", "h2")));
        ledger.stage(claim, List.of(accepted(4, "E3", "h3")));

        DropLedger.Summary summary = ledger.finish(claim, TARGETS);

        assertThat(summary.accepted()).isEqualTo(3);
        assertThat(summary.plan().joins()).isEqualTo(3);
        assertThat(summary.deliveries()).isEqualTo(6);
        assertThat(summary.quarantined()).isFalse();
        DeliveryQueue lms = new DeliveryQueue(store, "a", LONG_LEASE);
        assertThat(lms.count("lms", "PENDING")).isEqualTo(3);
        assertThat(lms.count("lxp", "PENDING")).isEqualTo(3);
        assertThat(lms.claim("lms", 10)).extracting(Delivery::workerId, Delivery::line, Delivery::dropId, Delivery::source)
                .containsExactly(tuple("E1", 2, claim.dropId(), "hr"), tuple("E2", 3, claim.dropId(), "hr"), tuple("E3", 4, claim.dropId(), "hr"));
    }

    @OnEveryDatabase
    void twoDifferentRowsForOneWorkerAreBothConflictsAndNeitherIsDelivered(Store store) {
        DropLedger ledger = new DropLedger(store, "a", LONG_LEASE);
        DropClaim claim = ledger.claim("hr", "workers.csv", "sum-1", 10);
        ledger.stage(claim, List.of(accepted(2, "E1", "h1"), accepted(3, "E2", "h2"), accepted(5, "E1", "h1-changed")));

        DropLedger.Summary summary = ledger.finish(claim, TARGETS);

        assertThat(summary.conflicts()).isEqualTo(2);
        assertThat(rowStatuses(store, claim.dropId())).containsExactly(Map.entry(2, "CONFLICT"), Map.entry(3, "APPLIED"), Map.entry(5, "CONFLICT"));
        assertThat(exceptions(store, claim.dropId()))
                .extracting(ExceptionEntry::line, ExceptionEntry::workerId, ExceptionEntry::stage, ExceptionEntry::kind)
                .containsExactly(tuple(2, "E1", "dedupe", ExceptionEntry.Kind.REJECTED), tuple(5, "E1", "dedupe", ExceptionEntry.Kind.REJECTED));
        assertThat(exceptions(store, claim.dropId())).allSatisfy(e -> {
            assertThat(e.reason()).contains("lines [2, 5]");
            assertThat(e.sourceRecord()).isEqualTo(sourceRecord(e.line(), "E1"));
        });
        assertThat(new DeliveryQueue(store, "a", LONG_LEASE).claim("lms", 10)).extracting(Delivery::workerId).containsExactly("E2");
    }

    @OnEveryDatabase
    void aWorkerUnchangedInTheNextDropIsCountedNotStoredAndItsJoinStillShowsEveryField(Store store) {
        DropLedger ledger = new DropLedger(store, "a", LONG_LEASE);
        DropClaim day1 = ledger.claim("hr", "day1.csv", "sum-1", 10);
        ledger.stage(day1, List.of(accepted(2, "E1", "h1"), accepted(3, "E2", "h2")));
        ledger.finish(day1, TARGETS);
        DropClaim day2 = ledger.claim("hr", "day2.csv", "sum-2", 10);
        ledger.stage(day2, List.of(accepted(2, "E1", "h1-again"), accepted(3, "E3", "h3")));

        DropLedger.Summary summary = ledger.finish(day2, TARGETS);

        assertThat(summary.plan().unchanged()).isEqualTo(1);
        assertThat(summary.plan().joins()).isEqualTo(1);
        assertThat(rowStatuses(store, day2.dropId())).as("the unchanged worker has no row").containsExactly(Map.entry(3, "APPLIED"));
        Reconciliation.Report report = new Reconciliation(store).forDrop(day2.dropId()).orElseThrow();
        assertThat(report.received()).isEqualTo(2);
        assertThat(report.unchanged()).isEqualTo(1);
        assertThat(report.balanced()).isTrue();
        assertThat(new Plans(store).forDrop(day2.dropId(), 10).orElseThrow().changes()).singleElement()
                .satisfies(c -> assertThat(c.diff()).isEqualTo("{\"workerId\":[null,\"E3\"]}"));
    }

    @OnEveryDatabase
    void onPostgresqlTheOutboxKeysHoldOnlyTheirOwnRowsAndStillRefuseASecondDeliveryOfARowOrAnEvent(Store store) {
        org.junit.jupiter.api.Assumptions.assumeTrue(store.postgres(), "H2 has no partial indexes");
        Map<String, String> keys = store.tx(c -> {
            Map<String, String> found = new TreeMap<>();
            try (var rs = c.createStatement().executeQuery(
                    "select indexname, indexdef from pg_indexes where tablename = 'delivery' and indexname like 'uq_delivery%'")) {
                while (rs.next()) {
                    found.put(rs.getString(1), rs.getString(2));
                }
            }
            return found;
        });
        assertThat(keys).containsOnlyKeys("uq_delivery_drop_line_target", "uq_delivery_event_target");
        assertThat(keys.get("uq_delivery_drop_line_target")).contains("UNIQUE").endsWith("WHERE (drop_id IS NOT NULL)");
        assertThat(keys.get("uq_delivery_event_target")).contains("UNIQUE").endsWith("WHERE (event_id IS NOT NULL)");

        DropLedger ledger = new DropLedger(store, "a", LONG_LEASE);
        DropClaim drop = ledger.claim("hr", "day1.csv", "sum-1", 10);
        ledger.stage(drop, List.of(accepted(2, "E1", "h1")));
        assertThat(ledger.finish(drop, TARGETS).deliveries()).isEqualTo(2);
        // the row's delivery to lms is stored once it has an outcome (until then its page's range carries it)
        DeliveryQueue queue = new DeliveryQueue(store, "a", LONG_LEASE);
        queue.deliveredAll(Map.of(queue.claim("lms", 10).get(0).id(), 200));
        assertThatThrownBy(() -> store.tx(c -> DeliveryQueue.enqueueLines(c, "hr", drop.dropId(), "lms", 2, 2, "PLANNED", null)))
                .as("a drop row's second delivery to one target").hasMessageContaining("uq_delivery_drop_line_target");
        assertThat(store.<Integer>tx(c -> DeliveryQueue.enqueueEvent(c, "hr", 77L, "E1", "lms", "{}"))).isEqualTo(1);
        assertThat(store.<Integer>tx(c -> DeliveryQueue.enqueueEvent(c, "hr", 77L, "E1", "lms", "{}"))).as("an event's second delivery").isZero();
        store.close();
    }

    @OnEveryDatabase
    void aClaimWalksTheClaimIndexEvenOnStatisticsFromWhenEveryDeliveryWasPending(Store store) {
        // statistics taken at a first load's start (20,000 deliveries pending), then 18,000 settled: on
        // PostgreSQL "status = 'PENDING' order by target, status, id" walked the primary key past every one of them
        store.tx(c -> {
            try (var st = c.createStatement()) {
                st.execute("insert into delivery (source, worker_id, target, status, attempts, created_at, updated_at, change_kind) "
                        + "select 'hr', concat('W', g), 'lms', 'PENDING', 0, current_timestamp, current_timestamp, 'UPDATE' from "
                        + (store.postgres() ? "generate_series(1, 20000) g" : "(select x as g from system_range(1, 20000)) s"));
                if (store.postgres()) {
                    st.execute("analyze delivery");
                }
                st.execute("update delivery set status = 'DELIVERED' where id <= (select min(id) + 17999 from delivery)");
            }
            return null;
        });
        String plan = store.tx(c -> {
            try (var ps = c.prepareStatement("explain " + DeliveryQueue.candidatesSql(DeliveryQueue.PENDING_DUE, true))) {
                ps.setString(1, "lms");
                Sql.setTime(ps, 2, java.time.Instant.now());
                ps.setInt(3, 100);
                StringBuilder text = new StringBuilder();
                try (var rs = ps.executeQuery()) {
                    while (rs.next()) {
                        text.append(rs.getString(1)).append('\n');
                    }
                }
                return text.toString();
            }
        });
        if (store.postgres()) {
            assertThat(plan).contains("ix_delivery_claim").doesNotContain("delivery_pkey");
        } else {
            assertThat(plan).contains("IX_DELIVERY_CLAIM").contains("/* index sorted */");
        }
        assertThat(new DeliveryQueue(store, "a", LONG_LEASE).claim("lms", 100)).hasSize(100)
                .allSatisfy(d -> assertThat(d.workerId()).isNotNull());
        store.close();
    }

    @OnEveryDatabase
    void onH2TheQueriesThatPageThroughLargeSetsWalkTheirIndexInOrder(Store store) {
        org.junit.jupiter.api.Assumptions.assumeFalse(store.postgres(), "the plan's note is H2's");
        // ordered by a column that is not the index's first, H2 sorted the whole matching set for each
        // page: a drop's page end (57% of a 1M first load's apply) and each batch of due enrolments
        assertThat(h2Plan(store, DropPlanner.PAGE_END, 1L, 1, 4_999)).contains("PRIMARY_KEY").contains("/* index sorted */");
        assertThat(h2Plan(store, Enrolments.DUE, 500)).contains("IX_WORKER_STATE_ENROLMENT_DUE").contains("/* index sorted */");
        store.close();
    }

    private static String h2Plan(Store store, String sql, Object... parameters) {
        return store.tx(c -> {
            try (var ps = c.prepareStatement("explain " + sql)) {
                for (int i = 0; i < parameters.length; i++) {
                    ps.setObject(i + 1, parameters[i]);
                }
                try (var rs = ps.executeQuery()) {
                    rs.next();
                    return rs.getString(1);
                }
            }
        });
    }

    @OnEveryDatabase
    void aDeltaIsAppliedInPagesOfItsStoredRowsNotOfItsLinesAndEveryChangeIsQueuedOnce(Store store) throws Exception {
        DropLedger ledger = new DropLedger(store, "a", LONG_LEASE, target -> null, 2);
        DropClaim day1 = ledger.claim("hr", "day1.csv", "sum-1", 10);
        List<StagedRow> first = new java.util.ArrayList<>();
        for (int line = 2; line <= 10; line++) {
            first.add(accepted(line, "E" + line, "h" + line));
        }
        ledger.stage(day1, first);
        assertThat(ledger.finish(day1, TARGETS).deliveries()).isEqualTo(18);
        DropClaim day2 = ledger.claim("hr", "day2.csv", "sum-2", 10);
        List<StagedRow> second = new java.util.ArrayList<>();
        for (int line = 2; line <= 10; line++) {
            // lines 3, 6 and 9 change; the others are only counted (no row)
            second.add(line % 3 == 0 ? new StagedRow(line, "E" + line, true, "changed-" + line, sourceRecord(line, "E" + line),
                    "{\"workerId\":\"E" + line + "\",\"orgUnit\":\"moved\"}", null, null, null) : accepted(line, "E" + line, "h" + line));
        }
        second.add(accepted(11, "E11", "h11"));
        ledger.stage(day2, second);

        // pages of two stored rows: (3, 6) and (9, 11), where pages of two lines would be five
        assertThat((int) store.<Integer>tx(c -> DropPlanner.pageEnd(c, day2.dropId(), 1, 2, 11))).isEqualTo(6);
        assertThat((int) store.<Integer>tx(c -> DropPlanner.pageEnd(c, day2.dropId(), 7, 2, 11))).isEqualTo(11);
        assertThat((int) store.<Integer>tx(c -> DropPlanner.pageEnd(c, day2.dropId(), 10, 2, 11))).as("fewer rows left than a page").isEqualTo(11);
        DropLedger.Summary summary = ledger.finish(day2, TARGETS);

        assertThat(summary.deliveries()).isEqualTo(8);
        assertThat(rowStatuses(store, day2.dropId())).containsExactly(Map.entry(3, "APPLIED"), Map.entry(6, "APPLIED"),
                Map.entry(9, "APPLIED"), Map.entry(11, "APPLIED"));
        DeliveryQueue lms = new DeliveryQueue(store, "a", LONG_LEASE);
        assertThat(lms.claim("lms", 20)).filteredOn(d -> d.dropId() != null && d.dropId() == day2.dropId()).extracting(Delivery::line)
                .containsExactlyInAnyOrder(3, 6, 9, 11);
        assertThat(dense(store, day1.dropId())).as("a first load: paged by lines").isTrue();
        assertThat(dense(store, day2.dropId())).as("4 stored rows over 10 lines: paged by rows").isFalse();
    }

    @OnEveryDatabase
    void aSnapshotWithARowForMostLinesIsAppliedInPagesOfLinesLeaversByAbsenceIncludedAndEveryChangeIsQueuedOnce(Store store) {
        DropLedger ledger = new DropLedger(store, "a", LONG_LEASE, target -> null, 2);
        DropLedger.Policy snapshot = new DropLedger.Policy(true, io.learnbridge.gate.GatePolicy.DEFAULT,
                new io.learnbridge.worker.ChangeDetector(false));
        DropClaim day1 = ledger.claim("hr", "day1.csv", "sum-1", 10);
        List<StagedRow> first = new ArrayList<>();
        for (int line = 2; line <= 8; line++) {
            first.add(accepted(line, "E" + line, "h" + line));
        }
        ledger.stage(day1, first);
        assertThat(ledger.finish(day1, TARGETS, snapshot).deliveries()).as("a first load: 7 joiners, 2 targets").isEqualTo(14);
        assertThat(dense(store, day1.dropId())).as("a first load stores a row for every line").isTrue();

        // day 2: E2-E6 move (stored), E7 is unchanged (only counted), E8 is absent (a leaver on line -1)
        DropClaim day2 = ledger.claim("hr", "day2.csv", "sum-2", 10);
        List<StagedRow> second = new ArrayList<>();
        for (int line = 2; line <= 6; line++) {
            second.add(new StagedRow(line, "E" + line, true, "moved-" + line, sourceRecord(line, "E" + line),
                    "{\"workerId\":\"E" + line + "\",\"orgUnit\":\"moved\"}", null, null, null));
        }
        second.add(accepted(7, "E7", "h7"));
        ledger.stage(day2, second);
        DropLedger.Summary summary = ledger.finish(day2, TARGETS, snapshot);

        // 6 stored rows over the lines -1..6: pages of two lines, (-1, 0), (1, 2), (3, 4), (5, 6)
        assertThat(dense(store, day2.dropId())).isTrue();
        assertThat(summary.deliveries()).isEqualTo(12);
        assertThat(rowStatuses(store, day2.dropId())).containsOnly(Map.entry(-1, "APPLIED"), Map.entry(2, "APPLIED"),
                Map.entry(3, "APPLIED"), Map.entry(4, "APPLIED"), Map.entry(5, "APPLIED"), Map.entry(6, "APPLIED"));
        assertThat(new DeliveryQueue(store, "a", LONG_LEASE).claim("lms", 50)).filteredOn(d -> d.dropId() != null && d.dropId() == day2.dropId())
                .extracting(Delivery::line).containsExactlyInAnyOrder(-1, 2, 3, 4, 5, 6);
        store.close();
    }

    @OnEveryDatabase
    void aChangeIsWarnedOfOnlyWhenItsManagerIsNeitherStoredNorListedAndAcceptedInTheDrop(Store store) {
        DropLedger ledger = new DropLedger(store, "a", LONG_LEASE);
        DropClaim day1 = ledger.claim("hr", "day1.csv", "sum-1", 10);
        ledger.stage(day1, List.of(accepted(2, "S1", "s1")));
        ledger.finish(day1, TARGETS);

        DropClaim day2 = ledger.claim("hr", "day2.csv", "sum-2", 10);
        ledger.stage(day2, List.of(
                managed(2, "E1", "S1"),   // stored
                managed(3, "E2", "E3"),   // listed below, accepted
                managed(4, "E3", "X9"),   // nowhere
                managed(5, "E4", "R1"),   // listed only in a rejected row
                new StagedRow(6, "R1", false, null, sourceRecord(6, "R1"), null, null, "email", "not an email address"),
                new StagedRow(7, "C1", true, "c1-a", sourceRecord(7, "C1"), "{\"workerId\":\"C1\",\"orgUnit\":\"A\"}", null, null, null),
                new StagedRow(8, "C1", true, "c1-b", sourceRecord(8, "C1"), "{\"workerId\":\"C1\",\"orgUnit\":\"B\"}", null, null, null),
                managed(9, "E5", "C1"))); // listed only in conflicting rows
        DropLedger.Summary summary = ledger.finish(day2, TARGETS);

        assertThat(summary.conflicts()).isEqualTo(2);
        assertThat(new Plans(store).forDrop(day2.dropId(), 50).orElseThrow().changes()).filteredOn(c -> c.warning() != null)
                .extracting(Plans.PlannedChange::line, Plans.PlannedChange::warning)
                .containsExactlyInAnyOrder(tuple(4, "manager X9 is not a known worker"), tuple(5, "manager R1 is not a known worker"),
                        tuple(9, "manager C1 is not a known worker"));
        assertThat(summary.warnings()).isEqualTo(3);
        store.close();
    }

    /** An accepted row of {@code workerId} whose manager is {@code managerId}. */
    private static StagedRow managed(int line, String workerId, String managerId) {
        return new StagedRow(line, workerId, true, "m-" + workerId, sourceRecord(line, workerId),
                "{\"workerId\":\"" + workerId + "\",\"managerId\":\"" + managerId + "\"}", null, null, null);
    }

    @OnEveryDatabase
    void aPageIsAppliedWithoutRewritingItsRowsWhichTheLedgerReadsAsAppliedUntilCompactionStoresIt(Store store) {
        DropLedger ledger = new DropLedger(store, "a", LONG_LEASE, target -> null, 2);
        DropClaim drop = ledger.claim("hr", "day1.csv", "sum-1", 10);
        ledger.stage(drop, List.of(accepted(2, "E1", "h1"), accepted(3, "E2", "h2"), accepted(4, "E3", "h3"),
                rejected(5, "email", "not an email address")));
        ledger.finish(drop, TARGETS);

        assertThat(storedStatuses(store, drop.dropId())).as("applying wrote no status")
                .containsExactly(Map.entry(2, "PLANNED"), Map.entry(3, "PLANNED"), Map.entry(4, "PLANNED"), Map.entry(5, "REJECTED"));
        assertThat(rowStatuses(store, drop.dropId())).as("below the applied line: applied")
                .containsExactly(Map.entry(2, "APPLIED"), Map.entry(3, "APPLIED"), Map.entry(4, "APPLIED"), Map.entry(5, "REJECTED"));
        assertThat(new Plans(store).forDrop(drop.dropId(), 10).orElseThrow().byStatus()).containsEntry("APPLIED", 3).doesNotContainKey("PLANNED");
        assertThat(new Plans(store).forDrop(drop.dropId(), 10).orElseThrow().changes()).extracting(Plans.PlannedChange::status)
                .containsOnly("APPLIED");
        assertThat(new WorkerHistory(store).of("E2").orElseThrow().changes()).extracting(WorkerHistory.ChangeEntry::status)
                .containsExactly("APPLIED");
        Reconciliation.Report report = new Reconciliation(store).forDrop(drop.dropId()).orElseThrow();
        assertThat(report.staging()).as("nothing left to apply").isZero();
        assertThat(report.balanced()).isTrue();

        // the same rows before their page: a drop stopped half-way (applied up to line 3) reads the rest as planned
        store.tx(c -> c.createStatement().executeUpdate("update drop_file set applied_line = 3 where id = " + drop.dropId()));
        assertThat(rowStatuses(store, drop.dropId())).containsEntry(3, "APPLIED").containsEntry(4, "PLANNED");
        assertThat(new Reconciliation(store).forDrop(drop.dropId()).orElseThrow().staging()).isEqualTo(1);
        store.tx(c -> c.createStatement().executeUpdate("update drop_file set applied_line = 4 where id = " + drop.dropId()));

        DeliveryQueue queue = new DeliveryQueue(store, "a", LONG_LEASE);
        for (String target : TARGETS) {
            queue.claim(target, 10).forEach(d -> queue.delivered(d.id(), 200));
        }
        assertThat(ledger.prune(Duration.ZERO)).isEqualTo(drop.dropId());
        assertThat(storedStatuses(store, drop.dropId())).as("compaction stores the status")
                .containsExactly(Map.entry(2, "APPLIED"), Map.entry(3, "APPLIED"), Map.entry(4, "APPLIED"), Map.entry(5, "REJECTED"));
        assertThat(new Reconciliation(store).forDrop(drop.dropId()).orElseThrow().balanced()).isTrue();
        store.close();
    }

    /** line -> the status column itself of every row of a drop. */
    private static Map<Integer, String> storedStatuses(Store store, long dropId) {
        return statuses(store, dropId, false);
    }

    private static boolean dense(Store store, long dropId) {
        return store.tx(c -> DropPlanner.dense(c, dropId, DropPlanner.lineRange(c, dropId)));
    }

    @OnEveryDatabase
    void aWorkerFirstSeenTerminatedIsWrittenOnceThenCountedUnchangedWhileListedTheSameAndJoinsWhenActive(Store store) {
        DropLedger ledger = new DropLedger(store, "a", LONG_LEASE);
        DropClaim day1 = ledger.claim("hr", "day1.csv", "sum-1", 10);
        ledger.stage(day1, List.of(accepted(2, "E1", "h1"), terminated(3, "E2", "Sales")));
        DropLedger.Summary first = ledger.finish(day1, TARGETS);
        assertThat(first.plan().unchanged()).as("first seen terminated: nothing to provision").isEqualTo(1);
        assertThat(rowStatuses(store, day1.dropId())).containsExactly(Map.entry(2, "APPLIED"), Map.entry(3, "UNCHANGED"));
        assertThat(new WorkerStates(store).get("E2")).as("change detection still sees a worker never stored").isEmpty();

        DropClaim day2 = ledger.claim("hr", "day2.csv", "sum-2", 10);
        ledger.stage(day2, List.of(accepted(2, "E1", "h1"), terminated(3, "E2", "Sales")));
        DropLedger.Summary second = ledger.finish(day2, TARGETS);
        assertThat(second.plan().unchanged()).isEqualTo(2);
        assertThat(rowStatuses(store, day2.dropId())).as("listed the same: counted, not written again").isEmpty();
        assertThat(new Reconciliation(store).forDrop(day2.dropId()).orElseThrow().balanced()).isTrue();

        DropClaim day3 = ledger.claim("hr", "day3.csv", "sum-3", 10);
        ledger.stage(day3, List.of(accepted(2, "E1", "h1"), terminated(3, "E2", "Finance")));
        assertThat(ledger.finish(day3, TARGETS).plan().unchanged()).isEqualTo(2);
        assertThat(rowStatuses(store, day3.dropId())).as("a changed record is written, still nothing to provision")
                .containsExactly(Map.entry(3, "UNCHANGED"));

        DropClaim day4 = ledger.claim("hr", "day4.csv", "sum-4", 10);
        ledger.stage(day4, List.of(accepted(2, "E1", "h1"), accepted(3, "E2", "h2-hired")));
        DropLedger.Summary hired = ledger.finish(day4, TARGETS);
        assertThat(hired.plan().joins()).isEqualTo(1);
        assertThat(new DeliveryQueue(store, "a", LONG_LEASE).claim("lms", 10)).extracting(Delivery::workerId).containsExactly("E1", "E2");
    }

    @OnEveryDatabase
    void aSettledDropPastItsRetentionKeepsItsChangesButNotItsRecords(Store store) {
        DropLedger ledger = new DropLedger(store, "a", LONG_LEASE);
        DropClaim day1 = ledger.claim("hr", "day1.csv", "sum-1", 10);
        ledger.stage(day1, List.of(accepted(2, "E1", "h1"), accepted(3, "E2", "h2"), rejected(4, "email", "not an email address")));
        ledger.finish(day1, TARGETS);
        assertThat(ledger.prune(Duration.ZERO)).as("deliveries still to send").isNull();
        DeliveryQueue queue = new DeliveryQueue(store, "a", LONG_LEASE);
        for (String target : TARGETS) {
            queue.claim(target, 10).forEach(d -> queue.delivered(d.id(), 200));
        }

        assertThat(ledger.prune(Duration.ofDays(1))).as("within its retention").isNull();
        assertThat(hashedRows(store, day1.dropId())).as("the applied rows' hashes, before").isEqualTo(2);
        assertThat(ledger.prune(Duration.ZERO)).isEqualTo(day1.dropId());
        assertThat(hashedRows(store, day1.dropId())).as("and after: they served only the drop's planning").isZero();

        assertThat(ledger.prune(Duration.ZERO)).as("compacted once").isNull();
        Map<Integer, String> records = store.tx(c -> {
            try (PreparedStatement ps = c.prepareStatement("select r.line, d.source_record, d.canonical from drop_row r "
                    + "left join drop_row_record d on d.drop_id = r.drop_id and d.line = r.line where r.drop_id = ? order by r.line")) {
                ps.setLong(1, day1.dropId());
                try (ResultSet rs = ps.executeQuery()) {
                    Map<Integer, String> out = new TreeMap<>();
                    while (rs.next()) {
                        out.put(rs.getInt(1), rs.getString(2) + " | " + rs.getString(3));
                    }
                    return out;
                }
            }
        });
        assertThat(records).as("only the rejection keeps a drop_row_record, with its source record")
                .containsExactly(Map.entry(2, "null | null"), Map.entry(3, "null | null"), Map.entry(4, sourceRecord(4, null) + " | null"));
        assertThat(packedRecords(store, day1.dropId())).as("the joiners' records, packed on their rows")
                .containsExactly(Map.entry(2, new PackedRecord.Unpacked(canonical("E1"), null)),
                        Map.entry(3, new PackedRecord.Unpacked(canonical("E2"), null)));
        assertThat(new WorkerHistory(store).of("E1").orElseThrow().changes()).extracting(WorkerHistory.ChangeEntry::kind, WorkerHistory.ChangeEntry::diff)
                .as("the trail reads them back").containsExactly(tuple("JOIN", DropPlanner.diffOf(null, "JOIN", canonical("E1"))));
        assertThat(new Plans(store).forDrop(day1.dropId(), 10).orElseThrow().changes()).extracting(Plans.PlannedChange::kind)
                .containsExactly("JOIN", "JOIN");
        assertThat(new Reconciliation(store).forDrop(day1.dropId()).orElseThrow().balanced()).isTrue();

        DropClaim day2 = ledger.claim("hr", "day2.csv", "sum-2", 10);
        ledger.stage(day2, List.of(new StagedRow(2, "E1", true, "h1-moved", sourceRecord(2, "E1"), "{\"workerId\":\"E1\",\"orgUnit\":\"Sales\"}",
                null, null, null)));
        ledger.finish(day2, TARGETS);
        for (String target : TARGETS) {
            queue.claim(target, 10).forEach(d -> queue.delivered(d.id(), 200));
        }
        assertThat(ledger.prune(Duration.ZERO)).isEqualTo(day2.dropId());
        assertThat(packedRecords(store, day2.dropId())).as("a change keeps its diff, not its record")
                .containsExactly(Map.entry(2, new PackedRecord.Unpacked(null, "{\"orgUnit\":[null,\"Sales\"]}")));
        assertThat(new Plans(store).forDrop(day2.dropId(), 10).orElseThrow().changes())
                .extracting(Plans.PlannedChange::kind, Plans.PlannedChange::diff).containsExactly(tuple("MOVE", "{\"orgUnit\":[null,\"Sales\"]}"));
    }

    @OnEveryDatabase
    void twoPrunersOfOneDropTakeItsPagesInTurnAndMoveEachDeliveryOnce(Store store) throws Exception {
        DropLedger ledger = new DropLedger(store, "a", LONG_LEASE, target -> null, 3);
        String[] workers = java.util.stream.IntStream.rangeClosed(1, 20).mapToObj(i -> "E" + i).toArray(String[]::new);
        DropClaim drop = stagedDrop(store, "sum-1", workers);
        DeliveryQueue queue = new DeliveryQueue(store, "a", LONG_LEASE);
        for (String target : TARGETS) {
            queue.claim(target, 100).forEach(d -> queue.delivered(d.id(), 200));
        }

        CyclicBarrier together = new CyclicBarrier(2);
        ExecutorService pool = Executors.newFixedThreadPool(2);
        try {
            List<Future<Long>> pruners = new ArrayList<>();
            for (int i = 0; i < 2; i++) {
                pruners.add(pool.submit(() -> {
                    together.await(10, TimeUnit.SECONDS);
                    return new DropLedger(store, "a", LONG_LEASE, target -> null, 3).prune(Duration.ZERO);
                }));
            }
            for (Future<Long> pruner : pruners) {
                assertThat(pruner.get(60, TimeUnit.SECONDS)).as("each finds the drop due, or none left").isIn(drop.dropId(), null);
            }
        } finally {
            pool.shutdownNow();
        }

        assertThat(ledger.prune(Duration.ZERO)).as("compacted").isNull();
        assertThat(store.<Integer>tx(c -> {
            try (PreparedStatement ps = c.prepareStatement("select count(*) from delivered_change where drop_id = ?")) {
                ps.setLong(1, drop.dropId());
                try (ResultSet rs = ps.executeQuery()) {
                    rs.next();
                    return rs.getInt(1);
                }
            }
        })).as("every delivery once, for both targets").isEqualTo(2 * workers.length);
        assertThat(packedRecords(store, drop.dropId())).hasSize(workers.length);
        Reconciliation.Report report = new Reconciliation(store).forDrop(drop.dropId()).orElseThrow();
        assertThat(report.targets()).extracting(Reconciliation.TargetCounts::delivered).containsExactly(workers.length, workers.length);
        assertThat(report.balanced()).isTrue();
    }

    private static Map<Integer, PackedRecord.Unpacked> packedRecords(Store store, long dropId) {
        return store.tx(c -> {
            try (PreparedStatement ps = c.prepareStatement("select line, packed from drop_row where drop_id = ? and packed is not null order by line")) {
                ps.setLong(1, dropId);
                try (ResultSet rs = ps.executeQuery()) {
                    Map<Integer, PackedRecord.Unpacked> out = new TreeMap<>();
                    while (rs.next()) {
                        out.put(rs.getInt(1), PackedRecord.unpack(rs.getBytes(2)));
                    }
                    return out;
                }
            }
        });
    }

    @OnEveryDatabase
    void aCompactedDropKeepsEachDeliveredDeliveryNarrowAndItsFailedOneReplayable(Store store) {
        DropLedger ledger = new DropLedger(store, "a", LONG_LEASE);
        DropClaim day1 = stagedDrop(store, "sum-1", "E1", "E2");
        DeliveryQueue queue = new DeliveryQueue(store, "a", LONG_LEASE);
        queue.claim("lms", 10).forEach(d -> queue.delivered(d.id(), 201));
        List<Delivery> lxp = queue.claim("lxp", 10);
        queue.delivered(lxp.get(0).id(), 200);
        long failedId = queue.failed(lxp.get(1), failure(3, 422, "{\"error\":\"unknown org unit\"}"));
        Reconciliation.Report before = new Reconciliation(store).forDrop(day1.dropId()).orElseThrow();
        WorkerHistory.Trail e1Before = new WorkerHistory(store).of("E1").orElseThrow();

        assertThat(ledger.prune(Duration.ZERO)).isEqualTo(day1.dropId());

        assertThat(queue.count("lms", "DELIVERED") + queue.count("lxp", "DELIVERED")).as("delivered ones left the outbox").isZero();
        assertThat(queue.count("lxp", "FAILED")).as("the failed one stays where its exception finds it").isEqualTo(1);
        assertThat(packedRecords(store, day1.dropId())).as("a row with nothing left to send is packed").containsOnlyKeys(2);
        assertThat(store.<String>tx(c -> {
            try (PreparedStatement ps = c.prepareStatement("select canonical from drop_row_record where drop_id = ? and line = 3")) {
                ps.setLong(1, day1.dropId());
                try (ResultSet rs = ps.executeQuery()) {
                    return rs.next() ? rs.getString(1) : "no record";
                }
            }
        })).as("the row whose delivery failed keeps its record whole for the replay").isEqualTo(canonical("E2"));
        Reconciliation.Report after = new Reconciliation(store).forDrop(day1.dropId()).orElseThrow();
        assertThat(after.targets()).as("the report counts the same from the narrow form").isEqualTo(before.targets())
                .contains(new Reconciliation.TargetCounts("lms", 2, 0, 0, 0, 0, 0, 0), new Reconciliation.TargetCounts("lxp", 1, 1, 0, 0, 0, 0, 0));
        assertThat(after.balanced()).isTrue();
        WorkerHistory.Trail e1 = new WorkerHistory(store).of("E1").orElseThrow();
        assertThat(e1.deliveries()).extracting(WorkerHistory.DeliveryEntry::target, WorkerHistory.DeliveryEntry::status,
                        WorkerHistory.DeliveryEntry::attempts, WorkerHistory.DeliveryEntry::httpStatus, WorkerHistory.DeliveryEntry::line,
                        WorkerHistory.DeliveryEntry::queuedAt, WorkerHistory.DeliveryEntry::updatedAt, WorkerHistory.DeliveryEntry::instance)
                .as("the trail keeps target, outcome, attempts, status, line, times and the instance that sent it")
                .containsExactlyInAnyOrderElementsOf(e1Before.deliveries().stream().map(d -> tuple(d.target(), d.status(), d.attempts(),
                        d.httpStatus(), d.line(), d.queuedAt(), d.updatedAt(), d.instance())).toList());
        assertThat(e1Before.deliveries()).extracting(WorkerHistory.DeliveryEntry::instance).as("sent by this store's one instance").containsOnly("a");
        assertThat(e1.deliveries()).extracting(WorkerHistory.DeliveryEntry::id).containsOnlyNulls();
        assertThat(new WorkerHistory(store).of("E2").orElseThrow().deliveries()).extracting(WorkerHistory.DeliveryEntry::target,
                WorkerHistory.DeliveryEntry::status, WorkerHistory.DeliveryEntry::id).containsExactly(tuple("lms", "DELIVERED", null),
                tuple("lxp", "FAILED", lxp.get(1).id()));

        ExceptionEntry failure = new ExceptionQueue(store).get(failedId).orElseThrow();
        new Replays(store).retryDelivery(failure, null);
        List<Delivery> again = queue.claim("lxp", 10);
        assertThat(again).extracting(Delivery::workerId).as("replayed after the compaction").containsExactly("E2");
        queue.delivered(again.get(0).id(), 200);
        assertThat(new Reconciliation(store).forDrop(day1.dropId()).orElseThrow().targets())
                .contains(new Reconciliation.TargetCounts("lxp", 2, 0, 0, 0, 0, 0, 0));
    }

    private static int hashedRows(Store store, long dropId) {
        return store.tx(c -> {
            try (PreparedStatement ps = c.prepareStatement(
                    "select count(*) from drop_row where drop_id = ? and (content_hash is not null or state_hash is not null)")) {
                ps.setLong(1, dropId);
                try (ResultSet rs = ps.executeQuery()) {
                    rs.next();
                    return rs.getInt(1);
                }
            }
        });
    }

    @OnEveryDatabase
    void identicalRepeatsOfAWorkerAreUnchangedDuplicatesDeliveredOnce(Store store) {
        DropLedger ledger = new DropLedger(store, "a", LONG_LEASE);
        DropClaim claim = ledger.claim("hr", "workers.csv", "sum-1", 10);
        ledger.stage(claim, List.of(accepted(2, "E1", "h1"), accepted(3, "E1", "h1"), accepted(4, "E1", "h1")));

        DropLedger.Summary summary = ledger.finish(claim, TARGETS);

        assertThat(summary.accepted()).isEqualTo(1);
        assertThat(summary.duplicates()).isEqualTo(2);
        assertThat(summary.deliveries()).isEqualTo(2);
        assertThat(rowStatuses(store, claim.dropId())).containsExactly(Map.entry(2, "APPLIED"), Map.entry(3, "DUPLICATE"), Map.entry(4, "DUPLICATE"));
        assertThat(new DeliveryQueue(store, "a", LONG_LEASE).claim("lms", 10)).extracting(Delivery::line).containsExactly(2);
        assertThat(exceptions(store, claim.dropId())).isEmpty();
    }

    @OnEveryDatabase
    void rejectedRowsAreInTheExceptionQueueWithLineFieldReasonAndSourceRecord(Store store) {
        DropLedger ledger = new DropLedger(store, "a", LONG_LEASE);
        DropClaim claim = ledger.claim("hr", "workers.csv", "sum-1", 10);
        ledger.stage(claim, List.of(accepted(2, "E1", "h1"), rejected(3, "email", "not an email address")));

        ledger.finish(claim, TARGETS);

        assertThat(exceptions(store, claim.dropId())).singleElement().satisfies(e -> {
            assertThat(e.kind()).isEqualTo(ExceptionEntry.Kind.REJECTED);
            assertThat(e.status()).isEqualTo(ExceptionEntry.Status.OPEN);
            assertThat(e.stage()).isEqualTo("map");
            assertThat(e.source()).isEqualTo("hr");
            assertThat(e.fileName()).isEqualTo("workers.csv");
            assertThat(e.line()).isEqualTo(3);
            assertThat(e.field()).isEqualTo("email");
            assertThat(e.reason()).isEqualTo("not an email address");
            assertThat(e.sourceRecord()).isEqualTo(sourceRecord(3, null));
            assertThat(e.createdAt()).isNotNull();
        });
        assertThat(rowStatuses(store, claim.dropId())).containsEntry(3, "REJECTED");
        assertThat(new DeliveryQueue(store, "a", LONG_LEASE).count("lms", "PENDING")).isEqualTo(1);
    }

    // --- delivery queue -----------------------------------------------------------------------

    @OnEveryDatabase
    void claimingMarksDeliveriesSendingAndCountsTheAttempt(Store store) {
        stagedDrop(store, "sum-1", "E1", "E2", "E3");
        DeliveryQueue queue = new DeliveryQueue(store, "a", EXPIRED_LEASE);

        List<Delivery> first = queue.claim("lms", 2);

        assertThat(first).extracting(Delivery::workerId, Delivery::attempts).containsExactly(tuple("E1", 0), tuple("E2", 0));
        assertThat(queue.count("lms", "SENDING")).isEqualTo(2);
        assertThat(queue.count("lms", "PENDING")).isEqualTo(1);
        assertThat(queue.claim("lms", 2)).as("the lease ran out: claimed again, after one attempt")
                .extracting(Delivery::workerId, Delivery::attempts).containsExactly(tuple("E1", 1), tuple("E2", 1));
        assertThat(queue.claim("lms", 1)).extracting(Delivery::workerId, Delivery::attempts).containsExactly(tuple("E1", 2));
    }

    @OnEveryDatabase
    void aClaimedDeliveryIsNotClaimedAgainWhileItsLeaseHolds(Store store) {
        stagedDrop(store, "sum-1", "E1", "E2", "E3");
        DeliveryQueue a = new DeliveryQueue(store, "a", LONG_LEASE);
        DeliveryQueue b = new DeliveryQueue(store, "b", LONG_LEASE);

        List<Delivery> byA = a.claim("lms", 2);
        List<Delivery> byB = b.claim("lms", 10);

        assertThat(byA).extracting(Delivery::workerId).containsExactly("E1", "E2");
        assertThat(byB).extracting(Delivery::workerId).containsExactly("E3");
        assertThat(a.claim("lms", 10)).isEmpty();
        assertThat(b.claim("lxp", 10)).as("other targets are not affected").hasSize(3);
    }

    @OnEveryDatabase
    @io.learnbridge.testing.ReliabilityScenario(16)
    void instancesClaimingAtTheSameTimeNeverGetTheSameDelivery(Store store) throws Exception {
        String[] workers = new String[120];
        for (int i = 0; i < workers.length; i++) {
            workers[i] = "E" + i;
        }
        stagedDrop(store, "sum-1", workers);
        int instances = 3;
        CyclicBarrier together = new CyclicBarrier(instances);
        ExecutorService pool = Executors.newFixedThreadPool(instances);
        try {
            List<Future<List<Long>>> claimed = new ArrayList<>();
            for (int i = 0; i < instances; i++) {
                DeliveryQueue queue = new DeliveryQueue(store, "instance-" + i, LONG_LEASE);
                claimed.add(pool.submit(() -> {
                    together.await();
                    List<Long> ids = new ArrayList<>();
                    while (queue.count("lms", "PENDING") > 0) {
                        queue.claim("lms", 7).forEach(d -> ids.add(d.id()));
                    }
                    return ids;
                }));
            }
            List<Long> all = new ArrayList<>();
            for (Future<List<Long>> f : claimed) {
                all.addAll(f.get(30, TimeUnit.SECONDS));
            }
            assertThat(all).as("every delivery claimed exactly once").hasSize(workers.length).doesNotHaveDuplicates();
            assertThat(new DeliveryQueue(store, "x", LONG_LEASE).count("lms", "SENDING")).isEqualTo(workers.length);
        } finally {
            pool.shutdownNow();
        }
    }

    @OnEveryDatabase
    void releaseOwnClaimsReturnsOnlyThisInstancesSendingDeliveriesToPending(Store store) {
        stagedDrop(store, "sum-1", "E1", "E2", "E3");
        DeliveryQueue restarted = new DeliveryQueue(store, "a", LONG_LEASE);
        DeliveryQueue other = new DeliveryQueue(store, "b", LONG_LEASE);
        restarted.claim("lms", 2);
        other.claim("lms", 1);

        int released = restarted.releaseOwnClaims();

        assertThat(released).isEqualTo(2);
        assertThat(restarted.count("lms", "PENDING")).isEqualTo(2);
        assertThat(restarted.count("lms", "SENDING")).as("the other instance keeps its claim").isEqualTo(1);
        assertThat(other.claim("lms", 10)).extracting(Delivery::workerId, Delivery::attempts).containsExactly(tuple("E1", 1), tuple("E2", 1));
    }

    @OnEveryDatabase
    void aDeliveredDeliveryIsDoneAndNeverClaimedAgain(Store store) {
        stagedDrop(store, "sum-1", "E1");
        DeliveryQueue queue = new DeliveryQueue(store, "a", EXPIRED_LEASE);
        Delivery d = queue.claim("lms", 1).get(0);

        queue.delivered(d.id(), 200);

        assertThat(queue.count("lms", "DELIVERED")).isEqualTo(1);
        assertThat(queue.count("lms", "SENDING")).isZero();
        assertThat(queue.claim("lms", 10)).as("even with its lease long gone").isEmpty();
    }

    @OnEveryDatabase
    void acknowledgedDeliveriesOfABatchAreSettledTogetherAndTheOthersStaySending(Store store) {
        stagedDrop(store, "sum-1", "E1", "E2", "E3");
        DeliveryQueue queue = new DeliveryQueue(store, "a", LONG_LEASE);
        List<Delivery> claimed = queue.claim("lms", 10);
        assertThat(claimed).hasSize(3);

        queue.deliveredAll(Map.of(claimed.get(0).id(), 200, claimed.get(2).id(), 204));

        assertThat(queue.count("lms", "DELIVERED")).isEqualTo(2);
        assertThat(queue.count("lms", "SENDING")).as("the one not acknowledged keeps its lease").isEqualTo(1);
        Map<String, Integer> statuses = store.tx(c -> {
            Map<String, Integer> byWorker = new TreeMap<>();
            try (PreparedStatement ps = c.prepareStatement("select worker_id, http_status from delivery where target = 'lms' and status = 'DELIVERED'");
                 ResultSet rs = ps.executeQuery()) {
                while (rs.next()) {
                    byWorker.put(rs.getString(1), rs.getInt(2));
                }
            }
            return byWorker;
        });
        assertThat(statuses).isEqualTo(Map.of(claimed.get(0).workerId(), 200, claimed.get(2).workerId(), 204));
    }

    @OnEveryDatabase
    void aPageIsQueuedAsOneRangeWhoseRowsAreStoredOnlyWithTheirOutcomeAndARestartSendsAgainOnlyTheRowsWithout(Store store) {
        // lxp takes leavers only: a first load queues nothing for it
        DropLedger ledger = new DropLedger(store, "a", LONG_LEASE, t -> t.equals("lxp") ? java.util.Set.of("LEAVE") : null);
        DropClaim claim = ledger.claim("hr", "workers.csv", "sum-1", 10);
        ledger.stage(claim, List.of(accepted(2, "E1", "h1"), accepted(3, "E2", "h2"), accepted(4, "E3", "h3"), accepted(5, "E4", "h4")));
        assertThat(ledger.finish(claim, TARGETS).deliveries()).isEqualTo(4);
        assertThat(rows(store, "select target, from_line, to_line, status from delivery_range"))
                .as("the page queued as one range of its lines, for lms only").containsExactly(List.of("lms", "2", "5", "PENDING"));
        assertThat(rows(store, "select id from delivery")).as("no delivery of its own yet").isEmpty();

        DeliveryQueue a = new DeliveryQueue(store, "a", LONG_LEASE);
        List<Delivery> claimed = a.claim("lms", 3);
        assertThat(claimed).extracting(Delivery::workerId, Delivery::line, Delivery::attempts)
                .containsExactly(tuple("E1", 2, 0), tuple("E2", 3, 0), tuple("E3", 4, 0));
        assertThat(claimed).extracting(Delivery::id).doesNotHaveDuplicates().allMatch(id -> id > 0);
        assertThat(a.count("lms", "SENDING")).isEqualTo(3);
        assertThat(a.count("lms", "PENDING")).as("the rest of the range, where it was in the queue").isEqualTo(1);
        assertThat(new DeliveryQueue(store, "b", LONG_LEASE).claim("lms", 10)).as("another instance gets only the rest")
                .extracting(Delivery::workerId).containsExactly("E4");

        a.deliveredAll(Map.of(claimed.get(0).id(), 200));
        a.retryLater(claimed.get(1).id(), java.time.Instant.now().plusSeconds(3600));
        assertThat(rows(store, "select id, worker_id, status, attempts from delivery order by id")).as("each outcome under the id the claim gave")
                .containsExactly(List.of(String.valueOf(claimed.get(0).id()), "E1", "DELIVERED", "1"),
                        List.of(String.valueOf(claimed.get(1).id()), "E2", "PENDING", "1"));

        // the instance dies with E3 unsettled; restarted, it releases its claims and sends again only what has no outcome
        DeliveryQueue restarted = new DeliveryQueue(store, "a", LONG_LEASE);
        assertThat(restarted.releaseOwnClaims()).as("E3 (E4 is b's)").isEqualTo(1);
        List<Delivery> again = restarted.claim("lms", 10);
        assertThat(again).extracting(Delivery::workerId, Delivery::attempts).as("E2 waits for its retry").containsExactly(tuple("E3", 1));
        restarted.deliveredAll(Map.of(again.get(0).id(), 200));
        assertThat(rows(store, "select from_line, to_line, status from delivery_range")).as("b's claim of E4 is still open")
                .containsExactly(List.of("5", "5", "SENDING"));
        assertThat(new Reconciliation(store).forDrop(claim.dropId())).hasValueSatisfying(r -> {
            assertThat(r.targets()).extracting(Reconciliation.TargetCounts::target, Reconciliation.TargetCounts::delivered,
                    Reconciliation.TargetCounts::pending, Reconciliation.TargetCounts::notTaken)
                    .containsExactly(tuple("lms", 2, 2, 0));
            assertThat(r.balanced()).isTrue();
        });
        assertThat(new WorkerHistory(store).of("E4").orElseThrow().deliveries()).extracting(WorkerHistory.DeliveryEntry::target,
                WorkerHistory.DeliveryEntry::status).containsExactly(tuple("lms", "SENDING"));
        assertThat(new DropLedger(store, "a", LONG_LEASE).prune(Duration.ZERO)).as("not compacted while a range is open").isNull();
    }

    @OnEveryDatabase
    void onPostgresqlTheStoresSessionsRunWithoutJitCompilation(Store store) {
        org.junit.jupiter.api.Assumptions.assumeTrue(store.postgres(), "PostgreSQL only");
        assertThat(rows(store, "show jit")).containsExactly(List.of("off"));
    }

    @OnEveryDatabase
    void rowsOfOneRangeSettledAtTheSameTimeLeaveNoRangeBehind(Store store) throws Exception {
        String[] workers = new String[40];
        for (int i = 0; i < workers.length; i++) {
            workers[i] = "E" + i;
        }
        stagedDrop(store, "sum-1", workers);
        DeliveryQueue queue = new DeliveryQueue(store, "a", LONG_LEASE);
        List<Delivery> claimed = queue.claim("lms", workers.length);
        assertThat(claimed).hasSize(workers.length);
        int threads = 8;
        CyclicBarrier together = new CyclicBarrier(threads);
        ExecutorService pool = Executors.newFixedThreadPool(threads);
        try {
            List<Future<?>> settled = new ArrayList<>();
            for (int t = 0; t < threads; t++) {
                int first = t;
                settled.add(pool.submit(() -> {
                    together.await();
                    // as a claim's concurrent requests do: each its own outcome, some delivered, some failed
                    for (int i = first; i < claimed.size(); i += threads) {
                        if (i % 3 == 0) {
                            queue.failed(claimed.get(i), failure(1, 422, "{}"));
                        } else {
                            queue.deliveredAll(Map.of(claimed.get(i).id(), 200));
                        }
                    }
                    return null;
                }));
            }
            for (Future<?> f : settled) {
                f.get(60, TimeUnit.SECONDS);
            }
        } finally {
            pool.shutdownNow();
        }
        assertThat(rows(store, "select id from delivery_range where target = 'lms'")).as("every row has an outcome: no range left").isEmpty();
        assertThat(queue.count("lms", "DELIVERED") + queue.count("lms", "FAILED")).isEqualTo(workers.length);
        assertThat(queue.count("lms", "SENDING")).isZero();
    }

    /** Every row of a query, each column as a string. */
    private static List<List<String>> rows(Store store, String sql) {
        return store.tx(c -> {
            List<List<String>> rows = new ArrayList<>();
            try (var rs = c.createStatement().executeQuery(sql)) {
                while (rs.next()) {
                    List<String> row = new ArrayList<>();
                    for (int i = 1; i <= rs.getMetaData().getColumnCount(); i++) {
                        row.add(rs.getString(i));
                    }
                    rows.add(row);
                }
            }
            return rows;
        });
    }

    @OnEveryDatabase
    void aFailedDeliveryIsFailedAndInTheExceptionQueueWithItsContext(Store store) {
        DropClaim claim = stagedDrop(store, "sum-1", "E1", "E2");
        DeliveryQueue queue = new DeliveryQueue(store, "a", LONG_LEASE);
        Delivery d = queue.claim("lms", 10).get(1);

        long id = queue.failed(d, failure(3, 422, "{\"error\":\"unknown org unit\"}"));

        assertThat(queue.count("lms", "FAILED")).isEqualTo(1);
        assertThat(queue.claim("lms", 10)).isEmpty();
        assertThat(new ExceptionQueue(store).get(id)).hasValueSatisfying(e -> {
            assertThat(e.kind()).isEqualTo(ExceptionEntry.Kind.FAILED);
            assertThat(e.status()).isEqualTo(ExceptionEntry.Status.OPEN);
            assertThat(e.stage()).isEqualTo("deliver");
            assertThat(e.source()).isEqualTo("hr");
            assertThat(e.dropId()).isEqualTo(claim.dropId());
            assertThat(e.fileName()).as("joined from the drop").isEqualTo("workers.csv");
            assertThat(e.line()).isEqualTo(3);
            assertThat(e.workerId()).isEqualTo("E2");
            assertThat(e.target()).isEqualTo("lms");
            assertThat(e.deliveryId()).isEqualTo(d.id());
            assertThat(e.attempts()).isEqualTo(3);
            assertThat(e.httpStatus()).isEqualTo(422);
            assertThat(e.responseExcerpt()).isEqualTo("{\"error\":\"unknown org unit\"}");
            assertThat(e.reason()).isEqualTo("target rejected the record");
            assertThat(e.errorClass()).isEqualTo("PermanentDeliveryException");
            assertThat(e.sourceRecord()).isEqualTo(sourceRecord(3, "E2"));
        });
    }

    // --- reconciliation -----------------------------------------------------------------------

    @OnEveryDatabase
    void everyReceivedRowIsAccountedForAtEveryTargetAndSettledOnlyWhenNothingIsPending(Store store) throws Exception {
        DropLedger ledger = new DropLedger(store, "a", LONG_LEASE);
        DropClaim claim = ledger.claim("hr", "workers.csv", "sum-1", 10);
        ledger.stage(claim, List.of(accepted(2, "E1", "h1"), accepted(3, "E2", "h2"), accepted(4, "E3", "h3"),
                accepted(5, "E3", "h3"), rejected(6, "email", "not an email address")));
        Reconciliation reconciliation = new Reconciliation(store);
        assertThat(reconciliation.forDrop(claim.dropId())).hasValueSatisfying(r -> {
            assertThat(r.settled()).as("still staging").isFalse();
            assertThat(r.displayStatus()).isEqualTo("IN PROGRESS");
        });
        ledger.finish(claim, TARGETS);
        DeliveryQueue queue = new DeliveryQueue(store, "a", LONG_LEASE);
        List<Delivery> lms = queue.claim("lms", 10);
        queue.delivered(lms.get(0).id(), 200);
        queue.failed(lms.get(1), failure(1, 400, "bad"));

        Reconciliation.Report report = reconciliation.forDrop(claim.dropId()).orElseThrow();

        assertThat(report.received()).isEqualTo(5);
        assertThat(report.unchanged()).isEqualTo(1);
        assertThat(report.rejected()).isEqualTo(1);
        assertThat(report.targets()).containsExactly(
                new Reconciliation.TargetCounts("lms", 1, 1, 1, 0, 0, 0, 0),
                new Reconciliation.TargetCounts("lxp", 0, 0, 3, 0, 0, 0, 0));
        assertThat(report.balanced()).isTrue();
        assertThat(report.settled()).isFalse();
        assertThat(report.status()).as("stored").isEqualTo("STAGED");
        assertThat(report.displayStatus()).as("deliveries still pending").isEqualTo("IN PROGRESS");

        queue.delivered(lms.get(2).id(), 200);
        queue.claim("lxp", 10).forEach(d -> queue.delivered(d.id(), 201));

        Reconciliation.Report done = reconciliation.forDrop(claim.dropId()).orElseThrow();
        assertThat(done.targets()).containsExactly(
                new Reconciliation.TargetCounts("lms", 2, 1, 0, 0, 0, 0, 0),
                new Reconciliation.TargetCounts("lxp", 3, 0, 0, 0, 0, 0, 0));
        assertThat(done.balanced()).isTrue();
        assertThat(done.settled()).isTrue();
        assertThat(done.displayStatus()).isEqualTo("SETTLED");
        assertThat(new com.fasterxml.jackson.databind.ObjectMapper().writeValueAsString(done))
                .as("the drops API shows the status operators read, and the stored one beside it")
                .contains("\"status\":\"SETTLED\"").contains("\"storedStatus\":\"STAGED\"");
        assertThat(reconciliation.recent(10)).extracting(Reconciliation.Report::dropId).containsExactly(claim.dropId());
        assertThat(reconciliation.forDrop(claim.dropId() + 1000)).isEmpty();
    }

    @OnEveryDatabase
    void aFailedDropIsShownFailedNeverInProgressOrSettled(Store store) {
        DropLedger ledger = new DropLedger(store, "a", LONG_LEASE);
        DropClaim claim = ledger.claim("hr", "workers.csv", "sum-1", 10);
        ledger.stage(claim, List.of(accepted(2, "E1", "h1")));
        ledger.fail(claim, "email", "input 'Work Email' is not in the header of workers.csv");

        Reconciliation.Report report = new Reconciliation(store).forDrop(claim.dropId()).orElseThrow();

        assertThat(report.status()).isEqualTo("FAILED");
        assertThat(report.displayStatus()).isEqualTo("FAILED");
        assertThat(report.settled()).isFalse();
    }

    // --- replays ------------------------------------------------------------------------------

    @OnEveryDatabase
    void aReplayedRejectedRowIsAcceptedWithANewPendingDeliveryAndItsExceptionIsReplayed(Store store) {
        DropLedger ledger = new DropLedger(store, "a", LONG_LEASE);
        DropClaim claim = ledger.claim("hr", "workers.csv", "sum-1", 10);
        ledger.stage(claim, List.of(accepted(2, "E1", "h1"), rejected(3, "email", "not an email address")));
        ledger.finish(claim, TARGETS);
        ExceptionEntry rejection = exceptions(store, claim.dropId()).get(0);

        new Replays(store).acceptRejectedRow(rejection, "E2", "h2", "{\"workerId\":\"E2\",\"fixed\":true}", TARGETS);

        assertThat(rowStatuses(store, claim.dropId())).containsEntry(3, "APPLIED");
        DeliveryQueue queue = new DeliveryQueue(store, "a", LONG_LEASE);
        assertThat(queue.claim("lms", 10)).extracting(Delivery::workerId, Delivery::line, Delivery::canonical, Delivery::attempts)
                .containsExactly(tuple("E1", 2, canonical("E1"), 0), tuple("E2", 3, "{\"workerId\":\"E2\",\"fixed\":true}", 0));
        assertThat(queue.count("lxp", "PENDING")).isEqualTo(2);
        assertThat(new ExceptionQueue(store).get(rejection.id())).hasValueSatisfying(e -> {
            assertThat(e.status()).isEqualTo(ExceptionEntry.Status.REPLAYED);
            assertThat(e.replayedAt()).isNotNull();
            assertThat(e.replayCount()).isEqualTo(1);
        });
        Reconciliation.Report report = new Reconciliation(store).forDrop(claim.dropId()).orElseThrow();
        assertThat(report.rejected()).isZero();
        assertThat(report.balanced()).isTrue();
    }

    @OnEveryDatabase
    void aRetriedFailedDeliveryIsPendingAgainWithNoAttemptsAndTheNewState(Store store) {
        DropClaim claim = stagedDrop(store, "sum-1", "E1", "E2");
        DeliveryQueue queue = new DeliveryQueue(store, "a", LONG_LEASE);
        Delivery d = queue.claim("lms", 10).get(0);
        long id = queue.failed(d, failure(5, 503, "unavailable"));
        ExceptionEntry failure = new ExceptionQueue(store).get(id).orElseThrow();

        new Replays(store).retryDelivery(failure, "{\"workerId\":\"E1\",\"remapped\":true}");

        assertThat(queue.count("lms", "FAILED")).isZero();
        assertThat(queue.claim("lms", 10)).extracting(Delivery::id, Delivery::attempts, Delivery::canonical)
                .containsExactly(tuple(d.id(), 0, "{\"workerId\":\"E1\",\"remapped\":true}"));
        assertThat(new ExceptionQueue(store).get(id)).hasValueSatisfying(e -> assertThat(e.status()).isEqualTo(ExceptionEntry.Status.REPLAYED));
        assertThat(new ExceptionQueue(store).countOpen()).isZero();
        Reconciliation.Report report = new Reconciliation(store).forDrop(claim.dropId()).orElseThrow();
        assertThat(report.targets()).contains(new Reconciliation.TargetCounts("lms", 0, 0, 2, 0, 0, 0, 0));
        assertThat(report.balanced()).isTrue();
    }

    // --- exception queue ----------------------------------------------------------------------

    @OnEveryDatabase
    void exceptionsAreListedByStatusDropTargetSourceAndWorker(Store store) {
        ExceptionQueue queue = new ExceptionQueue(store);
        long hrDrop1 = queue.add(ExceptionEntry.rejected("map", "hr", 1L, "a.csv", 2, "E1", "email", "bad email", "{}"));
        long hrDrop2 = queue.add(ExceptionEntry.rejected("map", "hr", 2L, "b.csv", 3, "E2", "hireDate", "bad date", "{}"));
        long crmDrop3 = queue.add(ExceptionEntry.rejected("map", "crm", 3L, "c.csv", 4, "E3", "email", "bad email", "{}"));
        long lmsFailure = queue.add(failedEntry("hr", 1L, "lms"));
        long lxpFailure = queue.add(failedEntry("hr", 2L, "lxp"));
        store.tx(c -> {
            ExceptionQueue.markReplayed(c, hrDrop2);
            return null;
        });

        assertThat(ids(queue, ExceptionQueue.Filter.open())).containsExactly(hrDrop1, crmDrop3, lmsFailure, lxpFailure);
        assertThat(ids(queue, new ExceptionQueue.Filter(ExceptionEntry.Status.REPLAYED, null, null, null, null, 100))).containsExactly(hrDrop2);
        assertThat(ids(queue, new ExceptionQueue.Filter(null, null, null, null, null, 100))).containsExactly(hrDrop1, hrDrop2, crmDrop3, lmsFailure, lxpFailure);
        assertThat(ids(queue, new ExceptionQueue.Filter(null, 1L, null, null, null, 100))).containsExactly(hrDrop1, lmsFailure);
        assertThat(ids(queue, new ExceptionQueue.Filter(null, null, "lxp", null, null, 100))).containsExactly(lxpFailure);
        assertThat(ids(queue, new ExceptionQueue.Filter(null, null, null, "crm", null, 100))).containsExactly(crmDrop3);
        assertThat(ids(queue, new ExceptionQueue.Filter(ExceptionEntry.Status.OPEN, 2L, "lxp", "hr", null, 100))).containsExactly(lxpFailure);
        assertThat(ids(queue, new ExceptionQueue.Filter(null, null, null, "hr", null, 2))).as("limited, oldest first").containsExactly(hrDrop1, hrDrop2);
        assertThat(ids(queue, new ExceptionQueue.Filter(null, null, null, null, "E3", 100))).containsExactly(crmDrop3);
        assertThat(ids(queue, new ExceptionQueue.Filter(null, null, null, null, "E1", 100))).containsExactly(hrDrop1, lmsFailure, lxpFailure);
        assertThat(ids(queue, new ExceptionQueue.Filter(ExceptionEntry.Status.OPEN, null, null, null, "E2", 100))).as("E2's only entry is replayed").isEmpty();
        assertThat(queue.countOpen()).isEqualTo(4);
    }

    // --- helpers ------------------------------------------------------------------------------

    private static StagedRow accepted(int line, String workerId, String contentHash) {
        return new StagedRow(line, workerId, true, contentHash, sourceRecord(line, workerId), canonical(workerId), null, null, null);
    }

    /** A worker listed as terminated, in org unit {@code orgUnit}. */
    private static StagedRow terminated(int line, String workerId, String orgUnit) {
        return new StagedRow(line, workerId, true, "t-" + workerId + "-" + orgUnit, sourceRecord(line, workerId),
                "{\"workerId\":\"" + workerId + "\",\"orgUnit\":\"" + orgUnit + "\",\"employmentStatus\":\"TERMINATED\"}", null, null, null);
    }

    private static StagedRow rejected(int line, String field, String reason) {
        return new StagedRow(line, null, false, null, sourceRecord(line, null), null, null, field, reason);
    }

    private static String sourceRecord(int line, String workerId) {
        return "{\"line\":" + line + ",\"id\":" + (workerId == null ? "null" : "\"" + workerId + "\"") + "}";
    }

    private static String canonical(String workerId) {
        return "{\"workerId\":\"" + workerId + "\"}";
    }

    /** A finished drop "workers.csv" with one accepted row per worker, from line 2, for lms and lxp. */
    private static DropClaim stagedDrop(Store store, String checksum, String... workerIds) {
        DropLedger ledger = new DropLedger(store, "a", LONG_LEASE);
        DropClaim claim = ledger.claim("hr", "workers.csv", checksum, 10);
        List<StagedRow> rows = new ArrayList<>();
        for (int i = 0; i < workerIds.length; i++) {
            rows.add(accepted(i + 2, workerIds[i], "h-" + workerIds[i]));
        }
        ledger.stage(claim, rows);
        ledger.finish(claim, TARGETS);
        return claim;
    }

    /** What a delivery route knows when it gives up on a delivery. */
    private static ExceptionEntry failure(int attempts, int httpStatus, String responseExcerpt) {
        return new ExceptionEntry(null, ExceptionEntry.Kind.FAILED, ExceptionEntry.Status.OPEN, "deliver", null, null, null, null, null,
                null, null, null, "target rejected the record", "PermanentDeliveryException", attempts, httpStatus, responseExcerpt,
                null, null, null, 0, null, null);
    }

    private static ExceptionEntry failedEntry(String source, Long dropId, String target) {
        return new ExceptionEntry(null, ExceptionEntry.Kind.FAILED, ExceptionEntry.Status.OPEN, "deliver", source, dropId, "x.csv", 2, "E1",
                null, target, null, "target down", "RetryableDeliveryException", 5, 503, "unavailable", "{}", null, null, 0, null, null);
    }

    private static List<Long> ids(ExceptionQueue queue, ExceptionQueue.Filter filter) {
        return queue.list(filter).stream().map(ExceptionEntry::id).toList();
    }

    private static List<ExceptionEntry> exceptions(Store store, long dropId) {
        return new ExceptionQueue(store).list(new ExceptionQueue.Filter(null, dropId, null, null, null, 1000));
    }

    /** line -> status of every staged row of a drop, as the ledger reads it. */
    private static Map<Integer, String> rowStatuses(Store store, long dropId) {
        return statuses(store, dropId, true);
    }

    private static Map<Integer, String> statuses(Store store, long dropId, boolean asTheLedgerReadsThem) {
        return store.tx(c -> {
            try (PreparedStatement ps = c.prepareStatement("select line, " + (asTheLedgerReadsThem ? DropLedger.ROW_STATUS : "status")
                    + " from drop_row where drop_id = ?")) {
                int i = 1;
                if (asTheLedgerReadsThem) {
                    ps.setInt(i++, DropLedger.appliedLine(c, dropId));
                }
                ps.setLong(i, dropId);
                try (ResultSet rs = ps.executeQuery()) {
                    Map<Integer, String> out = new TreeMap<>();
                    while (rs.next()) {
                        out.put(rs.getInt(1), rs.getString(2));
                    }
                    return out;
                }
            }
        });
    }

    private static String claimedBy(Store store, long dropId) {
        return store.tx(c -> {
            try (PreparedStatement ps = c.prepareStatement("select claimed_by from drop_file where id = ?")) {
                ps.setLong(1, dropId);
                try (ResultSet rs = ps.executeQuery()) {
                    rs.next();
                    return rs.getString(1);
                }
            }
        });
    }

    private static Flyway flyway(TestDatabase db) {
        return Flyway.configure().dataSource(db.jdbcUrl(), null, null).locations("classpath:db/migration").load();
    }

    private static List<String> appliedMigrations(TestDatabase db) {
        return Arrays.stream(flyway(db).info().applied())
                .map(m -> m.getVersion() + " " + m.getDescription() + ": " + m.getState().getDisplayName()
                        + " (rank " + m.getInstalledRank() + ", at " + m.getInstalledOn().toInstant() + ")")
                .toList();
    }
}
