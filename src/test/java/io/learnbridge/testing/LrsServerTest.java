package io.learnbridge.testing;

import static org.assertj.core.api.Assertions.assertThat;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import java.io.IOException;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.file.Path;
import java.util.List;
import java.util.UUID;
import java.util.concurrent.TimeUnit;

import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.api.io.TempDir;

/**
 * Proves {@link LrsServer}: Learning Locker's xAPI statements service, in memory on loopback, and
 * records how it answers the cases LearnBridge's LRS target has to handle (resend, conflict, a batch
 * with one bad statement).
 */
@Timeout(value = 120, unit = TimeUnit.SECONDS)
class LrsServerTest {

    private static final ObjectMapper JSON = new ObjectMapper();
    private static final HttpClient HTTP = HttpClient.newBuilder().version(HttpClient.Version.HTTP_1_1).build();
    private static final String COMPLETED = "http://adlnet.gov/expapi/verbs/completed";

    @TempDir
    static Path workDir;
    private static LrsServer lrs;

    @BeforeAll
    static void startLrs() {
        lrs = LrsServer.start(workDir);
    }

    @AfterAll
    static void stopLrs() {
        if (lrs != null) {
            lrs.close();
        }
    }

    @Test
    void lrsReportsItIsBoundToLoopbackAndAnswersAbout() throws Exception {
        assertThat(lrs.baseUrl().getHost()).as("address the LRS socket is bound to").isEqualTo("127.0.0.1");
        assertThat(lrs.baseUrl().getPath()).isEqualTo("/xAPI");

        HttpResponse<String> about = send(HttpRequest.newBuilder(URI.create(lrs.baseUrl() + "/about"))
                .header(LrsServer.VERSION_HEADER, LrsServer.XAPI_VERSION).GET());
        assertThat(about.statusCode()).isEqualTo(200);
        assertThat(JSON.readTree(about.body()).path("version").toString()).contains("1.0.3");
    }

    @Test
    void statementPutWithClientChosenIdIsStoredWithItsAccountActorIntact() throws Exception {
        String id = UUID.randomUUID().toString();

        HttpResponse<String> put = put(id, statement(id, "E1001", COMPLETED));

        assertThat(put.statusCode()).as("PUT body: %s", put.body()).isEqualTo(204);
        JsonNode stored = storedStatement(id);
        assertThat(stored.path("actor").path("account").path("homePage").asText()).isEqualTo("https://hr.example.com");
        assertThat(stored.path("actor").path("account").path("name").asText()).isEqualTo("E1001");
        assertThat(stored.path("verb").path("id").asText()).isEqualTo(COMPLETED);
        assertThat(lrs.statements()).extracting(s -> s.path("id").asText()).contains(id);
    }

    @Test
    void resendingTheSameStatementIsAcceptedButDifferentContentUnderTheSameIdIsAConflict() throws Exception {
        String id = UUID.randomUUID().toString();
        String original = statement(id, "E2001", COMPLETED);
        assertThat(post(original).statusCode()).isEqualTo(200);

        HttpResponse<String> postAgain = post(original);
        HttpResponse<String> putAgain = put(id, original);
        HttpResponse<String> postChanged = post(statement(id, "E2002", COMPLETED));
        HttpResponse<String> putChanged = put(id, statement(id, "E2002", COMPLETED));

        assertThat(postAgain.statusCode()).as("POST same id, same content").isEqualTo(200);
        assertThat(JSON.readTree(postAgain.body()).get(0).asText()).isEqualTo(id);
        assertThat(putAgain.statusCode()).as("PUT same id, same content").isEqualTo(204);
        assertThat(postChanged.statusCode()).as("POST same id, other content").isEqualTo(409);
        assertThat(postChanged.body()).contains(id + " is conflicting");
        assertThat(putChanged.statusCode()).as("PUT same id, other content").isEqualTo(409);
        assertThat(storedStatement(id).path("actor").path("account").path("name").asText())
                .as("the first content stays").isEqualTo("E2001");
        assertThat(lrs.statements()).filteredOn(s -> s.path("id").asText().equals(id)).hasSize(1);
    }

