package io.learnbridge.event.webhook;

import static com.github.tomakehurst.wiremock.client.WireMock.aResponse;
import io.learnbridge.testing.ReliabilityScenario;
import io.learnbridge.testing.Scorecard;
import static com.github.tomakehurst.wiremock.client.WireMock.put;
import static com.github.tomakehurst.wiremock.client.WireMock.urlPathMatching;
import static io.learnbridge.testing.EventWorld.NEW_SECRET;
import static io.learnbridge.testing.EventWorld.OLD_SECRET;
import static io.learnbridge.testing.EventWorld.RETIRED_SECRET;
import static io.learnbridge.testing.EventWorld.SOURCE;
import static io.learnbridge.testing.EventWorld.event;
import static io.learnbridge.testing.EventWorld.signed;
import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

import io.learnbridge.store.EventInbox;
import io.learnbridge.testing.Bridge;
import io.learnbridge.testing.EventWorld;
import io.learnbridge.testing.LmsJournal;
import io.learnbridge.testing.SftpLmsWorld;
import java.net.http.HttpResponse;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.sql.PreparedStatement;
import java.sql.ResultSet;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * Webhooks over real HTTP into the running bridge (RELIABILITY.md scenarios 17 and 19): every
 * invalid request is refused with nothing stored, a valid one is stored once and answered 202,
 * processing happens from the store, and an older change never overwrites a newer one.
 */
class WebhookIngestTest {

    @TempDir
    Path home;

    private EventWorld world;
    private Bridge bridge;

    @BeforeEach
    void start() throws Exception {
        world = new EventWorld(home);
        bridge = world.bridge().property("learnbridge.sources." + SOURCE + ".webhook.maxBodyBytes", "4096").start();
    }

    @AfterEach
    void stop() {
        if (bridge != null) {
            bridge.close();
        }
        world.close();
    }

    @Test
    @ReliabilityScenario(17)
    void theSignatureMatrixIsRefusedWithNothingStoredAndAValidEventIsStoredOnce() throws Exception {
        byte[] body = event("E7001", "Engineer", Instant.parse("2026-11-01T09:00:00Z")).getBytes(StandardCharsets.UTF_8);
        Instant now = Instant.now();
        Map<String, Map<String, String>> invalid = new LinkedHashMap<>();
        invalid.put("no signature headers", Map.of());
        invalid.put("signature header missing", without(signed(NEW_SECRET, "msg_1", now, body), "webhook-signature"));
        invalid.put("timestamp header missing", without(signed(NEW_SECRET, "msg_1", now, body), "webhook-timestamp"));
        invalid.put("malformed timestamp", with(signed(NEW_SECRET, "msg_1", now, body), "webhook-timestamp", "yesterday"));
        invalid.put("malformed signature", with(signed(NEW_SECRET, "msg_1", now, body), "webhook-signature", "v1,%%%not-base64%%%"));
        invalid.put("wrong secret", signed(RETIRED_SECRET, "msg_1", now, body));
        // just outside the 5-minute window, with room for the seconds the matrix takes to send after 'now'
        // (at 301 s ahead a slow machine let it drift inside the window: the request was accepted)
        invalid.put("timestamp 310 s old", signed(NEW_SECRET, "msg_1", now.minusSeconds(310), body));
        invalid.put("timestamp 310 s ahead", signed(NEW_SECRET, "msg_1", now.plusSeconds(310), body));
        invalid.put("id changed after signing", with(signed(NEW_SECRET, "msg_1", now, body), "webhook-id", "msg_2"));
        for (Map.Entry<String, Map<String, String>> c : invalid.entrySet()) {
            HttpResponse<String> response = world.post(bridge, SOURCE, body, c.getValue());
            Scorecard.measure("security cases", 1);
            Scorecard.measure("security cases rejected", response.statusCode() == 401 ? 1 : 0);
            Scorecard.measure("unauthenticated accepted", response.statusCode() / 100 == 2 ? 1 : 0);
            assertThat(response.statusCode()).as(c.getKey()).isEqualTo(401);
            assertThat(response.body()).as(c.getKey()).doesNotContain("whsec_");
        }
        byte[] tampered = body.clone();
        tampered[tampered.length - 3] ^= 1;
        assertThat(world.post(bridge, SOURCE, tampered, signed(NEW_SECRET, "msg_1", now, body)).statusCode()).as("body changed by one byte")
                .isEqualTo(401);
        assertThat(world.post(bridge, SOURCE, body, Map.of("Authorization", "Bearer " + NEW_SECRET)).statusCode()).as("a bearer token instead")
                .isEqualTo(401);
        assertThat(storedEvents()).as("events stored by refused requests").isZero();

        HttpResponse<String> valid = world.post(bridge, SOURCE, body, signed(NEW_SECRET, "msg_1", now, body));
        assertThat(valid.statusCode()).isEqualTo(202);
        assertThat(valid.body()).contains("\"receipt\"").contains("\"duplicate\":false");
        HttpResponse<String> redelivered = world.post(bridge, SOURCE, body, signed(NEW_SECRET, "msg_1", Instant.now(), body));
        assertThat(redelivered.statusCode()).as("a redelivered event is acknowledged").isEqualTo(202);
        assertThat(redelivered.body()).contains("\"duplicate\":true");
        HttpResponse<String> oldSecret = world.post(bridge, SOURCE, body, signed(OLD_SECRET, "msg_1", Instant.now(), body));
        assertThat(oldSecret.statusCode()).as("the secret being rotated out still verifies").isEqualTo(202);
        assertThat(storedEvents()).isEqualTo(1);

        await().atMost(Duration.ofSeconds(20)).until(() -> world.journal().countByWorker(200).getOrDefault("E7001", 0L) >= 1);
        await().during(Duration.ofMillis(800)).atMost(Duration.ofSeconds(5))
                .until(() -> world.journal().countByWorker(200).getOrDefault("E7001", 0L) == 1);
        assertThat(bridge.bean("events", io.learnbridge.event.EventProcessor.class)).isNotNull();
        assertThat(inbox().count(SOURCE, "APPLIED")).isEqualTo(1);
    }

