package io.learnbridge.cli;

import io.learnbridge.api.WorkersApi;
import io.learnbridge.mapping.MappingCatalog;
import io.learnbridge.mapping.MappingFiles;
import io.learnbridge.store.WorkerHistory;
import java.nio.file.Path;
import java.util.concurrent.Callable;
import picocli.CommandLine.Command;
import picocli.CommandLine.Option;
import picocli.CommandLine.Parameters;

/** {@code workers history ID}: a worker's audit trail as JSON. */
@Command(name = "workers", mixinStandardHelpOptions = true, subcommands = WorkersCommand.History.class,
        description = "Workers' audit trails.")
final class WorkersCommand implements Callable<Integer> {

    @Override
    public Integer call() {
        System.out.println("usage: workers history ID [--settings FILE]");
        return 2;
    }

    @Command(name = "history", mixinStandardHelpOptions = true,
            description = "Every change received for a worker (drops, webhooks, Kafka) and what change detection made of it, every delivery "
                    + "with its outcome, and the lineage of each delivered field (target field <- canonical field <- source field, mapping file:line).")
    static final class History implements Callable<Integer> {
        @Option(names = "--settings") Path settings;
        @Parameters(index = "0", description = "Worker id.") String workerId;

        @Override
        public Integer call() throws Exception {
            try (CliStore cli = new CliStore(settings)) {
                var trail = new WorkerHistory(cli.store).of(workerId);
                if (trail.isEmpty()) {
                    System.out.println("no worker " + workerId);
                    return 1;
                }
                var node = WorkersApi.withLineage(trail.get(), () -> MappingCatalog.compileStrict(MappingFiles.load(cli.settings.mappingsLocation())));
                System.out.println(node.toPrettyString());
                return 0;
            }
        }
    }
}
