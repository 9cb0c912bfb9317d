package io.learnbridge.cli;

import io.learnbridge.drop.DropPolicies;
import io.learnbridge.enrolment.EnrolmentRules;
import io.learnbridge.store.EnrolmentRulesLedger;
import java.nio.file.Path;
import java.util.Set;
import java.util.TreeSet;
import java.util.concurrent.Callable;
import picocli.CommandLine.Command;
import picocli.CommandLine.Option;

/**
 * {@code rules}: the enrolment rules versions the store has seen (applied, quarantined, rejected);
 * {@code rules apply} applies the deployed rules file to every stored worker now, behind the gate;
 * {@code rules approve|reject --checksum SHA} decides on a quarantined change.
 */
@Command(name = "rules", mixinStandardHelpOptions = true,
        subcommands = {RulesCommand.Apply.class, RulesCommand.Approve.class, RulesCommand.Reject.class},
        description = {"The enrolment rules versions the store has seen: APPLIED (every stored worker in step with them), QUARANTINED "
                + "(over the safety gate: waiting for 'rules approve|reject --checksum SHA') or REJECTED.",
                "'rules apply' applies the deployed rules file (mappings/enrolment/rules.yaml) to every stored worker now; a running bridge "
                        + "does so at startup."})
final class RulesCommand implements Callable<Integer> {

    @Option(names = "--settings") Path settings;

    @Override
    public Integer call() {
        try (CliStore cli = new CliStore(settings)) {
            var versions = new EnrolmentRulesLedger(cli.store).versions();
            if (versions.isEmpty()) {
                System.out.println("no enrolment rules applied yet (a bridge with learnbridge.enrolments.enabled applies them at startup)");
            }
            for (EnrolmentRulesLedger.Version v : versions) {
                System.out.printf("%s  %s  %s  seen %s  %d workers, %d enrolments, %d unenrolments%s%n", v.status(), v.checksum(), v.file(),
                        v.seenAt(), v.workers(), v.enrolments(), v.unenrolments(),
                        (v.reason() == null ? "" : "  " + v.reason()) + (v.decidedBy() == null ? "" : "  decided by " + v.decidedBy() + " at " + v.decidedAt()));
            }
            return 0;
        }
    }

    @Command(name = "apply", mixinStandardHelpOptions = true,
            description = "Applies the deployed rules file to every stored worker now, or quarantines it when it is over the safety gate.")
    static final class Apply implements Callable<Integer> {
        @Option(names = "--settings") Path settings;
        @Option(names = "--by", description = "Who applies (default: the OS user).") String operator = System.getProperty("user.name");

        @Override
        public Integer call() {
            try (CliStore cli = new CliStore(settings)) {
                EnrolmentRules rules = EnrolmentRules.deployed(cli.settings.mappingsLocation());
                Set<String> targets = new TreeSet<>();
                rules.rules().forEach(r -> targets.addAll(r.enrol().keySet()));
                EnrolmentRulesLedger.Outcome outcome = new EnrolmentRulesLedger(cli.store)
                        .reconcile(rules, new DropPolicies(cli.values).rulesGate(targets), operator);
                System.out.println(outcome.describe());
                return outcome.version().status().equals("APPLIED") ? 0 : 1;
            }
        }
    }

    /** Common options of a decision: the checksum the change was reviewed under, who decides. */
    abstract static class Decision implements Callable<Integer> {
        @Option(names = "--settings") Path settings;
        @Option(names = "--checksum", required = true, description = "The rules file's sha256, as 'rules' shows it.") String checksum;
        @Option(names = "--by", description = "Who decides (default: the OS user).") String operator = System.getProperty("user.name");

        abstract EnrolmentRulesLedger.Decision decide(EnrolmentRulesLedger ledger);

        @Override
        public Integer call() {
            try (CliStore cli = new CliStore(settings)) {
                EnrolmentRulesLedger.Decision decision = decide(new EnrolmentRulesLedger(cli.store));
                System.out.println(decision.message());
                return decision.done() ? 0 : 1;
            }
        }
    }

    @Command(name = "approve", mixinStandardHelpOptions = true,
            description = "Applies a quarantined rules change to every stored worker, exactly as that file was; works once, only with its checksum.")
    static final class Approve extends Decision {
        @Override
        EnrolmentRulesLedger.Decision decide(EnrolmentRulesLedger ledger) {
            return ledger.approve(checksum, operator);
        }
    }

    @Command(name = "reject", mixinStandardHelpOptions = true,
            description = "Keeps a quarantined rules change from being applied; the rules applied before stay in force.")
    static final class Reject extends Decision {
        @Override
        EnrolmentRulesLedger.Decision decide(EnrolmentRulesLedger ledger) {
            return ledger.reject(checksum, operator);
        }
    }
}
