package io.learnbridge.delivery.lrs;

import static com.github.tomakehurst.wiremock.client.WireMock.aResponse;
import io.learnbridge.testing.ReliabilityScenario;
import static com.github.tomakehurst.wiremock.client.WireMock.any;
import static com.github.tomakehurst.wiremock.client.WireMock.post;
import static com.github.tomakehurst.wiremock.client.WireMock.urlPathMatching;
import static com.github.tomakehurst.wiremock.core.WireMockConfiguration.wireMockConfig;
import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.github.tomakehurst.wiremock.WireMockServer;
import com.github.tomakehurst.wiremock.stubbing.StubMapping;
import io.learnbridge.store.ExceptionEntry;
import io.learnbridge.store.ExceptionQueue;
import io.learnbridge.testing.HrCsv;
import io.learnbridge.testing.LmsJournal;
import io.learnbridge.testing.LrsServer;
import io.learnbridge.testing.SnapshotWorld;
import java.net.URI;
import java.nio.file.Path;
import java.sql.PreparedStatement;
import java.time.Duration;
import java.util.List;
import java.util.Map;
import java.util.stream.Collectors;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * Joiners, movers and leavers to a real LRS ({@code @learninglocker/xapi-statements} 7.8.0 on
 * loopback, behind a WireMock proxy that can take it "down"), next to the LMS: statements that
 * pass xAPI validation, deterministic ids so a replayed batch creates nothing new, one refused
 * statement isolated from a batch of 50, and the LMS unaffected while the LRS is down.
 */
class XapiTargetTest {

    private static final ObjectMapper JSON = new ObjectMapper();
    private static final String HOME_PAGE = "https://hr.example.com";

    @TempDir
    static Path lrsHome;

    private static LrsServer lrs;

    @TempDir
    Path home;

    private WireMockServer proxy;
    private SnapshotWorld world;
    private java.util.Set<String> statementsBefore;

    @BeforeAll
    static void startLrs() {
        lrs = LrsServer.start(lrsHome);
    }

    @AfterAll
    static void stopLrs() {
        if (lrs != null) {
            lrs.close();
        }
    }

    @BeforeEach
    void start() throws Exception {
        URI base = lrs.baseUrl();
        proxy = new WireMockServer(wireMockConfig().dynamicPort().bindAddress("127.0.0.1"));
        proxy.start();
        proxy.stubFor(any(urlPathMatching("/.*")).atPriority(10).willReturn(aResponse().proxiedFrom(base.getScheme() + "://" + base.getAuthority())));
        statementsBefore = lrs.statements().stream().map(st -> st.path("id").asText()).collect(Collectors.toSet());
        world = new SnapshotWorld(home);
        world.start(world.bridge("delta")
                .routes("classpath:routes/*.camel.yaml,classpath:test-routes/target-lrs.camel.yaml")
                .property("learnbridge.sources.hris.targets", "lms,lrs")
                .property("learnbridge.targets.lrs.url", proxy.baseUrl() + base.getPath())
                .property("learnbridge.targets.lrs.homePage", HOME_PAGE)
                .property("learnbridge.targets.lrs.username", LrsServer.KEY)
                .property("learnbridge.targets.lrs.password", LrsServer.SECRET)
                .property("learnbridge.targets.lrs.batchSize", "50"));
    }

    @AfterEach
    void stop() {
        world.close();
        proxy.stop();
    }

    @Test
    @ReliabilityScenario(22)
    void joinerMoverAndLeaverReachTheLmsAndTheLrsAsValidStatementsAndAReplayedBatchCreatesNothingNew() throws Exception {
        world.drop("day1.csv", HrCsv.create().workers(1, 3).build());
        await().atMost(Duration.ofSeconds(30)).until(() -> newStatements().size() == 3);
        world.drop("day2.csv", HrCsv.create()
                .row(HrCsv.id(2), "Given2", "Family2", "worker2@example.com", "", "ENG-1", "Engineer", "London", "Sales", "A", "01/15/2020")
                .row(HrCsv.id(3), "Given3", "Family3", "worker3@example.com", "", "ENG-1", "Engineer", "London", "Engineering", "T", "01/15/2020")
                .build());
        await().atMost(Duration.ofSeconds(30)).until(() -> newStatements().size() == 5);

        List<JsonNode> statements = newStatements();
        Map<String, List<String>> verbsByWorker = statements.stream().collect(Collectors.groupingBy(
                s -> s.path("actor").path("account").path("name").asText(), Collectors.mapping(s -> s.path("verb").path("id").asText(), Collectors.toList())));
        assertThat(verbsByWorker.get(HrCsv.id(1))).containsExactly("http://activitystrea.ms/schema/1.0/join");
        assertThat(verbsByWorker.get(HrCsv.id(2))).containsExactlyInAnyOrder("http://activitystrea.ms/schema/1.0/join", "https://learnbridge.io/xapi/verbs/moved");
        assertThat(verbsByWorker.get(HrCsv.id(3))).containsExactlyInAnyOrder("http://activitystrea.ms/schema/1.0/join", "http://activitystrea.ms/schema/1.0/leave");
        assertThat(statements).allSatisfy(s -> {
            assertThat(s.path("actor").path("account").path("homePage").asText()).isEqualTo(HOME_PAGE);
            assertThat(s.path("actor").has("mbox")).as("never a guessed email").isFalse();
        });
        JsonNode moved = statements.stream().filter(s -> s.path("verb").path("id").asText().endsWith("/moved")).findFirst().orElseThrow();
        assertThat(moved.path("object").path("id").asText()).isEqualTo("https://learnbridge.io/xapi/organizations/Sales");
        assertThat(moved.path("context").path("extensions").path("https://learnbridge.io/xapi/extensions/orgUnit").asText()).isEqualTo("Sales");
        assertThat(LrsServer.validate(JSON.writeValueAsString(statements.stream().map(XapiTargetTest::asSent).toList())))
                .as("xapi-validation errors per statement").allMatch(String::isEmpty);
        assertThat(world.journal().puts()).as("the LMS got its 5 upserts too").hasSize(5);

        // replay every statement already delivered: the LRS keeps one of each
        world.bridge().store().tx(c -> {
            try (PreparedStatement ps = c.prepareStatement("update delivery set status = 'PENDING', attempts = 0 where target = 'lrs'")) {
                return ps.executeUpdate();
            }
        });
        await().atMost(Duration.ofSeconds(30)).until(() -> countLrs("DELIVERED") == 5);
        assertThat(newStatements()).as("statements after the replay").hasSize(5);
        assertThat(new ExceptionQueue(world.bridge().store()).countOpen()).isZero();
    }

