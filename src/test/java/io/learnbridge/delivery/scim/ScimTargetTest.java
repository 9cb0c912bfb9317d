package io.learnbridge.delivery.scim;

import static com.github.tomakehurst.wiremock.client.WireMock.aResponse;
import static com.github.tomakehurst.wiremock.client.WireMock.any;
import static com.github.tomakehurst.wiremock.client.WireMock.anyRequestedFor;
import static com.github.tomakehurst.wiremock.client.WireMock.containing;
import static com.github.tomakehurst.wiremock.client.WireMock.post;
import static com.github.tomakehurst.wiremock.client.WireMock.postRequestedFor;
import static com.github.tomakehurst.wiremock.client.WireMock.urlPathEqualTo;
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
import io.learnbridge.testing.Bridge;
import io.learnbridge.testing.HrCsv;
import io.learnbridge.testing.LmsJournal;
import io.learnbridge.testing.ScimServer;
import io.learnbridge.testing.SnapshotWorld;
import java.io.IOException;
import java.net.URI;
import java.net.URLEncoder;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.sql.PreparedStatement;
import java.time.Duration;
import java.util.List;
import java.util.UUID;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * The LXP as a real, strict SCIM 2.0 service provider ({@link ScimServer}: scimmy on loopback,
 * behind a WireMock proxy that can take it "down"), next to the LMS, through the whole bridge:
 * HRIS drops in, Users with the enterprise extension out.
 */
class ScimTargetTest {

    private static final String ENTERPRISE = "urn:ietf:params:scim:schemas:extension:enterprise:2.0:User";
    private static final String CORE = "urn:ietf:params:scim:schemas:core:2.0:User";
    private static final ObjectMapper JSON = new ObjectMapper();
    private static final HttpClient HTTP = HttpClient.newBuilder().version(HttpClient.Version.HTTP_1_1).build();

    private static ScimServer scim;

    @TempDir
    Path home;

    private WireMockServer proxy;
    private SnapshotWorld world;

    @BeforeAll
    static void startScim() throws Exception {
        scim = ScimServer.start("lxp-" + UUID.randomUUID());
    }

    @AfterAll
    static void stopScim() {
        if (scim != null) {
            scim.close();
        }
    }

    @BeforeEach
    void start() {
        scim.reset();
        proxy = new WireMockServer(wireMockConfig().dynamicPort().bindAddress("127.0.0.1"));
        proxy.start();
        proxy.stubFor(any(urlPathMatching("/.*")).atPriority(10).willReturn(aResponse().proxiedFrom("http://127.0.0.1:" + scim.port())));
        world = new SnapshotWorld(home);
    }

    @AfterEach
    void stop() {
        world.close();
        proxy.stop();
    }

    private void startBridge(String token, String... properties) throws Exception {
        Bridge.Builder builder = world.bridge("delta")
                .routes("classpath:routes/*.camel.yaml,classpath:test-routes/target-lxp-scim.camel.yaml")
                .configuration(ScimTestConfiguration.class)
                .property("learnbridge.sources.hris.targets", "lms,lxp")
                .property("learnbridge.targets.lxp.url", proxy.baseUrl() + URI.create(scim.baseUrl()).getPath())
                .property("learnbridge.targets.lxp.token", token)
                .property("learnbridge.targets.lxp.batchSize", "20");
        for (int i = 0; i < properties.length; i += 2) {
            builder.property(properties[i], properties[i + 1]);
        }
        world.start(builder);
    }

