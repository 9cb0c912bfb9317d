package io.learnbridge.bench;

import static org.assertj.core.api.Assertions.assertThat;

import io.learnbridge.bench.BenchStores;
import io.learnbridge.bench.HrisDiffGenerator;
import io.learnbridge.bench.LearnBridgeDiffPipeline;
import io.learnbridge.bench.LearnBridgePipeline;
import io.learnbridge.store.DropLedger;
import java.io.ByteArrayOutputStream;
import java.io.PrintStream;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.sql.Connection;
import java.sql.DriverManager;
import java.sql.ResultSet;
import java.sql.SQLException;
import java.sql.Statement;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * A smoke test of {@code benchmark} at a small size: it runs end to end, every pipeline reads
 * every row, and LearnBridge's store holds every row and a delivery per accepted row. Nothing
 * here is timed.
 */
final class BenchmarkCommandTest {

    @TempDir
    Path dir;

    @Test
    void smallBenchmarkStagesEveryGeneratedRowAndReportsAllPipelines() throws Exception {
        String output = runCli("benchmark", "--rows", "2000", "--runs", "1", "--batch", "300", "--dir", dir.toString(), "--keep-stores");

        assertThat(output).containsPattern("floor +rows 2,000 ");
        assertThat(output).containsPattern("floor\\+jdbc +rows 2,000 .*staged rows in store 2,000");
        assertThat(output).containsPattern("learnbridge +rows 2,000 .*staged rows in store 2,000");
        assertThat(output).contains("all agree");
        assertThat(output).containsPattern("learnbridge +vs floor +stage: wall +\\d+\\.\\d\\dx");

        try (Connection c = DriverManager.getConnection(BenchStores.url(dir, LearnBridgePipeline.storeName(1)), "", "")) {
            assertThat(count(c, "select count(*) from drop_row")).isEqualTo(2000);
            long accepted = statusCount(c, "APPLIED") + statusCount(c, "UNCHANGED");
            assertThat(accepted).isBetween(1990L, 1999L);
            long firstSeenTerminated = count(c, "select count(*) from drop_row where status = 'UNCHANGED' and employment_status = 'TERMINATED'");
            assertThat(count(c, "select count(*) from drop_row where status = 'UNCHANGED'")).isEqualTo(firstSeenTerminated);
            // queued: a delivery of its own, or a row its page's range carries (not yet sent: the benchmark runs no delivery route)
            assertThat((long) io.learnbridge.store.DeliveryQueue.queued(c, "lms")).isEqualTo(accepted - firstSeenTerminated);
            assertThat(count(c, "select count(*) from exception_record where stage = 'map'")).isEqualTo(2000 - accepted);
            assertThat(count(c, "select count(*) from drop_file where status = 'STAGED'")).isEqualTo(1);
        }
    }

    @Test
    void generatedFileIsReusedForTheSameRowCount() throws Exception {
        String first = runCli("benchmark", "--rows", "50", "--runs", "1", "--dir", dir.toString());
        try (var files = Files.list(dir)) {
            assertThat(files.map(p -> p.getFileName().toString())).containsExactly("hris-bench-v1-50.csv");
        }
        String second = runCli("benchmark", "--rows", "50", "--runs", "1", "--dir", dir.toString());

        assertThat(first).contains("(generated in");
        assertThat(second).contains("(reused)");
    }

    @Test
    void nonPositiveRowCountIsAUsageError() throws Exception {
        assertThat(BenchCli.execute("benchmark", "--rows", "0", "--dir", dir.toString())).isEqualTo(2);
    }