    @Test
    void batchWithOneStatementMissingItsVerbIsRejectedWholeAndStoresNone() throws Exception {
        String first = UUID.randomUUID().toString();
        String invalid = UUID.randomUUID().toString();
        String last = UUID.randomUUID().toString();
        String batch = "[" + statement(first, "E3001", COMPLETED) + "," + statement(invalid, "E3002", null) + ","
                + statement(last, "E3003", COMPLETED) + "]";

        HttpResponse<String> response = post(batch);

        assertThat(response.statusCode()).isEqualTo(400);
        assertThat(JSON.readTree(response.body()).path("warnings").toString())
                .as("names the bad statement by its index in the batch")
                .contains("Missing required value in 'statements.1.verb'");
        assertThat(lrs.statements()).extracting(s -> s.path("id").asText()).doesNotContain(first, invalid, last);
    }

    @Test
    void lrsRequiresTheVersionHeaderButNotRealCredentials() throws Exception {
        HttpRequest.Builder noVersion = HttpRequest.newBuilder(lrs.statementsUrl()).header("Authorization", lrs.basicAuth());
        HttpRequest.Builder noAuth = HttpRequest.newBuilder(lrs.statementsUrl())
                .header(LrsServer.VERSION_HEADER, LrsServer.XAPI_VERSION);
        HttpRequest.Builder rejected = HttpRequest.newBuilder(lrs.statementsUrl())
                .header(LrsServer.VERSION_HEADER, LrsServer.XAPI_VERSION)
                .header("Authorization", LrsServer.REJECTED_AUTHORIZATION);

        assertThat(send(noVersion).statusCode()).as("no %s header", LrsServer.VERSION_HEADER).isEqualTo(400);
        assertThat(send(noAuth).statusCode()).as("no Authorization header (AUTH_REPO=test)").isEqualTo(200);
        assertThat(send(rejected).statusCode()).as(LrsServer.REJECTED_AUTHORIZATION).isEqualTo(401);
    }

    @Test
    void validatorAcceptsAValidStatementAndNamesTheMissingVerbOfAnInvalidOne() {
        String valid = statement(UUID.randomUUID().toString(), "E4001", COMPLETED);
        String noVerb = statement(UUID.randomUUID().toString(), "E4002", null);

        List<String> problems = LrsServer.validate("[" + valid + "," + noVerb + "]");

        assertThat(problems).hasSize(2);
        assertThat(problems.get(0)).as("valid statement").isEmpty();
        assertThat(problems.get(1)).isEqualTo("statement.verb: RequiredWarning");
    }

    private static String statement(String id, String employeeId, String verbId) {
        String verb = verbId == null ? "" : "\"verb\":{\"id\":\"" + verbId + "\",\"display\":{\"en-US\":\"completed\"}},";
        return "{\"id\":\"" + id + "\","
                + "\"actor\":{\"objectType\":\"Agent\",\"account\":{\"homePage\":\"https://hr.example.com\",\"name\":\""
                + employeeId + "\"}},"
                + verb
                + "\"object\":{\"objectType\":\"Activity\",\"id\":\"https://lms.example.com/courses/fire-safety\"},"
                + "\"timestamp\":\"2025-03-01T09:30:00.000Z\"}";
    }

    private static HttpResponse<String> post(String body) {
        return send(HttpRequest.newBuilder(lrs.statementsUrl()).POST(HttpRequest.BodyPublishers.ofString(body))
                .header("Content-Type", "application/json")
                .header(LrsServer.VERSION_HEADER, LrsServer.XAPI_VERSION).header("Authorization", lrs.basicAuth()));
    }

    private static HttpResponse<String> put(String id, String body) {
        return send(HttpRequest.newBuilder(URI.create(lrs.statementsUrl() + "?statementId=" + id))
                .PUT(HttpRequest.BodyPublishers.ofString(body)).header("Content-Type", "application/json")
                .header(LrsServer.VERSION_HEADER, LrsServer.XAPI_VERSION).header("Authorization", lrs.basicAuth()));
    }

    private static JsonNode storedStatement(String id) throws IOException {
        HttpResponse<String> get = send(HttpRequest.newBuilder(URI.create(lrs.statementsUrl() + "?statementId=" + id))
                .header(LrsServer.VERSION_HEADER, LrsServer.XAPI_VERSION).header("Authorization", lrs.basicAuth()).GET());
        assertThat(get.statusCode()).as("GET statementId=%s: %s", id, get.body()).isEqualTo(200);
        return JSON.readTree(get.body());
    }

    private static HttpResponse<String> send(HttpRequest.Builder request) {
        try {
            return HTTP.send(request.build(), HttpResponse.BodyHandlers.ofString());
        } catch (IOException e) {
            throw new IllegalStateException("request to the LRS failed; its output is in " + lrs.log(), e);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            throw new IllegalStateException(e);
        }
    }
}
