package io.learnbridge.cli;

import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

import io.learnbridge.store.ExceptionEntry;
import io.learnbridge.store.ExceptionQueue;
import io.learnbridge.store.Reconciliation;
import io.learnbridge.testing.Bridge;
import io.learnbridge.testing.HrCsv;
import io.learnbridge.testing.TestFiles;
import java.io.ByteArrayOutputStream;
import java.io.PrintStream;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** The runnable jar's commands, run in this JVM as an operator would run them. */
class CommandsTest {

    @TempDir
    Path home;

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

    @Test
    void validateAcceptsTheShippedRoutesMappingsAndSettings() {
        Run run = cli("validate", "--no-load");
        assertThat(run.out()).contains("valid: routes, mappings, example cases and settings");
        assertThat(run.exitCode()).isZero();
    }

    @Test
    void validateListsEveryProblemAsFileLineMessageAndExitsNonZero() throws Exception {
        Path mappings = TestFiles.copyTree(Path.of("mappings"), home.resolve("mappings"));
        Path routes = TestFiles.copyTree(Path.of("routes"), home.resolve("routes"));
        Path lms = mappings.resolve("targets/lms.mapping.yaml");
        Files.writeString(lms, Files.readString(lms).replace("  jobTitle: jobTitle", "  jobTitle: jobTitel"));
        Path ingest = routes.resolve("ingest-drop.camel.yaml");
        Files.writeString(ingest, Files.readString(ingest).replace("                              - bean:\n                                  id: stage-batch",
                "                              - been:\n                                  id: stage-batch"));
        Path rules = mappings.resolve("enrolment/rules.yaml");
        Files.writeString(rules, Files.readString(rules) + """
                  - name: everyone takes the catalogue tour
                    when:
                      employmentStatus: [ACTIVE]
                    enrol:
                      catalog: [TOUR-1]
                """);
        Path settings = Files.writeString(home.resolve("settings.properties"),
                "learnbridge.mappings.location=" + mappings + "\ncamel.main.routesIncludePattern=file:" + routes + "/*.camel.yaml\n");

        Run run = cli("validate", "--no-load", "--settings", settings.toString());

        assertThat(run.exitCode()).isEqualTo(1);
        assertThat(run.out()).contains(lms + ":26: jobTitle: reads unknown canonical field 'jobTitel'");
        assertThat(run.out()).containsPattern(java.util.regex.Pattern.quote(ingest.toString()) + ":\\d+: .*unknown key 'been' \\(did you mean 'bean'\\?\\)");
        assertThat(run.out()).containsPattern("rules\\.yaml:\\d+: rule 'everyone takes the catalogue tour': target 'catalog' is not a target of any source");
        assertThat(run.out()).contains("problem(s)");
    }

    @Test
    void validateReportsASourceWithSettingsAndAMappingButNoRouteThatReadsIt() throws Exception {
        Path mappings = TestFiles.copyTree(Path.of("mappings"), home.resolve("mappings"));
        Files.copy(mappings.resolve("sources/hris.mapping.yaml"), mappings.resolve("sources/crm.mapping.yaml"));
        Files.copy(mappings.resolve("sources/hris.mapping.test.yaml"), mappings.resolve("sources/crm.mapping.test.yaml"));
        Path settings = Files.writeString(home.resolve("settings.properties"), "learnbridge.mappings.location=" + mappings
                + "\nlearnbridge.sources.crm.directory=drops/crm\nlearnbridge.sources.crm.targets=lms\n");

        Run run = cli("validate", "--no-load", "--settings", settings.toString());

        assertThat(run.out()).contains(settings + ": learnbridge.sources.crm.*: source 'crm' has settings but no route 'source-crm' reads it: "
                + "add routes/source-crm.camel.yaml").contains("1 problem(s)");
        assertThat(run.exitCode()).isEqualTo(1);
    }

    @Test
    void validateReportsARouteThatReadsASourceWithoutSettings() throws Exception {
        Path routes = TestFiles.copyTree(Path.of("routes"), home.resolve("routes"));
        Path route = Files.writeString(routes.resolve("source-crm.camel.yaml"), """
                - route:
                    id: crm-drops
                    routeConfigurationId: drop-errors
                    from:
                      uri: kamelet:learnbridge-drop-folder-source/source-crm
                      parameters:
                        source: crm
                        directory: "{{learnbridge.sources.crm.directory}}"
                      steps:
                        - to: direct:ingest-drop
                """);
        Path settings = Files.writeString(home.resolve("settings.properties"), "camel.main.routesIncludePattern=file:" + routes + "/*.camel.yaml\n");

        Run run = cli("validate", "--no-load", "--settings", settings.toString());

        assertThat(run.out()).contains(route + ":7: route 'source-crm' reads source 'crm', which has no settings (learnbridge.sources.crm.*, "
                + "at least learnbridge.sources.crm.targets").contains("1 problem(s)");
        assertThat(run.exitCode()).isEqualTo(1);
    }

