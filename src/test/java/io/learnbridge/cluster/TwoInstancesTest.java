package io.learnbridge.cluster;

import static io.learnbridge.testing.EventWorld.NEW_SECRET;
import static io.learnbridge.testing.EventWorld.OLD_SECRET;
import static io.learnbridge.testing.EventWorld.SOURCE;
import static io.learnbridge.testing.EventWorld.event;
import static io.learnbridge.testing.EventWorld.signed;
import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

import io.learnbridge.testing.BridgeProcess;
import io.learnbridge.testing.EventWorld;
import java.net.http.HttpResponse;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
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
 * Several instances, one store: two bridges in child JVMs on one PostgreSQL database, the same webhook source and
 * LMS target, webhooks sent to both in turn (as a load balancer would) while they are restarted one after the other
 * (SIGTERM, start, ready: a rolling restart). Every event is stored once, whichever instance took it; the events and
 * their deliveries are claimed by both instances without overlap, and a stopping instance finishes or hands back
 * what it holds, so every worker reaches the LMS exactly once. (ClusterScenarioTest does the same with kills, Kafka and a drop, and checks that each
 * instance names itself in its log lines and on its metrics.)
 */
class TwoInstancesTest {

    private static final int EVENTS = 1000;

    @TempDir
    Path home;
    private SharedStore store;
    private EventWorld world;

    @BeforeEach
    void start() throws Exception {
        store = new SharedStore();
        world = new EventWorld(home);
    }

    @AfterEach
    void stop() throws Exception {
        if (world != null) {
            world.close();
        }
        if (store != null) {
            store.close();
        }
    }

    private static void awaitReady(BridgeProcess bridge) {
        await().atMost(Duration.ofSeconds(60)).pollInterval(Duration.ofMillis(200)).until(() -> SharedStore.ready(bridge.managementPort()));
    }

    private Map<String, String> settings(String instance) {
        Map<String, String> settings = store.settings(instance);
        settings.put("learnbridge.targets.lms.url", world.lms.baseUrl() + "/lms/users");
        settings.put("learnbridge.sources." + SOURCE + ".targets", "lms");
        settings.put("learnbridge.sources." + SOURCE + ".webhook.verifier", "standard-webhooks");
        settings.put("learnbridge.sources." + SOURCE + ".webhook.secrets", OLD_SECRET + "," + NEW_SECRET);
        return settings;
    }

    @Test
    void webhooksSentToTwoInstancesThroughARollingRestartAreStoredOnceAndEachWorkerIsDeliveredOnce() throws Exception {
        try (BridgeProcess a = new BridgeProcess(home.resolve("a"), settings("bridge-a"));
             BridgeProcess b = new BridgeProcess(home.resolve("b"), settings("bridge-b"))) {
            a.start();
            b.start();
            // webhooks go to an instance once it is ready (a load balancer's readiness probe); before, it answers 503
            for (BridgeProcess bridge : List.of(a, b)) {
                awaitReady(bridge);
            }
            Instant at = Instant.parse("2026-11-03T08:00:00Z");
            LoadBalancer balancer = new LoadBalancer(world);
            java.util.concurrent.atomic.AtomicInteger accepted = new java.util.concurrent.atomic.AtomicInteger();
            ExecutorService senders = Executors.newFixedThreadPool(4);
            List<Future<?>> sending = new ArrayList<>();
            List<Integer> exits = new ArrayList<>();
            try {
                for (int t = 0; t < 4; t++) {
                    int thread = t;
                    sending.add(senders.submit(() -> {
                        for (int i = thread; i < EVENTS; i += 4) {
                            balancer.send("W" + i, i % 2 == 0 ? a : b, i % 2 == 0 ? b : a, at);
                            accepted.incrementAndGet();
                            java.util.concurrent.TimeUnit.MILLISECONDS.sleep(10);
                        }
                        return null;
                    }));
                }
                // a rolling restart while webhooks arrive: one instance at a time is stopped (SIGTERM), started and ready again
                for (BridgeProcess bridge : List.of(a, b)) {
                    int before = accepted.get();
                    await().atMost(Duration.ofSeconds(60)).until(() -> accepted.get() >= before + 100);
                    exits.add(bridge.stop(Duration.ofSeconds(30)));
                    bridge.start();
                    awaitReady(bridge);
                }
                for (Future<?> sent : sending) {
                    sent.get(120, java.util.concurrent.TimeUnit.SECONDS);
                }
            } finally {
                senders.shutdownNow();
            }
            assertThat(exits).as("each instance stopped cleanly on SIGTERM").containsExactly(0, 0);
            assertThat(accepted.get()).as("every webhook accepted by one instance or the other").isEqualTo(EVENTS);

            await().atMost(Duration.ofSeconds(120)).pollInterval(Duration.ofMillis(200))
                    .until(() -> world.journal().countByWorker(200).size() == EVENTS);
            // nothing more arrives: a second without a request to the LMS
            int requests = world.journal().puts().size();
            await().during(Duration.ofSeconds(1)).atMost(Duration.ofSeconds(5)).until(() -> world.journal().puts().size() == requests);

            Map<String, Long> delivered = world.journal().countByWorker(200);
            assertThat(delivered).as("every worker reached the LMS").hasSize(EVENTS);
            assertThat(delivered.values()).as("no worker sent twice: the instances' claims never overlapped, and a stopping instance"
                    + " finished or handed back what it held").allMatch(n -> n == 1);
            assertThat(world.journal().resends().conflicting()).isEmpty();
            assertThat(store.count("select count(*) from inbound_event")).as("events stored once each").isEqualTo(EVENTS);
            assertThat(store.count("select count(*) from delivery")).as("deliveries queued once each").isEqualTo(EVENTS);
            assertThat(store.count("select count(*) from delivery where status = 'DELIVERED'")).isEqualTo(EVENTS);
            Map<String, Integer> byInstance = store.deliveriesByInstance();
            System.out.printf("two instances, one store, a rolling restart: %d webhooks, deliveries settled by instance %s%n", EVENTS, byInstance);
            assertThat(byInstance.keySet()).as("deliveries claimed by these instances only").isSubsetOf("bridge-a", "bridge-b");
        }
    }
}
