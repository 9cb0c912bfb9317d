package io.learnbridge.ops;

import io.learnbridge.store.Reconciliation;
import java.nio.file.Path;
import java.util.concurrent.Callable;
import picocli.CommandLine.Command;
import picocli.CommandLine.Option;
import picocli.CommandLine.Parameters;

/** {@code drops [ID]}: the reconciliation of recent drops, or of one. */
@Command(name = "drops", mixinStandardHelpOptions = true,
        description = "Reconciliation per drop: received = delivered + unchanged + rejected + failed + pending, per target.")
final class DropsCommand implements Callable<Integer> {

    @Option(names = "--settings") Path settings;
    @Option(names = "--limit") int limit = 20;
    @Parameters(index = "0", arity = "0..1") Long id;

    @Override
    public Integer call() {
        try (CliStore cli = new CliStore(settings)) {
            Reconciliation reconciliation = cli.reconciliation();
            var reports = id == null ? reconciliation.recent(limit) : reconciliation.forDrop(id).map(java.util.List::of).orElse(java.util.List.of());
            if (reports.isEmpty()) {
                System.out.println(id == null ? "no drops yet" : "no drop " + id);
                return id == null ? 0 : 1;
            }
            for (Reconciliation.Report r : reports) {
                System.out.printf("drop %d  %s %s  %s  received %d, unchanged %d, superseded %d, rejected %d%n", r.dropId(), r.source(), r.fileName(),
                        r.status(), r.received(), r.unchanged(), r.superseded(), r.rejected());
                for (Reconciliation.TargetCounts t : r.targets()) {
                    System.out.printf("    -> %s: delivered %d, failed %d, pending %d%n", t.target(), t.delivered(), t.failed(), t.pending());
                }
                System.out.println("    " + (r.balanced() ? "balanced" : "NOT BALANCED") + (r.settled() ? ", settled" : ", in progress"));
            }
            return 0;
        }
    }
}
