package io.learnbridge.worker;

import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

import io.learnbridge.store.ExceptionEntry;
import io.learnbridge.store.ExceptionQueue;
import io.learnbridge.mapping.MappingCatalog;
import io.learnbridge.mapping.MappingFiles;
import io.learnbridge.exception.Replayer;
import io.learnbridge.store.Plans;
import io.learnbridge.store.Reconciliation;
import io.learnbridge.store.Replays;
import io.learnbridge.testing.HrCsv;
import io.learnbridge.testing.LmsJournal;
import io.learnbridge.testing.SnapshotWorld;
import io.learnbridge.testing.TestFiles;
import java.nio.file.Files;
import java.net.http.HttpResponse;
import java.nio.file.Path;
import java.sql.PreparedStatement;
import java.time.Duration;
import java.time.LocalDate;
import java.time.ZoneOffset;
import java.time.format.DateTimeFormatter;
import java.util.List;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * Changes dated in the future (a hire next week, a leave at month end) are held, visible in the
 * plan as PENDING, and reach the LMS only when their effective time comes.
 */
class EffectiveDatingTest {

    private static final DateTimeFormatter US = DateTimeFormatter.ofPattern("MM/dd/yyyy");
    private static final String HEADER = HrCsv.HEADER + ",Termination Date";

    @TempDir
    Path home;

    private SnapshotWorld world;

    @BeforeEach
    void start() throws Exception {
        Path mappings = TestFiles.copyTree(Path.of("mappings"), home.resolve("mappings"));
        Path hris = mappings.resolve("sources/hris.mapping.yaml");
        Files.writeString(hris, Files.readString(hris) + """
                  terminationDate:
                    from: Termination Date
                    trim: true
                    date:
                      from: MM/dd/yyyy
                """);
        Files.delete(mappings.resolve("sources/hris.mapping.test.yaml"));
        world = new SnapshotWorld(home);
        world.start(world.bridge("delta").property("learnbridge.mappings.location", mappings.toString()));
    }

    @AfterEach
    void stop() {
        world.close();
    }

    @Test
    void aFutureHireAndALeaveAtMonthEndAreHeldUntilTheirDate() throws Exception {
        LocalDate today = LocalDate.now(ZoneOffset.UTC);
        String nextWeek = today.plusDays(7).format(US);
        String monthEnd = today.plusDays(10).format(US);
        Reconciliation.Report day1 = world.drop("day1.csv", String.join("\n", HEADER,
                row(1, "A", "01/15/2020", ""), row(2, "A", "01/15/2020", ""), row(3, "A", nextWeek, "")) + "\n");
        assertThat(day1.held()).isEqualTo(1);
        assertThat(day1.heldUntil()).isEqualTo(today.plusDays(7).atStartOfDay(ZoneOffset.UTC).toInstant());
        assertThat(day1.balanced()).isTrue();
        assertThat(world.journal().puts()).extracting(LmsJournal.Put::workerId).containsExactlyInAnyOrder(HrCsv.id(1), HrCsv.id(2));
        Plans.Plan plan1 = new Plans(world.bridge().store()).forDrop(day1.dropId(), 10).orElseThrow();
        assertThat(plan1.changes()).filteredOn(c -> c.workerId().equals(HrCsv.id(3))).singleElement().satisfies(c -> {
            assertThat(c.kind()).isEqualTo("JOIN");
            assertThat(c.status()).isEqualTo("PENDING");
            assertThat(c.effectiveAt()).isEqualTo(today.plusDays(7).atStartOfDay(ZoneOffset.UTC).toInstant());
        });

        Reconciliation.Report day2 = world.drop("day2.csv", String.join("\n", HEADER, row(2, "T", "01/15/2020", monthEnd)) + "\n");
        assertThat(day2.held()).isEqualTo(1);
        Plans.Plan plan2 = new Plans(world.bridge().store()).forDrop(day2.dropId(), 10).orElseThrow();
        assertThat(plan2.changes()).singleElement().satisfies(c -> {
            assertThat(c.kind()).isEqualTo("LEAVE");
            assertThat(c.status()).isEqualTo("PENDING");
            assertThat(c.effectiveAt()).as("after the last day worked").isEqualTo(today.plusDays(11).atStartOfDay(ZoneOffset.UTC).toInstant());
        });
        await("nothing sent before the dates").during(Duration.ofMillis(600)).atMost(Duration.ofSeconds(2))
                .until(() -> world.journal().puts().size() == 2);

        // time passes: the held changes' dates come (set to now in the store; still later than the
        // workers' stored states, as they would be on the day)
        world.bridge().store().tx(c -> {
            try (PreparedStatement ps = c.prepareStatement("update drop_row set effective_at = current_timestamp where status = 'PENDING'");
                 PreparedStatement due = c.prepareStatement("update held_change set effective_at = current_timestamp")) {
                due.executeUpdate();
                return ps.executeUpdate();
            }
        });
        await().atMost(Duration.ofSeconds(20)).until(() -> world.journal().puts().size() == 4);
        List<LmsJournal.Put> released = world.journal().puts().subList(2, 4);
        assertThat(released).filteredOn(p -> p.workerId().equals(HrCsv.id(3))).singleElement()
                .satisfies(p -> assertThat(p.body()).contains("\"active\":true"));
        assertThat(released).filteredOn(p -> p.workerId().equals(HrCsv.id(2))).singleElement()
                .satisfies(p -> assertThat(p.body()).contains("\"active\":false"));
        assertThat(new Reconciliation(world.bridge().store()).forDrop(day1.dropId()).orElseThrow().held()).isZero();
    }

