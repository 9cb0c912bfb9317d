package io.learnbridge.delivery.scim;

import static org.assertj.core.api.Assertions.assertThat;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.node.ObjectNode;
import io.learnbridge.delivery.scim.ScimGroups.Change;
import io.learnbridge.testing.ScimServer;
import java.io.IOException;
import java.net.ServerSocket;
import java.net.URI;
import java.net.URLEncoder;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.UUID;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;

/** {@link ScimGroups} against the strict SCIM test server ({@link ScimServer}, scimmy). */
class ScimGroupsTest {

    private static final ObjectMapper JSON = new ObjectMapper();
    private static final HttpClient HTTP = HttpClient.newBuilder()
            .version(HttpClient.Version.HTTP_1_1).connectTimeout(Duration.ofSeconds(2)).build();

    private static ScimServer scim;

    private ScimClient client;
    private ScimGroups groups;
    private String ada;
    private String grace;

    @BeforeAll
    static void startServer() throws Exception {
        scim = ScimServer.start("groups-" + UUID.randomUUID());
    }

    @AfterAll
    static void stopServer() {
        if (scim != null) {
            scim.close();
        }
    }

    @BeforeEach
    void emptyStoreWithTwoUsers() {
        scim.reset();
        client = client("Bearer " + scim.token(), URI.create(scim.baseUrl()));
        groups = new ScimGroups(client, "org-%s");
        ada = createUser("ada@example.com", "HR-1001");
        grace = createUser("grace@example.com", "HR-1002");
    }

    @AfterEach
    void closeClient() throws IOException {
        client.close();
    }

    @Test
    void joinerCreatesTheGroupOfTheirOrgUnitAndBecomesItsMember() throws Exception {
        ScimGroups.Result result = groups.sync(ada, null, "ENG");

        assertThat(result.ok()).as(result.detail()).isTrue();
        assertThat(result.changes()).containsExactly(Change.GROUP_CREATED, Change.MEMBER_ADDED);
        JsonNode group = group("ENG");
        assertThat(group.path("displayName").asText()).isEqualTo("org-ENG");
        assertThat(members(group)).containsExactly(ada);
        ScimServer.Request patch = scim.requests().stream().filter(r -> r.is("PATCH", "/Groups/")).findFirst().orElseThrow();
        assertThat(patch.body().path("schemas").get(0).asText()).isEqualTo("urn:ietf:params:scim:api:messages:2.0:PatchOp");
        assertThat(patch.body().path("Operations").get(0).path("op").asText()).isEqualTo("add");
        assertThat(patch.body().path("Operations").get(0).path("path").asText()).isEqualTo("members");
        assertThat(get("/Users/" + ada).path("groups").get(0).path("display").asText()).isEqualTo("org-ENG");
    }

    @Test
    void moverIsAddedToTheNewGroupAndRemovedFromTheOldOneOnly() throws Exception {
        groups.sync(ada, null, "ENG");
        groups.sync(grace, null, "ENG");

        ScimGroups.Result result = groups.sync(ada, "ENG", "SALES");

        assertThat(result.ok()).as(result.detail()).isTrue();
        assertThat(result.changes()).containsExactly(Change.GROUP_CREATED, Change.MEMBER_ADDED, Change.MEMBER_REMOVED);
        assertThat(members(group("SALES"))).containsExactly(ada);
        assertThat(members(group("ENG"))).containsExactly(grace);
        List<String> patches = scim.requests().stream().filter(r -> r.is("PATCH", "/Groups/"))
                .map(r -> r.body().path("Operations").get(0).path("op").asText()).toList();
        assertThat(patches).as("added to the new group before leaving the old one").containsExactly("add", "add", "add", "remove");
        JsonNode remove = scim.requests().stream().filter(r -> r.is("PATCH", "/Groups/")).reduce((a, b) -> b).orElseThrow().body();
        assertThat(remove.path("Operations").get(0).path("path").asText()).isEqualTo("members[value eq \"" + ada + "\"]");
    }

