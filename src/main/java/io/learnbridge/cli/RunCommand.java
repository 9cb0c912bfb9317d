package io.learnbridge.cli;

import io.learnbridge.support.Home;
import io.learnbridge.support.Logs;
import io.learnbridge.support.SettingsException;
import io.learnbridge.camel.LearnBridgeConfiguration;
import io.learnbridge.mapping.MappingException;
import java.nio.file.Path;
import java.util.concurrent.Callable;
import org.apache.camel.main.Main;
import picocli.CommandLine.Command;
import picocli.CommandLine.Option;

/** {@code run}: starts the bridge and keeps it running until stopped. */
@Command(name = "run", mixinStandardHelpOptions = true, description = "Run the bridge (the default command).")
final class RunCommand implements Callable<Integer> {

    @Option(names = "--settings", description = "A properties file that overrides application.properties.")
    Path settings;

    @Override
    public Integer call() {
        try {
            CliSettings lookup = new CliSettings(settings);
            java.util.Optional<Path> logging = Logs.configure(Home.current(), settings, lookup);
            org.slf4j.Logger log = org.slf4j.LoggerFactory.getLogger(RunCommand.class);
            log.info("{}", Home.current().describe(settings, lookup));
            logging.ifPresent(file -> log.info("Logging configured by {}", file));
        } catch (SettingsException e) {
            System.err.println("LearnBridge did not start: " + e.getMessage());
            return 1;
        }
        Main main = newMain(settings);
        stopInOrderOnSignal(main);
        try {
            main.run();
            return main.getExitCode();
        } catch (Exception e) {
            System.err.println("LearnBridge did not start: " + reason(e));
            return 1;
        }
    }

    /**
     * SIGTERM (a service manager's stop, {@code docker stop}, Kubernetes) and SIGINT (Ctrl-C) stop the
     * bridge in order before the JVM's shutdown begins: routes drain (up to
     * {@code camel.main.shutdownTimeout}), in-flight deliveries are settled, then the store closes.
     * Left to the JVM, the signal would run every shutdown hook at once, H2's among them, which
     * closed the store while deliveries were still being answered: those were sent again after the
     * restart. A second signal stops at once.
     */
    static void stopInOrderOnSignal(Main main) {
        java.util.concurrent.atomic.AtomicBoolean stopping = new java.util.concurrent.atomic.AtomicBoolean();
        for (String name : new String[] {"TERM", "INT"}) {
            try {
                sun.misc.Signal.handle(new sun.misc.Signal(name), signal -> {
                    if (stopping.compareAndSet(false, true)) {
                        System.err.println("LearnBridge: SIG" + name + ": stopping; routes drain, in-flight deliveries settle, then the store closes"
                                + " (send it again to stop at once)");
                        main.completed();
                    } else {
                        System.err.println("LearnBridge: SIG" + name + " again: stopping at once");
                        System.exit(128 + signal.getNumber());
                    }
                });
            } catch (IllegalArgumentException e) {
                // the platform has no such signal (or the JVM reserves it: -Xrs); the JVM's shutdown hooks apply
            }
        }
    }

    /** The one line an operator needs: file:line: field: message for mappings, the key for settings. */
    static String reason(Throwable e) {
        for (Throwable t = e; t != null; t = t.getCause()) {
            if (t instanceof MappingException m) {
                return m.describe();
            }
            if (t instanceof SettingsException || t.getMessage() != null && t.getMessage().startsWith("LearnBridge refuses to start")) {
                return t.getMessage();
            }
        }
        Throwable root = e;
        while (root.getCause() != null && root.getCause() != root) {
            root = root.getCause();
        }
        return e.getMessage() + (root == e ? "" : " (cause: " + root + ")");
    }

    /** A camel-main configured with LearnBridge's beans and the given settings file. */
    static Main newMain(Path settings) {
        Main main = new Main();
        main.configure().addConfiguration(LearnBridgeConfiguration.class);
        main.setOverrideProperties(Home.current().overrides(settings));
        return main;
    }
}
