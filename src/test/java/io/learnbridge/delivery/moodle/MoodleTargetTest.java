package io.learnbridge.delivery.moodle;

import static com.github.tomakehurst.wiremock.client.WireMock.aResponse;
import static com.github.tomakehurst.wiremock.client.WireMock.any;
import static com.github.tomakehurst.wiremock.client.WireMock.containing;
import static com.github.tomakehurst.wiremock.client.WireMock.okJson;
import static com.github.tomakehurst.wiremock.client.WireMock.post;
import static com.github.tomakehurst.wiremock.client.WireMock.postRequestedFor;
import static com.github.tomakehurst.wiremock.client.WireMock.urlPathEqualTo;
import static com.github.tomakehurst.wiremock.client.WireMock.urlPathMatching;
import static com.github.tomakehurst.wiremock.core.WireMockConfiguration.wireMockConfig;
import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

import com.github.tomakehurst.wiremock.WireMockServer;
import com.github.tomakehurst.wiremock.stubbing.Scenario;
import io.learnbridge.support.Metrics;
import io.learnbridge.mapping.Mappings;
import io.learnbridge.cli.RouteSchemaValidator;
import io.learnbridge.support.Settings;
import io.learnbridge.store.DeliveryQueue;
import io.learnbridge.store.ExceptionEntry;
import io.learnbridge.store.ExceptionQueue;
import io.learnbridge.store.Store;
import io.learnbridge.testing.HrCsv;
import io.learnbridge.testing.SnapshotWorld;
import java.nio.file.Path;
import java.sql.PreparedStatement;
import java.sql.ResultSet;
import java.time.Duration;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.TreeMap;
import java.util.function.Function;
import org.apache.camel.CamelConfiguration;
import org.apache.camel.CamelContext;
import org.apache.camel.spi.Registry;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * Joiners, movers and leavers through the whole bridge (HRIS drops, change detection, the real
 * route and mapping files) to a Moodle stand-in that keeps state and answers as Moodle does
 * ({@link MoodleStandIn}), behind a WireMock proxy whose stubs, keyed on {@code wsfunction} in the
 * form body, inject Moodle's failures. {@link #start} drops nothing: each test drops its days.
 */
class MoodleTargetTest {

    private static final String TOKEN = "moodle-ws-token";

    @TempDir
    Path home;

    private MoodleStandIn moodle;
    private WireMockServer proxy;
    private SnapshotWorld world;

    @BeforeEach
    void start() {
        moodle = MoodleStandIn.start(TOKEN);
        proxy = new WireMockServer(wireMockConfig().dynamicPort().bindAddress("127.0.0.1"));
        proxy.start();
        proxy.stubFor(any(urlPathMatching("/.*")).atPriority(10).willReturn(aResponse().proxiedFrom(moodle.site().toString())));
        world = new SnapshotWorld(home);
    }

    @AfterEach
    void stop() {
        world.close();
        proxy.stop();
        moodle.close();
    }

    private void startBridge(String token) throws Exception {
        startBridge(token, world.bridge("delta"));
    }

    private void startBridge(String token, io.learnbridge.testing.Bridge.Builder builder) throws Exception {
        world.start(builder
                .routes("classpath:routes/*.camel.yaml,classpath:test-routes/target-moodle.camel.yaml")
                .property("learnbridge.sources.hris.targets", "moodle")
                .property("learnbridge.targets.moodle.url", proxy.baseUrl())
                .property("learnbridge.targets.moodle.token", token)
                .property("learnbridge.targets.moodle.auth", "manual")
                .property("learnbridge.targets.moodle.batchSize", "50"));
    }