    @Test
    @ReliabilityScenario(19)
    void badJsonUnknownSourcesAndOversizedBodiesAreRefusedWithNothingStored() throws Exception {
        byte[] notJson = "{\"worker\": {\"id\": \"E1\"".getBytes(StandardCharsets.UTF_8);
        assertThat(world.post(bridge, SOURCE, notJson, signed(NEW_SECRET, "msg_bad", Instant.now(), notJson)).statusCode()).isEqualTo(400);
        byte[] array = "[1,2]".getBytes(StandardCharsets.UTF_8);
        assertThat(world.post(bridge, SOURCE, array, signed(NEW_SECRET, "msg_array", Instant.now(), array)).statusCode()).isEqualTo(400);
        // signed, but not one JSON object: a key twice, trailing bytes, two objects in a row
        String valid = event("E1", "X", Instant.now());
        for (String lenient : List.of(valid.replaceFirst("\\{", "{\"worker\":{\"id\":\"E2\"},"), valid + " trailing", valid + valid)) {
            byte[] bytes = lenient.getBytes(StandardCharsets.UTF_8);
            HttpResponse<String> refused = world.post(bridge, SOURCE, bytes, signed(NEW_SECRET, "msg_" + lenient.hashCode(), Instant.now(), bytes));
            assertThat(refused.statusCode()).as(lenient).isEqualTo(400);
            assertThat(refused.body()).contains("not one JSON object");
        }
        byte[] big = ("{\"pad\":\"" + "x".repeat(5000) + "\"}").getBytes(StandardCharsets.UTF_8);
        HttpResponse<String> tooBig = world.post(bridge, SOURCE, big, signed(NEW_SECRET, "msg_big", Instant.now(), big));
        assertThat(tooBig.statusCode()).isEqualTo(413);
        byte[] huge = new byte[2 * 1024 * 1024];
        java.util.Arrays.fill(huge, (byte) ' ');
        assertThat(world.post(bridge, SOURCE, huge, Map.of()).statusCode()).as("over the HTTP server's own cap").isEqualTo(413);
        byte[] body = event("E1", "X", Instant.now()).getBytes(StandardCharsets.UTF_8);
        assertThat(world.post(bridge, "no-such-source", body, signed(NEW_SECRET, "msg_x", Instant.now(), body)).statusCode()).isEqualTo(404);
        assertThat(storedEvents()).isZero();
    }

