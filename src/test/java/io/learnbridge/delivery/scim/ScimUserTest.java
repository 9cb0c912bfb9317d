package io.learnbridge.delivery.scim;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.node.ObjectNode;
import io.learnbridge.mapping.MappingCatalog;
import io.learnbridge.mapping.MappingFiles;
import io.learnbridge.mapping.MappingResult;
import io.learnbridge.worker.CanonicalRecord;
import java.util.LinkedHashMap;
import java.util.Map;
import org.junit.jupiter.api.Test;

/** The shipped LXP mapping's output as SCIM Users: created whole, or written over what the service holds. */
class ScimUserTest {

    private static final ObjectMapper JSON = new ObjectMapper();
    private static final MappingCatalog CATALOG = MappingCatalog.compile(MappingFiles.load("mappings"));

    @Test
    void aJoinerIsCreatedWithTheEnterpriseExtensionUnderItsUrnAPrimaryWorkEmailAndTheManagersScimId() throws Exception {
        ScimUser user = lxp(worker("E1001", "ada@example.com", "Engineering", "E0001", "ACTIVE"));

        assertThat(user.externalId()).isEqualTo("E1001");
        assertThat(user.managerByWorkerId()).isTrue();
        assertThat(user.managerWorkerId()).isEqualTo("E0001");
        assertThat(user.forCreate("3f1c-manager")).isEqualTo(JSON.readTree("""
                {"schemas": ["urn:ietf:params:scim:schemas:core:2.0:User", "urn:ietf:params:scim:schemas:extension:enterprise:2.0:User"],
                 "externalId": "E1001", "userName": "ada@example.com",
                 "name": {"givenName": "Ada", "familyName": "Lovelace", "formatted": "Ada Lovelace"},
                 "displayName": "Ada Lovelace", "active": true, "title": "Engineer",
                 "urn:ietf:params:scim:schemas:extension:enterprise:2.0:User": {
                   "employeeNumber": "E1001", "department": "Engineering", "costCenter": "CC-1", "manager": {"value": "3f1c-manager"}},
                 "emails": [{"value": "ada@example.com", "type": "work", "primary": true}]}
                """));
    }

    @Test
    void emptyFieldsAreLeftOutOfACreateAndAnExtensionWithNothingInItIsNotDeclared() throws Exception {
        Map<String, String> values = new LinkedHashMap<>(Map.of("workerId", "E1002", "email", "grace@example.com", "employmentStatus", "ACTIVE"));
        ScimUser user = lxp(new CanonicalRecord(values));

        ObjectNode created = user.forCreate(null);

        assertThat(created.path("schemas")).extracting(JsonNode::asText).containsExactly(
                "urn:ietf:params:scim:schemas:core:2.0:User", "urn:ietf:params:scim:schemas:extension:enterprise:2.0:User");
        assertThat(created.path(ScimUser.ENTERPRISE)).isEqualTo(JSON.readTree("{\"employeeNumber\": \"E1002\"}"));
        assertThat(created.has("title")).isFalse();
        assertThat(created.has("name")).isFalse();
        assertThat(created.toString()).doesNotContain("null");
    }

    @Test
    void writtenOverAnExistingUserTheStateReplacesWhatTheMappingListsAndKeepsEverythingElse() throws Exception {
        ObjectNode existing = (ObjectNode) JSON.readTree("""
                {"schemas": ["urn:ietf:params:scim:schemas:core:2.0:User", "urn:ietf:params:scim:schemas:extension:enterprise:2.0:User"],
                 "id": "u-1", "meta": {"version": "W/\\"3\\""}, "groups": [{"value": "g-1", "display": "Staff"}],
                 "externalId": "E1001", "userName": "ada@example.com", "nickName": "Countess",
                 "name": {"givenName": "Ada", "familyName": "Byron", "formatted": "Ada Byron", "middleName": "King"},
                 "displayName": "Ada Byron", "active": true, "title": "Engineer", "preferredLanguage": "en-GB",
                 "emails": [{"value": "ada@home.example", "type": "home", "primary": true}, {"value": "old@example.com", "type": "work"}],
                 "urn:ietf:params:scim:schemas:extension:enterprise:2.0:User": {
                   "employeeNumber": "E1001", "department": "Mathematics", "organization": "Analytical Engines",
                   "manager": {"value": "m-old", "displayName": "Charles Babbage"}}}
                """);
        Map<String, String> values = worker("E1001", "ada@example.com", "Engineering", "E0009", "ACTIVE").values();
        values = new LinkedHashMap<>(values);
        values.remove("jobTitle");
        values.remove("costCenter");
        ScimUser user = lxp(new CanonicalRecord(values));

        ObjectNode merged = user.mergedInto(existing, "m-new");

        assertThat(merged).isEqualTo(JSON.readTree("""
                {"schemas": ["urn:ietf:params:scim:schemas:core:2.0:User", "urn:ietf:params:scim:schemas:extension:enterprise:2.0:User"],
                 "externalId": "E1001", "userName": "ada@example.com", "nickName": "Countess",
                 "name": {"givenName": "Ada", "familyName": "Lovelace", "formatted": "Ada Lovelace", "middleName": "King"},
                 "displayName": "Ada Lovelace", "active": true, "preferredLanguage": "en-GB",
                 "emails": [{"value": "ada@home.example", "type": "home", "primary": true}, {"value": "ada@example.com", "type": "work"}],
                 "urn:ietf:params:scim:schemas:extension:enterprise:2.0:User": {
                   "employeeNumber": "E1001", "department": "Engineering", "organization": "Analytical Engines",
                   "manager": {"value": "m-new"}}}
                """));
        assertThat(existing.path("title").asText()).as("the existing resource is not changed").isEqualTo("Engineer");
    }

