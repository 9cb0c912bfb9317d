package io.learnbridge.ops;

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
        Main main = newMain(settings);
        try {
            main.run();
            return main.getExitCode();
        } catch (Exception e) {
            System.err.println("LearnBridge did not start: " + reason(e));
            return 1;
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
        if (settings != null) {
            main.setOverrideProperties(SettingsFiles.load(settings));
        }
        return main;
    }
}
