package io.learnbridge.enrolment;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.tuple;
import static org.awaitility.Awaitility.await;

import io.learnbridge.store.EnrolmentOutbox;
import io.learnbridge.store.Enrolments;
import io.learnbridge.testing.HrCsv;
import io.learnbridge.testing.SnapshotWorld;
import java.nio.file.Path;
import java.time.Duration;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * The whole bridge with the deployed rules ({@code mappings/enrolment/rules.yaml}: engineers take
 * SEC-101, London takes FIRE-LDN; onMove and onLeave unenrol): route {@code apply-enrolments}
 * applies them to the workers a drop changed, and the enrolment ledger records each change,
 * pending for its target.
 */
class LiveEnrolmentTest {

    @TempDir
    Path home;

    @Test
    void aJoinerGetsTheRolesCurriculaAMoverGainsAndLosesAndALeaverLosesAllInTheLedger() throws Exception {
        try (SnapshotWorld world = new SnapshotWorld(home)) {
            world.lms.stubFor(com.github.tomakehurst.wiremock.client.WireMock.delete(
                    com.github.tomakehurst.wiremock.client.WireMock.urlPathMatching(".*/enrolments/.*"))
                    .willReturn(com.github.tomakehurst.wiremock.client.WireMock.aResponse().withStatus(204)));
            world.start(world.bridge("delta").property("learnbridge.enrolments.enabled", "true")
                    .property("learnbridge.enrolments.pollPeriod", "200ms"));
            Enrolments enrolments = new Enrolments(world.bridge().store());
            world.drop("day1.csv", HrCsv.create().workers(1, 2)
                    .row(HrCsv.id(3), "Given3", "Family3", "worker3@example.com", "", "SAL-1", "Seller", "Paris", "Sales", "A", "01/15/2020")
                    .build());
            await("the joiners' enrolments").atMost(Duration.ofSeconds(20)).until(() -> enrolments.due() == 0);
            assertThat(enrolments.held(HrCsv.id(1)).get("lms")).as("a London engineer").containsExactly("FIRE-LDN", "SEC-101");
            assertThat(enrolments.held(HrCsv.id(2)).get("lms")).containsExactly("FIRE-LDN", "SEC-101");
            assertThat(enrolments.held(HrCsv.id(3))).as("no rule for a Paris seller").isEmpty();

            world.drop("day2.csv", HrCsv.create()
                    .row(HrCsv.id(1), "Given1", "Family1", "worker1@example.com", "", "ENG-1", "Engineer", "Paris", "Engineering", "A", "01/15/2020")
                    .row(HrCsv.id(2), "Given2", "Family2", "worker2@example.com", "", "ENG-1", "Engineer", "London", "Engineering", "T", "01/15/2020")
                    .row(HrCsv.id(3), "Given3", "Family3", "worker3@example.com", "", "SAL-1", "Seller", "London", "Sales", "A", "01/15/2020")
                    .build());
            await("the movers' and leaver's enrolments").atMost(Duration.ofSeconds(20)).until(() -> enrolments.due() == 0);
            // the LMS (REST JSON) receives each change: PUT to enrol, DELETE to unenrol, each delivered once
            await("enrolment changes delivered to the LMS").atMost(Duration.ofSeconds(20))
                    .until(() -> new EnrolmentOutbox(world.bridge().store(), "test", Duration.ofMinutes(1)).count("lms", "DELIVERED") == 8);
            String base = io.learnbridge.testing.SftpLmsWorld.LMS_PATH + "/";
            java.util.List<String> calls = world.lms.getAllServeEvents().stream().map(e -> e.getRequest())
                    .filter(r -> r.getUrl().contains("/enrolments/"))
                    .map(r -> r.getMethod() + " " + r.getUrl().substring(base.length())).sorted().toList();
            assertThat(calls).containsExactly(
                    "DELETE E000001/enrolments/FIRE-LDN", "DELETE E000002/enrolments/FIRE-LDN", "DELETE E000002/enrolments/SEC-101",
                    "PUT E000001/enrolments/FIRE-LDN", "PUT E000001/enrolments/SEC-101", "PUT E000002/enrolments/FIRE-LDN",
                    "PUT E000002/enrolments/SEC-101", "PUT E000003/enrolments/FIRE-LDN");
            assertThat(enrolments.held(HrCsv.id(1)).get("lms")).as("moved to Paris: loses the London course").containsExactly("SEC-101");
            assertThat(enrolments.held(HrCsv.id(2))).as("the leaver loses everything").isEmpty();
            assertThat(enrolments.held(HrCsv.id(3)).get("lms")).as("moved to London: gains the London course").containsExactly("FIRE-LDN");

            assertThat(enrolments.ledger(HrCsv.id(1)))
                    .extracting(EnrolmentOutbox.Change::changeKind, EnrolmentOutbox.Change::action, EnrolmentOutbox.Change::curriculum,
                            EnrolmentOutbox.Change::target, EnrolmentOutbox.Change::status)
                    .containsExactly(
                            tuple("JOIN", EnrolmentOutbox.Action.ENROL, "FIRE-LDN", "lms", "DELIVERED"),
                            tuple("JOIN", EnrolmentOutbox.Action.ENROL, "SEC-101", "lms", "DELIVERED"),
                            tuple("MOVE", EnrolmentOutbox.Action.UNENROL, "FIRE-LDN", "lms", "DELIVERED"));
            assertThat(enrolments.ledger(HrCsv.id(2))).extracting(EnrolmentOutbox.Change::changeKind, EnrolmentOutbox.Change::action)
                    .containsExactly(
                            tuple("JOIN", EnrolmentOutbox.Action.ENROL), tuple("JOIN", EnrolmentOutbox.Action.ENROL),
                            tuple("LEAVE", EnrolmentOutbox.Action.UNENROL), tuple("LEAVE", EnrolmentOutbox.Action.UNENROL));
            assertThat(enrolments.ledger(HrCsv.id(3))).extracting(EnrolmentOutbox.Change::changeKind, EnrolmentOutbox.Change::action,
                    EnrolmentOutbox.Change::curriculum).containsExactly(tuple("MOVE", EnrolmentOutbox.Action.ENROL, "FIRE-LDN"));
            assertThat(world.bridge().context().getRoute("apply-enrolments")).isNotNull();

        }
    }

