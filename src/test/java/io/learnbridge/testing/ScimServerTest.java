package io.learnbridge.testing;

import static org.assertj.core.api.Assertions.assertThat;

import java.io.IOException;
import java.net.URI;
import java.net.URLEncoder;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.UUID;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;

/**
 * Proves {@link ScimServer} is a strict SCIM 2.0 service provider, with plain {@link HttpClient} requests:
 * what it accepts, what it refuses (and with which status and {@code scimType}), and that its request log
 * counts what it received.
 */
final class ScimServerTest {

    private static final String CORE = "urn:ietf:params:scim:schemas:core:2.0:User";
    private static final String ENTERPRISE = "urn:ietf:params:scim:schemas:extension:enterprise:2.0:User";
    private static final String PATCH_OP = "urn:ietf:params:scim:api:messages:2.0:PatchOp";
    private static final ObjectMapper JSON = new ObjectMapper();
    private static final HttpClient HTTP = HttpClient.newBuilder()
            .version(HttpClient.Version.HTTP_1_1).connectTimeout(Duration.ofSeconds(2)).build();

    private static ScimServer scim;

    @BeforeAll
    static void startServer() throws Exception {
        scim = ScimServer.start("test-" + UUID.randomUUID());
    }

    @AfterAll
    static void stopServer() {
        if (scim != null) {
            scim.close();
        }
    }

    @BeforeEach
    void emptyStore() {
        scim.reset();
    }

    @Test
    void userWithEnterpriseExtensionIsCreatedWithIdAndMetaAndFoundByExternalIdOrUserName() throws Exception {
        HttpResponse<String> created = send("POST", "/Users", ada("ada@example.com", "HR-1001"));

        assertThat(created.statusCode()).as(created.body()).isEqualTo(201);
        JsonNode user = JSON.readTree(created.body());
        String id = user.path("id").asText();
        assertThat(id).matches("[0-9a-f-]{36}");
        assertThat(user.path("schemas")).extracting(JsonNode::asText).containsExactlyInAnyOrder(CORE, ENTERPRISE);
        assertThat(user.path(ENTERPRISE).path("department").asText()).isEqualTo("Mathematics");
        assertThat(user.path(ENTERPRISE).path("manager").path("value").asText()).isEqualTo("HR-0001");
        assertThat(user.path("meta").path("created").asText()).isNotEmpty();
        assertThat(user.path("meta").path("version").asText()).isEqualTo("W/\"1\"");
        assertThat(user.path("meta").path("location").asText()).isEqualTo(scim.baseUrl() + "/Users/" + id);

        JsonNode byExternalId = JSON.readTree(send("GET", "/Users?filter=" + encode("externalId eq \"HR-1001\""), null).body());
        assertThat(byExternalId.path("totalResults").asInt()).isEqualTo(1);
        assertThat(byExternalId.path("Resources").get(0).path("id").asText()).isEqualTo(id);

        // userName is caseExact=false (RFC 7643 §4.1.1), externalId is caseExact=true
        JsonNode byUserName = JSON.readTree(send("GET", "/Users?filter=" + encode("userName eq \"ADA@EXAMPLE.COM\""), null).body());
        assertThat(byUserName.path("Resources").get(0).path("id").asText()).isEqualTo(id);
        JsonNode wrongCase = JSON.readTree(send("GET", "/Users?filter=" + encode("externalId eq \"hr-1001\""), null).body());
        assertThat(wrongCase.path("totalResults").asInt()).isZero();
    }

    @Test
    void takenUserNameOrExternalIdIsRefusedWith409Uniqueness() throws Exception {
        assertThat(send("POST", "/Users", ada("ada@example.com", "HR-1001")).statusCode()).isEqualTo(201);

        HttpResponse<String> sameUserName = send("POST", "/Users", ada("Ada@Example.COM", "HR-2002"));
        HttpResponse<String> sameExternalId = send("POST", "/Users", ada("grace@example.com", "HR-1001"));

        assertError(sameUserName, 409, "uniqueness");
        assertError(sameExternalId, 409, "uniqueness");
        assertThat(JSON.readTree(send("GET", "/Users", null).body()).path("totalResults").asInt()).isEqualTo(1);
    }

