package io.learnbridge.ops;

import java.util.concurrent.Callable;
import picocli.CommandLine.Command;

/** Being written. */
@Command(name = "drops", mixinStandardHelpOptions = true)
final class DropsCommand implements Callable<Integer> {
    @Override
    public Integer call() {
        return 0;
    }
}
