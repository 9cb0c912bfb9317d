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
        io.learnbridge.store.Store.boundTemporaryDirectBuffers();
        io.learnbridge.store.Store.loopbackOnly();
        System.exit(execute(args));
    }

    /** Runs a command in this JVM and returns its exit code (tests call this). */
    public static int execute(String... args) {
        String[] effective = args.length == 0 || args[0].startsWith("--settings") ? prepend("run", args) : args;
        if (StoreControl.STORE_COMMANDS.contains(effective[0]) && StoreControl.attached().isEmpty()) {
            // the embedded store is held by a running bridge: it runs the command on its store
            java.util.Optional<Integer> forwarded = storeUrl(effective).flatMap(StoreControl::socketOf)
                    .flatMap(socket -> StoreControl.forward(socket, effective));
            if (forwarded.isPresent()) {
                return forwarded.get();
            }
        }
        return new CommandLine(new LearnBridgeCli()).execute(effective);
    }

    /** The store URL a command's settings name ({@code --settings FILE} or {@code --settings=FILE}, else the defaults). */
    private static java.util.Optional<String> storeUrl(String[] args) {
        java.nio.file.Path settings = null;
        for (int i = 0; i < args.length; i++) {
            if (args[i].equals("--settings") && i + 1 < args.length) {
                settings = java.nio.file.Path.of(args[i + 1]);
            } else if (args[i].startsWith("--settings=")) {
                settings = java.nio.file.Path.of(args[i].substring("--settings=".length()));
            }
        }
        try {
            return new CliSettings(settings).apply("learnbridge.store.url");
        } catch (RuntimeException e) {
            return java.util.Optional.empty(); // the command reports the settings problem itself
        }
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
