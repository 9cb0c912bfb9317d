package io.learnbridge.ops;

import io.learnbridge.camel.LearnBridgeConfiguration;
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
    public Integer call() throws Exception {
        Main main = newMain(settings);
        main.run();
        return main.getExitCode();
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
