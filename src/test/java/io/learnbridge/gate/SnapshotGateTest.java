package io.learnbridge.gate;

import static com.github.tomakehurst.wiremock.client.WireMock.postRequestedFor;
import io.learnbridge.testing.ReliabilityScenario;
import static com.github.tomakehurst.wiremock.client.WireMock.urlPathEqualTo;
import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

import io.learnbridge.store.DropLedger;
import io.learnbridge.store.Plans;
import io.learnbridge.store.Reconciliation;
import io.learnbridge.testing.HrCsv;
import io.learnbridge.testing.LmsJournal;
import io.learnbridge.testing.SnapshotWorld;
import java.net.http.HttpResponse;
import java.nio.file.Path;
import java.time.Duration;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.stream.Collectors;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * The safety gate through the running bridge (RELIABILITY.md scenarios 11 and 12): a full
 * snapshot over a threshold is quarantined before any of its changes reaches the LMS, an alert is
 * raised, and only an operator's approval (bound to the drop's checksum, once) applies exactly
 * the plan that was reviewed; a rejection discards it.
 */
class SnapshotGateTest {

    @TempDir
    Path home;

    private SnapshotWorld world;

    @AfterEach
    void stop() {
        if (world != null) {
            world.close();
        }
    }

    @Test
    @ReliabilityScenario(12)
    void deactivationCountsAtTheLimitOf500() throws Exception {
        world = new SnapshotWorld(home);
        world.start(world.bridge("full").property("learnbridge.gate.maxDeactivationPercent", "100").property("learnbridge.gate.maxChangePercent", "100")
                .property("learnbridge.gate.maxShrinkPercent", "100"));
        world.drop("day1.csv", HrCsv.create().workers(1, 600).build());

        int before = world.journal().puts().size();
        Reconciliation.Report over = world.drop("day2-501.csv", HrCsv.create().workers(502, 600).build());
        assertThat(over.status()).isEqualTo("QUARANTINED");
        assertThat(over.gateReasons()).isEqualTo("501 deactivations exceed the limit of 500");
        assertThat(over.inferredLeavers()).isEqualTo(501);
        assertNoCallsFor(over, before);
        assertThat(world.bridge().dropFolder().resolve(".quarantined/day2-501." + over.dropId() + ".csv")).exists();
        await().atMost(Duration.ofSeconds(10)).untilAsserted(() -> world.lms.verify(1, postRequestedFor(urlPathEqualTo("/alerts"))));
        assertThat(world.lms.findAll(postRequestedFor(urlPathEqualTo("/alerts"))).get(0).getBodyAsString())
                .contains("\"event\":\"drop.quarantined\"").contains("\"leaves\":501").contains("501 deactivations exceed the limit of 500");
        assertThat(reject(over).done()).isTrue();

        Reconciliation.Report within = world.drop("day2-499.csv", HrCsv.create().workers(500, 600).build());
        assertThat(within.status()).isEqualTo("STAGED");
        assertThat(within.inferredLeavers()).isEqualTo(499);
        await().atMost(Duration.ofSeconds(30)).until(() -> world.putsAfter(before).size() == 499);
        assertThat(world.putsAfter(before)).allSatisfy(p -> assertThat(p.body()).contains("\"active\":false"));
    }

    @Test
    @ReliabilityScenario(12)
    void deactivationSharesAt19And21PercentOfALimitOf20() throws Exception {
        world = new SnapshotWorld(home);
        world.start(world.bridge("full"));
        world.drop("day1.csv", HrCsv.create().workers(1, 100).build());

        int before = world.journal().puts().size();
        Reconciliation.Report over = world.drop("day2-21.csv", HrCsv.create().workers(22, 100).build());
        assertThat(over.status()).isEqualTo("QUARANTINED");
        assertThat(over.gateReasons()).isEqualTo("21 deactivations are 21.0% of 100 active workers, over the limit of 20%");
        assertNoCallsFor(over, before);

        Reconciliation.Report within = world.drop("day2-19.csv", HrCsv.create().workers(20, 100).build());
        assertThat(within.status()).isEqualTo("STAGED");
        await().atMost(Duration.ofSeconds(30)).until(() -> world.putsAfter(before).size() == 19);
    }

