package io.learnbridge.ops;

import io.learnbridge.store.Plans;
import java.nio.file.Path;
import java.util.concurrent.Callable;
import picocli.CommandLine.Command;
import picocli.CommandLine.Option;
import picocli.CommandLine.Parameters;

/** {@code plan DROP_ID}: what a drop would do (or did), per worker, without changing anything. */
@Command(name = "plan", mixinStandardHelpOptions = true,
        description = "A drop's change set: counts by change kind, each worker's change with its field-by-field diff, the gate's verdict. "
                + "Reads only; every target of the source receives these changes.")
final class PlanCommand implements Callable<Integer> {

    @Option(names = "--settings") Path settings;
    @Option(names = "--limit", description = "Changes to list (default: ${DEFAULT-VALUE}).") int limit = 200;
    @Parameters(index = "0", description = "Drop id (see 'drops').") long id;

    @Override
    public Integer call() {
        try (CliStore cli = new CliStore(settings)) {
            var found = new Plans(cli.store).forDrop(id, limit);
            if (found.isEmpty()) {
                System.out.println("no drop " + id);
                return 1;
            }
            Plans.Plan plan = found.get();
            System.out.printf("drop %d  %s %s  %s  sha256 %s%n", plan.dropId(), plan.source(), plan.fileName(), plan.status(), plan.checksum());
            System.out.println("targets: " + String.join(", ", io.learnbridge.ops.Settings.targetsOf(cli.lookup, plan.source())));
            System.out.println("changes: " + plan.byKind());
            System.out.println("rows by status: " + plan.byStatus());
            if (plan.warnings() > 0) {
                System.out.println("warnings: " + plan.warnings());
            }
            if (!plan.gateReasons().isEmpty()) {
                System.out.println("gate: " + String.join("; ", plan.gateReasons()));
            }
            for (Plans.PlannedChange change : plan.changes()) {
                System.out.printf("  %-6s %-10s %s  %s%s  %s%n", change.kind(), change.status(), change.workerId(),
                        change.line() > 0 ? "line " + change.line() : "(absent)",
                        change.effectiveAt() == null ? "" : "  effective " + change.effectiveAt(), change.reason());
                if (change.warning() != null) {
                    System.out.println("         WARNING: " + change.warning());
                }
                if (change.diff() != null && !change.diff().equals("{}")) {
                    System.out.println("         " + change.diff());
                }
            }
            int listed = plan.changes().size();
            int total = plan.byKind().entrySet().stream().filter(e -> !e.getKey().equals("NOOP")).mapToInt(java.util.Map.Entry::getValue).sum();
            if (listed < total) {
                System.out.println("  ... " + (total - listed) + " more (--limit)");
            }
            return 0;
        }
    }
}
