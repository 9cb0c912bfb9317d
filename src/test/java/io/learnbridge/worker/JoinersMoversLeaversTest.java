package io.learnbridge.worker;

import static org.assertj.core.api.Assertions.assertThat;

import io.learnbridge.store.Plans;
import io.learnbridge.store.Reconciliation;
import io.learnbridge.testing.HrCsv;
import io.learnbridge.testing.LmsJournal;
import io.learnbridge.testing.SnapshotWorld;
import java.nio.file.Path;
import java.util.Map;
import java.util.stream.Collectors;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * Day-over-day full snapshots through the running bridge to a real HTTP LMS: exactly the expected
 * joiners, movers and leavers (by status and by absence) are sent, unchanged workers cause no
 * call, and the reorg and identity cases behave as a user expects.
 */
class JoinersMoversLeaversTest {

    @TempDir
    Path home;

    private SnapshotWorld world;

    @BeforeEach
    void start() throws Exception {
        world = new SnapshotWorld(home);
        world.start(world.bridge("full"));
    }

    @AfterEach
    void stop() {
        world.close();
    }

    @Test
    void dayOverDaySnapshotsSendExactlyTheJoinersMoversAndLeaversAndNothingForUnchangedWorkers() throws Exception {
        Reconciliation.Report day1 = world.drop("day1.csv", HrCsv.create().workers(1, 10).build());
        assertThat(day1.targets()).singleElement().satisfies(t -> assertThat(t.delivered()).isEqualTo(10));
        int before = world.journal().puts().size();

        HrCsv day2 = HrCsv.create().workers(1, 2)
                .row(HrCsv.id(3), "Given3", "Family3", "worker3@example.com", HrCsv.id(1), "ENG-1", "Engineer", "London", "Engineering", "A", "01/15/2020")
                .row(HrCsv.id(4), "Given4", "Family4", "worker4@example.com", "", "ENG-1", "Engineer", "London", "Sales", "A", "01/15/2020")
                .row(HrCsv.id(5), "Given5", "Family5", "given.five@example.com", "", "ENG-1", "Engineer", "London", "Engineering", "A", "01/15/2020")
                .row(HrCsv.id(6), "Given6", "Family6", "worker6@example.com", "", "ENG-1", "Engineer", "London", "Engineering", "T", "01/15/2020")
                .workers(8, 11);
        Reconciliation.Report report = world.drop("day2.csv", day2.build());

        Plans.Plan plan = new Plans(world.bridge().store()).forDrop(report.dropId(), 100).orElseThrow();
        assertThat(plan.byKind()).containsExactly(Map.entry("JOIN", 1), Map.entry("MOVE", 2), Map.entry("UPDATE", 1),
                Map.entry("LEAVE", 2), Map.entry("NOOP", 5));
        Map<String, String> kinds = plan.changes().stream().collect(Collectors.toMap(Plans.PlannedChange::workerId, Plans.PlannedChange::kind));
        assertThat(kinds).containsExactlyInAnyOrderEntriesOf(Map.of(HrCsv.id(3), "MOVE", HrCsv.id(4), "MOVE", HrCsv.id(5), "UPDATE",
                HrCsv.id(6), "LEAVE", HrCsv.id(7), "LEAVE", HrCsv.id(11), "JOIN"));
        assertThat(plan.changes()).filteredOn(c -> c.workerId().equals(HrCsv.id(7))).singleElement()
                .satisfies(c -> assertThat(c.reason()).isEqualTo("absent from the full snapshot"));
        assertThat(plan.changes()).filteredOn(c -> c.workerId().equals(HrCsv.id(4))).singleElement()
                .satisfies(c -> assertThat(c.diff()).isEqualTo("{\"orgUnit\":[\"Engineering\",\"Sales\"]}"));

        Map<String, LmsJournal.Put> sent = world.putsAfter(before).stream().collect(Collectors.toMap(LmsJournal.Put::workerId, p -> p));
        assertThat(sent).as("calls to the LMS for day 2").containsOnlyKeys(HrCsv.id(3), HrCsv.id(4), HrCsv.id(5), HrCsv.id(6), HrCsv.id(7), HrCsv.id(11));
        assertThat(sent.get(HrCsv.id(6)).body()).contains("\"active\":false");
        assertThat(sent.get(HrCsv.id(7)).body()).as("leaver by absence, last known state").contains("\"active\":false")
                .contains("worker7@example.com");
        assertThat(sent.get(HrCsv.id(5)).body()).contains("given.five@example.com");
        assertThat(report.unchanged()).isEqualTo(5);
        assertThat(report.inferredLeavers()).isEqualTo(1);
        assertThat(report.balanced()).isTrue();

        java.net.http.HttpResponse<String> history = world.bridge().api("GET", "/api/workers/" + HrCsv.id(4) + "/history");
        assertThat(history.statusCode()).isEqualTo(200);
        com.fasterxml.jackson.databind.JsonNode trail = new com.fasterxml.jackson.databind.ObjectMapper().readTree(history.body());
        assertThat(trail.path("changes")).extracting(c -> c.path("fileName").asText() + " " + c.path("kind").asText() + " " + c.path("status").asText())
                .containsExactly("day1.csv JOIN APPLIED", "day2.csv MOVE APPLIED");
        assertThat(trail.path("deliveries")).extracting(d -> d.path("target").asText() + " " + d.path("status").asText())
                .containsExactly("lms DELIVERED", "lms DELIVERED");
        assertThat(trail.path("lineage").path("hris").path("lms").path("department").asText())
                .matches("orgUnit <- 'Department' \\(\\S*mappings/sources/hris.mapping.yaml:\\d+\\) \\[\\S*mappings/targets/lms.mapping.yaml:\\d+\\]");

        int beforeDay3 = world.journal().puts().size();
        Reconciliation.Report day3 = world.drop("day3.csv", day2.build().replace("day2", "day3") + "\n");
        assertThat(day3.status()).as("the same content again").isIn("STAGED");
        assertThat(world.putsAfter(beforeDay3)).as("an unchanged snapshot sends nothing").isEmpty();
    }