    @Test
    void aJoinerIsCreatedInItsCohortAMoverIsUpdatedAndMovedALeaverIsSuspendedNeverDeletedAndARehireReactivated() throws Exception {
        startBridge(TOKEN);

        world.drop("day1.csv", HrCsv.create().workers(1, 3).build());
        assertThat(statuses()).containsOnly(Map.entry(HrCsv.id(1), "DELIVERED"), Map.entry(HrCsv.id(2), "DELIVERED"), Map.entry(HrCsv.id(3), "DELIVERED"));
        assertThat(moodle.user(HrCsv.id(1))).hasValueSatisfying(u -> assertThat(u)
                .containsEntry("username", "worker1@example.com").containsEntry("email", "worker1@example.com")
                .containsEntry("firstname", "Given1").containsEntry("lastname", "Family1").containsEntry("department", "Engineering")
                .containsEntry("city", "London").containsEntry("auth", "manual").containsEntry("suspended", "0"));
        assertThat(moodle.members("org-Engineering")).containsExactly(HrCsv.id(1), HrCsv.id(2), HrCsv.id(3));

        world.drop("day2.csv", HrCsv.create()
                .row(HrCsv.id(2), "Given2", "Family2", "worker2@example.com", "", "ENG-1", "Engineer", "London", "Sales", "A", "01/15/2020")
                .row(HrCsv.id(3), "Given3", "Family3", "worker3@example.com", "", "ENG-1", "Engineer", "London", "Engineering", "T", "01/15/2020")
                .build());
        assertThat(moodle.user(HrCsv.id(2))).hasValueSatisfying(u -> assertThat(u).containsEntry("department", "Sales"));
        assertThat(moodle.members("org-Sales")).containsExactly(HrCsv.id(2));
        assertThat(moodle.members("org-Engineering")).as("the leaver is in no org-unit cohort").containsExactly(HrCsv.id(1));
        assertThat(moodle.user(HrCsv.id(3))).hasValueSatisfying(u -> assertThat(u).containsEntry("suspended", "1"));
        assertThat(moodle.userCount()).as("nobody deleted").isEqualTo(3);

        world.drop("day3.csv", HrCsv.create().worker(3).build());
        assertThat(moodle.user(HrCsv.id(3))).as("rehired").hasValueSatisfying(u -> assertThat(u).containsEntry("suspended", "0"));
        assertThat(moodle.members("org-Engineering")).as("and back in the cohort").containsExactly(HrCsv.id(1), HrCsv.id(3));
        assertThat(moodle.calls()).extracting(MoodleStandIn.Call::function).doesNotContain("core_user_delete_users");
        assertThat(statuses().values()).containsOnly("DELIVERED");
        assertThat(new ExceptionQueue(world.bridge().store()).countOpen()).isZero();
    }

    @Test
    void aTokenLackingACapabilityIsRefusedByThePreflightAndItsDeliveriesWaitUntilItIsFixed() throws Exception {
        moodle.lacks("moodle/user:viewalldetails");
        startBridge(TOKEN, world.bridge("delta").property("learnbridge.targets.moodle.preflightAgain", "PT1S"));

        world.bridge().drop("day1.csv", HrCsv.create().workers(1, 3).build());
        // without the capability every look-up would answer nothing and every learner be created again: nothing is sent
        await().during(Duration.ofSeconds(2)).atMost(Duration.ofSeconds(20)).until(() -> pendingFor("moodle") == 3);
        assertThat(moodle.calls()).extracting(MoodleStandIn.Call::function).doesNotContain("core_user_create_users", "core_user_update_users");
        assertThat(new ExceptionQueue(world.bridge().store()).countOpen()).isZero();

        moodle.grants("moodle/user:viewalldetails");
        await().atMost(Duration.ofSeconds(20)).until(() -> pendingFor("moodle") == 0 && statuses().values().stream().allMatch("DELIVERED"::equals));
        assertThat(moodle.userCount()).isEqualTo(3);
    }