    @Test
    void joinersAreCreatedMoversReplacedInPlaceLeaversDeactivatedAndUnchangedOrReplayedStateWritesNothing() throws Exception {
        startBridge(scim.token());

        world.drop("day1.csv", HrCsv.create()
                .row(HrCsv.id(1), "Ada", "Lovelace", "ada@example.com", "", "ENG-1", "Head of Engineering", "London", "Engineering", "A", "01/15/2020")
                .row(HrCsv.id(2), "Grace", "Hopper", "grace@example.com", HrCsv.id(1), "ENG-1", "Engineer", "London", "Engineering", "A", "01/15/2020")
                .row(HrCsv.id(3), "Alan", "Turing", "alan@example.com", HrCsv.id(1), "ENG-1", "Engineer", "London", "Engineering", "A", "01/15/2020")
                .build());

        assertThat(writes()).as("one create per joiner").containsExactly("POST /Users 201", "POST /Users 201", "POST /Users 201");
        JsonNode ada = user(HrCsv.id(1));
        JsonNode grace = user(HrCsv.id(2));
        assertThat(grace.path("userName").asText()).isEqualTo("grace@example.com");
        assertThat(grace.path("active").asBoolean()).isTrue();
        assertThat(grace.path("title").asText()).isEqualTo("Engineer");
        assertThat(grace.path("name").path("familyName").asText()).isEqualTo("Hopper");
        assertThat(grace.path("emails").get(0).path("value").asText()).isEqualTo("grace@example.com");
        assertThat(grace.path("addresses").get(0).path("locality").asText()).as("the location, as the work address's locality").isEqualTo("London");
        assertThat(grace.path("schemas")).extracting(JsonNode::asText).containsExactlyInAnyOrder(CORE, ENTERPRISE);
        assertThat(grace.path(ENTERPRISE).path("department").asText()).isEqualTo("Engineering");
        assertThat(grace.path(ENTERPRISE).path("employeeNumber").asText()).isEqualTo(HrCsv.id(2));
        assertThat(grace.path(ENTERPRISE).path("manager").path("value").asText()).as("the manager's SCIM id").isEqualTo(ada.path("id").asText());
        assertThat(world.journal().puts()).as("the LMS got its upserts too").hasSize(3);

        int before = scim.requests().size();
        world.drop("day2.csv", HrCsv.create()
                .row(HrCsv.id(2), "Grace", "Hopper", "grace@example.com", HrCsv.id(1), "ENG-1", "Engineer", "London", "Sales", "A", "01/15/2020")
                .row(HrCsv.id(3), "Alan", "Turing", "alan@example.com", HrCsv.id(1), "ENG-1", "Engineer", "London", "Engineering", "T", "01/15/2020")
                .build());

        JsonNode moved = user(HrCsv.id(2));
        JsonNode left = user(HrCsv.id(3));
        assertThat(writesSince(before)).containsExactlyInAnyOrder("PUT /Users/" + grace.path("id").asText() + " 200",
                "PUT /Users/" + left.path("id").asText() + " 200");
        assertThat(moved.path("id").asText()).as("the mover is the same user").isEqualTo(grace.path("id").asText());
        assertThat(moved.path(ENTERPRISE).path("department").asText()).isEqualTo("Sales");
        assertThat(moved.path("meta").path("created").asText()).isEqualTo(grace.path("meta").path("created").asText());
        assertThat(left.path("active").asBoolean(true)).as("the leaver is deactivated").isFalse();
        assertThat(users().path("totalResults").asInt()).as("no second user, nobody deleted").isEqualTo(3);
        assertThat(scim.requests()).noneMatch(r -> r.method().equals("DELETE"));

        // the same workers again (another file, same state): change detection sends nothing
        before = scim.requests().size();
        world.drop("day3.csv", HrCsv.create()
                .row(HrCsv.id(3), "Alan", "Turing", "alan@example.com", HrCsv.id(1), "ENG-1", "Engineer", "London", "Engineering", "T", "01/15/2020")
                .row(HrCsv.id(2), "Grace", "Hopper", "grace@example.com", HrCsv.id(1), "ENG-1", "Engineer", "London", "Sales", "A", "01/15/2020")
                .build());
        assertThat(writesSince(before)).isEmpty();

        // every LXP delivery again (a replay, or a retry after a lost answer): the service holds the state, nothing is written
        before = scim.requests().size();
        int replayed = world.bridge().store().tx(c -> {
            try (PreparedStatement ps = c.prepareStatement("update delivery set status = 'PENDING', attempts = 0 where target = 'lxp'")) {
                return ps.executeUpdate();
            }
        });
        assertThat(replayed).isEqualTo(5);
        await().atMost(Duration.ofSeconds(30)).until(() -> countLxp("DELIVERED") == 5);
        assertThat(scim.requests().size()).as("the replay looked the users up").isGreaterThan(before);
        assertThat(writesSince(before)).isEmpty();
        assertThat(new ExceptionQueue(world.bridge().store()).countOpen()).isZero();
    }