    @Test
    void previewPrintsCanonicalRecordsPayloadsAndRejectionsAsJsonLines() throws Exception {
        Path csv = Files.writeString(home.resolve("preview.csv"), HrCsv.create().worker(1)
                .row(HrCsv.id(2), "Bad", "Email", "nope", "", "ENG-1", "Engineer", "London", "Eng", "A", "01/15/2020").build());
        Run run = cli("preview", "--source", "hris", "--file", csv.toString());
        assertThat(run.exitCode()).isZero();
        String[] lines = run.out().strip().split("\n");
        assertThat(lines).hasSize(2);
        assertThat(lines[0]).startsWith("{\"line\":2,\"canonical\":{\"workerId\":\"E000001\"").contains("\"targets\":{\"lms\":{\"externalId\":\"E000001\"");
        assertThat(lines[1]).startsWith("{\"line\":3,\"rejected\":{\"field\":\"email\"");
    }

    @Test
    void dropsShowsASettledDropSettledAndAnUnreadableOneFailedNeverInProgress() throws Exception {
        String storeUrl = "jdbc:h2:file:" + home.resolve("store/learnbridge").toAbsolutePath() + ";WRITE_DELAY=0;AUTO_SERVER=TRUE";
        Path settings = Files.writeString(home.resolve("settings.properties"), "learnbridge.store.url=" + storeUrl + "\n");
        try (Bridge bridge = Bridge.builder(home.resolve("bridge")).property("learnbridge.store.url", storeUrl).start()) {
            bridge.drop("day1.csv", HrCsv.create().workers(1, 2).build());
            await().atMost(Duration.ofSeconds(30)).until(() -> new Reconciliation(bridge.store()).forDrop(1).map(Reconciliation.Report::settled).orElse(false));
            bridge.drop("day2.csv", "Employee ID,First Name\nE000003,Ada\n"); // the mapped columns are missing: unreadable as a whole
            await().atMost(Duration.ofSeconds(30)).until(() -> new Reconciliation(bridge.store()).forDrop(2).map(r -> r.status().equals("FAILED")).orElse(false));

            Run drops = cli("drops", "--settings", settings.toString());

            assertThat(drops.exitCode()).isZero();
            assertThat(drops.out()).contains("drop 1  hris day1.csv  SETTLED  received 2").contains("balanced, settled")
                    .contains("drop 2  hris day2.csv  FAILED  received 0").contains("failed: the file could not be read as a whole")
                    .doesNotContain("STAGED").doesNotContain("in progress");
            assertThat(bridge.api("GET", "/api/drops/1").body()).contains("\"status\":\"SETTLED\"");
            assertThat(bridge.api("GET", "/api/drops/2").body()).contains("\"status\":\"FAILED\"");
        }
    }

    @Test
    void rulesApplyQuarantinesAChangeOverTheGateAndRulesApproveAppliesItWithItsChecksum() throws Exception {
        Path mappings = TestFiles.copyTree(Path.of("mappings"), home.resolve("mappings"));
        String storeUrl = "jdbc:h2:file:" + home.resolve("store/learnbridge").toAbsolutePath() + ";WRITE_DELAY=0;AUTO_SERVER=TRUE";
        Path settings = Files.writeString(home.resolve("settings.properties"), "learnbridge.store.url=" + storeUrl
                + "\nlearnbridge.mappings.location=" + mappings + "\nlearnbridge.gate.maxDeactivations=1\n");
        try (Bridge bridge = Bridge.builder(home.resolve("bridge")).property("learnbridge.store.url", storeUrl)
                .property("learnbridge.mappings.location", mappings.toString()).property("learnbridge.enrolments.enabled", "true")
                .property("learnbridge.enrolments.pollPeriod", "200ms").start()) {
            bridge.drop("day1.csv", HrCsv.create().workers(1, 2).build());
            await().atMost(Duration.ofSeconds(30)).until(() -> new Reconciliation(bridge.store()).forDrop(1).map(Reconciliation.Report::settled).orElse(false));
            await().atMost(Duration.ofSeconds(30)).until(() -> new io.learnbridge.store.Enrolments(bridge.store()).due() == 0);
        }
        Run first = cli("rules", "apply", "--settings", settings.toString());
        assertThat(first.out()).as("applied by the bridge at startup").contains("are the ones applied");
        assertThat(first.exitCode()).isZero();

        Path rules = mappings.resolve("enrolment/rules.yaml");
        Files.writeString(rules, Files.readString(rules).replace("location: [London]", "location: [Atlantis]"));
        Run quarantined = cli("rules", "apply", "--settings", settings.toString());
        assertThat(quarantined.out()).contains("QUARANTINED: 2 unenrolments exceed the limit of 1 (maxDeactivations)");
        assertThat(quarantined.exitCode()).isEqualTo(1);
        String checksum = io.learnbridge.drop.DropChecksum.sha256(Files.readString(rules));
        assertThat(cli("rules", "--settings", settings.toString()).out()).contains("QUARANTINED  " + checksum).contains("APPLIED  ");

        assertThat(cli("rules", "approve", "--checksum", "0000", "--settings", settings.toString()).exitCode()).isEqualTo(1);
        Run approved = cli("rules", "approve", "--checksum", checksum, "--by", "ops", "--settings", settings.toString());
        assertThat(approved.out()).contains("approved and applied to every stored worker: 2 workers, 0 enrolments, 2 unenrolments queued");
        assertThat(approved.exitCode()).isZero();
        assertThat(cli("rules", "--settings", settings.toString()).out()).contains("APPLIED  " + checksum).contains("decided by ops");
    }

