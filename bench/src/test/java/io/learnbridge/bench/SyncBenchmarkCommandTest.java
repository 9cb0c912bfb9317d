package io.learnbridge.bench;

import static org.assertj.core.api.Assertions.assertThat;

import io.zonky.test.db.postgres.embedded.EmbeddedPostgres;
import java.io.ByteArrayOutputStream;
import java.io.PrintStream;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.util.LinkedHashMap;
import java.util.Map;
import java.util.concurrent.TimeUnit;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.api.io.TempDir;

/**
 * A smoke test of {@code benchmark-sync} at a tiny size: through the real bridge and through the
 * floor, on H2 and on an embedded PostgreSQL, every phase (first load, delta days, the one-row
 * drop) delivers each expected change exactly once and the report says so; and when the target
 * refuses every PUT the check fails, naming the phase and what was missing. Nothing here is timed.
 */
final class SyncBenchmarkCommandTest {

    private static final Pattern EXPECTED = Pattern.compile("\n  (first load|delta day \\d+|1-row delta) +\\S+: [\\d,]+ rows .*-> ([\\d,]+) PUTs");

    @TempDir
    Path dir;

    @Test
    @Timeout(value = 100, unit = TimeUnit.SECONDS)
    void everyExpectedChangeIsDeliveredOnceByBothPipelinesOnH2() {
        Result result = runCli("benchmark-sync", "--rows", "300", "--diff", "10", "--days", "3", "--dir", dir.toString());

        assertThat(result.exit()).as("exit code; output:%n%s", result.output()).isZero();
        Map<String, Long> expected = expectedPuts(result.output());
        assertThat(expected).containsOnlyKeys("first load", "delta day 2", "delta day 3", "delta day 4", "1-row delta");
        assertThat(expected.get("1-row delta")).isEqualTo(1);
        assertEveryPhaseDelivered(result.output(), expected);
        assertThat(result.output()).containsPattern("Fixed cost of a drop .*: learnbridge \\d+\\.\\d\\d s, floor \\d+\\.\\d+ s");
        // learnbridge's rows carry the ratio end to end and the ratio less its pickup (the read lock's wait), never larger
        Matcher ratios = Pattern.compile("\ndelta day 2 +learnbridge +[\\d,]+ +[\\d,]+ +\\d+\\.\\d\\d +(\\d+\\.\\d) +(\\d+\\.\\d) ")
                .matcher(result.output());
        assertThat(ratios.find()).as("ratios of the delta in%n%s", result.output()).isTrue();
        assertThat(Double.parseDouble(ratios.group(2))).isLessThanOrEqualTo(Double.parseDouble(ratios.group(1)));
        // each delta day's ratio, summarised: day 2 alone is the JIT's first delta
        Matcher days = Pattern.compile("\nDelta days, each day's ratio \\(3 days\\): median (\\d+\\.\\d\\d) \\(less pickup (\\d+\\.\\d\\d)\\),"
                + " lowest (\\d+\\.\\d\\d), highest (\\d+\\.\\d\\d), day 2 \\d+\\.\\d\\d\n").matcher(result.output());
        assertThat(days.find()).as("delta days in%n%s", result.output()).isTrue();
        assertThat(Double.parseDouble(days.group(3))).isLessThanOrEqualTo(Double.parseDouble(days.group(1)));
        assertThat(Double.parseDouble(days.group(1))).isLessThanOrEqualTo(Double.parseDouble(days.group(4)));
        assertThat(Double.parseDouble(days.group(2))).isLessThanOrEqualTo(Double.parseDouble(days.group(1)));
        assertThat(result.output()).containsPattern("Store after delta day 4 \\(4 drop\\(s\\) of the population\\): learnbridge [\\d.,]+ K?B per stored"
                + " worker .*; floor [\\d.,]+ K?B per stored worker");
        assertThat(result.output()).contains("CHECK OK: every expected change was delivered exactly once in all 10 phases");
        assertThat(result.output()).doesNotContain("CHECK FAILED");
    }

