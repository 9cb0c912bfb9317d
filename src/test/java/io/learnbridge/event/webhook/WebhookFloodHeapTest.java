package io.learnbridge.event.webhook;

import static com.github.tomakehurst.wiremock.client.WireMock.aResponse;
import static com.github.tomakehurst.wiremock.client.WireMock.put;
import static com.github.tomakehurst.wiremock.client.WireMock.urlPathMatching;
import static io.learnbridge.testing.EventWorld.NEW_SECRET;
import static io.learnbridge.testing.EventWorld.OLD_SECRET;
import static io.learnbridge.testing.EventWorld.SOURCE;
import static io.learnbridge.testing.EventWorld.event;
import static io.learnbridge.testing.EventWorld.signed;
import static org.assertj.core.api.Assertions.assertThat;

import io.learnbridge.testing.BridgeProcess;
import io.learnbridge.testing.EventWorld;
import io.learnbridge.testing.ReliabilityScenario;
import io.learnbridge.testing.Scorecard;
import io.learnbridge.testing.SftpLmsWorld;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Instant;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.concurrent.atomic.AtomicLong;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * RELIABILITY.md scenario 19, "heap bounded": the bridge runs in a child JVM with a small heap and
 * {@code -XX:+ExitOnOutOfMemoryError}, and is sent more webhook bodies than its whole heap while
 * the LMS is down. A bridge that kept what it accepts in memory would die; this one must answer
 * every request, store every accepted event and stay healthy. (Comparing heap-after-GC figures in
 * the test's own JVM was tried first and failed on noise: pooled buffers and H2's page cache,
 * which grows to 64 MB per GB of heap, moved the figure by ±10 MB between runs.) Bodies are 3 KB,
 * the size of an HR change event. Open: with 60 KB bodies (16 senders, events claimed 100 at a
 * time) a bridge with a 96 MB heap still runs out of heap in about one run of three: H2 writes a
 * changed row whole, so each status change of an event rewrites its body into the next chunk
 * (heap dumps: a 16 MB chunk write buffer). Its other holder, each pooled session keeping its last
 * claimed batch, is gone ({@code OPTIMIZE_REUSE_RESULTS=0}, Store).
 */
class WebhookFloodHeapTest {

    private static final int HEAP_MB = 64;
    private static final int BODY_BYTES = 3_000;

    // kept when the test fails: the bridge's log is in it
    @TempDir(cleanup = org.junit.jupiter.api.io.CleanupMode.ON_SUCCESS)
    Path home;

    @Test
    @ReliabilityScenario(19)
    void aBridgeWithA64MbHeapAcceptsMoreBodiesThanItsHeapWhileTheLmsIsDown() throws Exception {
        try (EventWorld world = new EventWorld(home);
             BridgeProcess bridge = new BridgeProcess(home.resolve("bridge"), Map.of(
                     "learnbridge.targets.lms.url", world.lms.baseUrl() + SftpLmsWorld.LMS_PATH,
                     "learnbridge.sources." + SOURCE + ".targets", "lms",
                     "learnbridge.sources." + SOURCE + ".webhook.verifier", "standard-webhooks",
                     "learnbridge.sources." + SOURCE + ".webhook.secrets", OLD_SECRET + "," + NEW_SECRET,
                     "learnbridge.sources." + SOURCE + ".webhook.maxBodyBytes", "4096",
                     // the 429 path has its own test: here every request is meant to be accepted
                     "learnbridge.sources." + SOURCE + ".webhook.rateLimit", "100000"))) {
            world.lms.stubFor(put(urlPathMatching(SftpLmsWorld.LMS_PATH + "/.*")).willReturn(aResponse().withStatus(503)));
            bridge.heap(HEAP_MB).start();
            // as a load balancer would: the HTTP server listens a moment before the webhook route is on it (answered 503 then)
            org.awaitility.Awaitility.await().atMost(java.time.Duration.ofSeconds(60)).until(() -> "UP".equals(bridge.healthStatus()));

            int requests = (int) (1.1 * HEAP_MB * 1024 * 1024 / BODY_BYTES);
            AtomicInteger accepted = new AtomicInteger();
            AtomicLong acceptedBytes = new AtomicLong();
            List<String> refusals = java.util.Collections.synchronizedList(new ArrayList<>());
            String padding = "x".repeat(BODY_BYTES - 200);
            ExecutorService senders = Executors.newFixedThreadPool(16);
            try {
                List<Future<?>> sent = new ArrayList<>();
                for (int i = 0; i < requests; i++) {
                    String id = "flood-" + i;
                    String worker = "B" + i;
                    sent.add(senders.submit(() -> {
                        byte[] body = event(worker, "Engineer", Instant.now())
                                .replace("\"type\":", "\"note\":\"" + padding + "\",\"type\":").getBytes(StandardCharsets.UTF_8);
                        var answer = world.post(bridge.port(), SOURCE, body, signed(NEW_SECRET, id, Instant.now(), body));
                        if (answer.statusCode() == 202) {
                            accepted.incrementAndGet();
                            acceptedBytes.addAndGet(body.length);
                        } else if (refusals.size() < 5) {
                            refusals.add(answer.statusCode() + " " + answer.body());
                        }
                        return null;
                    }));
                }
                for (Future<?> f : sent) {
                    f.get();
                }
            } finally {
                senders.shutdownNow();
            }

            long acceptedMb = acceptedBytes.get() / (1024 * 1024);
            Scorecard.measure("webhooks flooded", requests);
            Scorecard.measure("webhook bodies accepted by a bridge with a 64 MB heap (MB)", acceptedMb);
            assertThat(refusals).as("every request accepted (first refusals; bridge log %s)", bridge.log()).isEmpty();
            assertThat(acceptedMb).as("more bodies accepted than the bridge's heap").isGreaterThan(HEAP_MB);
            assertThat(bridge.healthStatus()).as("the bridge is alive and healthy after the flood; its log: %s",
                    Files.exists(bridge.log()) ? bridge.log() : "none").isEqualTo("UP");
            assertThat(EventWorld.storedEvents(bridge.storeUrl())).as("accepted = stored").isEqualTo(accepted.get());
        }
    }
}
