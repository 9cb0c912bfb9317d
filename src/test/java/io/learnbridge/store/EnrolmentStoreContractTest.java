package io.learnbridge.store;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.tuple;

import io.learnbridge.enrolment.EnrolmentRules;
import io.learnbridge.worker.ChangeDetector;
import java.sql.PreparedStatement;
import java.time.Duration;
import java.time.Instant;
import java.util.List;

/**
 * Enrolment rules applied live to workers whose state changed, and the enrolment outbox per
 * target, on every database the store supports.
 */
class EnrolmentStoreContractTest {

    private static final Duration LONG_LEASE = Duration.ofMinutes(10);
    private static final EnrolmentRules RULES = EnrolmentRules.parse("rules.yaml", """
            policy: {onMove: unenrol, onLeave: unenrol}
            rules:
              - name: engineers
                when: {jobCode: [ENG-1]}
                enrol: {lms: [SEC-101]}
              - name: london
                when: {location: [London]}
                enrol: {lms: [FIRE-LDN], moodle: [INDUCT-LDN]}
            """);

    // --- applying the rules live ----------------------------------------------------------------

    @OnEveryDatabase
    @io.learnbridge.testing.ReliabilityScenario(16)
    void twoInstancesApplyingTheRulesAtOnceEnrolEachJoinerOnce(Store store) throws Exception {
        int joiners = 200;
        String[] workers = new String[joiners];
        for (int i = 0; i < joiners; i++) {
            workers[i] = worker("J" + i, "ENG-1", "London", "ACTIVE");
        }
        drop(new DropLedger(store, "a", LONG_LEASE), "joiners", workers);
        java.util.concurrent.CyclicBarrier together = new java.util.concurrent.CyclicBarrier(2);
        java.util.concurrent.ExecutorService pool = java.util.concurrent.Executors.newFixedThreadPool(2);
        try {
            List<java.util.concurrent.Future<Integer>> applied = new java.util.ArrayList<>();
            for (int instance = 0; instance < 2; instance++) {
                Enrolments enrolments = new Enrolments(store);
                applied.add(pool.submit(() -> {
                    together.await();
                    int n = 0;
                    for (int got = enrolments.applyDue(RULES, 7).workers(); got > 0; got = enrolments.applyDue(RULES, 7).workers()) {
                        n += got;
                    }
                    return n;
                }));
            }
            assertThat(applied.get(0).get() + applied.get(1).get()).as("each joiner applied by one instance").isEqualTo(joiners);
        } finally {
            pool.shutdownNow();
        }
        Enrolments enrolments = new Enrolments(store);
        assertThat(enrolments.due()).isZero();
        for (int i = 0; i < joiners; i += 37) {
            assertThat(enrolments.ledger("J" + i)).as("J%d's enrolments, once each", i).extracting(c -> c.target(), c -> c.curriculum())
                    .containsExactlyInAnyOrder(tuple("lms", "FIRE-LDN"), tuple("lms", "SEC-101"), tuple("moodle", "INDUCT-LDN"));
        }
    }