    @Test
    @Timeout(value = 100, unit = TimeUnit.SECONDS)
    void everyExpectedChangeIsDeliveredOnceByBothPipelinesOnPostgres() throws Exception {
        try (EmbeddedPostgres postgres = EmbeddedPostgres.builder()
                .setServerConfig("fsync", "off")
                .setServerConfig("synchronous_commit", "off")
                .start()) {
            Result result = runCli("benchmark-sync", "--rows", "300", "--diff", "10", "--store-url", postgres.getJdbcUrl("postgres", "postgres"),
                    "--store-user", "postgres", "--dir", dir.toString());

            assertThat(result.exit()).as("exit code; output:%n%s", result.output()).isZero();
            assertThat(result.output()).containsPattern("\nPostgreSQL: PostgreSQL [\\d.]+ .*a fresh database per store");
            Map<String, Long> expected = expectedPuts(result.output());
            assertThat(expected).containsOnlyKeys("first load", "delta day 2", "1-row delta");
            assertEveryPhaseDelivered(result.output(), expected);
            assertThat(result.output()).contains("CHECK OK: every expected change was delivered exactly once in all 6 phases");
        }
    }

    @Test
    @Timeout(value = 100, unit = TimeUnit.SECONDS)
    void deliveriesThatEndFailedFailTheCheckWithExitOne() {
        Result result = runCli("benchmark-sync", "--rows", "300", "--diff", "10", "--fail-percent", "100", "--retry-budget", "PT0.1S",
                "--dir", dir.toString());

        assertThat(result.exit()).as("exit code; output:%n%s", result.output()).isEqualTo(1);
        long firstLoad = expectedPuts(result.output()).get("first load");
        for (String pipeline : new String[] {"learnbridge", "floor"}) {
            assertThat(result.output()).contains("CHECK FAILED H2 run 1 " + pipeline + " first load: the target received 0 PUTs answered 200, expected "
                    + String.format("%,d", firstLoad));
            assertThat(result.output()).contains("CHECK FAILED H2 run 1 " + pipeline + " first load: " + String.format("%,d", firstLoad)
                    + " deliveries FAILED");
            assertThat(result.output()).containsPattern("H2 run 1/1 " + pipeline + " +delta day 2, 1-row delta: skipped, an earlier phase failed its check");
        }
        assertThat(result.output()).doesNotContain("CHECK OK");
    }

    @Test
    void aStoreUrlWithH2IsAUsageError() {
        assertThat(BenchCli.execute("benchmark-sync", "--store", "h2", "--store-url", "jdbc:postgresql://127.0.0.1:1/x", "--dir",
                dir.toString())).isEqualTo(2);
    }

    /** Each phase's PUTs as the header announces them from the generator's intent. */
    private static Map<String, Long> expectedPuts(String output) {
        Map<String, Long> expected = new LinkedHashMap<>();
        Matcher m = EXPECTED.matcher(output);
        while (m.find()) {
            expected.put(m.group(1), number(m.group(2)));
        }
        return expected;
    }

    /** The table row of every phase and pipeline shows exactly the expected PUTs. */
    private static void assertEveryPhaseDelivered(String output, Map<String, Long> expected) {
        expected.forEach((phase, puts) -> {
            for (String pipeline : new String[] {"learnbridge", "floor"}) {
                Matcher row = Pattern.compile("\n" + Pattern.quote(phase) + " +" + pipeline + " +[\\d,]+ +([\\d,]+) +(\\d+\\.\\d\\d) ").matcher(output);
                assertThat(row.find()).as("table row of %s, %s in%n%s", phase, pipeline, output).isTrue();
                assertThat(number(row.group(1))).as("PUTs of %s, %s", phase, pipeline).isEqualTo(puts);
                assertThat(output).containsPattern(" run 1/1 " + pipeline + " +" + Pattern.quote(phase) + " .*\n    PUTs answered 200: "
                        + Pattern.quote(String.format("%,d (%,d distinct workers; 0 refused", puts, puts)));
            }
        });
    }

    private static long number(String s) {
        return Long.parseLong(s.replace(",", ""));
    }

    private record Result(int exit, String output) {
    }

    private static Result runCli(String... args) {
        PrintStream original = System.out;
        ByteArrayOutputStream buffer = new ByteArrayOutputStream();
        int exit;
        try (PrintStream capture = new PrintStream(buffer, true, StandardCharsets.UTF_8)) {
            System.setOut(capture);
            exit = BenchCli.execute(args);
        } finally {
            System.setOut(original);
        }
        return new Result(exit, buffer.toString(StandardCharsets.UTF_8));
    }
}