    @Test
    void aChangeDatedBeyondMaxHoldIsAnExceptionAndHeldOnesShowTheirFirstRelease() throws Exception {
        LocalDate today = LocalDate.now(ZoneOffset.UTC);
        Reconciliation.Report day1 = world.drop("day1.csv", String.join("\n", HEADER,
                row(1, "A", today.plusDays(30).format(US), ""),
                row(2, "A", today.plusDays(200).format(US), ""),
                row(3, "A", "01/15/2020", "")) + "\n");
        assertThat(day1.held()).as("the hire 30 days ahead").isEqualTo(1);
        assertThat(day1.heldUntil()).isEqualTo(today.plusDays(30).atStartOfDay(ZoneOffset.UTC).toInstant());
        assertThat(day1.rejected()).as("the hire 200 days ahead, beyond the default maxHold of 90 days").isEqualTo(1);
        assertThat(day1.balanced()).isTrue();
        List<ExceptionEntry> open = new ExceptionQueue(world.bridge().store()).list(ExceptionQueue.Filter.open());
        assertThat(open).singleElement().satisfies(e -> {
            assertThat(e.workerId()).isEqualTo(HrCsv.id(2));
            assertThat(e.line()).isEqualTo(3);
            assertThat(e.field()).isEqualTo("hireDate");
            assertThat(e.reason()).startsWith("JOIN dated " + today.plusDays(200) + " would be held beyond learnbridge.changes.maxHold (90 days");
            assertThat(e.sourceRecord()).as("kept for replay").contains(HrCsv.id(2));
        });
        assertThat(world.journal().puts()).extracting(LmsJournal.Put::workerId).containsExactly(HrCsv.id(3));
        long exception = open.get(0).id();
        Replayer replayer = new Replayer(() -> MappingCatalog.compileStrict(MappingFiles.load(home.resolve("mappings").toString())),
                new ExceptionQueue(world.bridge().store()), new Replays(world.bridge().store()), source -> List.of("lms"));
        // replayed unchanged, the row is refused again for the same reason, and nothing is sent
        assertThat(replayer.replay(exception)).satisfies(o -> {
            assertThat(o.replayed()).isFalse();
            assertThat(o.message()).startsWith("still refused: JOIN dated " + today.plusDays(200) + " would be held beyond");
        });
        // with a longer maxHold a replay holds the row for its date, as a drop would, instead of sending it now
        Replayer patient = new Replayer(() -> MappingCatalog.compileStrict(MappingFiles.load(home.resolve("mappings").toString())),
                new ExceptionQueue(world.bridge().store()), new Replays(world.bridge().store(), Duration.ofDays(365)), source -> List.of("lms"));
        assertThat(patient.replay(exception)).satisfies(o -> {
            assertThat(o.replayed()).isTrue();
            assertThat(o.message()).startsWith("worker " + HrCsv.id(2) + " accepted and held until " + today.plusDays(200) + "T00:00:00Z");
        });
        Reconciliation.Report replayed = new Reconciliation(world.bridge().store()).forDrop(day1.dropId()).orElseThrow();
        assertThat(replayed.held()).isEqualTo(2);
        assertThat(replayed.rejected()).isZero();
        assertThat(replayed.balanced()).isTrue();
        assertThat(world.journal().puts()).extracting(LmsJournal.Put::workerId).containsExactly(HrCsv.id(3));
        await("held-change gauges").atMost(Duration.ofSeconds(20)).untilAsserted(() -> {
            HttpResponse<String> metrics = world.bridge().get(world.bridge().managementPort(), "/observe/metrics");
            // other labels (instance_id) may sit beside source
            assertThat(metrics.body()).containsPattern("(?m)^learnbridge_changes_held\\{[^}]*source=\"hris\"[^}]*} 2\\.0$")
                    .containsPattern("(?m)^learnbridge_changes_held_first_release_seconds\\{[^}]*source=\"hris\"[^}]*} "
                            + java.util.regex.Pattern.quote(String.valueOf((double) today.plusDays(30).atStartOfDay(ZoneOffset.UTC).toEpochSecond())) + "$");
        });
    }

    @Test
    void aFullSnapshotRowRejectedForItsDateDoesNotMakeItsWorkerALeaver() throws Exception {
        world.close();
        world = new SnapshotWorld(home);
        world.start(world.bridge("full").property("learnbridge.mappings.location", home.resolve("mappings").toString())
                .property("learnbridge.gate.minPopulation", "1").property("learnbridge.gate.maxChangePercent", "100")
                .property("learnbridge.gate.maxShrinkPercent", "100"));
        LocalDate today = LocalDate.now(ZoneOffset.UTC);
        world.drop("day1.csv", String.join("\n", HEADER, row(1, "A", "01/15/2020", ""), row(2, "A", "01/15/2020", "")) + "\n");
        int before = world.journal().puts().size();
        // worker 2's leave is dated 200 days ahead: refused, and worker 2 is listed, so not absent
        Reconciliation.Report day2 = world.drop("day2.csv", String.join("\n", HEADER, row(1, "A", "01/15/2020", ""),
                row(2, "T", "01/15/2020", today.plusDays(200).format(US))) + "\n");
        assertThat(day2.rejected()).isEqualTo(1);
        assertThat(day2.inferredLeavers()).isZero();
        assertThat(day2.balanced()).isTrue();
        assertThat(world.putsAfter(before)).as("no leaver sent for worker 2").isEmpty();
    }

    private static String row(int n, String status, String hireDate, String terminationDate) {
        return String.join(",", HrCsv.id(n), "Given" + n, "Family" + n, "worker" + n + "@example.com", "", "ENG-1", "Engineer", "London",
                "Engineering", status, hireDate, terminationDate);
    }
}