    @Test
    @ReliabilityScenario(22)
    void whileTheLrsIsDownTheLmsIsServedAndAfterwardsOneRefusedStatementOf50IsQueuedWhileTheOther49AreStored() throws Exception {
        StubMapping down = proxy.stubFor(post(urlPathMatching("/.*")).atPriority(1).willReturn(aResponse().withStatus(503).withHeader("Retry-After", "2")));
        world.bridge().drop("day1.csv", HrCsv.create().workers(1, 50).build());
        await().atMost(Duration.ofSeconds(30)).until(() -> world.journal().puts().stream().filter(LmsJournal.Put::succeeded).count() == 50);
        assertThat(newStatements()).as("nothing reached the LRS while it was down").isEmpty();
        // the LRS's deliveries are written as its route claims them (a drop's deliveries are stored as ranges): all 50 wait
        await().atMost(Duration.ofSeconds(30)).until(() -> countLrs("PENDING") + countLrs("SENDING") == 50);

        // one statement the LRS will refuse: its record's effectiveAt is not a timestamp (a drop's delivery
        // sends the change its drop row holds)
        world.bridge().store().tx(c -> {
            try (PreparedStatement ps = c.prepareStatement(
                    "update drop_row_record set canonical = replace(canonical, '\"effectiveAt\":\"', '\"effectiveAt\":\"not-a-date ') "
                            + "where exists (select 1 from drop_row r where r.drop_id = drop_row_record.drop_id and r.line = drop_row_record.line "
                            + "and r.worker_id = ?)")) {
                ps.setString(1, HrCsv.id(17));
                return ps.executeUpdate();
            }
        });
        // a batch read before the change may still be in flight: wait until the LRS (still down) saw the refused statement
        await().atMost(Duration.ofSeconds(30)).until(() -> !proxy.findAll(com.github.tomakehurst.wiremock.client.WireMock.postRequestedFor(urlPathMatching("/.*"))
                .withRequestBody(com.github.tomakehurst.wiremock.client.WireMock.containing("not-a-date"))).isEmpty());
        // the LRS's Retry-After: 2 is honoured between a statement's attempts
        await().atMost(Duration.ofSeconds(30)).until(() -> postTimes(HrCsv.id(1)).size() >= 2);
        List<java.time.Instant> attempts = postTimes(HrCsv.id(1));
        for (int i = 1; i < attempts.size(); i++) {
            assertThat(Duration.between(attempts.get(i - 1), attempts.get(i))).as("gap before attempt %d while the LRS answers 503 Retry-After: 2", i)
                    .isGreaterThanOrEqualTo(Duration.ofMillis(1800));
        }
        proxy.removeStub(down);
        await().atMost(Duration.ofSeconds(60)).until(() -> countLrs("DELIVERED") + countLrs("FAILED") == 50);
        assertThat(newStatements()).hasSize(49);
        assertThat(countLrs("FAILED")).isEqualTo(1);
        List<ExceptionEntry> queued = new ExceptionQueue(world.bridge().store()).list(ExceptionQueue.Filter.open());
        assertThat(queued).singleElement().satisfies(e -> {
            assertThat(e.target()).isEqualTo("lrs");
            assertThat(e.workerId()).isEqualTo(HrCsv.id(17));
            assertThat(e.httpStatus()).isEqualTo(400);
            assertThat(e.reason()).startsWith("the LRS refused the statement (HTTP 400)");
        });
    }

    /** When the LRS was sent the statement of this worker (its actor's account name). */
    private List<java.time.Instant> postTimes(String workerId) {
        return proxy.findAll(com.github.tomakehurst.wiremock.client.WireMock.postRequestedFor(urlPathMatching("/.*"))
                        .withRequestBody(com.github.tomakehurst.wiremock.client.WireMock.containing("\"name\":\"" + workerId + "\""))).stream()
                .map(r -> r.getLoggedDate().toInstant()).sorted().toList();
    }

    /** The statement without what the LRS adds (stored, authority, version), as LearnBridge sent it. */
    private static JsonNode asSent(JsonNode stored) {
        com.fasterxml.jackson.databind.node.ObjectNode copy = stored.deepCopy();
        copy.remove(List.of("stored", "authority", "version"));
        return copy;
    }

    private List<JsonNode> newStatements() {
        // the LRS is shared by this class's tests and lists newest first: take what is new since this test began
        return lrs.statements().stream().filter(s -> !statementsBefore.contains(s.path("id").asText())).toList();
    }

    private long countLrs(String status) {
        return world.bridge().store().tx(c -> {
            try (PreparedStatement ps = c.prepareStatement("select count(*) from delivery where target = 'lrs' and status = ?")) {
                ps.setString(1, status);
                try (var rs = ps.executeQuery()) {
                    rs.next();
                    return rs.getLong(1);
                }
            }
        });
    }
}
