package io.learnbridge.delivery.lrs;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import com.fasterxml.jackson.databind.node.ObjectNode;
import io.learnbridge.worker.CanonicalRecord;
import io.learnbridge.worker.ChangeKind;
import java.util.LinkedHashMap;
import java.util.Map;
import org.junit.jupiter.api.Test;

class XapiStatementsTest {

    private final XapiStatements statements = new XapiStatements(new XapiStatements.Config("https://hr.example.com", "https://lb.example.com/xapi/"));

    @Test
    void theSameChangeGivesTheSameStatementByteForByte() {
        ObjectNode first = statements.statement("lrs", "hris/E1/2026-11-01T00:00:00Z", ChangeKind.JOIN, worker(), Map.of("orgUnit", "R&D Labs"));
        ObjectNode again = statements.statement("lrs", "hris/E1/2026-11-01T00:00:00Z", ChangeKind.JOIN, worker(), Map.of("orgUnit", "R&D Labs"));
        assertThat(again.toString()).isEqualTo(first.toString());
        assertThat(statements.statement("lrs", "hris/E1/2026-11-01T00:00:00Z", ChangeKind.LEAVE, worker(), Map.of()).path("id"))
                .as("another kind of change is another statement").isNotEqualTo(first.path("id"));
        assertThat(statements.statement("lxp-lrs", "hris/E1/2026-11-01T00:00:00Z", ChangeKind.JOIN, worker(), Map.of()).path("id"))
                .as("another target is another statement").isNotEqualTo(first.path("id"));
    }

    @Test
    void theActorIsAnAccountAndOnlyMappedFieldsBecomeExtensions() {
        Map<String, String> extensions = new LinkedHashMap<>();
        extensions.put("orgUnit", "R&D Labs");
        extensions.put("manager", null);
        ObjectNode statement = statements.statement("lrs", "hris/E1/t", ChangeKind.MOVE, worker(), extensions);
        assertThat(statement.path("actor").toString()).isEqualTo("{\"objectType\":\"Agent\",\"account\":{\"homePage\":\"https://hr.example.com\",\"name\":\"E1\"}}");
        assertThat(statement.path("verb").path("id").asText()).isEqualTo("https://lb.example.com/xapi/verbs/moved");
        assertThat(statement.path("object").path("id").asText()).isEqualTo("https://lb.example.com/xapi/organizations/R%26D+Labs");
        assertThat(statement.path("context").path("extensions").toString()).isEqualTo("{\"https://lb.example.com/xapi/extensions/orgUnit\":\"R&D Labs\"}");
        assertThat(statement.path("timestamp").asText()).isEqualTo("2026-11-01T00:00:00Z");
        assertThat(statement.toString()).doesNotContain("e1@example.com").doesNotContain("Lovelace");
    }

    @Test
    void aNoopIsNeverAStatementAndTheConfigNeedsIris() {
        assertThatThrownBy(() -> statements.statement("lrs", "k", ChangeKind.NOOP, worker(), Map.of())).isInstanceOf(IllegalArgumentException.class);
        assertThatThrownBy(() -> new XapiStatements.Config("hr.example.com", "https://x")).hasMessageContaining("http(s) IRIs");
    }

    private static CanonicalRecord worker() {
        Map<String, String> values = new LinkedHashMap<>();
        values.put("workerId", "E1");
        values.put("email", "e1@example.com");
        values.put("familyName", "Lovelace");
        values.put("orgUnit", "R&D Labs");
        values.put("effectiveAt", "2026-11-01T00:00:00Z");
        return new CanonicalRecord(values);
    }

    @Test
    void enrolmentStatementsAreValidXapiWithTheCurriculumAsACourseAndDeterministicIds() {
        java.time.Instant at = java.time.Instant.parse("2026-11-28T09:00:00Z");
        var enrol = statements.enrolment("lrs", "E1", "SEC 101", true, at, "JOIN: engineers take secure coding");
        var unenrol = statements.enrolment("lrs", "E1", "SEC 101", false, at, "MOVE");
        assertThat(enrol.path("verb").path("id").asText()).isEqualTo("http://adlnet.gov/expapi/verbs/registered");
        assertThat(unenrol.path("verb").path("id").asText()).isEqualTo("https://lb.example.com/xapi/verbs/unregistered");
        assertThat(enrol.path("object").path("id").asText()).isEqualTo("https://lb.example.com/xapi/curricula/SEC+101");
        assertThat(enrol.path("object").path("definition").path("type").asText()).isEqualTo("http://adlnet.gov/expapi/activities/course");
        assertThat(enrol.path("actor").path("account").path("name").asText()).isEqualTo("E1");
        assertThat(enrol.path("id").asText()).as("the same change, the same id")
                .isEqualTo(statements.enrolment("lrs", "E1", "SEC 101", true, at, "JOIN: engineers take secure coding").path("id").asText())
                .isNotEqualTo(unenrol.path("id").asText());
        assertThat(io.learnbridge.testing.LrsServer.validate("[" + enrol + "," + unenrol + "]"))
                .as("xapi-validation problems per statement").containsExactly("", "");
    }
}