    @Test
    void bodiesThatDoNotConformToTheSchemaAreRefusedWith400() throws Exception {
        HttpResponse<String> unknownAttribute = send("POST", "/Users",
                "{\"schemas\":[\"" + CORE + "\"],\"userName\":\"ada@example.com\",\"favouriteColour\":\"blue\"}");
        HttpResponse<String> unknownExtensionAttribute = send("POST", "/Users", "{\"schemas\":[\"" + CORE + "\",\"" + ENTERPRISE
                + "\"],\"userName\":\"ada@example.com\",\"" + ENTERPRISE + "\":{\"floor\":3}}");
        HttpResponse<String> wrongType = send("POST", "/Users",
                "{\"schemas\":[\"" + CORE + "\"],\"userName\":\"ada@example.com\",\"active\":\"yes\"}");
        HttpResponse<String> missingUserName = send("POST", "/Users", "{\"schemas\":[\"" + CORE + "\"],\"displayName\":\"Ada\"}");
        HttpResponse<String> missingSchemas = send("POST", "/Users", "{\"userName\":\"ada@example.com\"}");
        HttpResponse<String> malformed = send("POST", "/Users", "{\"schemas\":");

        assertError(unknownAttribute, 400, "invalidSyntax");
        assertThat(JSON.readTree(unknownAttribute.body()).path("detail").asText()).contains("favouriteColour");
        assertError(unknownExtensionAttribute, 400, "invalidSyntax");
        assertError(wrongType, 400, "invalidValue");
        assertThat(JSON.readTree(wrongType.body()).path("detail").asText()).contains("active");
        assertError(missingUserName, 400, "invalidValue");
        assertError(missingSchemas, 400, "invalidSyntax");
        assertError(malformed, 400, "invalidSyntax");
        assertThat(JSON.readTree(send("GET", "/Users", null).body()).path("totalResults").asInt()).isZero();
    }

    @Test
    void requestsWithoutTheRightBearerTokenAreRefusedWith401AndChangeNothing() throws Exception {
        HttpResponse<String> none = HTTP.send(request("POST", "/Users", ada("ada@example.com", "HR-1001")).build(),
                HttpResponse.BodyHandlers.ofString());
        HttpResponse<String> wrong = HTTP.send(request("GET", "/Users", null)
                .header("Authorization", "Bearer not-" + scim.token()).build(), HttpResponse.BodyHandlers.ofString());
        HttpResponse<String> basic = HTTP.send(request("GET", "/Users", null)
                .header("Authorization", "Basic " + scim.token()).build(), HttpResponse.BodyHandlers.ofString());

        assertError(none, 401, null);
        assertError(wrong, 401, null);
        assertError(basic, 401, null);
        assertThat(none.headers().firstValue("WWW-Authenticate")).hasValueSatisfying(v -> assertThat(v).startsWith("Bearer"));
        assertThat(JSON.readTree(send("GET", "/Users", null).body()).path("totalResults").asInt()).isZero();
    }

    @Test
    void putReplacesTheUserAndPatchDeactivatesIt() throws Exception {
        String id = JSON.readTree(send("POST", "/Users", ada("ada@example.com", "HR-1001")).body()).path("id").asText();

        HttpResponse<String> put = send("PUT", "/Users/" + id, "{\"schemas\":[\"" + CORE + "\",\"" + ENTERPRISE + "\"],"
                + "\"userName\":\"ada.lovelace@example.com\",\"externalId\":\"HR-1001\",\"active\":true,"
                + "\"" + ENTERPRISE + "\":{\"department\":\"Engineering\"}}");
        assertThat(put.statusCode()).as(put.body()).isEqualTo(200);
        JsonNode replaced = JSON.readTree(send("GET", "/Users/" + id, null).body());
        assertThat(replaced.path("userName").asText()).isEqualTo("ada.lovelace@example.com");
        assertThat(replaced.path(ENTERPRISE).path("department").asText()).isEqualTo("Engineering");
        assertThat(replaced.path(ENTERPRISE).has("costCenter")).as("PUT replaces, so attributes left out are gone").isFalse();
        assertThat(replaced.has("name")).isFalse();
        assertThat(replaced.path("meta").path("version").asText()).isEqualTo("W/\"2\"");

        HttpResponse<String> patch = send("PATCH", "/Users/" + id, "{\"schemas\":[\"" + PATCH_OP + "\"],\"Operations\":["
                + "{\"op\":\"replace\",\"path\":\"active\",\"value\":false},"
                + "{\"op\":\"add\",\"path\":\"" + ENTERPRISE + ":costCenter\",\"value\":\"CC-7\"},"
                + "{\"op\":\"remove\",\"path\":\"" + ENTERPRISE + ":department\"}]}");
        assertThat(patch.statusCode()).as(patch.body()).isEqualTo(200);
        JsonNode patched = JSON.readTree(send("GET", "/Users/" + id, null).body());
        assertThat(patched.path("active").isBoolean()).isTrue();
        assertThat(patched.path("active").asBoolean()).isFalse();
        assertThat(patched.path(ENTERPRISE).path("costCenter").asText()).isEqualTo("CC-7");
        assertThat(patched.path(ENTERPRISE).has("department")).isFalse();
        assertThat(patched.path("meta").path("created").asText()).isEqualTo(replaced.path("meta").path("created").asText());

        HttpResponse<String> badPatchPath = send("PATCH", "/Users/" + id, "{\"schemas\":[\"" + PATCH_OP + "\"],"
                + "\"Operations\":[{\"op\":\"replace\",\"path\":\"floor\",\"value\":3}]}");
        HttpResponse<String> badPatchType = send("PATCH", "/Users/" + id, "{\"schemas\":[\"" + PATCH_OP + "\"],"
                + "\"Operations\":[{\"op\":\"replace\",\"path\":\"active\",\"value\":\"no\"}]}");
        assertError(badPatchPath, 400, "invalidPath");
        assertError(badPatchType, 400, "invalidValue");
    }

