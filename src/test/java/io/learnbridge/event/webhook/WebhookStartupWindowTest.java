package io.learnbridge.event.webhook;

import static io.learnbridge.testing.EventWorld.NEW_SECRET;
import static io.learnbridge.testing.EventWorld.OLD_SECRET;
import static io.learnbridge.testing.EventWorld.SOURCE;
import static io.learnbridge.testing.EventWorld.event;
import static io.learnbridge.testing.EventWorld.signed;
import static org.assertj.core.api.Assertions.assertThat;

import io.learnbridge.testing.BridgeProcess;
import io.learnbridge.testing.EventWorld;
import io.learnbridge.testing.SftpLmsWorld;
import java.net.ConnectException;
import java.net.http.HttpResponse;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.time.Duration;
import java.time.Instant;
import java.util.List;
import java.util.Map;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicBoolean;
import java.util.concurrent.atomic.AtomicInteger;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * A webhook sent while the bridge starts is never answered 404: the HTTP port listens a moment
 * before the webhook route is on it, and Vert.x's own 404 there makes an HR system give up on the
 * event. Senders post from before the port opens until the bridge is healthy; like an HR system
 * they send an event again after a 503 (or a refused connection) and never after a 404. Every
 * answer must be 202 or 503 with Retry-After, and every event ends up stored once.
 */
class WebhookStartupWindowTest {

    @TempDir(cleanup = org.junit.jupiter.api.io.CleanupMode.ON_SUCCESS)
    Path home;

    @Test
    void aWebhookSentWhileTheBridgeStartsIsAnswered503AndNever404() throws Exception {
        try (EventWorld world = new EventWorld(home);
             BridgeProcess bridge = new BridgeProcess(home.resolve("bridge"), Map.of(
                     "learnbridge.targets.lms.url", world.lms.baseUrl() + SftpLmsWorld.LMS_PATH,
                     "learnbridge.sources." + SOURCE + ".targets", "lms",
                     "learnbridge.sources." + SOURCE + ".webhook.verifier", "standard-webhooks",
                     "learnbridge.sources." + SOURCE + ".webhook.secrets", OLD_SECRET + "," + NEW_SECRET,
                     "learnbridge.sources." + SOURCE + ".webhook.rateLimit", "100000"))) {
            AtomicBoolean healthy = new AtomicBoolean();
            Map<Integer, AtomicInteger> answers = new ConcurrentHashMap<>();
            List<String> wrong = new CopyOnWriteArrayList<>();
            AtomicInteger refusedConnections = new AtomicInteger();
            AtomicInteger sent = new AtomicInteger();
            ExecutorService senders = Executors.newFixedThreadPool(4);
            try {
                List<Future<?>> running = new java.util.ArrayList<>();
                for (int s = 0; s < 4; s++) {
                    int sender = s;
                    running.add(senders.submit(() -> {
                        // until a second after the bridge is healthy: each event sent until it is accepted
                        long stopAt = Long.MAX_VALUE;
                        for (int i = 0; System.nanoTime() < stopAt; i++) {
                            if (healthy.get() && stopAt == Long.MAX_VALUE) {
                                stopAt = System.nanoTime() + TimeUnit.SECONDS.toNanos(1);
                            }
                            String id = "startup-" + sender + "-" + i;
                            byte[] body = event("S" + sender + "-" + i, "Engineer", Instant.now()).getBytes(StandardCharsets.UTF_8);
                            sent.incrementAndGet();
                            while (true) {
                                HttpResponse<String> answer;
                                try {
                                    answer = world.post(bridge.port(), SOURCE, body, signed(NEW_SECRET, id, Instant.now(), body));
                                } catch (ConnectException e) {
                                    refusedConnections.incrementAndGet();
                                    TimeUnit.MILLISECONDS.sleep(5);
                                    continue;
                                }
                                answers.computeIfAbsent(answer.statusCode(), k -> new AtomicInteger()).incrementAndGet();
                                if (answer.statusCode() == 202) {
                                    break;
                                }
                                if (answer.statusCode() != 503 || answer.headers().firstValue("Retry-After").isEmpty()) {
                                    wrong.add(answer.statusCode() + " " + answer.headers().map() + " " + answer.body());
                                    break; // an HR system gives up on anything else
                                }
                                TimeUnit.MILLISECONDS.sleep(5);
                            }
                        }
                        return null;
                    }));
                }
                bridge.start();
                org.awaitility.Awaitility.await().atMost(Duration.ofSeconds(60)).until(() -> "UP".equals(bridge.healthStatus()));
                healthy.set(true);
                for (Future<?> f : running) {
                    f.get(60, TimeUnit.SECONDS);
                }
            } finally {
                senders.shutdownNow();
            }

            System.out.printf("startup window: %d events, answers %s, %d refused connections%n", sent.get(), answers, refusedConnections.get());
            assertThat(wrong).as("answers other than 202 and 503 with Retry-After (bridge log %s)", bridge.log()).isEmpty();
            assertThat(answers.get(202)).as("events accepted").isNotNull();
            assertThat(EventWorld.storedEvents(bridge.storeUrl())).as("every event sent is stored once").isEqualTo(sent.get());
        }
    }
}