    @Test
    void aWorkerListedBeforeTheirNewManagerIsLinkedToTheManagerOnceTheManagerIsCreated() throws Exception {
        startBridge(scim.token());

        world.drop("day1.csv", HrCsv.create()
                .row(HrCsv.id(2), "Grace", "Hopper", "grace@example.com", HrCsv.id(1), "ENG-1", "Engineer", "London", "Engineering", "A", "01/15/2020")
                .row(HrCsv.id(1), "Ada", "Lovelace", "ada@example.com", "", "ENG-1", "Head of Engineering", "London", "Engineering", "A", "01/15/2020")
                .build());

        JsonNode ada = user(HrCsv.id(1));
        JsonNode grace = user(HrCsv.id(2));
        assertThat(writes()).containsExactly("POST /Users 201", "POST /Users 201", "PUT /Users/" + grace.path("id").asText() + " 200");
        assertThat(grace.path(ENTERPRISE).path("manager").path("value").asText()).isEqualTo(ada.path("id").asText());
        assertThat(countLxp("DELIVERED")).isEqualTo(2);
        assertThat(new ExceptionQueue(world.bridge().store()).countOpen()).isZero();
    }

    @Test
    void aUserNameTakenByAnotherUserIsAConflictInTheExceptionQueueWhileTheOthersAreDelivered() throws Exception {
        HttpResponse<String> other = scimSend("POST", "/Users", "{\"schemas\":[\"" + CORE + "\"],\"userName\":\"Worker2@example.com\",\"externalId\":\"CONTRACTOR-7\"}");
        assertThat(other.statusCode()).as(other.body()).isEqualTo(201);
        startBridge(scim.token());

        world.drop("day1.csv", HrCsv.create().workers(1, 3).build());

        assertThat(countLxp("DELIVERED")).isEqualTo(2);
        assertThat(countLxp("FAILED")).isEqualTo(1);
        assertThat(user(HrCsv.id(1)).path("userName").asText()).isEqualTo("worker1@example.com");
        assertThat(user(HrCsv.id(3)).path("userName").asText()).isEqualTo("worker3@example.com");
        assertThat(users().path("totalResults").asInt()).isEqualTo(3);
        assertThat(world.journal().puts().stream().filter(LmsJournal.Put::succeeded)).as("the LMS is not held back").hasSize(3);
        List<ExceptionEntry> queued = new ExceptionQueue(world.bridge().store()).list(ExceptionQueue.Filter.open());
        assertThat(queued).singleElement().satisfies(e -> {
            assertThat(e.target()).isEqualTo("lxp");
            assertThat(e.workerId()).isEqualTo(HrCsv.id(2));
            assertThat(e.httpStatus()).isEqualTo(409);
            assertThat(e.errorClass()).isEqualTo("ScimConflict");
            assertThat(e.reason()).startsWith("lxp refused to create the user (HTTP 409 uniqueness: ")
                    .contains("userName 'worker2@example.com' is already taken");
            assertThat(e.fileName()).isEqualTo("day1.csv");
            assertThat(e.sourceRecord()).contains("worker2@example.com");
        });
    }

    @Test
    void whileTheLxpAnswers503TheLmsIsServedAndTheLxpCatchesUpAfterItRecovers() throws Exception {
        StubMapping down = proxy.stubFor(any(urlPathMatching("/scim/v2/.*")).atPriority(1)
                .willReturn(aResponse().withStatus(503).withHeader("Retry-After", "1")));
        startBridge(scim.token());

        world.bridge().drop("day1.csv", HrCsv.create().workers(1, 5).build());

        await().atMost(Duration.ofSeconds(30)).until(() -> world.journal().puts().stream().filter(LmsJournal.Put::succeeded).count() == 5);
        await("the LXP is tried again").atMost(Duration.ofSeconds(30))
                .until(() -> proxy.findAll(anyRequestedFor(urlPathMatching("/scim/v2/.*"))).size() >= 2);
        assertThat(scim.requests()).as("nothing reached the LXP while it was down").isEmpty();
        assertThat(countLxp("DELIVERED") + countLxp("FAILED")).isZero();
        assertThat(proxy.findAll(anyRequestedFor(urlPathMatching("/scim/v2/.*"))).size())
                .as("one request per attempt: the rest of a batch is not sent to a service that is down").isLessThan(25);

        proxy.removeStub(down);

        await().atMost(Duration.ofSeconds(30)).until(() -> countLxp("DELIVERED") == 5);
        assertThat(users().path("totalResults").asInt()).isEqualTo(5);
        assertThat(writes()).hasSize(5).allMatch(w -> w.equals("POST /Users 201"));
        assertThat(new ExceptionQueue(world.bridge().store()).countOpen()).isZero();
    }

