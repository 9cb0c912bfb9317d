package io.learnbridge.enrolment;

import static org.assertj.core.api.Assertions.assertThat;

import io.learnbridge.cli.LearnBridgeCli;
import io.learnbridge.store.Enrolments;
import io.learnbridge.testing.HrCsv;
import io.learnbridge.testing.SnapshotWorld;
import java.io.ByteArrayOutputStream;
import java.io.PrintStream;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * {@code simulate} against the stored workers answers exactly what applying the rule change then
 * does, and writes nothing itself.
 */
class EnrolmentSimulationTest {

    @TempDir
    Path home;

    @Test
    void aSimulatedRuleChangeMatchesWhatApplyingItThenDoes() throws Exception {
        String storeUrl = "jdbc:h2:file:" + home.resolve("store/learnbridge").toAbsolutePath() + ";WRITE_DELAY=0;AUTO_SERVER=TRUE";
        Path settings = Files.writeString(home.resolve("settings.properties"), "learnbridge.store.url=" + storeUrl + "\n");
        try (SnapshotWorld world = new SnapshotWorld(home.resolve("world"))) {
            // the rule change alone: the live applier (LiveEnrolmentTest) would enrol the joiners first
            world.start(world.bridge("delta").property("learnbridge.store.url", storeUrl).property("learnbridge.enrolments.enabled", "false"));
            world.drop("day1.csv", HrCsv.create().workers(1, 4)
                    .row(HrCsv.id(5), "Given5", "Family5", "worker5@example.com", "", "SAL-1", "Seller", "Paris", "Sales", "A", "01/15/2020")
                    .build());
            Enrolments enrolments = new Enrolments(world.bridge().store());
            EnrolmentRules deployed = EnrolmentRules.parse("rules.yaml", Files.readString(Path.of("mappings/enrolment/rules.yaml")));
            assertThat(enrolments.applyRules(deployed, "rules deployed")).as("the four London engineers").hasSize(4);

            String changed = Files.readString(Path.of("mappings/enrolment/rules.yaml"))
                    .replace("lms: [SEC-101]", "lms: [SEC-201]")
                    .replace("location: [London]", "location: [Paris]");
            Path proposedFile = Files.writeString(home.resolve("proposed.yaml"), changed);
            EnrolmentRules proposed = EnrolmentRules.parse(proposedFile.toString(), changed);

            Run simulate = cli("simulate", "--rules", proposedFile.toString(), "--settings", settings.toString());
            assertThat(simulate.exitCode()).isZero();
            assertThat(simulate.out()).contains("against 5 stored workers: 5 would change; nothing was sent or written")
                    .contains("lms FIRE-LDN +1/-4").contains("lms SEC-101 +0/-4").contains("lms SEC-201 +4/-0");
            assertThat(enrolments.held(HrCsv.id(1)).get("lms")).as("simulate wrote nothing").containsExactly("FIRE-LDN", "SEC-101");

            RuleChangeSimulation.Result simulated = RuleChangeSimulation.run(deployed, proposed, enrolments.workers());
            List<RuleChangeSimulation.WorkerOutcome> applied = enrolments.applyRules(proposed, "rules changed");
            assertThat(applied).as("what applying the change did = what simulate answered").isEqualTo(simulated.workers());
            assertThat(enrolments.held(HrCsv.id(1)).get("lms")).containsExactly("SEC-201");
            assertThat(enrolments.held(HrCsv.id(5)).get("lms")).as("the Paris seller gains the fire course of the new rule").containsExactly("FIRE-LDN");
        }
    }

    record Run(int exitCode, String out) {
    }

    private static synchronized Run cli(String... args) {
        PrintStream original = System.out;
        ByteArrayOutputStream buffer = new ByteArrayOutputStream();
        System.setOut(new PrintStream(buffer, true, StandardCharsets.UTF_8));
        try {
            int code = LearnBridgeCli.execute(args);
            return new Run(code, buffer.toString(StandardCharsets.UTF_8));
        } finally {
            System.setOut(original);
        }
    }
}
