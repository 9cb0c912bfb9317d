package io.learnbridge.ops;

import java.util.concurrent.Callable;
import picocli.CommandLine.Command;

/** Being written. */
@Command(name = "exceptions", mixinStandardHelpOptions = true)
final class ExceptionsCommand implements Callable<Integer> {
    @Override
    public Integer call() {
        return 0;
    }
}
