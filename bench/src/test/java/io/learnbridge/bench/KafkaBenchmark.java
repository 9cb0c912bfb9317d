package io.learnbridge.bench;

import io.learnbridge.testing.KafkaBroker;

import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;

/**
 * {@code benchmark-kafka} with a broker of its own: starts the tests' KRaft broker (Kafka 3.9.1) in a
 * child JVM, so its CPU is not counted as the pipelines', and runs the command against it with the
 * arguments given. From a checkout (see the README):
 * <pre>mvn -q -B -ntp -f bench/pom.xml test-compile exec:java -Dexec.classpathScope=test \
 *     -Dexec.mainClass=io.learnbridge.bench.KafkaBenchmark -Dexec.args="--records 1000000"</pre>
 */
public final class KafkaBenchmark {

    private KafkaBenchmark() {
    }

    public static void main(String[] args) throws Exception {
        Path data = Files.createTempDirectory("learnbridge-bench-kafka-broker-");
        int exit;
        try (KafkaBroker broker = KafkaBroker.childJvm(data.resolve("kafka"))) {
            List<String> command = new ArrayList<>(List.of("benchmark-kafka", "--brokers", broker.bootstrapServers()));
            command.addAll(List.of(args));
            exit = BenchCli.execute(command.toArray(String[]::new));
        } finally {
            io.learnbridge.bench.sync.Folders.deleteTree(data);
        }
        System.exit(exit);
    }
}
