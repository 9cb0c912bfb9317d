package io.learnbridge.cli;

import static org.assertj.core.api.Assertions.assertThat;

import io.learnbridge.store.Reconciliation;
import io.learnbridge.store.WorkerStates;
import io.learnbridge.testing.HrCsv;
import io.learnbridge.testing.SnapshotWorld;
import java.io.ByteArrayOutputStream;
import java.io.PrintStream;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.sql.PreparedStatement;
import java.sql.ResultSet;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * {@code plan} from the command line: a received drop's stored plan, and a file planned against
 * the stored state without writing anything; {@code drops approve|reject} on a quarantined drop.
 */
class PlanCommandTest {

    @TempDir
    Path home;

    @Test
    void aFileIsPlannedAgainstTheStoredStateWithoutWritingAnythingAndAQuarantinedDropIsApprovedOnce() throws Exception {
        String storeUrl = "jdbc:h2:file:" + home.resolve("store/learnbridge").toAbsolutePath() + ";WRITE_DELAY=0;AUTO_SERVER=TRUE";
        Path settings = Files.writeString(home.resolve("settings.properties"), String.join("\n",
                "learnbridge.store.url=" + storeUrl, "learnbridge.sources.hris.snapshot=full", "learnbridge.gate.requireApproval=false", ""));
        try (SnapshotWorld world = new SnapshotWorld(home.resolve("world"))) {
            world.start(world.bridge("full").property("learnbridge.store.url", storeUrl));
            world.drop("day1.csv", HrCsv.create().workers(1, 3).build());
            int drops = count(world, "select count(*) from drop_file");
            // the outbox: deliveries of their own and the ranges of applied pages (V18)
            int deliveries = count(world, "select (select count(*) from delivery) + (select count(*) from delivery_range)");

            Path day2 = Files.writeString(home.resolve("day2.csv"), HrCsv.create().worker(1)
                    .row(HrCsv.id(2), "Given2", "Family2", "worker2@example.com", "", "ENG-1", "Engineer", "Paris", "Engineering", "A", "01/15/2020")
                    .build());
            Run dryRun = cli("plan", "--source", "hris", "--file", day2.toString(), "--settings", settings.toString());
            assertThat(dryRun.exitCode()).isZero();
            assertThat(dryRun.out()).contains("DRY RUN: nothing is written")
                    .contains("it would be QUARANTINED: the full snapshot has 2 rows, 33.3% fewer than the last one (3), over the limit of 30%")
                    .contains("changes: {JOIN=0, MOVE=1, UPDATE=0, LEAVE=1, NOOP=1}")
                    .containsPattern("MOVE +PLANNED +E000002 +line 3")
                    .contains("{\"location\":[\"London\",\"Paris\"]}")
                    .containsPattern("LEAVE +PLANNED +E000003 +\\(absent\\)");
            assertThat(count(world, "select count(*) from drop_file")).as("drops after the dry run").isEqualTo(drops);
            assertThat(count(world, "select (select count(*) from delivery) + (select count(*) from delivery_range)"))
                    .as("deliveries after the dry run").isEqualTo(deliveries);
            assertThat(new WorkerStates(world.bridge().store()).get(HrCsv.id(3)).orElseThrow().canonical()).doesNotContain("TERMINATED");

            Reconciliation.Report truncated = world.drop("truncated.csv", HrCsv.create().worker(1).build());
            assertThat(truncated.status()).isEqualTo("QUARANTINED");
            Run shown = cli("drops", String.valueOf(truncated.dropId()), "--settings", settings.toString());
            assertThat(shown.out()).contains("QUARANTINED").contains("drops approve " + truncated.dropId() + " --checksum " + truncated.checksum());
            Run wrong = cli("drops", "approve", String.valueOf(truncated.dropId()), "--checksum", "abc", "--settings", settings.toString());
            assertThat(wrong.exitCode()).isEqualTo(1);
            assertThat(wrong.out()).contains("checksum does not match");
            Run approved = cli("drops", "approve", String.valueOf(truncated.dropId()), "--checksum", truncated.checksum(), "--settings", settings.toString());
            assertThat(approved.exitCode()).isZero();
            assertThat(approved.out()).contains("approved: 2 deliveries queued");
            Run twice = cli("drops", "approve", String.valueOf(truncated.dropId()), "--checksum", truncated.checksum(), "--settings", settings.toString());
            assertThat(twice.exitCode()).isEqualTo(1);
            assertThat(twice.out()).contains("is STAGED, not quarantined");
        }
    }

    record Run(int exitCode, String out) {
    }

    private static synchronized Run cli(String... args) {
        PrintStream original = System.out;
        ByteArrayOutputStream buffer = new ByteArrayOutputStream();
        System.setOut(new PrintStream(buffer, true, StandardCharsets.UTF_8));
        try {
            int code = LearnBridgeCli.execute(args);
            return new Run(code, buffer.toString(StandardCharsets.UTF_8));
        } finally {
            System.setOut(original);
        }
    }

    private static int count(SnapshotWorld world, String sql) {
        return world.bridge().store().tx(c -> {
            try (PreparedStatement ps = c.prepareStatement(sql); ResultSet rs = ps.executeQuery()) {
                rs.next();
                return rs.getInt(1);
            }
        });
    }
}