    @Test
    void anEventIdReusedWithOtherContentIsQueuedWithBothChecksumsAndItsReplayAppliesIt() throws Exception {
        bridge.close();
        bridge = world.bridge().property("learnbridge.api.token", "test-token").start();
        Instant at = Instant.parse("2026-01-05T09:00:00Z");
        String first = event("E7100", "Clerk", at);
        String correction = event("E7100", "Senior Clerk", at.plusSeconds(60));
        assertThat(world.postSigned(bridge, "msg_reused", first).statusCode()).isEqualTo(202);
        await().atMost(Duration.ofSeconds(20)).until(() -> world.journal().countByWorker(200).getOrDefault("E7100", 0L) == 1);
        // the same JSON written differently is the same content: a redelivery, nothing queued
        String respaced = first.replace(",", ", ");
        assertThat(world.postSigned(bridge, "msg_reused", respaced).body()).contains("\"duplicate\":true");
        HttpResponse<String> reused = world.postSigned(bridge, "msg_reused", correction);
        assertThat(reused.statusCode()).as("acknowledged: it is kept, in the exception queue").isEqualTo(202);
        assertThat(world.postSigned(bridge, "msg_reused", correction).statusCode()).as("sent again").isEqualTo(202);

        var open = new io.learnbridge.store.ExceptionQueue(bridge.store()).list(io.learnbridge.store.ExceptionQueue.Filter.open());
        assertThat(open).as("once per distinct body").singleElement().satisfies(e -> {
            assertThat(e.stage()).isEqualTo("dedupe");
            assertThat(e.reason()).contains("event key id:msg_reused was received before")
                    .contains("body sha256 " + io.learnbridge.drop.DropChecksum.sha256(first))
                    .contains("body sha256 " + io.learnbridge.drop.DropChecksum.sha256(correction));
            assertThat(e.sourceRecord()).isEqualTo(correction);
        });
        await().during(Duration.ofMillis(500)).atMost(Duration.ofSeconds(3))
                .until(() -> world.journal().countByWorker(200).getOrDefault("E7100", 0L) == 1);

        HttpResponse<String> replay = bridge.api("POST", "/api/exceptions/" + open.get(0).id() + "/replay");
        assertThat(replay.statusCode()).as(replay.body()).isEqualTo(200);
        await().atMost(Duration.ofSeconds(20)).until(() -> world.journal().puts().stream()
                .anyMatch(p -> p.workerId().equals("E7100") && p.body().contains("Senior Clerk")));
    }

    @Test
    @ReliabilityScenario(19)
    void aFloodIsAnswered429WithRetryAfterAndEveryAcceptedRequestIsStored() throws Exception {
        bridge.close();
        bridge = world.bridge().property("learnbridge.sources." + SOURCE + ".webhook.rateLimit", "20").start();
        ExecutorService senders = Executors.newFixedThreadPool(8);
        try {
            List<Future<HttpResponse<String>>> answers = new ArrayList<>();
            for (int i = 0; i < 200; i++) {
                String id = "flood-" + i;
                answers.add(senders.submit(() -> world.postSigned(bridge, id, event("F" + id.substring(6), "Engineer", Instant.now()))));
            }
            int accepted = 0;
            int limited = 0;
            for (Future<HttpResponse<String>> answer : answers) {
                HttpResponse<String> response = answer.get();
                if (response.statusCode() == 202) {
                    accepted++;
                } else {
                    assertThat(response.statusCode()).isEqualTo(429);
                    assertThat(response.headers().firstValue("Retry-After")).hasValue("1");
                    limited++;
                }
            }
            assertThat(limited).as("requests over 20/s").isPositive();
            assertThat(accepted).as("requests under the limit").isPositive();
            assertThat(storedEvents()).as("accepted = stored").isEqualTo(accepted);
        } finally {
            senders.shutdownNow();
        }
    }

