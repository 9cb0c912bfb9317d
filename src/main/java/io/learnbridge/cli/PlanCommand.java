package io.learnbridge.cli;

import io.learnbridge.support.Settings;
import io.learnbridge.store.Plans;
import java.nio.file.Path;
import java.util.concurrent.Callable;
import picocli.CommandLine.Command;
import picocli.CommandLine.Option;
import picocli.CommandLine.Parameters;

/**
 * {@code plan DROP_ID}: what a received drop does (or, quarantined, would do), per worker;
 * {@code plan --source S --file F}: what a file would do if it were dropped now, computed against
 * the stored state in a transaction that is rolled back, so nothing is written.
 */
@Command(name = "plan", mixinStandardHelpOptions = true,
        description = {"A drop's change set: counts by change kind, each worker's change with its field-by-field diff, the gate's verdict.",
            "Every target of the source receives these changes. 'plan ID' reads a received drop; 'plan --source S --file F' plans a file "
                    + "against the stored state without writing anything."})
final class PlanCommand implements Callable<Integer> {

    @Option(names = "--settings") Path settings;
    @Option(names = "--limit", description = "Changes to list (default: ${DEFAULT-VALUE}).") int limit = 200;
    @Option(names = "--source", description = "With --file: the source the file would be dropped into.") String source;
    @Option(names = "--file", description = "A CSV file to plan without dropping it.") Path file;
    @Parameters(index = "0", arity = "0..1", description = "Drop id (see 'drops').") Long id;

    @Override
    public Integer call() throws Exception {
        if ((id == null) == (file == null) || (file != null && source == null)) {
            System.err.println("usage: plan DROP_ID  or  plan --source NAME --file FILE");
            return 2;
        }
        try (CliStore cli = new CliStore(settings)) {
            if (file != null) {
                return cli.store.rehearse(view -> rehearse(cli, view));
            }
            return print(cli, new Plans(cli.store).forDrop(id, limit), id);
        }
    }

    /** Drops the file into a rehearsal of the store, plans it, prints the plan; all of it is rolled back. */
    private int rehearse(CliStore cli, io.learnbridge.store.Store view) {
        try {
            io.learnbridge.mapping.MappingFile mapping = io.learnbridge.mapping.MappingCatalog
                    .compileStrict(io.learnbridge.mapping.MappingFiles.load(cli.settings.mappingsLocation())).source(source);
            java.util.List<String> targets = Settings.targetsOf(cli.values, source);
            io.learnbridge.store.DropLedger ledger = new io.learnbridge.store.DropLedger(view, "plan-rehearsal", java.time.Duration.ofMinutes(1));
            io.learnbridge.store.DropClaim claim = ledger.claim(source, file.getFileName().toString(),
                    io.learnbridge.drop.DropChecksum.sha256(file), java.nio.file.Files.size(file));
            if (claim.isDuplicate()) {
                System.out.println("this content was received already as drop " + claim.duplicateOf() + ": 'plan " + claim.duplicateOf()
                        + "' shows what it did; dropping it again would change nothing");
                return 0;
            }
            var policy = new io.learnbridge.drop.DropPolicies(cli.values).of(source, targets);
            try (io.learnbridge.drop.CsvDrop drop = io.learnbridge.drop.CsvDrop.open(file, claim.fileName(), claim.claimedAt(), mapping.csv(), cli.settings.drops().batchSize())) {
                io.learnbridge.mapping.SourceMapper mapper = drop.header().isEmpty() ? null
                        : io.learnbridge.mapping.SourceMapper.bindHeader(mapping, drop.header(), "the header of " + file.getFileName());
                while (drop.hasNext()) {
                    ledger.stage(claim, io.learnbridge.drop.DropRows.map(mapper, drop.next()), policy);
                }
            }
            var summary = ledger.finish(claim, targets, policy);
            System.out.println("DRY RUN: nothing is written; if " + file.getFileName() + " were dropped into source " + source + " now:");
            System.out.println(summary.quarantined() ? "it would be QUARANTINED: " + String.join("; ", summary.gateReasons())
                    : "it would be applied: " + summary.deliveries() + " deliveries to " + targets);
            return print(cli, new Plans(view).forDrop(claim.dropId(), limit), claim.dropId());
        } catch (io.learnbridge.mapping.MappingException e) {
            System.out.println("the file cannot be planned: " + e.describe());
            return 1;
        } catch (java.io.IOException e) {
            throw new java.io.UncheckedIOException(e);
        }
    }

    private int print(CliStore cli, java.util.Optional<Plans.Plan> found, long id) {
        {
            if (found.isEmpty()) {
                System.out.println("no drop " + id);
                return 1;
            }
            Plans.Plan plan = found.get();
            System.out.printf("drop %d  %s %s  %s  sha256 %s%n", plan.dropId(), plan.source(), plan.fileName(), plan.status(), plan.checksum());
            System.out.println("targets: " + String.join(", ", io.learnbridge.support.Settings.targetsOf(cli.values, plan.source())));
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