    @OnEveryDatabase
    void aJoinerMoverAndLeaverFromDropsAreEnrolledAndUnenrolledOnceEach(Store store) {
        DropLedger ledger = new DropLedger(store, "a", LONG_LEASE);
        Enrolments enrolments = new Enrolments(store);
        drop(ledger, "d1", worker("E1", "ENG-1", "London", "ACTIVE"), worker("E2", "SAL-1", "Paris", "ACTIVE"));
        assertThat(enrolments.due()).as("both joiners are due").isEqualTo(2);

        Enrolments.Applied joined = enrolments.applyDue(RULES, 100);
        assertThat(joined.workers()).isEqualTo(2);
        assertThat(enrolments.held("E1")).containsOnlyKeys("lms", "moodle");
        assertThat(enrolments.held("E1").get("lms")).containsExactly("FIRE-LDN", "SEC-101");
        assertThat(enrolments.held("E2")).as("no rule matches a Paris seller").isEmpty();
        assertThat(enrolments.applyDue(RULES, 100).workers()).as("nothing applied twice").isZero();

        drop(ledger, "d2", worker("E1", "ENG-1", "Paris", "ACTIVE"));
        enrolments.applyDue(RULES, 100);
        assertThat(enrolments.held("E1")).as("the mover keeps SEC-101, loses the London courses").containsOnlyKeys("lms");
        assertThat(enrolments.held("E1").get("lms")).containsExactly("SEC-101");

        drop(ledger, "d3", worker("E1", "ENG-1", "Paris", "TERMINATED"));
        enrolments.applyDue(RULES, 100);
        assertThat(enrolments.held("E1")).as("the leaver loses everything").isEmpty();

        assertThat(enrolments.ledger("E1")).extracting(c -> c.changeKind(), c -> c.target(), c -> c.curriculum(), c -> c.action(), c -> c.status())
                .containsExactly(
                        tuple("JOIN", "lms", "FIRE-LDN", EnrolmentOutbox.Action.ENROL, "PENDING"),
                        tuple("JOIN", "lms", "SEC-101", EnrolmentOutbox.Action.ENROL, "PENDING"),
                        tuple("JOIN", "moodle", "INDUCT-LDN", EnrolmentOutbox.Action.ENROL, "PENDING"),
                        tuple("MOVE", "lms", "FIRE-LDN", EnrolmentOutbox.Action.UNENROL, "PENDING"),
                        tuple("MOVE", "moodle", "INDUCT-LDN", EnrolmentOutbox.Action.UNENROL, "PENDING"),
                        tuple("LEAVE", "lms", "SEC-101", EnrolmentOutbox.Action.UNENROL, "PENDING"));
        assertThat(enrolments.due()).isZero();
    }

    @OnEveryDatabase
    void keepPoliciesLeaveCurriculaInPlaceOnMoveAndLeave(Store store) {
        EnrolmentRules keep = EnrolmentRules.parse("keep.yaml", """
                policy: {onMove: keep, onLeave: keep}
                rules:
                  - name: london
                    when: {location: [London]}
                    enrol: {lms: [FIRE-LDN]}
                """);
        DropLedger ledger = new DropLedger(store, "a", LONG_LEASE);
        Enrolments enrolments = new Enrolments(store);
        drop(ledger, "d1", worker("E1", "ENG-1", "London", "ACTIVE"));
        enrolments.applyDue(keep, 100);
        drop(ledger, "d2", worker("E1", "ENG-1", "Paris", "ACTIVE"));
        enrolments.applyDue(keep, 100);
        drop(ledger, "d3", worker("E1", "ENG-1", "Paris", "TERMINATED"));
        enrolments.applyDue(keep, 100);
        assertThat(enrolments.held("E1").get("lms")).containsExactly("FIRE-LDN");
        assertThat(enrolments.ledger("E1")).hasSize(1);
    }

    @OnEveryDatabase
    void eventsMarkWorkersDueWithTheirChangeKindAndBatchesResumeWhereTheyStopped(Store store) {
        EventInbox inbox = new EventInbox(store, "a", LONG_LEASE);
        Enrolments enrolments = new Enrolments(store);
        for (int i = 1; i <= 3; i++) {
            inbox.receive("hook", EventInbox.Channel.WEBHOOK, "id:" + i, "webhook id:" + i, "{}");
        }
        List<EventInbox.Event> events = inbox.claim(10);
        Instant at = Instant.parse("2024-03-01T00:00:00Z");
        for (int i = 0; i < 3; i++) {
            inbox.apply(events.get(i), "E" + (i + 1), at, worker("E" + (i + 1), "ENG-1", "London", "ACTIVE"), List.of(), new ChangeDetector(false));
        }
        assertThat(enrolments.due()).isEqualTo(3);

        assertThat(enrolments.applyDue(RULES, 2).workers()).as("a batch takes at most its size").isEqualTo(2);
        assertThat(enrolments.due()).isEqualTo(1);
        assertThat(enrolments.applyDue(RULES, 2).workers()).isEqualTo(1);
        assertThat(enrolments.ledger("E3")).extracting(EnrolmentOutbox.Change::changeKind).containsOnly("JOIN");
        assertThat(enrolments.ledger("E1")).hasSize(3);
    }

