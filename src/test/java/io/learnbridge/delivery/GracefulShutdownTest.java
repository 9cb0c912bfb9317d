package io.learnbridge.delivery;

import static com.github.tomakehurst.wiremock.client.WireMock.aResponse;
import io.learnbridge.testing.ReliabilityScenario;
import io.learnbridge.testing.Scorecard;
import static com.github.tomakehurst.wiremock.client.WireMock.put;
import static com.github.tomakehurst.wiremock.client.WireMock.urlPathMatching;
import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

import io.learnbridge.store.Reconciliation;
import io.learnbridge.store.Store;
import io.learnbridge.testing.BridgeProcess;
import io.learnbridge.testing.EventWorld;
import io.learnbridge.testing.LmsJournal;
import io.learnbridge.testing.SftpLmsWorld;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.Map;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * RELIABILITY.md scenario 23 (and #12 item 5): SIGTERM while deliveries are in flight. The bridge (a child
 * JVM) drains: every delivery it sent is settled in the store before the store closes, nothing is
 * left claimed, and the restarted bridge sends the rest and nothing again (re-sends 0, duplicate
 * effects 0).
 */
class GracefulShutdownTest {

    private static final int WORKERS = 3_000;

    @TempDir
    Path home;

    private EventWorld world;

    @BeforeEach
    void world() {
        world = new EventWorld(home);
        // a slow LMS, so that batches are in flight whenever the stop comes
        world.lms.stubFor(put(urlPathMatching(SftpLmsWorld.LMS_PATH + "/.*")).atPriority(5)
                .willReturn(aResponse().withStatus(200).withBody("{\"ok\":true}").withFixedDelay(15)));
    }

    @AfterEach
    void stop() {
        world.close();
    }

    @Test
    @ReliabilityScenario(23)
    void aSigtermUnderLoadSettlesEveryDeliveryInFlightAndTheRestartSendsNothingTwice() throws Exception {
        Map<String, String> settings = Map.of(
                "learnbridge.targets.lms.url", world.lms.baseUrl() + SftpLmsWorld.LMS_PATH,
                "learnbridge.sources.hris.targets", "lms",
                "camel.main.shutdownTimeout", "30");
        try (BridgeProcess bridge = new BridgeProcess(home.resolve("bridge"), settings)) {
            bridge.start();
            bridge.dropActiveWorkers("workers.csv", WORKERS);
            await().atMost(Duration.ofSeconds(120)).pollInterval(Duration.ofMillis(20)).until(() -> world.journal().puts().size() >= 300);

            Integer exit = bridge.stop(Duration.ofSeconds(60));
            assertThat(exit).as("stopped within the shutdown timeout").isNotNull();
            int sentBefore = world.journal().puts().size();
            assertThat(sentBefore).as("stopped mid-delivery").isLessThan(WORKERS);
            String log = Files.readString(bridge.log());
            assertThat(log).as("the store outlived the routes").doesNotContainIgnoringCase("database has been closed")
                    .doesNotContainIgnoringCase("database is already closed");
            try (Store store = Store.open(bridge.storeUrl(), "sa", "", 2)) {
                assertThat(count(store, "select count(*) from delivery where status = 'SENDING'")).as("deliveries left claimed").isZero();
                assertThat(count(store, "select count(*) from delivery where status = 'DELIVERED'")).as("what was sent is recorded as delivered")
                        .isEqualTo(sentBefore);
            }

            bridge.start();
            await().atMost(Duration.ofSeconds(180)).pollInterval(Duration.ofMillis(500))
                    .until(() -> world.journal().countByWorker(200).size() == WORKERS);
            bridge.close();
            LmsJournal.Resends resends = Scorecard.measureJournal(WORKERS, world.journal());
            Scorecard.measure("faults survived: SIGTERM", 1);
            assertThat(resends.conflicting()).as("duplicate effects: workers sent two different states").isEmpty();
            assertThat(resends.identical()).as("re-sends after a graceful stop").isZero();
            try (Store store = Store.open(bridge.storeUrl(), "sa", "", 2)) {
                assertThat(count(store, "select count(*) from delivery where status <> 'DELIVERED'")).isZero();
                Reconciliation.Report report = new Reconciliation(store).forDrop(1).orElseThrow();
                assertThat(report.balanced()).isTrue();
            }
            System.out.printf("SIGTERM under load: stopped after %d of %d deliveries, 0 re-sent after restart%n", sentBefore, WORKERS);
        }
    }

    @Test
    void aRestartRightAfterAKill9WaitsForTheStaleStoreLockInsteadOfFailing() throws Exception {
        try (BridgeProcess bridge = new BridgeProcess(home.resolve("bridge"), Map.of(
                "learnbridge.targets.lms.url", world.lms.baseUrl() + SftpLmsWorld.LMS_PATH))) {
            bridge.start();
            bridge.kill();
            long restart = System.nanoTime();
            // opened the instant the process is gone: H2's lock file still names the dead process's server
            try (Store store = Store.open(bridge.storeUrl(), "sa", "", 2)) {
                assertThat(count(store, "select count(*) from drop_file")).isZero();
            }
            System.out.printf("store opened %d ms after kill -9%n", (System.nanoTime() - restart) / 1_000_000);
            bridge.start();
            assertThat(bridge.healthStatus()).isIn("UP", "DOWN");
        }
    }

    private static int count(Store store, String sql) {
        return store.tx(c -> {
            try (var rs = c.createStatement().executeQuery(sql)) {
                rs.next();
                return rs.getInt(1);
            }
        });
    }
}
