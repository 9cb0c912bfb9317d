package io.learnbridge.ops;

import java.util.concurrent.Callable;
import picocli.CommandLine.Command;

/** Being written. */
@Command(name = "preview", mixinStandardHelpOptions = true)
final class PreviewCommand implements Callable<Integer> {
    @Override
    public Integer call() {
        return 0;
    }
}
