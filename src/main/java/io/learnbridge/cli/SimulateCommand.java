package io.learnbridge.cli;

import io.learnbridge.enrolment.EnrolmentRules;
import io.learnbridge.enrolment.RuleChangeSimulation;
import io.learnbridge.mapping.MappingException;
import io.learnbridge.store.Enrolments;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.concurrent.Callable;
import picocli.CommandLine.Command;
import picocli.CommandLine.Option;

/**
 * {@code simulate --rules FILE}: if the enrolment rules changed from the deployed file to FILE, who
 * would gain and who would lose which curricula, against the stored workers. Sends and writes nothing.
 */
@Command(name = "simulate", mixinStandardHelpOptions = true,
        description = "Who gains and who loses which curricula if the enrolment rules (mappings/enrolment/rules.yaml) changed to FILE, "
                + "computed against the stored workers. Sends and writes nothing.")
final class SimulateCommand implements Callable<Integer> {

    static final String RULES = EnrolmentRules.FILE;

    @Option(names = "--settings") Path settings;
    @Option(names = "--rules", required = true, description = "The proposed rules file.") Path rules;
    @Option(names = "--limit", description = "Workers to list (default: ${DEFAULT-VALUE}).") int limit = 200;

    @Override
    public Integer call() throws Exception {
        try (CliStore cli = new CliStore(settings)) {
            EnrolmentRules current;
            EnrolmentRules proposed;
            try {
                current = deployed(cli.settings.mappingsLocation());
                proposed = EnrolmentRules.parse(rules.toString(), Files.readString(rules));
            } catch (MappingException e) {
                System.out.println(e.describe());
                return 1;
            }
            var workers = new Enrolments(cli.store).workers();
            RuleChangeSimulation.Result result = RuleChangeSimulation.run(current, proposed, workers);
            System.out.printf("simulated %s -> %s against %d stored workers: %d would change; nothing was sent or written%n",
                    current.file(), rules, workers.size(), result.workers().size());
            result.summary().forEach(line -> System.out.println("  " + line));
            result.workers().stream().limit(limit).forEach(w -> System.out.println("  " + w.workerId() + "  gains " + w.gains() + "  loses " + w.losses()));
            if (result.workers().size() > limit) {
                System.out.println("  ... " + (result.workers().size() - limit) + " more (--limit)");
            }
            return 0;
        }
    }

    /** The deployed rules file of a mappings location, or no rules when there is none. */
    static EnrolmentRules deployed(String mappingsLocation) {
        return EnrolmentRules.deployed(mappingsLocation);
    }
}
