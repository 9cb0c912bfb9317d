package io.learnbridge.delivery;

import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import io.learnbridge.testing.HrCsv;
import io.learnbridge.testing.LmsJournal;
import io.learnbridge.testing.LrsServer;
import io.learnbridge.testing.ScimServer;
import io.learnbridge.testing.SnapshotWorld;
import java.net.URI;
import java.net.URLEncoder;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.time.Duration;
import java.util.List;
import java.util.Map;
import java.util.UUID;
import java.util.stream.Collectors;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * One joiner, mover and leaver reaching all three learning systems at once: the LMS (REST JSON
 * upserts, WireMock), the LXP (a strict SCIM 2.0 server) and the LRS (a real xAPI LRS).
 */
class LearningEcosystemTest {

    private static final String ENTERPRISE = "urn:ietf:params:scim:schemas:extension:enterprise:2.0:User";
    private static final ObjectMapper JSON = new ObjectMapper();

    @TempDir
    Path home;

    @Test
    void aJoinerAMoverAndALeaverReachTheLmsTheLxpAndTheLrs() throws Exception {
        try (ScimServer lxp = ScimServer.start("lxp-" + UUID.randomUUID()); LrsServer lrs = LrsServer.start(home.resolve("lrs"));
             SnapshotWorld world = new SnapshotWorld(home.resolve("world"))) {
            world.start(world.bridge("delta")
                    .routes("classpath:routes/*.camel.yaml,classpath:test-routes/target-lxp-scim.camel.yaml,classpath:test-routes/target-lrs.camel.yaml")
                    .property("learnbridge.sources.hris.targets", "lms,lxp,lrs")
                    .property("learnbridge.targets.lxp.url", lxp.baseUrl())
                    .property("learnbridge.targets.lxp.token", lxp.token())
                    .property("learnbridge.targets.lrs.url", lrs.baseUrl().toString())
                    .property("learnbridge.targets.lrs.homePage", "https://hr.example.com")
                    .property("learnbridge.targets.lrs.username", LrsServer.KEY)
                    .property("learnbridge.targets.lrs.password", LrsServer.SECRET));

            world.drop("day1.csv", HrCsv.create().workers(1, 2).build());
            world.drop("day2.csv", HrCsv.create()
                    .row(HrCsv.id(1), "Given1", "Family1", "worker1@example.com", "", "ENG-1", "Engineer", "London", "Sales", "A", "01/15/2020")
                    .row(HrCsv.id(2), "Given2", "Family2", "worker2@example.com", "", "ENG-1", "Engineer", "London", "Engineering", "T", "01/15/2020")
                    .build());

            // LMS: two upserts per worker, the last one the newest state
            Map<String, List<LmsJournal.Put>> lms = world.journal().putsByWorker();
            assertThat(lms.get(HrCsv.id(1))).hasSize(2).last().satisfies(p -> assertThat(p.body()).contains("\"department\":\"Sales\""));
            assertThat(lms.get(HrCsv.id(2))).hasSize(2).last().satisfies(p -> assertThat(p.body()).contains("\"active\":false"));

            // LXP: one user per worker, the mover in Sales, the leaver inactive
            await().atMost(Duration.ofSeconds(30)).untilAsserted(() -> {
                JsonNode mover = scimUser(lxp, HrCsv.id(1));
                JsonNode leaver = scimUser(lxp, HrCsv.id(2));
                assertThat(mover.path(ENTERPRISE).path("department").asText()).isEqualTo("Sales");
                assertThat(mover.path("active").asBoolean()).isTrue();
                assertThat(leaver.path("active").asBoolean(true)).isFalse();
            });

            // LRS: join, join, moved, left
            await().atMost(Duration.ofSeconds(30)).until(() -> lrs.statements().size() == 4);
            Map<String, List<String>> verbs = lrs.statements().stream().collect(Collectors.groupingBy(
                    s -> s.path("actor").path("account").path("name").asText(),
                    Collectors.mapping(s -> s.path("verb").path("display").path("en-US").asText(), Collectors.toList())));
            assertThat(verbs.get(HrCsv.id(1))).containsExactlyInAnyOrder("joined", "moved");
            assertThat(verbs.get(HrCsv.id(2))).containsExactlyInAnyOrder("joined", "left");
        }
    }

    private static JsonNode scimUser(ScimServer server, String workerId) throws Exception {
        String filter = URLEncoder.encode("externalId eq \"" + workerId + "\"", StandardCharsets.UTF_8);
        HttpResponse<String> response = HttpClient.newHttpClient().send(HttpRequest.newBuilder(URI.create(server.baseUrl() + "/Users?filter=" + filter))
                .header("Authorization", "Bearer " + server.token()).build(), HttpResponse.BodyHandlers.ofString());
        JsonNode list = JSON.readTree(response.body());
        assertThat(list.path("totalResults").asInt()).as("users for " + workerId).isEqualTo(1);
        return list.path("Resources").get(0);
    }
}
