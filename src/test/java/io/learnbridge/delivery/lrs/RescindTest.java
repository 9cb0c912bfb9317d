package io.learnbridge.delivery.lrs;

import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

import com.fasterxml.jackson.databind.JsonNode;
import io.learnbridge.store.ExceptionEntry;
import io.learnbridge.store.ExceptionQueue;
import io.learnbridge.testing.Bridge;
import io.learnbridge.testing.EventWorld;
import io.learnbridge.testing.LrsServer;
import java.nio.file.Path;
import java.time.Duration;
import java.time.Instant;
import java.util.List;
import java.util.Optional;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * HR rescinds a change it sent as an event: the LRS statement of that change is voided (xAPI
 * voiding statement, against the real LRS), state targets get the worker's newest state again, and
 * a rescind of an event LearnBridge never received goes to the exception queue.
 */
class RescindTest {

    private static final String HOME_PAGE = "https://hr.example.com";

    @TempDir
    Path home;

    @Test
    void aRescindedMoveIsVoidedInTheLrsAndARescindOfAnUnknownEventIsQueued() throws Exception {
        try (LrsServer lrs = LrsServer.start(home.resolve("lrs")); EventWorld world = new EventWorld(home.resolve("world"));
             Bridge bridge = world.bridge()
                     .routes("classpath:routes/*.camel.yaml,classpath:test-routes/target-lrs.camel.yaml")
                     .property("learnbridge.sources." + EventWorld.SOURCE + ".targets", "lms,lrs")
                     .property("learnbridge.sources." + EventWorld.SOURCE + ".rescindPointer", "/rescinds")
                     .property("learnbridge.targets.lrs.url", lrs.baseUrl().toString())
                     .property("learnbridge.targets.lrs.homePage", HOME_PAGE)
                     .property("learnbridge.targets.lrs.username", LrsServer.KEY)
                     .property("learnbridge.targets.lrs.password", LrsServer.SECRET).start()) {
            Instant t0 = Instant.parse("2026-11-01T09:00:00Z");
            assertThat(world.postSigned(bridge, "evt-join", EventWorld.event("E1", "Engineer", t0)).statusCode()).isEqualTo(202);
            await().atMost(Duration.ofSeconds(30)).until(() -> verbs(lrs).equals(List.of("joined")));
            assertThat(world.postSigned(bridge, "evt-move", EventWorld.event("E1", "Engineering Manager", t0.plusSeconds(3600))).statusCode())
                    .isEqualTo(202);
            await().atMost(Duration.ofSeconds(30)).until(() -> verbs(lrs).size() == 2);
            String moved = lrs.statements().stream().filter(s -> verb(s).equals("moved")).findFirst().orElseThrow().path("id").asText();

            assertThat(world.postSigned(bridge, "evt-rescind", "{\"type\":\"worker.change.rescinded\",\"rescinds\":\"evt-move\"}")
                    .statusCode()).isEqualTo(202);

            // the LRS no longer lists the move (xAPI: voided statements are left out), and holds the voiding statement
            await().atMost(Duration.ofSeconds(30)).untilAsserted(() -> assertThat(verbs(lrs)).containsExactlyInAnyOrder("joined", "voided"));
            JsonNode voiding = lrs.statements().stream().filter(s -> verb(s).equals("voided")).findFirst().orElseThrow();
            assertThat(voiding.path("verb").path("id").asText()).isEqualTo("http://adlnet.gov/expapi/verbs/voided");
            assertThat(voiding.path("object").path("objectType").asText()).isEqualTo("StatementRef");
            assertThat(voiding.path("object").path("id").asText()).as("the voided statement is the move's").isEqualTo(moved);
            assertThat(voiding.path("actor").path("account").path("name").asText()).isEqualTo("E1");
            assertThat(LrsServer.validate(withoutLrsFields(voiding))).containsExactly("");
            // the LMS holds state: after the join and the move it gets the worker's newest state once more
            await().atMost(Duration.ofSeconds(10)).until(() -> world.journal().putsByWorker().getOrDefault("E1", List.of()).size() == 3);

            // a rescind of an event the source never sent: queued with its reason, nothing voided
            assertThat(world.postSigned(bridge, "evt-rescind-2", "{\"type\":\"worker.change.rescinded\",\"rescinds\":\"evt-404\"}")
                    .statusCode()).isEqualTo(202);
            ExceptionEntry queued = await().atMost(Duration.ofSeconds(10)).until(() -> new ExceptionQueue(bridge.store())
                    .list(ExceptionQueue.Filter.open()).stream().findFirst(), Optional::isPresent).orElseThrow();
            assertThat(queued.reason()).contains("evt-404").contains("never sent");
            assertThat(queued.source()).isEqualTo(EventWorld.SOURCE);
            assertThat(verbs(lrs)).containsExactlyInAnyOrder("joined", "voided");
        }
    }

    private static List<String> verbs(LrsServer lrs) {
        return lrs.statements().stream().map(RescindTest::verb).sorted().toList();
    }

    private static String verb(JsonNode statement) {
        return statement.path("verb").path("display").path("en-US").asText();
    }

    /** The statement as LearnBridge sent it: without the properties the LRS adds when it stores one. */
    private static String withoutLrsFields(JsonNode stored) {
        com.fasterxml.jackson.databind.node.ObjectNode copy = stored.deepCopy();
        copy.remove(List.of("stored", "authority", "version"));
        return copy.toString();
    }
}