    @Test
    void aManagerIdThatIsNotAKnownWorkerIsAReportedWarningNotACrash() throws Exception {
        world.drop("day1.csv", HrCsv.create().workers(1, 2).build());
        int before = world.journal().puts().size();
        Reconciliation.Report day2 = world.drop("day2.csv", HrCsv.create().worker(1)
                .row(HrCsv.id(2), "Given2", "Family2", "worker2@example.com", "E999999", "ENG-1", "Engineer", "London", "Engineering", "A", "01/15/2020")
                .row(HrCsv.id(3), "Given3", "Family3", "worker3@example.com", HrCsv.id(1), "ENG-1", "Engineer", "London", "Engineering", "A", "01/15/2020")
                .build());
        assertThat(day2.status()).isEqualTo("STAGED");
        Plans.Plan plan = new Plans(world.bridge().store()).forDrop(day2.dropId(), 10).orElseThrow();
        assertThat(plan.warnings()).isEqualTo(1);
        assertThat(plan.changes()).filteredOn(c -> c.warning() != null).singleElement().satisfies(c -> {
            assertThat(c.workerId()).isEqualTo(HrCsv.id(2));
            assertThat(c.warning()).isEqualTo("manager E999999 is not a known worker");
        });
        assertThat(world.putsAfter(before)).extracting(LmsJournal.Put::workerId).as("the change still goes out")
                .containsExactlyInAnyOrder(HrCsv.id(2), HrCsv.id(3));
    }