    @Test
    void diffOfASmallSnapshotFindsExactlyWhatTheGeneratorChanged() throws Exception {
        String output = runCli("benchmark", "--rows", "2000", "--diff", "5", "--runs", "1", "--dir", dir.toString(), "--keep-stores");

        HrisDiffGenerator.Generated day2 = HrisDiffGenerator.ensure(dir, 2000, 5);
        assertThat(day2.created()).as("generated once by the run, then reused").isFalse();
        HrisDiffGenerator.Intent intent = day2.intent();
        assertThat(intent.changedRows()).isEqualTo(100);
        assertThat(intent.newWorkers()).isEqualTo(10);
        assertThat(intent.absent()).isEqualTo(10);
        assertThat(intent.moves()).isPositive();
        assertThat(intent.updates()).isPositive();
        assertThat(intent.statusLeaves()).isPositive();
        assertThat(intent.day2Rows()).isEqualTo(2000 + 10 - 10);

        String expected = String.format(java.util.Locale.ROOT, "JOIN %,d  MOVE %,d  UPDATE %,d  LEAVE %,d  NOOP %,d",
                intent.joins(), intent.moves(), intent.updates(), intent.leaves(), intent.noops());
        assertThat(plan(output, "generator")).isEqualTo(expected);
        assertThat(plan(output, "learnbridge")).isEqualTo(expected);
        assertThat(plan(output, "floor")).isEqualTo(expected);
        assertThat(plan(output, "floor\\+jdbc")).isEqualTo(expected);
        assertThat(output).contains("diff agrees with the generator").doesNotContain("PROBLEM");
        assertThat(output).containsPattern("run 1/1 learnbridge +first load +\\d+\\.\\d\\d s \\| day 2: claim [\\d.]+ s, stage +[\\d.]+ s +[\\d,]+ rows/s");
        assertThat(output).containsPattern("(?m)^learnbridge +1 \\| +[\\d.]+ +[\\d,]+ +[\\d,]+ \\| +[\\d.]+ +[\\d,]+ +[\\d,]+ \\|");
        assertThat(output).containsPattern("(?m)^learnbridge +\\| +\\d+ +\\d+ +\\d+ ");
        assertThat(output).containsPattern("learnbridge +vs floor +stage\\+finish: wall +\\d+\\.\\d\\dx, CPU/row +\\d+\\.\\d\\dx");
        assertThat(output).containsPattern("learnbridge +vs floor\\+jdbc +stage\\+finish: wall +\\d+\\.\\d\\dx");

        try (Connection c = DriverManager.getConnection(BenchStores.url(dir, LearnBridgeDiffPipeline.storeName(1)), "", "")) {
            long day2Drop = count(c, "select max(id) from drop_file");
            assertThat(count(c, "select count(*) from drop_file where status = 'STAGED' and full_snapshot")).isEqualTo(2);
            assertThat(count(c, "select count(*) from drop_row where drop_id = " + day2Drop + " and change_kind = 'JOIN'")).isEqualTo(intent.joins());
            assertThat(count(c, "select count(*) from drop_row where drop_id = " + day2Drop + " and change_kind = 'MOVE'")).isEqualTo(intent.moves());
            assertThat(count(c, "select count(*) from drop_row where drop_id = " + day2Drop + " and change_kind = 'UPDATE'"))
                    .isEqualTo(intent.updates());
            assertThat(count(c, "select count(*) from drop_row where drop_id = " + day2Drop + " and change_kind = 'LEAVE' and line < 0"))
                    .as("leavers by absence").isEqualTo(intent.absent());
            // unchanged workers are counted on the drop, not written as rows (only a first-seen-terminated NOOP is a row)
            assertThat(count(c, "select count(*) from drop_row where drop_id = " + day2Drop + " and status = 'UNCHANGED'")
                    + count(c, "select unchanged_rows from drop_file where id = " + day2Drop)).isEqualTo(intent.noops());
            assertThat(count(c, "select count(*) from drop_row where drop_id = " + day2Drop))
                    .as("the store keeps the changes, not the unchanged rows").isLessThan(intent.day2Rows() / 2);
            assertThat((long) io.learnbridge.store.DeliveryQueue.queuedForDrop(c, day2Drop)).as("one delivery per change")
                    .isEqualTo(intent.changes());
            assertThat(count(c, "select count(*) from worker_state where employment_status in ('ACTIVE', 'LEAVE_OF_ABSENCE')"))
                    .isEqualTo(intent.day1Active() + intent.joins() - intent.leaves());
        }
    }

    @Test
    void diffPercentOutOfRangeIsAUsageError() throws Exception {
        assertThat(BenchCli.execute("benchmark", "--rows", "50", "--diff", "-1", "--dir", dir.toString())).isEqualTo(2);
        assertThat(BenchCli.execute("benchmark", "--rows", "50", "--diff", "95", "--dir", dir.toString())).isEqualTo(2);
    }

    /** The plan counts printed for one pipeline (or the generator) in the diff report. */
    private static String plan(String output, String name) {
        Matcher m = Pattern.compile("(?m)^  " + name + " +(JOIN [\\d,]+  MOVE [\\d,]+  UPDATE [\\d,]+  LEAVE [\\d,]+  NOOP [\\d,]+)  changes")
                .matcher(output);
        assertThat(m.find()).as("plan line of %s in:%n%s", name, output).isTrue();
        return m.group(1);
    }

    private static String runCli(String... args) {
        PrintStream original = System.out;
        ByteArrayOutputStream buffer = new ByteArrayOutputStream();
        int exit;
        try (PrintStream capture = new PrintStream(buffer, true, StandardCharsets.UTF_8)) {
            System.setOut(capture);
            exit = BenchCli.execute(args);
        } finally {
            System.setOut(original);
        }
        String output = buffer.toString(StandardCharsets.UTF_8);
        assertThat(exit).as("exit code; output:%n%s", output).isZero();
        return output;
    }

    /** Rows of the store's one drop in {@code status}, as the ledger reads it. */
    private static long statusCount(Connection c, String status) throws SQLException {
        long dropId = count(c, "select id from drop_file");
        try (java.sql.PreparedStatement ps = c.prepareStatement(
                "select count(*) from drop_row where drop_id = ? and " + DropLedger.ROW_STATUS + " = ?")) {
            ps.setLong(1, dropId);
            ps.setInt(2, DropLedger.appliedLine(c, dropId));
            ps.setString(3, status);
            try (ResultSet rs = ps.executeQuery()) {
                rs.next();
                return rs.getLong(1);
            }
        }
    }

    private static long count(Connection c, String sql) throws SQLException {
        try (Statement s = c.createStatement(); ResultSet rs = s.executeQuery(sql)) {
            rs.next();
            return rs.getLong(1);
        }
    }
}