    @Test
    @ReliabilityScenario(19)
    void webhooksAreAcceptedWhileTheLmsIsDownAndDeliveredAfterItRecovers() throws Exception {
        world.lms.stubFor(put(urlPathMatching(SftpLmsWorld.LMS_PATH + "/.*")).atPriority(1).willReturn(aResponse().withStatus(503)));
        for (int i = 0; i < 20; i++) {
            long started = System.nanoTime();
            HttpResponse<String> response = world.postSigned(bridge, "down-" + i, event("D" + i, "Engineer", Instant.now()));
            assertThat(response.statusCode()).isEqualTo(202);
            assertThat(Duration.ofNanos(System.nanoTime() - started)).as("answered without waiting for the LMS").isLessThan(Duration.ofSeconds(2));
        }
        assertThat(inbox().count(SOURCE, "RECEIVED") + inbox().count(SOURCE, "PROCESSING") + inbox().count(SOURCE, "APPLIED"))
                .as("every accepted webhook is stored").isEqualTo(20);
        await().atMost(Duration.ofSeconds(10)).until(() -> !world.journal().countByWorker(503).isEmpty());
        world.lms.resetMappings();
        world.lms.stubFor(put(urlPathMatching(SftpLmsWorld.LMS_PATH + "/.*")).willReturn(aResponse().withStatus(200)));
        await().atMost(Duration.ofSeconds(30)).until(() -> world.journal().countByWorker(200).size() == 20);
        assertThat(world.journal().countByWorker(200).values()).allMatch(n -> n == 1);
    }

    @Test
    void anOlderChangeArrivingLastNeverOverwritesTheNewerOne() throws Exception {
        Instant monday = Instant.parse("2026-11-23T09:00:00Z");
        Instant friday = Instant.parse("2026-11-27T09:00:00Z");
        assertThat(world.postSigned(bridge, "late-1", event("E8001", "Team Lead", friday)).statusCode()).isEqualTo(202);
        await().atMost(Duration.ofSeconds(20)).until(() -> world.journal().countByWorker(200).getOrDefault("E8001", 0L) == 1);
        assertThat(world.postSigned(bridge, "late-2", event("E8001", "Engineer", monday)).statusCode()).isEqualTo(202);
        await().atMost(Duration.ofSeconds(20)).until(() -> inbox().count(SOURCE, "SUPERSEDED") == 1);

        // both queued before either is delivered: each delivery sends the newest state
        world.lms.stubFor(put(urlPathMatching(SftpLmsWorld.LMS_PATH + "/.*")).atPriority(1).willReturn(aResponse().withStatus(503)));
        assertThat(world.postSigned(bridge, "late-3", event("E8002", "Director", friday)).statusCode()).isEqualTo(202);
        await().atMost(Duration.ofSeconds(10)).until(() -> world.journal().countByWorker(503).containsKey("E8002"));
        assertThat(world.postSigned(bridge, "late-4", event("E8002", "Intern", monday)).statusCode()).isEqualTo(202);
        await().atMost(Duration.ofSeconds(20)).until(() -> inbox().count(SOURCE, "SUPERSEDED") == 2);
        world.lms.resetMappings();
        world.lms.stubFor(put(urlPathMatching(SftpLmsWorld.LMS_PATH + "/.*")).willReturn(aResponse().withStatus(200)));
        await().atMost(Duration.ofSeconds(30)).until(() -> world.journal().countByWorker(200).containsKey("E8002"));

        Map<String, List<LmsJournal.Put>> byWorker = world.journal().putsByWorker();
        for (String worker : List.of("E8001", "E8002")) {
            List<LmsJournal.Put> delivered = byWorker.get(worker).stream().filter(LmsJournal.Put::succeeded).toList();
            assertThat(delivered).as(worker + " deliveries").hasSize(1);
            assertThat(delivered.get(0).body()).as(worker).contains(worker.equals("E8001") ? "Team Lead" : "Director")
                    .doesNotContain("Engineer\"").doesNotContain("Intern");
        }
    }

    @Test
    @ReliabilityScenario(9)
    void whileTheStoreIsDownWebhooksAreAnswered503WithRetryAfterAndNothingIsHalfAccepted() throws Exception {
        bridge.close();
        org.h2.tools.Server h2 = org.h2.tools.Server.createTcpServer("-tcpPort", "0", "-ifNotExists", "-baseDir", home.resolve("h2").toString()).start();
        int port = h2.getPort();
        try {
            bridge = world.bridge().property("learnbridge.store.url", "jdbc:h2:tcp://127.0.0.1:" + port + "/learnbridge").start();
            assertThat(world.postSigned(bridge, "before", event("S1", "Engineer", Instant.now())).statusCode()).isEqualTo(202);
            h2.stop();
            HttpResponse<String> down = world.postSigned(bridge, "during", event("S2", "Engineer", Instant.now()));
            assertThat(down.statusCode()).isEqualTo(503);
            assertThat(down.headers().firstValue("Retry-After")).hasValue("5");
            assertThat(down.body()).contains("nothing was stored");
            h2 = org.h2.tools.Server.createTcpServer("-tcpPort", String.valueOf(port), "-ifNotExists", "-baseDir", home.resolve("h2").toString()).start();
            await().atMost(Duration.ofSeconds(30)).ignoreExceptions()
                    .until(() -> world.postSigned(bridge, "during", event("S2", "Engineer", Instant.now())).statusCode() == 202);
            await().atMost(Duration.ofSeconds(30)).until(() -> world.journal().countByWorker(200).keySet().containsAll(List.of("S1", "S2")));
            assertThat(storedEvents()).as("the refused request left nothing behind; its retry is stored once").isEqualTo(2);
        } finally {
            bridge.close();
            bridge = null;
            h2.stop();
        }
    }

