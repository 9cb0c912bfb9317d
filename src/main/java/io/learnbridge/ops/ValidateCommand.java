package io.learnbridge.ops;

import java.util.concurrent.Callable;
import picocli.CommandLine.Command;

/** Placeholder until the full validate lands later in this change. */
@Command(name = "validate", mixinStandardHelpOptions = true, description = "Check routes, mappings and their cases, and settings.")
final class ValidateCommand implements Callable<Integer> {
    @Override
    public Integer call() {
        return 0;
    }
}