    @OnEveryDatabase
    void aWorkerWhoseStateCannotBeReadGoesToTheExceptionQueueAndDoesNotBlockTheOthers(Store store) {
        DropLedger ledger = new DropLedger(store, "a", LONG_LEASE);
        Enrolments enrolments = new Enrolments(store);
        drop(ledger, "d1", worker("E1", "ENG-1", "London", "ACTIVE"), worker("E2", "ENG-1", "London", "ACTIVE"));
        store.tx(c -> {
            try (PreparedStatement ps = c.prepareStatement("update worker_record set canonical = 'not json' where worker_id = 'E1'")) {
                return ps.executeUpdate();
            }
        });
        assertThat(enrolments.applyDue(RULES, 100).workers()).isEqualTo(2);
        assertThat(enrolments.held("E2").get("lms")).containsExactly("FIRE-LDN", "SEC-101");
        assertThat(new ExceptionQueue(store).list(ExceptionQueue.Filter.open())).singleElement()
                .satisfies(e -> {
                    assertThat(e.stage()).isEqualTo("enrol");
                    assertThat(e.workerId()).isEqualTo("E1");
                    assertThat(e.source()).isEqualTo(Enrolments.SOURCE);
                });
        assertThat(enrolments.due()).isZero();
    }

    // --- the outbox per target ------------------------------------------------------------------

    @OnEveryDatabase
    void theOutboxHandsOutChangesPerTargetOldestFirstAndNeverAnUnenrolBeforeItsEnrol(Store store) {
        Enrolments enrolments = joinedThenMoved(store);
        EnrolmentOutbox outbox = new EnrolmentOutbox(store, "a", LONG_LEASE);

        List<EnrolmentOutbox.Change> first = outbox.claim("moodle", 10);
        assertThat(first).as("the unenrol waits for the enrol of the same curriculum")
                .extracting(EnrolmentOutbox.Change::action, EnrolmentOutbox.Change::curriculum, EnrolmentOutbox.Change::attempts)
                .containsExactly(tuple(EnrolmentOutbox.Action.ENROL, "INDUCT-LDN", 1));
        assertThat(outbox.claim("moodle", 10)).as("claimed and leased: nothing more for now").isEmpty();
        outbox.delivered(first.get(0).id());
        assertThat(outbox.claim("moodle", 10)).extracting(EnrolmentOutbox.Change::action).containsExactly(EnrolmentOutbox.Action.UNENROL);

        List<EnrolmentOutbox.Change> lms = outbox.claim("lms", 2);
        assertThat(lms).extracting(EnrolmentOutbox.Change::curriculum).containsExactly("FIRE-LDN", "SEC-101");
        assertThat(outbox.count("lms", "SENDING")).isEqualTo(2);
        assertThat(enrolments.ledger("E1")).hasSize(5);
    }