    @Test
    void withAWrongTokenEveryDeliveryGoesToTheExceptionQueueWithErrorcodeInvalidtokenAndIsNotRetried() throws Exception {
        startBridge("not-the-token");

        world.drop("day1.csv", HrCsv.create().workers(1, 3).build());

        assertThat(statuses().values()).containsExactly("FAILED", "FAILED", "FAILED");
        assertThat(attempts()).as("claimed once each").containsOnly(1);
        List<ExceptionEntry> queued = new ExceptionQueue(world.bridge().store()).list(ExceptionQueue.Filter.open());
        assertThat(queued).hasSize(3).allSatisfy(e -> {
            assertThat(e.target()).isEqualTo("moodle");
            assertThat(e.errorClass()).isEqualTo("invalidtoken");
            assertThat(e.httpStatus()).as("Moodle answers its errors with 200").isEqualTo(200);
            assertThat(e.reason()).isEqualTo("core_user_get_users_by_field: Moodle refused (invalidtoken): Invalid token - token not found");
            assertThat(e.responseExcerpt()).contains("\"errorcode\":\"invalidtoken\"");
            assertThat(e.fileName()).isEqualTo("day1.csv");
        });
        assertThat(moodle.calls()).extracting(MoodleStandIn.Call::function).as("the preflight's site info (refused: the deliveries report it), "
                + "one lookup for the batch, then nothing").containsExactly("core_webservice_get_site_info", "core_user_get_users_by_field");
        assertThat(moodle.userCount()).isZero();
    }

    @Test
    void aDmlWriteExceptionIsRetriedAndTheInterruptedMoveIsCompletedOnTheRetry() throws Exception {
        startBridge(TOKEN);
        world.drop("day1.csv", HrCsv.create().workers(1, 2).build());
        // the mover's first step fails: Moodle still shows the old department, so the retry knows which cohort to leave
        proxy.stubFor(post(urlPathEqualTo(MoodleStandIn.PATH)).atPriority(1)
                .withRequestBody(containing("wsfunction=core_cohort_add_cohort_members"))
                .inScenario("dml").whenScenarioStateIs(Scenario.STARTED).willSetStateTo("failed once")
                .willReturn(okJson("{\"exception\":\"dml_write_exception\",\"errorcode\":\"dmlwriteexception\","
                        + "\"message\":\"Error writing to database\"}")));

        int addsBefore = proxy.findAll(postRequestedFor(urlPathEqualTo(MoodleStandIn.PATH))
                .withRequestBody(containing("wsfunction=core_cohort_add_cohort_members"))).size();

        world.drop("day2.csv", HrCsv.create()
                .row(HrCsv.id(1), "Given1", "Family1", "worker1@example.com", "", "ENG-1", "Engineer", "London", "Sales", "A", "01/15/2020")
                .build());

        assertThat(statuses()).containsEntry(HrCsv.id(1), "DELIVERED");
        assertThat(attempts(HrCsv.id(1), "day2.csv")).as("failed once, then delivered").isEqualTo(2);
        assertThat(proxy.findAll(postRequestedFor(urlPathEqualTo(MoodleStandIn.PATH))
                .withRequestBody(containing("wsfunction=core_cohort_add_cohort_members"))).size() - addsBefore).isEqualTo(2);
        assertThat(moodle.user(HrCsv.id(1))).hasValueSatisfying(u -> assertThat(u).containsEntry("department", "Sales"));
        assertThat(moodle.members("org-Sales")).containsExactly(HrCsv.id(1));
        assertThat(moodle.members("org-Engineering")).containsExactly(HrCsv.id(2));
        assertThat(world.bridge().bean("learnbridgeMetrics", Metrics.class).deliveries("moodle", "retried")).isEqualTo(1.0);
        assertThat(new ExceptionQueue(world.bridge().store()).countOpen()).isZero();
    }

