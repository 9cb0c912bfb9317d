package io.learnbridge.ops;

import java.util.concurrent.Callable;
import picocli.CommandLine.Command;

/** {@code benchmark}: being written. */
@Command(name = "benchmark", mixinStandardHelpOptions = true, description = "Measure parse, map and stage throughput and peak heap.")
final class BenchmarkCommand implements Callable<Integer> {
    @Override
    public Integer call() {
        return 0;
    }
}