    @OnEveryDatabase
    void aTransientFailureWaitsUntilNotBeforeAndAnExpiredLeaseIsClaimedAgain(Store store) {
        joinedThenMoved(store);
        EnrolmentOutbox outbox = new EnrolmentOutbox(store, "a", LONG_LEASE);
        EnrolmentOutbox.Change enrol = outbox.claim("moodle", 1).get(0);
        outbox.retryLater(enrol.id(), Instant.now().plusSeconds(3600));
        assertThat(outbox.count("moodle", "PENDING")).isEqualTo(2);
        assertThat(outbox.claim("moodle", 10)).as("not before its time, and its unenrol waits behind it").isEmpty();

        outbox.retryLater(enrol.id(), Instant.now().minusSeconds(1)); // not SENDING: changes nothing
        assertThat(outbox.claim("moodle", 10)).isEmpty();

        EnrolmentOutbox dying = new EnrolmentOutbox(store, "dying", Duration.ZERO);
        List<EnrolmentOutbox.Change> lms = dying.claim("lms", 10);
        assertThat(lms).hasSize(2);
        List<EnrolmentOutbox.Change> again = outbox.claim("lms", 10);
        assertThat(again).as("a claim whose lease ran out is claimed again").extracting(EnrolmentOutbox.Change::id)
                .containsExactlyElementsOf(lms.stream().map(EnrolmentOutbox.Change::id).toList());
        assertThat(again).extracting(EnrolmentOutbox.Change::attempts).containsOnly(2);
        assertThat(new EnrolmentOutbox(store, "dying", LONG_LEASE).releaseOwnClaims()).as("no longer its claims").isZero();
        assertThat(new EnrolmentOutbox(store, "a", LONG_LEASE).releaseOwnClaims()).isEqualTo(2);
        assertThat(outbox.count("lms", "PENDING")).as("two released, and the unenrol behind them").isEqualTo(3);
    }

    @OnEveryDatabase
    void aReasonThatNamesItsChangeAlreadyIsNotPrefixedTwice(Store store) {
        joinedThenMoved(store);
        EnrolmentOutbox outbox = new EnrolmentOutbox(store, "a", LONG_LEASE);
        EnrolmentOutbox.Change enrol = outbox.claim("moodle", 1).get(0);
        String moodles = "ENROL INDUCT-LDN: enrol_manual_enrol_users: Moodle refused (wsnoinstance): no manual enrolment instance";
        long exceptionId = outbox.failed(enrol, new ExceptionEntry(null, ExceptionEntry.Kind.FAILED, ExceptionEntry.Status.OPEN, "enrol", null,
                null, null, null, null, null, null, null, moodles, "MoodleException", null, 200, null, null, null, null, 0, null, null));
        assertThat(new ExceptionQueue(store).get(exceptionId).orElseThrow().reason()).isEqualTo(moodles);
    }

    @OnEveryDatabase
    void aFailedChangeGoesToTheExceptionQueueWithWorkerTargetAndCurriculumAndReplayQueuesItAgain(Store store) {
        joinedThenMoved(store);
        EnrolmentOutbox outbox = new EnrolmentOutbox(store, "a", LONG_LEASE);
        EnrolmentOutbox.Change enrol = outbox.claim("moodle", 1).get(0);
        long exceptionId = outbox.failed(enrol, new ExceptionEntry(null, ExceptionEntry.Kind.FAILED, ExceptionEntry.Status.OPEN, "enrol", null,
                null, null, null, null, null, null, null, "no course with idnumber INDUCT-LDN", "MoodleException", null, 200,
                "{\"exception\":\"invalid_parameter_exception\"}", null, null, null, 0, null, null));
        assertThat(outbox.count("moodle", "FAILED")).isEqualTo(1);
        ExceptionEntry entry = new ExceptionQueue(store).get(exceptionId).orElseThrow();
        assertThat(entry.kind()).isEqualTo(ExceptionEntry.Kind.FAILED);
        assertThat(entry.stage()).isEqualTo(EnrolmentOutbox.STAGE);
        assertThat(entry.workerId()).isEqualTo("E1");
        assertThat(entry.target()).isEqualTo("moodle");
        assertThat(entry.deliveryId()).isEqualTo(enrol.id());
        assertThat(entry.reason()).isEqualTo("ENROL INDUCT-LDN: no course with idnumber INDUCT-LDN");
        assertThat(entry.origin()).contains("INDUCT-LDN");
        assertThat(entry.attempts()).isEqualTo(1);

        assertThat(outbox.claim("moodle", 10)).as("a failed enrol no longer holds back its unenrol")
                .extracting(EnrolmentOutbox.Change::action).containsExactly(EnrolmentOutbox.Action.UNENROL);

        assertThat(new Replays(store).retryEnrolment(entry)).isTrue();
        assertThat(new ExceptionQueue(store).get(exceptionId).orElseThrow().status()).isEqualTo(ExceptionEntry.Status.REPLAYED);
        assertThat(outbox.count("moodle", "PENDING")).isEqualTo(1);
    }

