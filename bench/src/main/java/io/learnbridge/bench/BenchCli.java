package io.learnbridge.bench;

import picocli.CommandLine;
import picocli.CommandLine.Command;

/**
 * The benchmark jar's commands ({@code java -jar bench/target/learnbridge-bench.jar <command>}): each
 * runs LearnBridge and a hand-written floor doing the same work side by side, alternating, and
 * prints their ratio, rows per CPU-second and heap after GC. Kept out of the bridge's own jar.
 */
@Command(name = "learnbridge-bench", mixinStandardHelpOptions = true, version = "LearnBridge benchmarks 0.1.0",
        description = "LearnBridge against hand-written floors.",
        subcommands = {BenchmarkCommand.class, WebhookBenchmarkCommand.class, DeliveryBenchmarkCommand.class,
                SyncBenchmarkCommand.class, KafkaBenchmarkCommand.class})
public final class BenchCli implements Runnable {

    public static void main(String[] args) {
        io.learnbridge.store.Store.boundTemporaryDirectBuffers();
        System.exit(execute(args));
    }

    /** Runs a command in this JVM and returns its exit code (tests call this). */
    public static int execute(String... args) {
        return new CommandLine(new BenchCli()).execute(args);
    }

    @Override
    public void run() {
        CommandLine.usage(this, System.out);
    }
}