    @Test
    void aChangedRulesFileReachesEveryStoredWorkerAtStartupAndOneOverTheGateWaitsForApproval() throws Exception {
        java.nio.file.Path mappings = io.learnbridge.testing.TestFiles.copyTree(java.nio.file.Path.of("mappings"), home.resolve("mappings"));
        java.nio.file.Path rules = mappings.resolve("enrolment/rules.yaml");
        try (SnapshotWorld world = new SnapshotWorld(home)) {
            world.lms.stubFor(com.github.tomakehurst.wiremock.client.WireMock.delete(
                    com.github.tomakehurst.wiremock.client.WireMock.urlPathMatching(".*/enrolments/.*"))
                    .willReturn(com.github.tomakehurst.wiremock.client.WireMock.aResponse().withStatus(204)));
            java.util.function.Supplier<io.learnbridge.testing.Bridge.Builder> bridge = () -> world.bridge("delta")
                    .property("learnbridge.mappings.location", mappings.toString())
                    .property("learnbridge.enrolments.enabled", "true").property("learnbridge.enrolments.pollPeriod", "200ms")
                    .property("learnbridge.gate.maxDeactivations", "2");
            world.start(bridge.get());
            world.drop("day1.csv", HrCsv.create().workers(1, 3).build());
            java.util.function.Supplier<EnrolmentOutbox> outbox = () -> new EnrolmentOutbox(world.bridge().store(), "test", Duration.ofMinutes(1));
            await("six enrolments delivered").atMost(Duration.ofSeconds(20)).until(() -> outbox.get().count("lms", "DELIVERED") == 6);

            // London's fire course leaves the rules: 3 unenrolments, over the gate's 2
            java.nio.file.Files.writeString(rules, java.nio.file.Files.readString(rules).replace("location: [London]", "location: [Atlantis]"));
            world.bridge().close();
            world.start(bridge.get());
            io.learnbridge.store.EnrolmentRulesLedger ledger = new io.learnbridge.store.EnrolmentRulesLedger(world.bridge().store());
            await("the changed rules quarantined").atMost(Duration.ofSeconds(20))
                    .until(() -> ledger.versions().stream().anyMatch(v -> v.status().equals("QUARANTINED")));
            io.learnbridge.store.EnrolmentRulesLedger.Version waiting = ledger.versions().stream()
                    .filter(v -> v.status().equals("QUARANTINED")).findFirst().orElseThrow();
            assertThat(waiting.reason()).isEqualTo("3 unenrolments exceed the limit of 2 (maxDeactivations)");
            // a worker who changes meanwhile is enrolled by the rules applied before: nothing of the change leaks through
            world.drop("day2.csv", HrCsv.create().worker(4).build());
            await("the joiner's enrolments").atMost(Duration.ofSeconds(20)).until(() -> outbox.get().count("lms", "DELIVERED") == 8);
            assertThat(new Enrolments(world.bridge().store()).held(HrCsv.id(4)).get("lms")).containsExactly("FIRE-LDN", "SEC-101");
            assertThat(world.lms.getAllServeEvents()).noneMatch(e -> e.getRequest().getMethod().getName().equals("DELETE"));

            assertThat(ledger.approve(waiting.checksum(), "ops").done()).isTrue();
            await("the unenrolments delivered").atMost(Duration.ofSeconds(20)).until(() -> outbox.get().count("lms", "DELIVERED") == 12);
            assertThat(world.lms.getAllServeEvents().stream().map(e -> e.getRequest())
                    .filter(r -> r.getMethod().getName().equals("DELETE")).map(r -> r.getUrl().replaceAll(".*/users/", "")).sorted().toList())
                    .containsExactly("E000001/enrolments/FIRE-LDN", "E000002/enrolments/FIRE-LDN", "E000003/enrolments/FIRE-LDN",
                            "E000004/enrolments/FIRE-LDN");
            // the approved rules are now what live enrolment applies
            world.drop("day3.csv", HrCsv.create().worker(5).build());
            await("the next joiner's enrolment").atMost(Duration.ofSeconds(20)).until(() -> outbox.get().count("lms", "DELIVERED") == 13);
            assertThat(new Enrolments(world.bridge().store()).held(HrCsv.id(5)).get("lms")).containsExactly("SEC-101");
        }
    }
}