    // --- helpers --------------------------------------------------------------------------------

    /** E1 joins in London (lms FIRE-LDN, SEC-101; moodle INDUCT-LDN), then moves to Paris (unenrol FIRE-LDN, INDUCT-LDN). */
    private static Enrolments joinedThenMoved(Store store) {
        DropLedger ledger = new DropLedger(store, "a", LONG_LEASE);
        Enrolments enrolments = new Enrolments(store);
        drop(ledger, "d1", worker("E1", "ENG-1", "London", "ACTIVE"));
        enrolments.applyDue(RULES, 100);
        drop(ledger, "d2", worker("E1", "ENG-1", "Paris", "ACTIVE"));
        enrolments.applyDue(RULES, 100);
        return enrolments;
    }

    // --- a changed rules file ---------------------------------------------------------------------

    private static final EnrolmentRules WITHOUT_LONDON = EnrolmentRules.parse("rules.yaml", """
            policy: {onMove: unenrol, onLeave: unenrol}
            rules:
              - name: engineers
                when: {jobCode: [ENG-1]}
                enrol: {lms: [SEC-101, SEC-201]}
            """);

    private static io.learnbridge.gate.GatePolicy gate(int maxDeactivations) {
        return new io.learnbridge.gate.GatePolicy(maxDeactivations, 100, 0, 100, 100, 1, false);
    }

    /** Three London engineers and a Paris seller, enrolled under RULES; returns the rules ledger, RULES applied. */
    private static EnrolmentRulesLedger londonEngineers(Store store) {
        DropLedger ledger = new DropLedger(store, "a", LONG_LEASE);
        EnrolmentRulesLedger rules = new EnrolmentRulesLedger(store);
        assertThat(rules.reconcile(RULES, gate(500), "startup").version().status()).as("nobody stored yet: nothing to change").isEqualTo("APPLIED");
        drop(ledger, "d1", worker("E1", "ENG-1", "London", "ACTIVE"), worker("E2", "ENG-1", "London", "ACTIVE"),
                worker("E3", "ENG-1", "London", "ACTIVE"), worker("E4", "SAL-1", "Paris", "ACTIVE"));
        new Enrolments(store).applyDue(RULES, 100);
        return rules;
    }

    private static int changes(Store store, String reason) {
        return store.tx(c -> {
            try (PreparedStatement ps = c.prepareStatement("select count(*) from enrolment_change where reason = ?")) {
                ps.setString(1, reason);
                try (java.sql.ResultSet rs = ps.executeQuery()) {
                    rs.next();
                    return rs.getInt(1);
                }
            }
        });
    }

    @OnEveryDatabase
    void aChangedRulesFileWithinTheGateReachesEveryStoredWorkerNotOnlyTheNextToChange(Store store) {
        EnrolmentRulesLedger rules = londonEngineers(store);
        Enrolments enrolments = new Enrolments(store);
        assertThat(enrolments.due()).isZero();

        EnrolmentRulesLedger.Outcome outcome = rules.reconcile(WITHOUT_LONDON, gate(500), "startup");

        assertThat(outcome.changedNow()).isTrue();
        assertThat(outcome.version()).satisfies(v -> {
            assertThat(v.status()).isEqualTo("APPLIED");
            assertThat(v.workers()).isEqualTo(3);
            assertThat(v.enrolments()).as("SEC-201 for each engineer").isEqualTo(3);
            assertThat(v.unenrolments()).as("FIRE-LDN and INDUCT-LDN for each").isEqualTo(6);
        });
        assertThat(enrolments.held("E2")).containsOnlyKeys("lms");
        assertThat(enrolments.held("E2").get("lms")).containsExactly("SEC-101", "SEC-201");
        assertThat(changes(store, "rules changed")).isEqualTo(9);
        assertThat(rules.appliedChecksum()).isEqualTo(WITHOUT_LONDON.checksum());
        assertThat(rules.reconcile(WITHOUT_LONDON, gate(500), "startup").changedNow()).as("applied once").isFalse();
        assertThat(changes(store, "rules changed")).isEqualTo(9);
    }