    @Test
    void aLxpThatStaysDownPastTheRetryBudgetPutsItsDeliveriesInTheExceptionQueue() throws Exception {
        proxy.stubFor(any(urlPathMatching("/scim/v2/.*")).atPriority(1).willReturn(aResponse().withStatus(503)));
        startBridge(scim.token(), "learnbridge.delivery.retryBudget", "PT2S");

        world.drop("day1.csv", HrCsv.create().workers(1, 2).build());

        assertThat(countLxp("FAILED")).isEqualTo(2);
        assertThat(new ExceptionQueue(world.bridge().store()).list(ExceptionQueue.Filter.open())).hasSize(2).allSatisfy(e -> {
            assertThat(e.errorClass()).isEqualTo("ScimUnavailable");
            assertThat(e.httpStatus()).isEqualTo(503);
            assertThat(e.reason()).contains("HTTP 503").contains("retry budget PT2S spent");
        });
    }

    @Test
    void aTokenTheLxpRefusesFailsTheBatchIntoTheExceptionQueueWithoutTryingEveryRecord() throws Exception {
        startBridge("not-" + scim.token());

        world.drop("day1.csv", HrCsv.create().workers(1, 4).build());

        assertThat(countLxp("FAILED")).isEqualTo(4);
        assertThat(scim.requests()).as("one refused request, not one per worker").hasSize(1)
                .allSatisfy(r -> assertThat(r.status()).isEqualTo(401));
        assertThat(new ExceptionQueue(world.bridge().store()).list(ExceptionQueue.Filter.open())).hasSize(4).allSatisfy(e -> {
            assertThat(e.errorClass()).isEqualTo("ScimCredentialsRefused");
            assertThat(e.httpStatus()).isEqualTo(401);
            assertThat(e.reason()).contains("learnbridge.targets.lxp.token").doesNotContain(scim.token());
        });
        assertThat(world.journal().puts().stream().filter(LmsJournal.Put::succeeded)).hasSize(4);
    }

    /** POST/PUT/PATCH/DELETE requests the SCIM service answered, as "METHOD path status". */
    @Test
    void withGroupsEachWorkerIsInTheGroupOfTheirOrgUnitOnlyAndALeaverInNone() throws Exception {
        startBridge(scim.token(), "learnbridge.targets.lxp.groups", "org-%s");

        world.drop("day1.csv", HrCsv.create()
                .row(HrCsv.id(1), "Ada", "Lovelace", "ada@example.com", "", "ENG-1", "Engineer", "London", "Engineering", "A", "01/15/2020")
                .row(HrCsv.id(2), "Grace", "Hopper", "grace@example.com", "", "ENG-1", "Engineer", "London", "Engineering", "A", "01/15/2020")
                .build());
        await().atMost(Duration.ofSeconds(30)).untilAsserted(() -> assertThat(members("org-Engineering"))
                .containsExactlyInAnyOrder(user(HrCsv.id(1)).path("id").asText(), user(HrCsv.id(2)).path("id").asText()));

        // Ada moves to Sales, Grace leaves
        world.drop("day2.csv", HrCsv.create()
                .row(HrCsv.id(1), "Ada", "Lovelace", "ada@example.com", "", "ENG-1", "Engineer", "London", "Sales", "A", "01/15/2020")
                .row(HrCsv.id(2), "Grace", "Hopper", "grace@example.com", "", "ENG-1", "Engineer", "London", "Engineering", "T", "01/15/2020")
                .build());
        String ada = user(HrCsv.id(1)).path("id").asText();
        await().atMost(Duration.ofSeconds(30)).untilAsserted(() -> {
            assertThat(members("org-Sales")).containsExactly(ada);
            assertThat(members("org-Engineering")).isEmpty();
        });
        assertThat(countLxp("DELIVERED")).isEqualTo(4);

    }