    @Test
    void rehireReturnFromLeaveAndAnEmailChangeUpdateTheSameLearner() throws Exception {
        world.drop("day1.csv", HrCsv.create().workers(1, 3)
                .row(HrCsv.id(4), "Given4", "Family4", "worker4@example.com", "", "ENG-1", "Engineer", "London", "Engineering", "T", "01/15/2020")
                .build());
        assertThat(world.journal().puts()).extracting(LmsJournal.Put::workerId).as("a worker first seen terminated is not provisioned")
                .containsExactlyInAnyOrder(HrCsv.id(1), HrCsv.id(2), HrCsv.id(3));

        int before = world.journal().puts().size();
        Reconciliation.Report day2 = world.drop("day2.csv", HrCsv.create().worker(1)
                .row(HrCsv.id(2), "Given2", "Family2", "worker2@example.com", "", "ENG-1", "Engineer", "London", "Engineering", "L", "01/15/2020")
                .row(HrCsv.id(3), "Given3", "Family3", "renamed3@example.com", "", "ENG-1", "Engineer", "London", "Engineering", "A", "01/15/2020")
                .row(HrCsv.id(4), "Given4", "Family4", "worker4@example.com", "", "ENG-1", "Engineer", "London", "Engineering", "A", "01/15/2020")
                .build());
        Plans.Plan plan = new Plans(world.bridge().store()).forDrop(day2.dropId(), 100).orElseThrow();
        Map<String, String> reasons = plan.changes().stream().collect(Collectors.toMap(Plans.PlannedChange::workerId,
                c -> c.kind() + " " + c.reason()));
        assertThat(reasons).containsExactlyInAnyOrderEntriesOf(Map.of(
                HrCsv.id(2), "UPDATE leave of absence",
                HrCsv.id(3), "UPDATE email changed",
                HrCsv.id(4), "JOIN new worker"));
        Map<String, LmsJournal.Put> sent = world.putsAfter(before).stream().collect(Collectors.toMap(LmsJournal.Put::workerId, p -> p));
        assertThat(sent.get(HrCsv.id(2)).body()).as("on leave, still active").contains("\"active\":true");
        assertThat(sent.get(HrCsv.id(3)).url()).as("same learner, keyed by worker id").endsWith("/" + HrCsv.id(3));
        assertThat(sent.get(HrCsv.id(3)).body()).contains("renamed3@example.com");

        String others = HrCsv.create()
                .row(HrCsv.id(3), "Given3", "Family3", "renamed3@example.com", "", "ENG-1", "Engineer", "London", "Engineering", "A", "01/15/2020")
                .row(HrCsv.id(4), "Given4", "Family4", "worker4@example.com", "", "ENG-1", "Engineer", "London", "Engineering", "A", "01/15/2020")
                .build().substring(HrCsv.HEADER.length() + 1);
        Reconciliation.Report day3 = world.drop("day3.csv", HrCsv.create()
                .row(HrCsv.id(1), "Given1", "Family1", "worker1@example.com", "", "ENG-1", "Engineer", "London", "Engineering", "L", "01/15/2020")
                .row(HrCsv.id(2), "Given2", "Family2", "worker2@example.com", "", "ENG-1", "Engineer", "London", "Engineering", "T", "01/15/2020")
                .build() + others);
        assertThat(day3.status()).isEqualTo("STAGED");
        before = world.journal().puts().size();
        Reconciliation.Report day4 = world.drop("day4.csv", HrCsv.create().workers(1, 2).build() + others);
        Plans.Plan rehire = new Plans(world.bridge().store()).forDrop(day4.dropId(), 100).orElseThrow();
        assertThat(rehire.changes()).filteredOn(c -> c.workerId().equals(HrCsv.id(2))).singleElement()
                .satisfies(c -> assertThat(c.kind() + " " + c.reason()).isEqualTo("JOIN rehire"));
        assertThat(rehire.changes()).filteredOn(c -> c.workerId().equals(HrCsv.id(1))).singleElement()
                .satisfies(c -> assertThat(c.kind() + " " + c.reason()).isEqualTo("UPDATE return from leave"));
        assertThat(world.putsAfter(before)).filteredOn(p -> p.workerId().equals(HrCsv.id(1))).singleElement()
                .satisfies(p -> assertThat(p.body()).contains("\"active\":true"));
        assertThat(world.putsAfter(before)).filteredOn(p -> p.workerId().equals(HrCsv.id(2))).singleElement()
                .satisfies(p -> {
                    assertThat(p.url()).endsWith("/" + HrCsv.id(2));
                    assertThat(p.body()).contains("\"active\":true");
                });
    }
}