    @Test
    void exceptionsCanBeListedAndReplayedFromTheCommandLineAfterAMappingFix() throws Exception {
        Path mappings = TestFiles.copyTree(Path.of("mappings"), home.resolve("mappings"));
        String storeUrl = "jdbc:h2:file:" + home.resolve("store/learnbridge").toAbsolutePath() + ";WRITE_DELAY=0;AUTO_SERVER=TRUE";
        Path settings = Files.writeString(home.resolve("settings.properties"),
                "learnbridge.mappings.location=" + mappings + "\nlearnbridge.store.url=" + storeUrl + "\n");
        try (Bridge bridge = Bridge.builder(home.resolve("bridge")).property("learnbridge.store.url", storeUrl)
                .property("learnbridge.mappings.location", mappings.toString()).start()) {
            bridge.drop("day1.csv", HrCsv.create().worker(1)
                    .row(HrCsv.id(2), "New", "Status", "n@example.com", "", "ENG-1", "Engineer", "London", "Eng", "C", "01/15/2020").build());
            await().atMost(Duration.ofSeconds(30)).until(() -> new Reconciliation(bridge.store()).forDrop(1).map(Reconciliation.Report::settled).orElse(false));

            Run list = cli("exceptions", "list", "--settings", settings.toString());
            assertThat(list.exitCode()).isZero();
            assertThat(list.out()).contains("REJECTED OPEN     hris day1.csv:3 worker E000002").contains("'C' is not in value table employment-status");
            long id = new ExceptionQueue(bridge.store()).list(ExceptionQueue.Filter.open()).get(0).id();
            assertThat(cli("exceptions", "list", "--worker", "E000002", "--settings", settings.toString()).out())
                    .contains(id + "  REJECTED OPEN     hris day1.csv:3 worker E000002").contains("\n1 exception(s)");
            assertThat(cli("exceptions", "list", "--worker", "E000001", "--settings", settings.toString()).out())
                    .doesNotContain("REJECTED").contains("0 exception(s)");

            assertThat(cli("exceptions", "replay", String.valueOf(id), "--settings", settings.toString()).out()).contains("still rejected");
            Path table = mappings.resolve("lookups/employment-status.yaml");
            Files.writeString(table, Files.readString(table) + "  C: ACTIVE\n");
            Run replay = cli("exceptions", "replay", String.valueOf(id), "--settings", settings.toString());
            assertThat(replay.out()).contains(id + "  replayed: worker E000002 accepted and queued for [lms]");
            assertThat(replay.exitCode()).isZero();

            await().atMost(Duration.ofSeconds(30)).until(() -> new Reconciliation(bridge.store()).forDrop(1)
                    .map(r -> r.settled() && r.rejected() == 0 && r.targets().get(0).delivered() == 2).orElse(false));
            assertThat(new ExceptionQueue(bridge.store()).get(id).orElseThrow().status()).isEqualTo(ExceptionEntry.Status.REPLAYED);
            Run drops = cli("drops", "1", "--settings", settings.toString());
            assertThat(drops.out()).contains("SETTLED  received 2, unchanged 0, superseded 0, rejected 0").contains("-> lms: delivered 2, failed 0, pending 0").contains("balanced, settled");
        }
    }
}