    @Test
    void leaverIsRemovedFromTheGroupOfTheirOldOrgUnit() throws Exception {
        groups.sync(ada, null, "ENG");
        groups.sync(grace, null, "ENG");

        ScimGroups.Result result = groups.sync(ada, "ENG", null);

        assertThat(result.ok()).as(result.detail()).isTrue();
        assertThat(result.changes()).containsExactly(Change.MEMBER_REMOVED);
        assertThat(members(group("ENG"))).containsExactly(grace);
        assertThat(get("/Users/" + ada).has("groups")).isFalse();
    }

    @Test
    void repeatingASyncWritesNothing() throws Exception {
        groups.sync(ada, null, "ENG");
        groups.sync(ada, "ENG", "SALES");
        JsonNode engBefore = group("ENG");
        JsonNode salesBefore = group("SALES");
        int writesBefore = writes();

        ScimGroups.Result again = groups.sync(ada, "ENG", "SALES");
        ScimGroups.Result freshBridge = new ScimGroups(client, "org-%s").sync(ada, "ENG", "SALES");

        assertThat(again.ok()).isTrue();
        assertThat(again.changes()).isEmpty();
        assertThat(freshBridge.ok()).isTrue();
        assertThat(freshBridge.changes()).isEmpty();
        assertThat(writes()).isEqualTo(writesBefore);
        assertThat(group("ENG")).isEqualTo(engBefore);
        assertThat(group("SALES")).isEqualTo(salesBefore);
    }

    @Test
    void repeatedLeaveAndLeaveFromAnUnknownOrgUnitWriteNothing() throws Exception {
        groups.sync(ada, null, "ENG");
        groups.sync(ada, "ENG", null);
        int writesBefore = writes();

        ScimGroups.Result again = groups.sync(ada, "ENG", null);
        ScimGroups.Result neverThere = groups.sync(ada, "NO-SUCH-UNIT", null);

        assertThat(again.ok()).isTrue();
        assertThat(again.changes()).isEmpty();
        assertThat(neverThere.ok()).isTrue();
        assertThat(neverThere.changes()).isEmpty();
        assertThat(writes()).isEqualTo(writesBefore);
        assertThat(lookUps("externalId eq \"NO-SUCH-UNIT\"")).isEqualTo(1);
    }

    @Test
    void groupIdIsLookedUpOncePerOrgUnit() throws Exception {
        groups.sync(ada, null, "ENG");
        groups.sync(grace, null, "ENG");

        assertThat(lookUps("externalId eq \"ENG\"")).isEqualTo(1);
        assertThat(lookUps("displayName eq \"org-ENG\"")).isEqualTo(1);
        assertThat(scim.requests()).filteredOn(r -> r.is("POST", "/Groups")).hasSize(1);
        assertThat(members(group("ENG"))).containsExactlyInAnyOrder(ada, grace);
    }

    @Test
    void groupAnAdministratorMadeIsFoundByDisplayNameAndNotCreatedAgain() throws Exception {
        String existing = send("POST", "/Groups", "{\"schemas\":[\"" + ScimGroups.GROUP_SCHEMA + "\"],\"displayName\":\"org-HR\"}")
                .path("id").asText();

        ScimGroups.Result result = groups.sync(ada, null, "HR");

        assertThat(result.changes()).containsExactly(Change.MEMBER_ADDED);
        assertThat(members(get("/Groups/" + existing))).containsExactly(ada);
        assertThat(scim.requests()).filteredOn(r -> r.is("POST", "/Groups")).hasSize(1);
    }

    @Test
    void groupDeletedBehindTheCacheIsLookedUpAgainAndRecreated() throws Exception {
        groups.sync(ada, null, "ENG");
        String deleted = group("ENG").path("id").asText();
        send("DELETE", "/Groups/" + deleted, null);

        ScimGroups.Result result = groups.sync(grace, null, "ENG");

        assertThat(result.ok()).as(result.detail()).isTrue();
        assertThat(result.changes()).containsExactly(Change.GROUP_CREATED, Change.MEMBER_ADDED);
        JsonNode recreated = group("ENG");
        assertThat(recreated.path("id").asText()).isNotEqualTo(deleted);
        assertThat(members(recreated)).containsExactly(grace);
        assertThat(scim.requests()).anyMatch(r -> r.is("PATCH", "/Groups/" + deleted) && r.status() == 404);
    }