    @Test
    @ReliabilityScenario(11)
    void aTruncatedEmptyOrHeaderOnlySnapshotIsQuarantinedAndApprovalAppliesExactlyThePlanOnce() throws Exception {
        world = new SnapshotWorld(home);
        world.start(world.bridge("full"));
        world.drop("day1.csv", HrCsv.create().workers(1, 100).build());
        int before = world.journal().puts().size();

        // 0 bytes is an export that failed: refused with its reason (never approvable into "everyone left")
        Reconciliation.Report empty = world.drop("empty.csv", "");
        assertThat(empty.status()).isEqualTo("FAILED");
        assertThat(new io.learnbridge.store.ExceptionQueue(world.bridge().store()).list(io.learnbridge.store.ExceptionQueue.Filter.open()))
                .extracting(io.learnbridge.store.ExceptionEntry::reason).contains("empty.csv: the file is empty (not even a header row): nothing was read;"
                        + " an export that failed? Put the whole file back into the drop folder");
        // a header without rows says every worker left: the gate quarantines it
        Reconciliation.Report headerOnly = world.drop("header-only.csv", HrCsv.HEADER + "\n");
        assertThat(headerOnly.status()).isEqualTo("QUARANTINED");
        assertThat(headerOnly.gateReasons()).contains("the full snapshot has no rows (empty or header only) while 100 workers are active");
        Reconciliation.Report truncated = world.drop("truncated.csv", HrCsv.create().workers(1, 40).build());
        assertThat(truncated.status()).isEqualTo("QUARANTINED");
        assertThat(truncated.gateReasons()).contains("the full snapshot has 40 rows, 60.0% fewer than the last one (100), over the limit of 30%");
        assertNoCallsFor(truncated, before);
        assertThat(world.putsAfter(before)).as("deactivation calls while quarantined").isEmpty();

        // the operator looks at the plan, then approves with the checksum of what was reviewed
        Plans.Plan plan = new Plans(world.bridge().store()).forDrop(truncated.dropId(), 1000).orElseThrow();
        assertThat(plan.byKind()).containsEntry("LEAVE", 60).containsEntry("NOOP", 40);
        HttpResponse<String> wrongChecksum = world.bridge().api("POST", "/api/drops/" + truncated.dropId() + "/approve?checksum=" + "0".repeat(64));
        assertThat(wrongChecksum.statusCode()).isEqualTo(409);
        assertThat(wrongChecksum.body()).contains("checksum does not match");
        HttpResponse<String> approved = world.bridge().api("POST", "/api/drops/" + truncated.dropId() + "/approve?checksum=" + truncated.checksum());
        assertThat(approved.statusCode()).isEqualTo(200);
        assertThat(approved.body()).contains("\"done\":true").contains("60 deliveries queued");
        HttpResponse<String> again = world.bridge().api("POST", "/api/drops/" + truncated.dropId() + "/approve?checksum=" + truncated.checksum());
        assertThat(again.statusCode()).as("a second approval does nothing").isEqualTo(409);
        assertThat(again.body()).contains("is STAGED, not quarantined");

        await().atMost(Duration.ofSeconds(30)).until(() -> world.putsAfter(before).size() == 60);
        Set<String> planned = plan.changes().stream().map(c -> c.workerId() + " " + c.kind()).collect(Collectors.toSet());
        Set<String> applied = world.putsAfter(before).stream()
                .map(p -> p.workerId() + " " + (p.body().contains("\"active\":false") ? "LEAVE" : "OTHER")).collect(Collectors.toSet());
        assertThat(applied).as("changes applied after approval = the plan").isEqualTo(planned);
        Map<String, String> plannedBodies = plan.changes().stream().collect(Collectors.toMap(Plans.PlannedChange::workerId, Plans.PlannedChange::canonical));
        assertThat(world.putsAfter(before)).allSatisfy(p -> assertThat(plannedBodies.get(p.workerId()))
                .contains("\"email\":\"" + p.body().replaceAll(".*\"email\":\"([^\"]+)\".*", "$1") + "\""));

        Reconciliation.Report rejected = world.drop("rejected.csv", HrCsv.create().workers(41, 60).build());
        assertThat(rejected.status()).isEqualTo("QUARANTINED");
        int beforeReject = world.journal().puts().size();
        DropLedger.Decision decision = reject(rejected);
        assertThat(decision.done()).isTrue();
        assertThat(reject(rejected).done()).as("a second rejection does nothing").isFalse();
        Reconciliation.Report discarded = new Reconciliation(world.bridge().store()).forDrop(rejected.dropId()).orElseThrow();
        assertThat(discarded.status()).isEqualTo("DISCARDED");
        assertThat(discarded.balanced()).isTrue();
        await("no call after a rejection").during(Duration.ofMillis(500)).atMost(Duration.ofSeconds(2))
                .until(() -> world.putsAfter(beforeReject).isEmpty());
    }

    private void assertNoCallsFor(Reconciliation.Report report, int before) {
        assertThat(report.targets()).as("no delivery queued for a quarantined drop").allSatisfy(t -> {
            assertThat(t.delivered() + t.pending() + t.failed()).isZero();
            assertThat(t.leaversDelivered() + t.leaversPending() + t.leaversFailed()).isZero();
        });
        List<LmsJournal.Put> after = world.putsAfter(before);
        assertThat(after).as("LMS calls while quarantined").isEmpty();
        assertThat(report.balanced()).isTrue();
    }

    private DropLedger.Decision reject(Reconciliation.Report report) {
        return new DropLedger(world.bridge().store(), "test", Duration.ofMinutes(1)).reject(report.dropId(), report.checksum(), "test");
    }
}
