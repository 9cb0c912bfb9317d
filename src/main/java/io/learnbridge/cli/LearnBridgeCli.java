package io.learnbridge.cli;

import io.learnbridge.support.Home;
import io.learnbridge.support.SettingsException;
import picocli.CommandLine;
import picocli.CommandLine.Command;

/**
 * The runnable jar's commands: {@code run} (default), {@code validate}, {@code preview},
 * {@code exceptions ...}, {@code drops ...}, {@code plan}, {@code workers}, {@code simulate},
 * {@code rules}. The benchmarks are in their own jar (bench/, {@code io.learnbridge.bench.BenchCli}).
 */
@Command(name = "learnbridge", mixinStandardHelpOptions = true, version = "LearnBridge 0.1.0",
        description = "Keeps learning systems in step with HR.",
        subcommands = {RunCommand.class, ValidateCommand.class, PreviewCommand.class, ExceptionsCommand.class,
                DropsCommand.class, PlanCommand.class, WorkersCommand.class, SimulateCommand.class, RulesCommand.class})
public final class LearnBridgeCli implements java.util.concurrent.Callable<Integer> {

    public static void main(String[] args) {
        io.learnbridge.store.Store.boundTemporaryDirectBuffers();
        io.learnbridge.store.Store.loopbackOnly();
        System.exit(execute(args));
    }

    /** Runs a command in this JVM and returns its exit code (tests call this). */
    public static int execute(String... args) {
        try {
            args = withoutHome(args);
        } catch (SettingsException e) {
            System.err.println("LearnBridge: " + e.getMessage());
            return 2;
        }
        String[] effective = args.length == 0 || args[0].startsWith("--settings") ? prepend("run", args) : args;
        if (StoreControl.STORE_COMMANDS.contains(effective[0]) && StoreControl.attached().isEmpty()) {
            // the embedded store is held by a running bridge: it runs the command on its store
            java.util.Optional<Integer> forwarded = storeUrl(effective).flatMap(StoreControl::socketOf)
                    .flatMap(socket -> StoreControl.forward(socket, effective));
            if (forwarded.isPresent()) {
                return forwarded.get();
            }
        }
        if (HOME_COMMANDS.contains(effective[0])) {
            try {
                java.nio.file.Path settings = settingsOf(effective);
                System.err.println(Home.current().describe(settings, new CliSettings(settings)));
            } catch (RuntimeException e) {
                // the command reports the settings problem itself
            }
        }
        return new CommandLine(new LearnBridgeCli()).execute(effective);
    }

    /** The store URL a command's settings name ({@code --settings FILE} or {@code --settings=FILE}, else the defaults). */
    private static java.util.Optional<String> storeUrl(String[] args) {
        try {
            return new CliSettings(settingsOf(args)).apply("learnbridge.store.url");
        } catch (RuntimeException e) {
            return java.util.Optional.empty(); // the command reports the settings problem itself
        }
    }

    /** The commands that read routes, mappings or a drop file: they say first where those come from ({@code run} logs it). */
    private static final java.util.Set<String> HOME_COMMANDS = java.util.Set.of("validate", "preview", "plan", "simulate");

    /** The {@code --settings FILE} (or {@code --settings=FILE}) of a command line, or null. */
    private static java.nio.file.Path settingsOf(String[] args) {
        java.nio.file.Path settings = null;
        for (int i = 0; i < args.length; i++) {
            if (args[i].equals("--settings") && i + 1 < args.length) {
                settings = java.nio.file.Path.of(args[i + 1]);
            } else if (args[i].startsWith("--settings=")) {
                settings = java.nio.file.Path.of(args[i].substring("--settings=".length()));
            }
        }
        return settings;
    }

    /** Takes {@code --home DIR} (anywhere on the command line) for {@link Home}; the working directory otherwise. */
    private static String[] withoutHome(String[] args) {
        java.util.List<String> rest = new java.util.ArrayList<>();
        Home.reset();
        for (int i = 0; i < args.length; i++) {
            if (args[i].equals("--home")) {
                if (i + 1 == args.length) {
                    throw new SettingsException("--home", "needs a folder: --home DIR");
                }
                Home.choose(java.nio.file.Path.of(args[++i]));
            } else if (args[i].startsWith("--home=")) {
                Home.choose(java.nio.file.Path.of(args[i].substring("--home=".length())));
            } else {
                rest.add(args[i]);
            }
        }
        return rest.toArray(String[]::new);
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