    @Test
    void aWarningForOneUserQueuesThatUserWithTheWarningWhileTheOthersOfTheRequestAreDelivered() throws Exception {
        startBridge(TOKEN);
        world.drop("day1.csv", HrCsv.create().workers(1, 3).build());
        long updatesBefore = moodle.calls("core_user_update_users");

        // worker 2 takes worker 3's email: Moodle keeps one account per email and warns about that user only
        world.drop("day2.csv", HrCsv.create()
                .row(HrCsv.id(1), "Given1", "Renamed1", "worker1@example.com", "", "ENG-1", "Engineer", "London", "Engineering", "A", "01/15/2020")
                .row(HrCsv.id(2), "Given2", "Family2", "worker3@example.com", "", "ENG-1", "Engineer", "London", "Engineering", "A", "01/15/2020")
                .row(HrCsv.id(3), "Given3", "Renamed3", "worker3@example.com", "", "ENG-1", "Engineer", "London", "Engineering", "A", "01/15/2020")
                .build());

        assertThat(moodle.calls("core_user_update_users") - updatesBefore).as("the three updates went in one request").isEqualTo(1);
        assertThat(moodle.user(HrCsv.id(1))).hasValueSatisfying(u -> assertThat(u).containsEntry("lastname", "Renamed1"));
        assertThat(moodle.user(HrCsv.id(3))).hasValueSatisfying(u -> assertThat(u).containsEntry("lastname", "Renamed3"));
        assertThat(moodle.user(HrCsv.id(2))).hasValueSatisfying(u -> assertThat(u).containsEntry("email", "worker2@example.com"));
        List<ExceptionEntry> queued = new ExceptionQueue(world.bridge().store()).list(ExceptionQueue.Filter.open());
        assertThat(queued).singleElement().satisfies(e -> {
            assertThat(e.workerId()).isEqualTo(HrCsv.id(2));
            assertThat(e.errorClass()).isEqualTo("warning:useremailduplicate");
            assertThat(e.reason()).isEqualTo("core_user_update_users: Moodle warned (useremailduplicate): Duplicate email address: worker3@example.com");
            assertThat(e.fileName()).isEqualTo("day2.csv");
            assertThat(e.line()).isEqualTo(3);
        });
    }

    @Test
    void theRouteFilesAreValidCamelYaml() {
        RouteSchemaValidator validator = new RouteSchemaValidator();

        assertThat(validator.validate(Path.of("routes/target-lms.camel.yaml"))).isEmpty();
        assertThat(validator.validate(Path.of("src/test/resources/test-routes/target-moodle.camel.yaml"))).isEmpty();
    }

    /** Delivery status per worker of the newest deliveries to moodle. */
    @Test
    void enrolmentRulesEnrolAJoinerInTheRolesCoursesAndUnenrolAMoverFromWhatOnlyTheOldRoleNeeded() throws Exception {
        java.nio.file.Path mappings = io.learnbridge.testing.TestFiles.copyTree(java.nio.file.Path.of("mappings").toAbsolutePath(),
                home.resolve("mappings"));
        java.nio.file.Files.writeString(mappings.resolve("enrolment/rules.yaml"), """
                policy: {onMove: unenrol, onLeave: unenrol}
                rules:
                  - name: engineers take secure coding
                    when: {jobCode: [ENG-1]}
                    enrol: {moodle: [SEC-101]}
                  - name: London takes fire safety
                    when: {location: [London]}
                    enrol: {moodle: [FIRE-LDN]}
                """);
        moodle.addCourse("SEC-101", "Secure coding", true);
        moodle.addCourse("FIRE-LDN", "Fire safety London", true);
        startBridge(TOKEN, world.bridge("delta")
                .property("learnbridge.mappings.location", mappings.toString())
                .property("learnbridge.enrolments.enabled", "true")
                .property("learnbridge.enrolments.pollPeriod", "100ms"));

        world.drop("day1.csv", HrCsv.create().workers(1, 2).build());
        long ada = Long.parseLong(moodle.user(HrCsv.id(1)).orElseThrow().get("id"));
        long grace = Long.parseLong(moodle.user(HrCsv.id(2)).orElseThrow().get("id"));
        await("joiners enrolled").atMost(Duration.ofSeconds(30)).untilAsserted(() -> {
            assertThat(moodle.enrolled("SEC-101")).containsOnlyKeys(ada, grace).containsValue(5);
            assertThat(moodle.enrolled("FIRE-LDN")).containsOnlyKeys(ada, grace);
        });

        // worker 1 moves to Paris: keeps secure coding, loses the London course
        world.drop("day2.csv", HrCsv.create()
                .row(HrCsv.id(1), "Given1", "Family1", "worker1@example.com", "", "ENG-1", "Engineer", "Paris", "Engineering", "A", "01/15/2020")
                .build());
        await("mover unenrolled from the London course").atMost(Duration.ofSeconds(30)).untilAsserted(() -> {
            assertThat(moodle.enrolled("FIRE-LDN")).containsOnlyKeys(grace);
            assertThat(moodle.enrolled("SEC-101")).containsOnlyKeys(ada, grace);
        });
        Integer undelivered = world.bridge().store().tx(c -> {
            try (ResultSet rs = c.createStatement().executeQuery("select count(*) from enrolment_change where target = 'moodle' and status <> 'DELIVERED'")) {
                rs.next();
                return rs.getInt(1);
            }
        });
        assertThat(undelivered).as("enrolment changes not delivered").isZero();
    }