    @Test
    void deletedUserIsGoneAndUnknownIdsAre404() throws Exception {
        String id = JSON.readTree(send("POST", "/Users", ada("ada@example.com", "HR-1001")).body()).path("id").asText();

        assertThat(send("DELETE", "/Users/" + id, null).statusCode()).isEqualTo(204);

        assertError(send("GET", "/Users/" + id, null), 404, null);
        assertError(send("DELETE", "/Users/" + id, null), 404, null);
        assertError(send("PUT", "/Users/" + id, "{\"schemas\":[\"" + CORE + "\"],\"userName\":\"x\"}"), 404, null);
    }

    @Test
    void groupMembershipShowsOnTheUserAndMembersMustExist() throws Exception {
        String id = JSON.readTree(send("POST", "/Users", ada("ada@example.com", "HR-1001")).body()).path("id").asText();
        String group = "{\"schemas\":[\"urn:ietf:params:scim:schemas:core:2.0:Group\"],\"displayName\":\"Staff\","
                + "\"members\":[{\"value\":\"%s\"}]}";

        HttpResponse<String> created = send("POST", "/Groups", group.formatted(id));
        HttpResponse<String> dangling = send("POST", "/Groups", group.formatted(UUID.randomUUID()));

        assertThat(created.statusCode()).as(created.body()).isEqualTo(201);
        assertError(dangling, 400, "invalidValue");
        JsonNode user = JSON.readTree(send("GET", "/Users/" + id, null).body());
        assertThat(user.path("groups").get(0).path("display").asText()).isEqualTo("Staff");
    }

    @Test
    void requestLogRecordsEveryScimRequestWithItsStatusAndResetClearsIt() throws Exception {
        String id = JSON.readTree(send("POST", "/Users", ada("ada@example.com", "HR-1001")).body()).path("id").asText();
        send("POST", "/Users", ada("ada@example.com", "HR-1001"));
        send("GET", "/Users?filter=" + encode("externalId eq \"HR-1001\""), null);
        HTTP.send(request("DELETE", "/Users/" + id, null).build(), HttpResponse.BodyHandlers.ofString());

        assertThat(scim.requests()).extracting(r -> r.method() + " " + r.path() + " " + r.status())
                .containsExactly("POST /Users 201", "POST /Users 409", "GET /Users 200", "DELETE /Users/" + id + " 401");
        ScimServer.Request lookup = scim.requests().get(2);
        assertThat(lookup.query()).containsEntry("filter", "externalId eq \"HR-1001\"");
        assertThat(scim.requests().get(0).body().path("userName").asText()).isEqualTo("ada@example.com");
        assertThat(scim.requests()).filteredOn(r -> r.is("POST", "/Users")).hasSize(2);

        scim.reset();

        assertThat(scim.requests()).isEmpty();
        assertError(send("GET", "/Users/" + id, null), 404, null);
    }

    private static String ada(String userName, String externalId) {
        return """
                {"schemas": ["%s", "%s"],
                 "userName": "%s", "externalId": "%s", "active": true,
                 "name": {"givenName": "Ada", "familyName": "Lovelace"},
                 "emails": [{"value": "%s", "type": "work", "primary": true}],
                 "%s": {"employeeNumber": "%s", "department": "Mathematics", "costCenter": "CC-1",
                        "manager": {"value": "HR-0001", "displayName": "Charles Babbage"}}}
                """.formatted(CORE, ENTERPRISE, userName, externalId, userName, ENTERPRISE, externalId);
    }

    private static void assertError(HttpResponse<String> response, int status, String scimType) throws IOException {
        assertThat(response.statusCode()).as(response.body()).isEqualTo(status);
        assertThat(response.headers().firstValue("Content-Type")).hasValueSatisfying(v -> assertThat(v).startsWith("application/scim+json"));
        JsonNode error = JSON.readTree(response.body());
        assertThat(error.path("schemas").get(0).asText()).isEqualTo("urn:ietf:params:scim:api:messages:2.0:Error");
        assertThat(error.path("status").asText()).isEqualTo(String.valueOf(status));
        if (scimType == null) {
            assertThat(error.has("scimType")).as(response.body()).isFalse();
        } else {
            assertThat(error.path("scimType").asText()).as(response.body()).isEqualTo(scimType);
        }
    }

    private static HttpResponse<String> send(String method, String path, String body) throws IOException, InterruptedException {
        return HTTP.send(request(method, path, body).header("Authorization", "Bearer " + scim.token()).build(),
                HttpResponse.BodyHandlers.ofString());
    }

    private static HttpRequest.Builder request(String method, String path, String body) {
        HttpRequest.Builder builder = HttpRequest.newBuilder(URI.create(scim.baseUrl() + path)).timeout(Duration.ofSeconds(10))
                .header("Accept", "application/scim+json");
        if (body == null) {
            return builder.method(method, HttpRequest.BodyPublishers.noBody());
        }
        return builder.header("Content-Type", "application/scim+json").method(method, HttpRequest.BodyPublishers.ofString(body));
    }

    private static String encode(String filter) {
        return URLEncoder.encode(filter, StandardCharsets.UTF_8).replace("+", "%20");
    }
}
