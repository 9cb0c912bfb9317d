package io.learnbridge.bench;

import static org.assertj.core.api.Assertions.assertThat;

import java.io.ByteArrayOutputStream;
import java.io.PrintStream;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import org.assertj.core.data.Offset;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * A smoke test of {@code benchmark-delivery} at a small size: through the real bridge, every
 * worker reaches the loopback target once per configuration, the LRS gets one request per batch,
 * the LMS one PUT per worker, and the report's numbers agree with each other. Nothing here is
 * timed.
 */
final class DeliveryBenchmarkCommandTest {

    private static final int WORKERS = 300;

    /** After config and batch: runs, deliveries, seconds, deliveries/s, requests, deliveries/request, CPU s/1k, heap MB. */
    private static final String COLUMNS = " +(\\d+) +([\\d,]+) +([\\d.]+) +([\\d,.]+) +([\\d,]+) +([\\d.]+) +([\\d.]+|-) +(\\d+)\n";

    @TempDir
    Path dir;

    @Test
    void everyWorkerIsDeliveredOncePerConfigurationAndTheLrsGetsOneRequestPerBatch() {
        String output = runCli("benchmark-delivery", "--workers", String.valueOf(WORKERS), "--batch-sizes", "1,50", "--dir", dir.toString());

        Row unbatched = row(output, "lrs-b1", "1");
        Row batched = row(output, "lrs-b50", "50");
        Row lms = row(output, "lms", "-");
        for (Row r : new Row[] {unbatched, batched, lms}) {
            assertThat(r.deliveries()).as("deliveries of %s", r.config()).isEqualTo(WORKERS);
            assertThat(r.perSecond()).as("deliveries/s of %s", r.config()).isPositive();
            // seconds are printed rounded to 0.01
            assertThat(r.perSecond()).as("deliveries/s of %s is deliveries / seconds", r.config())
                    .isBetween(r.deliveries() / (r.seconds() + 0.005) * 0.999, r.deliveries() / Math.max(r.seconds() - 0.005, 1e-9) * 1.001);
            assertThat(r.perRequest()).as("deliveries/request of %s", r.config())
                    .isCloseTo((double) r.deliveries() / r.requests(), Offset.offset(0.01));
        }
        assertThat(unbatched.requests()).as("one statement per request").isEqualTo(WORKERS);
        // ceil(300 / 50) = 6; a refused batch would be split, a partial claim would add one
        assertThat(batched.requests()).as("one request per batch of 50").isBetween(6L, 12L);
        assertThat(lms.requests()).as("one PUT per worker").isEqualTo(WORKERS);

        assertThat(output).contains("300 delivered", "target received 300 statements, 300 distinct, 0 refused",
                "target received 300 PUTs, 300 distinct, 0 refused");
        assertThat(output).containsPattern("Ratios, lrs-b50 / lrs-b1 \\(batching, medians\\): deliveries/s \\d+\\.\\d\\dx");
        assertThat(output).containsPattern("Ratios, lrs-b50 / lms \\(against the LMS reference, medians\\)");
        assertThat(output).contains("Every run delivered each of its 300 workers exactly once");
        assertThat(output).contains("the loopback target's own cost is included");
        assertThat(output).doesNotContain("PROBLEM");
    }

    @Test
    void aBatchSizeOutOfRangeIsAUsageError() {
        assertThat(BenchCli.execute("benchmark-delivery", "--batch-sizes", "1,0", "--dir", dir.toString())).isEqualTo(2);
    }

    private record Row(String config, long deliveries, double seconds, double perSecond, long requests, double perRequest) {
    }

    private static Row row(String output, String config, String batch) {
        Matcher m = Pattern.compile("\n" + Pattern.quote(config) + " +" + Pattern.quote(batch) + COLUMNS).matcher(output);
        assertThat(m.find()).as("table row of %s in%n%s", config, output).isTrue();
        return new Row(config, number(m.group(2)), Double.parseDouble(m.group(3)), Double.parseDouble(m.group(4).replace(",", "")),
                number(m.group(5)), Double.parseDouble(m.group(6)));
    }

    private static long number(String s) {
        return Long.parseLong(s.replace(",", ""));
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
}