    @Test
    void oauth2ClientCredentialsAreExchangedForTheTokenTheServiceTakes() throws Exception {
        proxy.stubFor(post(urlPathEqualTo("/oauth/token")).atPriority(1).withRequestBody(containing("grant_type=client_credentials"))
                .willReturn(aResponse().withStatus(200).withHeader("Content-Type", "application/json")
                        .withBody("{\"access_token\":\"" + scim.token() + "\",\"token_type\":\"Bearer\",\"expires_in\":3600}")));
        startBridge("", "learnbridge.targets.lxp.oauth2.clientId", "learnbridge",
                "learnbridge.targets.lxp.oauth2.clientSecret", "client-secret",
                "learnbridge.targets.lxp.oauth2.tokenEndpoint", proxy.baseUrl() + "/oauth/token");

        world.drop("day1.csv", HrCsv.create().workers(1, 3).build());
        await().atMost(Duration.ofSeconds(30)).until(() -> countLxp("DELIVERED") == 3);
        assertThat(writes()).hasSize(3).allMatch(w -> w.equals("POST /Users 201"));
        assertThat(proxy.countRequestsMatching(postRequestedFor(urlPathEqualTo("/oauth/token")).build()).getCount())
                .as("one token for every request of the batch").isEqualTo(1);
    }

    /** The SCIM ids of the members of the group with this displayName (none when there is no such group). */
    private static List<String> members(String displayName) throws IOException, InterruptedException {
        String filter = URLEncoder.encode("displayName eq \"" + displayName + "\"", StandardCharsets.UTF_8).replace("+", "%20");
        JsonNode found = JSON.readTree(scimSend("GET", "/Groups?filter=" + filter, null).body());
        if (found.path("totalResults").asInt() == 0) {
            return List.of();
        }
        List<String> ids = new java.util.ArrayList<>();
        found.path("Resources").get(0).path("members").forEach(m -> ids.add(m.path("value").asText()));
        return ids;
    }

    private static List<String> writes() {
        return writesSince(0);
    }

    private static List<String> writesSince(int index) {
        List<ScimServer.Request> requests = scim.requests();
        return requests.subList(index, requests.size()).stream().filter(r -> !r.method().equals("GET"))
                .map(r -> r.method() + " " + r.path() + " " + r.status()).toList();
    }

    private static JsonNode user(String workerId) throws IOException, InterruptedException {
        String filter = URLEncoder.encode("externalId eq \"" + workerId + "\"", StandardCharsets.UTF_8).replace("+", "%20");
        JsonNode found = JSON.readTree(scimSend("GET", "/Users?filter=" + filter, null).body());
        assertThat(found.path("totalResults").asInt()).as("users with externalId " + workerId).isEqualTo(1);
        return found.path("Resources").get(0);
    }

    private static JsonNode users() throws IOException, InterruptedException {
        return JSON.readTree(scimSend("GET", "/Users", null).body());
    }

    private static HttpResponse<String> scimSend(String method, String path, String body) throws IOException, InterruptedException {
        HttpRequest.Builder request = HttpRequest.newBuilder(URI.create(scim.baseUrl() + path)).timeout(Duration.ofSeconds(10))
                .header("Authorization", "Bearer " + scim.token()).header("Accept", "application/scim+json");
        if (body == null) {
            request.method(method, HttpRequest.BodyPublishers.noBody());
        } else {
            request.header("Content-Type", "application/scim+json").method(method, HttpRequest.BodyPublishers.ofString(body));
        }
        return HTTP.send(request.build(), HttpResponse.BodyHandlers.ofString());
    }

    private long countLxp(String status) {
        return world.bridge().store().tx(c -> {
            try (PreparedStatement ps = c.prepareStatement("select count(*) from delivery where target = 'lxp' and status = ?")) {
                ps.setString(1, status);
                try (var rs = ps.executeQuery()) {
                    rs.next();
                    return rs.getLong(1);
                }
            }
        });
    }
}