    @Test
    void anEnrolmentInACourseMoodleDoesNotHaveIsQueuedNamingTheCurriculum() throws Exception {
        java.nio.file.Path mappings = io.learnbridge.testing.TestFiles.copyTree(java.nio.file.Path.of("mappings").toAbsolutePath(),
                home.resolve("mappings"));
        java.nio.file.Files.writeString(mappings.resolve("enrolment/rules.yaml"), """
                policy: {onMove: unenrol, onLeave: unenrol}
                rules:
                  - name: engineers take a course nobody created
                    when: {jobCode: [ENG-1]}
                    enrol: {moodle: [NO-SUCH-COURSE]}
                """);
        startBridge(TOKEN, world.bridge("delta")
                .property("learnbridge.mappings.location", mappings.toString())
                .property("learnbridge.enrolments.enabled", "true")
                .property("learnbridge.enrolments.pollPeriod", "100ms"));

        world.drop("day1.csv", HrCsv.create().workers(1, 1).build());
        await().atMost(Duration.ofSeconds(30)).until(() -> !new io.learnbridge.store.ExceptionQueue(world.bridge().store())
                .list(io.learnbridge.store.ExceptionQueue.Filter.open()).isEmpty());
        assertThat(new io.learnbridge.store.ExceptionQueue(world.bridge().store()).list(io.learnbridge.store.ExceptionQueue.Filter.open()))
                .singleElement().satisfies(e -> {
                    assertThat(e.stage()).isEqualTo("enrol");
                    assertThat(e.target()).isEqualTo("moodle");
                    assertThat(e.workerId()).isEqualTo(HrCsv.id(1));
                    assertThat(e.reason()).contains("NO-SUCH-COURSE");
                });
        assertThat(statuses()).containsEntry(HrCsv.id(1), "DELIVERED");
    }

    private int pendingFor(String target) {
        return new io.learnbridge.store.Reconciliation(world.bridge().store()).recent(1).stream().flatMap(r -> r.targets().stream())
                .filter(t -> t.target().equals(target)).mapToInt(io.learnbridge.store.Reconciliation.TargetCounts::pending).sum();
    }

    private Map<String, String> statuses() {
        return world.bridge().store().tx(c -> {
            Map<String, String> statuses = new TreeMap<>();
            try (PreparedStatement ps = c.prepareStatement("select worker_id, status from delivery where target = 'moodle' order by id");
                 ResultSet rs = ps.executeQuery()) {
                while (rs.next()) {
                    statuses.put(rs.getString(1), rs.getString(2));
                }
            }
            return statuses;
        });
    }

    private List<Integer> attempts() {
        return world.bridge().store().tx(c -> {
            List<Integer> attempts = new java.util.ArrayList<>();
            try (PreparedStatement ps = c.prepareStatement("select attempts from delivery where target = 'moodle'");
                 ResultSet rs = ps.executeQuery()) {
                while (rs.next()) {
                    attempts.add(rs.getInt(1));
                }
            }
            return attempts;
        });
    }

    private int attempts(String workerId, String fileName) {
        return world.bridge().store().tx(c -> {
            try (PreparedStatement ps = c.prepareStatement("select d.attempts from delivery d join drop_file f on f.id = d.drop_id "
                    + "where d.target = 'moodle' and d.worker_id = ? and f.file_name = ?")) {
                ps.setString(1, workerId);
                ps.setString(2, fileName);
                try (ResultSet rs = ps.executeQuery()) {
                    rs.next();
                    return rs.getInt(1);
                }
            }
        });
    }
}
