package io.learnbridge.ops;

import static org.assertj.core.api.Assertions.assertThat;

import io.learnbridge.ops.bench.BenchStores;
import io.learnbridge.ops.bench.LearnBridgePipeline;
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
            long accepted = count(c, "select count(*) from drop_row where status in ('APPLIED', 'UNCHANGED')");
            assertThat(accepted).isBetween(1990L, 1999L);
            long firstSeenTerminated = count(c, "select count(*) from drop_row where status = 'UNCHANGED' and employment_status = 'TERMINATED'");
            assertThat(count(c, "select count(*) from drop_row where status = 'UNCHANGED'")).isEqualTo(firstSeenTerminated);
            assertThat(count(c, "select count(*) from delivery where target = 'lms'")).isEqualTo(accepted - firstSeenTerminated);
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
        assertThat(LearnBridgeCli.execute("benchmark", "--rows", "0", "--dir", dir.toString())).isEqualTo(2);
    }

    private static String runCli(String... args) {
        PrintStream original = System.out;
        ByteArrayOutputStream buffer = new ByteArrayOutputStream();
        int exit;
        try (PrintStream capture = new PrintStream(buffer, true, StandardCharsets.UTF_8)) {
            System.setOut(capture);
            exit = LearnBridgeCli.execute(args);
        } finally {
            System.setOut(original);
        }
        String output = buffer.toString(StandardCharsets.UTF_8);
        assertThat(exit).as("exit code; output:%n%s", output).isZero();
        return output;
    }

    private static long count(Connection c, String sql) throws SQLException {
        try (Statement s = c.createStatement(); ResultSet rs = s.executeQuery(sql)) {
            rs.next();
            return rs.getLong(1);
        }
    }
}
