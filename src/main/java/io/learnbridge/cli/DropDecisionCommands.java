package io.learnbridge.cli;

import io.learnbridge.support.Settings;
import io.learnbridge.store.DropLedger;
import java.nio.file.Path;
import java.util.concurrent.Callable;
import picocli.CommandLine.Command;
import picocli.CommandLine.Option;
import picocli.CommandLine.Parameters;

/** {@code drops approve|reject ID --checksum SHA}: an operator's decision on a quarantined drop. */
final class DropDecisionCommands {

    private DropDecisionCommands() {
    }

    /** Common options: the drop, the checksum it was reviewed under, who decides. */
    abstract static class Decision implements Callable<Integer> {
        @Option(names = "--settings") Path settings;
        @Option(names = "--checksum", required = true, description = "The drop's sha256, as shown by 'drops ID' or 'plan ID'.") String checksum;
        @Option(names = "--by", description = "Who decides (default: the OS user).") String operator = System.getProperty("user.name");
        @Parameters(index = "0", description = "Drop id.") long id;

        abstract DropLedger.Decision decide(CliStore cli, DropLedger ledger, String source);

        @Override
        public Integer call() {
            try (CliStore cli = new CliStore(settings)) {
                var report = cli.reconciliation().forDrop(id);
                if (report.isEmpty()) {
                    System.out.println("no drop " + id);
                    return 1;
                }
                DropLedger ledger = new DropLedger(cli.store, "cli", cli.settings.drops().claimLease(),
                        new io.learnbridge.delivery.TargetKinds(cli.values));
                DropLedger.Decision decision = decide(cli, ledger, report.get().source());
                System.out.println(decision.message());
                return decision.done() ? 0 : 1;
            }
        }
    }

    @Command(name = "approve", mixinStandardHelpOptions = true,
            description = "Applies a quarantined drop's plan exactly as planned; works once, and only with the drop's checksum.")
    static final class Approve extends Decision {
        @Override
        DropLedger.Decision decide(CliStore cli, DropLedger ledger, String source) {
            return ledger.approve(id, checksum, operator, Settings.targetsOf(cli.values, source));
        }
    }

    @Command(name = "reject", mixinStandardHelpOptions = true,
            description = "Discards a quarantined drop: none of its changes is applied; works once, and only with the drop's checksum.")
    static final class Reject extends Decision {
        @Override
        DropLedger.Decision decide(CliStore cli, DropLedger ledger, String source) {
            return ledger.reject(id, checksum, operator);
        }
    }
}