    @Test
    void memberTheServiceRefusesIsARefusalNamingTheStep() {
        ScimGroups.Result result = groups.sync(UUID.randomUUID().toString(), null, "ENG");

        assertThat(result.ok()).isFalse();
        assertThat(result.isTransient()).isFalse();
        assertThat(result.changes()).containsExactly(Change.GROUP_CREATED);
        assertThat(result.failure().reply().status()).isEqualTo(400);
        assertThat(result.detail()).contains("add member to the group of org unit ENG", "HTTP 400 invalidValue");
    }

    @Test
    void wrongCredentialsAreRefusedCredentials() throws IOException {
        try (ScimClient wrong = client("Bearer not-the-token", URI.create(scim.baseUrl()))) {
            ScimGroups.Result result = new ScimGroups(wrong, "org-%s").sync(ada, null, "ENG");

            assertThat(result.ok()).isFalse();
            assertThat(result.refusedCredentials()).isTrue();
            assertThat(result.isTransient()).isFalse();
            assertThat(result.changes()).isEmpty();
        }
    }

    @Test
    void serviceThatDoesNotAnswerIsTransient() throws IOException {
        int closedPort;
        try (ServerSocket socket = new ServerSocket(0)) {
            closedPort = socket.getLocalPort();
        }
        try (ScimClient unreachable = client("Bearer x", URI.create("http://127.0.0.1:" + closedPort + "/scim/v2"))) {
            ScimGroups.Result result = new ScimGroups(unreachable, "org-%s").sync(ada, "ENG", "SALES");

            assertThat(result.ok()).isFalse();
            assertThat(result.isTransient()).isTrue();
            assertThat(result.serviceUnavailable()).isTrue();
            assertThat(result.detail()).contains("find the group of org unit SALES", "no answer");
        }
    }

    private static ScimClient client(String authorization, URI baseUrl) {
        return new ScimClient(new ScimClient.Config(baseUrl, authorization, Duration.ofSeconds(2), Duration.ofSeconds(10)));
    }

    private String createUser(String userName, String externalId) {
        ObjectNode user = JSON.createObjectNode();
        user.putArray("schemas").add("urn:ietf:params:scim:schemas:core:2.0:User");
        user.put("userName", userName).put("externalId", externalId);
        ScimClient.Reply created = client.create(user);
        assertThat(created.status()).as(created.detail()).isEqualTo(201);
        return created.body().path("id").asText();
    }

    /** Requests that could change the store (anything but GET), 401s and 404s included. */
    private static int writes() {
        return (int) scim.requests().stream().filter(r -> !r.method().equals("GET")).count();
    }

    private static long lookUps(String filter) {
        return scim.requests().stream().filter(r -> r.is("GET", "/Groups") && filter.equals(r.query().get("filter"))).count();
    }

    /** The whole group with this externalId, members and meta included. */
    private static JsonNode group(String externalId) throws Exception {
        JsonNode list = get("/Groups?filter=" + URLEncoder.encode("externalId eq \"" + externalId + "\"", StandardCharsets.UTF_8)
                .replace("+", "%20"));
        assertThat(list.path("totalResults").asInt()).as(list.toString()).isEqualTo(1);
        return list.path("Resources").get(0);
    }

    private static List<String> members(JsonNode group) {
        List<String> ids = new ArrayList<>();
        group.path("members").forEach(member -> ids.add(member.path("value").asText()));
        return ids;
    }

    private static JsonNode get(String path) throws Exception {
        return send("GET", path, null);
    }

    private static JsonNode send(String method, String path, String body) throws Exception {
        HttpRequest.Builder request = HttpRequest.newBuilder(URI.create(scim.baseUrl() + path)).timeout(Duration.ofSeconds(10))
                .header("Authorization", "Bearer " + scim.token()).header("Accept", "application/scim+json");
        if (body == null) {
            request.method(method, HttpRequest.BodyPublishers.noBody());
        } else {
            request.header("Content-Type", "application/scim+json").method(method, HttpRequest.BodyPublishers.ofString(body));
        }
        HttpResponse<String> response = HTTP.send(request.build(), HttpResponse.BodyHandlers.ofString());
        assertThat(response.statusCode()).as(method + " " + path + ": " + response.body()).isLessThan(300);
        return response.body().isBlank() ? JSON.createObjectNode() : JSON.readTree(response.body());
    }
}