    @Test
    void theSameStateWrittenOverTheUserItCreatedChangesNothing() {
        ScimUser user = lxp(worker("E1001", "ada@example.com", "Engineering", "E0001", "ACTIVE"));
        ObjectNode stored = user.forCreate("m-1").put("id", "u-1");
        stored.putObject("meta").put("version", "W/\"1\"");

        assertThat(user.mergedInto(stored, "m-1")).isEqualTo(ScimUser.writable(stored));
        assertThat(user.mergedInto(stored, null)).as("a manager no longer in HR is unlinked").isNotEqualTo(ScimUser.writable(stored));
    }

    @Test
    void aLeaverIsInactiveAndAWorkerWithoutManagerUnlinksTheOldOne() throws Exception {
        ScimUser leaver = lxp(worker("E1003", "gone@example.com", "Engineering", null, "TERMINATED"));
        ObjectNode existing = leaver.forCreate(null);
        ((ObjectNode) existing.get(ScimUser.ENTERPRISE)).putObject("manager").put("value", "m-1");

        ObjectNode merged = leaver.mergedInto(existing, null);

        assertThat(leaver.inactive()).isTrue();
        assertThat(merged.path("active").asBoolean(true)).isFalse();
        assertThat(merged.path(ScimUser.ENTERPRISE).has("manager")).isFalse();
    }

    @Test
    void aMappingThatBreaksTheConventionsIsRefusedWithTheFieldToFix() throws Exception {
        assertThatThrownBy(() -> ScimUser.fromMapping((ObjectNode) JSON.readTree("{\"emails\": \"ada@example.com\"}")))
                .isInstanceOf(IllegalArgumentException.class).hasMessageContaining("emails.work");
        assertThatThrownBy(() -> ScimUser.fromMapping((ObjectNode) JSON.readTree("{\"enterprise\": \"x\"}")))
                .isInstanceOf(IllegalArgumentException.class).hasMessageContaining("enterprise.department");
        assertThatThrownBy(() -> ScimUser.fromMapping((ObjectNode) JSON.readTree(
                "{\"enterprise\": {\"manager\": {\"externalId\": \"E1\", \"value\": \"u-1\"}}}")))
                .isInstanceOf(IllegalArgumentException.class).hasMessageContaining("not both");
    }

    @Test
    void aManagerValueWrittenInTheMappingIsSentAsIs() throws Exception {
        ScimUser user = ScimUser.fromMapping((ObjectNode) JSON.readTree(
                "{\"userName\": \"a@example.com\", \"enterprise\": {\"manager\": {\"value\": \"E0001\"}}}"));

        assertThat(user.managerByWorkerId()).isFalse();
        assertThat(user.forCreate(null).path(ScimUser.ENTERPRISE).path("manager").path("value").asText()).isEqualTo("E0001");
    }

    @Test
    void aFilterValueIsOneJsonStringWhateverTheWorkerIdHoldsInIt() {
        assertThat(ScimClient.literal("E1\" or userName pr or \"x")).isEqualTo("\"E1\\\" or userName pr or \\\"x\"");
    }

    private static ScimUser lxp(CanonicalRecord record) {
        MappingResult<ObjectNode> result = CATALOG.target("lxp").map(record);
        assertThat(result).isInstanceOf(MappingResult.Accepted.class);
        return ScimUser.fromMapping(((MappingResult.Accepted<ObjectNode>) result).value());
    }

    private static CanonicalRecord worker(String id, String email, String orgUnit, String managerId, String status) {
        Map<String, String> values = new LinkedHashMap<>();
        values.put("workerId", id);
        values.put("email", email);
        values.put("givenName", "Ada");
        values.put("familyName", "Lovelace");
        values.put("managerId", managerId);
        values.put("jobTitle", "Engineer");
        values.put("orgUnit", orgUnit);
        values.put("costCenter", "CC-1");
        values.put("employmentStatus", status);
        return new CanonicalRecord(values);
    }

    @Test
    void theLocationIsTheLocalityOfTheWorkAddressAndOtherAddressesAndSubAttributesAreKept() throws Exception {
        Map<String, String> values = new LinkedHashMap<>(Map.of("workerId", "E1003", "email", "alan@example.com", "employmentStatus", "ACTIVE",
                "location", "Manchester", "jobFamily", "Research"));
        ScimUser user = lxp(new CanonicalRecord(values));

        ObjectNode created = user.forCreate(null);
        assertThat(created.path("addresses")).isEqualTo(JSON.readTree("[{\"locality\": \"Manchester\", \"type\": \"work\", \"primary\": true}]"));
        assertThat(created.path(ScimUser.ENTERPRISE).path("division").asText()).isEqualTo("Research");

        ObjectNode existing = (ObjectNode) JSON.readTree("""
                {"schemas": ["urn:ietf:params:scim:schemas:core:2.0:User"], "id": "u-3", "externalId": "E1003", "userName": "alan@example.com",
                 "addresses": [{"type": "home", "locality": "Wilmslow", "primary": true},
                               {"type": "work", "locality": "London", "country": "GB"}]}
                """);
        assertThat(user.mergedInto(existing, null).path("addresses")).as("the work locality replaced, its country and the home address kept")
                .isEqualTo(JSON.readTree("""
                        [{"type": "home", "locality": "Wilmslow", "primary": true}, {"type": "work", "locality": "Manchester", "country": "GB"}]
                        """));

        values.remove("location");
        ObjectNode moved = lxp(new CanonicalRecord(values)).mergedInto((ObjectNode) JSON.readTree("""
                {"id": "u-3", "externalId": "E1003", "addresses": [{"type": "work", "locality": "London"}]}
                """), null);
        assertThat(moved.has("addresses")).as("a work address left with no sub-attribute is removed").isFalse();
    }
}
