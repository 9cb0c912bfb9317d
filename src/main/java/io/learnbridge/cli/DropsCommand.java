package io.learnbridge.cli;

import io.learnbridge.store.Reconciliation;
import java.nio.file.Path;
import java.util.concurrent.Callable;
import picocli.CommandLine.Command;
import picocli.CommandLine.Option;
import picocli.CommandLine.Parameters;

/** {@code drops [ID]}: the reconciliation of recent drops, or of one. */
@Command(name = "drops", mixinStandardHelpOptions = true,
        subcommands = {DropDecisionCommands.Approve.class, DropDecisionCommands.Reject.class},
        description = {"Reconciliation per drop: received = delivered + failed + pending + unchanged + superseded + rejected + quarantined + held "
                + "+ discarded, per target.", "'drops approve|reject ID --checksum SHA' decides on a quarantined drop."})
final class DropsCommand implements Callable<Integer> {

    @Option(names = "--settings") Path settings;
    @Option(names = "--limit") int limit = 20;
    @Parameters(index = "0", arity = "0..1") Long id;

    private static String extra(Reconciliation.Report r) {
        StringBuilder sb = new StringBuilder();
        if (r.quarantined() > 0) {
            sb.append(", quarantined ").append(r.quarantined());
        }
        if (r.held() > 0) {
            sb.append(", held until their date ").append(r.held()).append(" (first released ").append(r.heldUntil()).append(')');
        }
        if (r.discarded() > 0) {
            sb.append(", discarded ").append(r.discarded());
        }
        if (r.staging() > 0) {
            sb.append(", staging ").append(r.staging());
        }
        if (r.inferredLeavers() > 0) {
            sb.append(", inferred leavers ").append(r.inferredLeavers());
        }
        return sb.toString();
    }

    /** The closing line: whether every row is accounted for, and the drop's status; a failed drop has no rows to balance. */
    private static String verdict(Reconciliation.Report r) {
        if (r.displayStatus().equals("FAILED")) {
            return "failed: the file could not be read as a whole, nothing of it was staged or sent (exceptions list --drop " + r.dropId()
                    + " says why; the file is in the .failed folder)";
        }
        return (r.balanced() ? "balanced" : "NOT BALANCED") + ", " + r.displayStatus().toLowerCase(java.util.Locale.ROOT);
    }

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
                System.out.printf("drop %d  %s %s  %s  received %d, unchanged %d, superseded %d, rejected %d%s%n", r.dropId(), r.source(),
                        r.fileName(), r.displayStatus(), r.received(), r.unchanged(), r.superseded(), r.rejected(), extra(r));
                if (r.gateReasons() != null && "QUARANTINED".equals(r.status())) {
                    System.out.println("    quarantined: " + r.gateReasons());
                    System.out.println("    review: plan " + r.dropId() + "; then: drops approve " + r.dropId() + " --checksum " + r.checksum()
                            + "  or  drops reject " + r.dropId() + " --checksum " + r.checksum());
                }
                for (Reconciliation.TargetCounts t : r.targets()) {
                    System.out.printf("    -> %s: delivered %d, failed %d, pending %d%s%s%n", t.target(), t.delivered(), t.failed(), t.pending(),
                            t.notTaken() == 0 ? "" : ", not taken (change kind) " + t.notTaken(),
                            r.inferredLeavers() == 0 ? "" : String.format("; inferred leavers: delivered %d, failed %d, pending %d",
                                    t.leaversDelivered(), t.leaversFailed(), t.leaversPending()));
                }
                System.out.println("    " + verdict(r));
            }
            return 0;
        }
    }
}