    @Test
    void aRejectedEventIsQueuedWithItsBodyAndReplayedAfterTheMappingIsFixed() throws Exception {
        bridge.close();
        Path mappings = io.learnbridge.testing.TestFiles.copyTree(Path.of("mappings"), home.resolve("mappings"));
        bridge = world.bridge().property("learnbridge.mappings.location", mappings.toString()).start();
        String retired = event("R1", "Engineer", Instant.parse("2026-11-20T09:00:00Z")).replace("\"status\":\"A\"", "\"status\":\"retired\"");
        assertThat(world.postSigned(bridge, "retired-1", retired).statusCode()).isEqualTo(202);
        await().atMost(Duration.ofSeconds(20)).until(() -> inbox().count(SOURCE, "REJECTED") == 1);
        io.learnbridge.store.ExceptionEntry entry = new io.learnbridge.store.ExceptionQueue(bridge.store())
                .list(io.learnbridge.store.ExceptionQueue.Filter.open()).get(0);
        assertThat(entry.origin()).isEqualTo("webhook id:retired-1");
        assertThat(entry.field()).isEqualTo("employmentStatus");
        assertThat(entry.workerId()).as("the worker the rejected event names").isEqualTo("R1");
        assertThat(entry.sourceRecord()).isEqualTo(retired);
        HttpResponse<String> byWorker = bridge.api("GET", "/api/exceptions?worker=R1");
        assertThat(byWorker.statusCode()).isEqualTo(200);
        assertThat(byWorker.body()).startsWith("[{\"id\":" + entry.id() + ",").contains("\"workerId\":\"R1\"");
        assertThat(bridge.api("GET", "/api/exceptions?worker=R2").body()).isEqualTo("[]");
        for (String bad : List.of("limit=-1", "limit=0", "limit=10001", "limit=abc", "status=NOPE")) {
            HttpResponse<String> refused = bridge.api("GET", "/api/exceptions?" + bad);
            assertThat(refused.statusCode()).as(bad).isEqualTo(400);
            assertThat(refused.body()).as(bad).isEqualTo("{\"error\":\"bad request\"}");
        }

        Path table = mappings.resolve("lookups/employment-status.yaml");
        java.nio.file.Files.writeString(table, java.nio.file.Files.readString(table) + "  RETIRED: TERMINATED\n");
        HttpResponse<String> replay = bridge.api("POST", "/api/exceptions/" + entry.id() + "/replay");
        assertThat(replay.statusCode()).isEqualTo(200);
        assertThat(replay.body()).contains("accepted and queued");
        await().atMost(Duration.ofSeconds(20)).until(() -> world.journal().countByWorker(200).getOrDefault("R1", 0L) == 1);
        assertThat(world.journal().putsByWorker().get("R1").get(0).body()).as("a terminated worker is inactive in the LMS").contains("\"active\":false");
    }

    private EventInbox inbox() {
        return new EventInbox(bridge.store(), "test-reader", Duration.ofMinutes(1));
    }

    private int storedEvents() {
        return bridge.store().tx(c -> {
            try (PreparedStatement ps = c.prepareStatement("select count(*) from inbound_event"); ResultSet rs = ps.executeQuery()) {
                rs.next();
                return rs.getInt(1);
            }
        });
    }

    private static Map<String, String> without(Map<String, String> headers, String name) {
        Map<String, String> copy = new LinkedHashMap<>(headers);
        copy.remove(name);
        return copy;
    }

    private static Map<String, String> with(Map<String, String> headers, String name, String value) {
        Map<String, String> copy = new LinkedHashMap<>(headers);
        copy.put(name, value);
        return copy;
    }
}
