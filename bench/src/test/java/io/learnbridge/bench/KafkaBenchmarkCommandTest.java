package io.learnbridge.bench;

import static org.assertj.core.api.Assertions.assertThat;

import io.learnbridge.testing.KafkaBroker;
import java.io.ByteArrayOutputStream;
import java.io.PrintStream;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * {@code benchmark-kafka} as a smoke test at a small size on the tests' KRaft broker: both pipelines
 * consume the whole topic and deliver every worker exactly once, their offsets add up, and the
 * report prints the ratio. Nothing here is timed.
 */
class KafkaBenchmarkCommandTest {

    @TempDir
    static Path brokerHome;

    private static KafkaBroker broker;

    @BeforeAll
    static void startBroker() {
        broker = KafkaBroker.childJvm(brokerHome.resolve("kafka"));
    }

    @AfterAll
    static void stopBroker() {
        if (broker != null) {
            broker.close();
        }
    }

    @Test
    void bothPipelinesDeliverEveryWorkerOnceAndTheReportGivesTheRatio(@TempDir Path dir) {
        PrintStream original = System.out;
        ByteArrayOutputStream buffer = new ByteArrayOutputStream();
        int exit;
        try (PrintStream capture = new PrintStream(buffer, true, StandardCharsets.UTF_8)) {
            System.setOut(capture);
            exit = BenchCli.execute("benchmark-kafka", "--brokers", broker.bootstrapServers(), "--records", "3000", "--partitions", "3",
                    "--dir", dir.toString(), "--timeout-minutes", "3");
        } finally {
            System.setOut(original);
        }
        String output = buffer.toString(StandardCharsets.UTF_8);
        assertThat(exit).as("exit code; output:%n%s", output).isZero();
        for (String pipeline : new String[] {"learnbridge", "floor"}) {
            assertThat(output).containsPattern("run 1/1 " + pipeline + " +3,000 events end to end +\\d+\\.\\d\\d s .*PUTs answered 200 3,000 \\(3,000"
                    + " distinct\\); offsets committed 3,000; check ok");
        }
        assertThat(output).containsPattern("Medians over 1 run\\(s\\): learnbridge \\d+\\.\\d\\d s .* ratio \\d+\\.\\d\\d");
        assertThat(output).contains("CHECK OK: every worker delivered exactly once by both pipelines");
    }
}