    @OnEveryDatabase
    void aRulesChangeUnenrollingMoreThanTheGateAllowsIsQuarantinedUntilApprovedWithItsChecksum(Store store) {
        EnrolmentRulesLedger rules = londonEngineers(store);

        EnrolmentRulesLedger.Outcome outcome = rules.reconcile(WITHOUT_LONDON, gate(5), "startup");

        assertThat(outcome.version().status()).isEqualTo("QUARANTINED");
        assertThat(outcome.version().reason()).isEqualTo("6 unenrolments exceed the limit of 5 (maxDeactivations)");
        assertThat(outcome.describe()).contains("rules approve --checksum " + WITHOUT_LONDON.checksum());
        assertThat(changes(store, "rules changed")).as("nothing of it applied").isZero();
        assertThat(new Enrolments(store).held("E1").get("lms")).containsExactly("FIRE-LDN", "SEC-101");
        assertThat(rules.appliedChecksum()).as("the rules applied before stay in force").isEqualTo(RULES.checksum());
        assertThat(rules.applied()).hasValueSatisfying(r -> assertThat(r.checksum()).isEqualTo(RULES.checksum()));
        assertThat(rules.reconcile(WITHOUT_LONDON, gate(5), "startup").changedNow()).as("a restart does not decide again").isFalse();

        assertThat(rules.approve("not-the-checksum", "ops").done()).isFalse();
        EnrolmentRulesLedger.Decision approved = rules.approve(WITHOUT_LONDON.checksum(), "ops");
        assertThat(approved.done()).isTrue();
        assertThat(approved.message()).contains("3 workers, 3 enrolments, 6 unenrolments queued");
        assertThat(changes(store, "rules changed")).isEqualTo(9);
        assertThat(rules.appliedChecksum()).isEqualTo(WITHOUT_LONDON.checksum());
        assertThat(rules.approve(WITHOUT_LONDON.checksum(), "ops").done()).as("once").isFalse();
    }

    @OnEveryDatabase
    void aRejectedRulesChangeIsNeverAppliedAndBackToRulesAppliedBeforeIsAChangeAgain(Store store) {
        EnrolmentRulesLedger rules = londonEngineers(store);
        rules.reconcile(WITHOUT_LONDON, gate(5), "startup");

        assertThat(rules.reject(WITHOUT_LONDON.checksum(), "ops").done()).isTrue();
        assertThat(rules.reconcile(WITHOUT_LONDON, gate(500), "startup").version().status()).isEqualTo("REJECTED");
        assertThat(changes(store, "rules changed")).isZero();
        assertThat(rules.versions()).extracting(EnrolmentRulesLedger.Version::status).containsExactlyInAnyOrder("APPLIED", "REJECTED");
    }

    private static void drop(DropLedger ledger, String checksum, String... canonicals) {
        DropClaim claim = ledger.claim("hr", checksum + ".csv", checksum, 10);
        List<StagedRow> rows = new java.util.ArrayList<>();
        for (int i = 0; i < canonicals.length; i++) {
            String id = canonicals[i].replaceAll(".*\"workerId\":\"([^\"]+)\".*", "$1");
            rows.add(new StagedRow(i + 2, id, true, io.learnbridge.drop.DropChecksum.sha256(canonicals[i]), "{}", canonicals[i], null, null, null));
        }
        ledger.stage(claim, rows);
        ledger.finish(claim, List.of());
    }

    private static String worker(String id, String jobCode, String location, String status) {
        return "{\"workerId\":\"" + id + "\",\"jobCode\":\"" + jobCode + "\",\"location\":\"" + location + "\",\"employmentStatus\":\"" + status + "\"}";
    }
}
