package io.learnbridge.ops;

import picocli.CommandLine;
import picocli.CommandLine.Command;

/**
 * The runnable jar's commands: {@code run} (default), {@code validate}, {@code preview},
 * {@code exceptions ...}, {@code drops ...} and {@code benchmark}.
 */
@Command(name = "learnbridge", mixinStandardHelpOptions = true, version = "LearnBridge 0.1.0",
        description = "Keeps learning systems in step with HR.",
        subcommands = {RunCommand.class, ValidateCommand.class, PreviewCommand.class, ExceptionsCommand.class,
                DropsCommand.class, PlanCommand.class, WorkersCommand.class, SimulateCommand.class, RulesCommand.class, BenchmarkCommand.class, WebhookBenchmarkCommand.class, DeliveryBenchmarkCommand.class,
                SyncBenchmarkCommand.class, KafkaBenchmarkCommand.class})
public final class LearnBridgeCli implements java.util.concurrent.Callable<Integer> {

    public static void main(String[] args) {
        io.learnbridge.store.Store.loopbackOnly();
        System.exit(execute(args));
    }

    /** Runs a command in this JVM and returns its exit code (tests call this). */
    public static int execute(String... args) {
        String[] effective = args.length == 0 || args[0].startsWith("--settings") ? prepend("run", args) : args;
        return new CommandLine(new LearnBridgeCli()).execute(effective);
    }

    private static String[] prepend(String first, String[] rest) {
        String[] out = new String[rest.length + 1];
        out[0] = first;
        System.arraycopy(rest, 0, out, 1, rest.length);
        return out;
    }

    @Override
    public Integer call() {
        return new CommandLine(new RunCommand()).execute();
    }
}
