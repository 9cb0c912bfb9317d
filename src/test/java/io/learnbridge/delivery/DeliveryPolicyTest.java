package io.learnbridge.delivery;

import static com.github.tomakehurst.wiremock.client.WireMock.aResponse;
import static com.github.tomakehurst.wiremock.client.WireMock.put;
import static com.github.tomakehurst.wiremock.client.WireMock.putRequestedFor;
import static com.github.tomakehurst.wiremock.client.WireMock.urlPathMatching;
import static com.github.tomakehurst.wiremock.core.WireMockConfiguration.wireMockConfig;
import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

import com.github.tomakehurst.wiremock.WireMockServer;
import com.github.tomakehurst.wiremock.stubbing.StubMapping;
import com.github.tomakehurst.wiremock.verification.LoggedRequest;
import io.learnbridge.store.Reconciliation;
import io.learnbridge.testing.Bridge;
import io.learnbridge.testing.HrCsv;
import io.learnbridge.testing.TestFiles;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.time.Instant;
import java.util.Comparator;
import java.util.List;
import java.util.Map;
import java.util.stream.Collectors;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * The delivery policy of the target routes (Kamelets learnbridge-due-deliveries-source and learnbridge-target-send-action), per target: a circuit breaker that
 * leaves a failing target alone while another target keeps being served, long retries parked in
 * the store, and a rate limit. Two REST JSON targets (WireMock): the LMS and an HR portal.
 */
class DeliveryPolicyTest {

    private static final int WORKERS = 60;
    private static final String LMS_PATH = "/lms/users/.*";
    private static final String PORTAL_PATH = "/portal/people/.*";

    @TempDir
    Path home;

    WireMockServer lms;
    WireMockServer portal;

    @BeforeEach
    void startTargets() {
        lms = new WireMockServer(wireMockConfig().dynamicPort().bindAddress("127.0.0.1"));
        portal = new WireMockServer(wireMockConfig().dynamicPort().bindAddress("127.0.0.1"));
        lms.start();
        portal.start();
        lms.stubFor(put(urlPathMatching(LMS_PATH)).willReturn(aResponse().withStatus(200)));
        portal.stubFor(put(urlPathMatching(PORTAL_PATH)).willReturn(aResponse().withStatus(200)));
    }

    @AfterEach
    void stopTargets() {
        lms.stop();
        portal.stop();
    }

    @Test
    void aTargetThatIsDownOpensItsBreakerWhileTheOtherTargetIsServedAndCatchesUpAfterwards() throws Exception {
        StubMapping outage = lms.stubFor(put(urlPathMatching(LMS_PATH)).atPriority(1)
                .willReturn(aResponse().withStatus(503).withBody("{\"error\":\"maintenance\"}")));
        try (Bridge bridge = twoTargets()
                .property("learnbridge.delivery.batchSize", "10")
                .property("learnbridge.delivery.breaker.minimumCalls", "2")
                .property("learnbridge.delivery.breaker.window", "4")
                .property("learnbridge.delivery.breaker.openSeconds", "3s").start()) {
            bridge.drop("workers.csv", HrCsv.create().workers(1, WORKERS).build());

            // the portal gets every worker while the LMS is down
            await("portal served during the LMS outage").atMost(Duration.ofSeconds(30))
                    .until(() -> successful(portal, PORTAL_PATH).size() == WORKERS);

            // the LMS breaker opens: after two failed requests, nothing reaches the LMS for the open period
            await("LMS breaker open").atMost(Duration.ofSeconds(30))
                    .until(() -> bridge.context().getRegistry().lookupByNameAndType("learnbridgeMetrics", io.learnbridge.support.Metrics.class)
                            .deliveries("lms", "held") > 0);
            int seenWhenOpen = requests(lms, LMS_PATH).size();
            await("no request to the LMS while its breaker is open").during(Duration.ofSeconds(2)).atMost(Duration.ofSeconds(3))
                    .until(() -> requests(lms, LMS_PATH).size() == seenWhenOpen);
            assertThat(seenWhenOpen).as("the LMS is not hammered: one trial per batch before the breaker opens")
                    .isLessThanOrEqualTo(WORKERS);

            // recovery: the trial batch succeeds, the breaker closes, every parked delivery goes out once
            lms.removeStub(outage);
            await("LMS catches up").atMost(Duration.ofSeconds(30)).until(() -> successful(lms, LMS_PATH).size() == WORKERS);
            await().atMost(Duration.ofSeconds(10)).until(() -> new Reconciliation(bridge.store()).forDrop(1).orElseThrow().settled());
            Reconciliation.Report report = new Reconciliation(bridge.store()).forDrop(1).orElseThrow();
            assertThat(report.balanced()).isTrue();
            assertThat(report.targets()).allSatisfy(t -> {
                assertThat(t.delivered()).as("delivered to %s", t.target()).isEqualTo(WORKERS);
                assertThat(t.failed()).isZero();
            });
            assertThat(successful(lms, LMS_PATH).values()).allMatch(n -> n == 1);
            assertThat(successful(portal, PORTAL_PATH).values()).allMatch(n -> n == 1);
        }
    }

    @Test
    void aFewFailingRequestsInEachBatchDoNotOpenTheBreakerWhichCountsRequestsNotBatches() throws Exception {
        // 2 of every 100 workers are refused with 503 by the LMS until the end of the test: every claim holds a failure
        int workers = 300;
        List<String> failing = List.of(2, 51, 102, 151, 202, 251).stream().map(HrCsv::id).toList();
        List<StubMapping> refusals = failing.stream().map(id -> lms.stubFor(put(urlPathMatching("/lms/users/" + id)).atPriority(1)
                .willReturn(aResponse().withStatus(503)))).toList();
        try (Bridge bridge = twoTargets()
                // the defaults: a window of 100 requests, at least 20 of them, half failed
                .property("learnbridge.delivery.batchSize", "100")
                .property("learnbridge.delivery.initialBackoff", "200ms")
                .property("learnbridge.delivery.maxBackoff", "400ms").start()) {
            bridge.drop("workers.csv", HrCsv.create().workers(1, workers).build());
            io.learnbridge.support.Metrics metrics = bridge.context().getRegistry()
                    .lookupByNameAndType("learnbridgeMetrics", io.learnbridge.support.Metrics.class);

            await("every other LMS delivery").atMost(Duration.ofSeconds(60))
                    .until(() -> successful(lms, LMS_PATH).size() == workers - failing.size());
            // the refused workers are retried every few hundred ms; in a window counted in batches each retry is a failed call
            await("retries of the refused workers").atMost(Duration.ofSeconds(30)).until(() -> failing.stream()
                    .allMatch(id -> lms.findAll(putRequestedFor(urlPathMatching("/lms/users/" + id))).size() >= 4));
            assertThat(metrics.deliveries("lms", "held")).as("claims held back by an open LMS breaker").isZero();

            refusals.forEach(lms::removeStub);
            await("the refused workers delivered once they are accepted").atMost(Duration.ofSeconds(30))
                    .until(() -> successful(lms, LMS_PATH).size() == workers);
            assertThat(successful(lms, LMS_PATH).values()).allMatch(n -> n == 1);
            assertThat(metrics.deliveries("lms", "held")).isZero();
        }
    }

    @Test
    void aTargetsRateLimitPacesItsRequestsButNotAnotherTargets() throws Exception {
        int perSecond = 10;
        try (Bridge bridge = twoTargets()
                .property("learnbridge.targets.lms.rateLimit", String.valueOf(perSecond)).start()) {
            bridge.drop("workers.csv", HrCsv.create().workers(1, WORKERS).build());

            await().atMost(Duration.ofSeconds(60)).until(() -> successful(lms, LMS_PATH).size() == WORKERS
                    && successful(portal, PORTAL_PATH).size() == WORKERS);
            List<Instant> atLms = times(lms, LMS_PATH);
            // 60 requests at 10 per second take at least 5 periods after the first; unlimited they take well under one
            assertThat(Duration.between(atLms.get(0), atLms.get(atLms.size() - 1)))
                    .as("span of %d rate-limited LMS requests", atLms.size())
                    .isGreaterThanOrEqualTo(Duration.ofMillis((WORKERS / perSecond - 1) * 1000L - 500));
            // no sliding second holds more than two periods' worth (a window can straddle two periods)
            for (int i = 0; i + 2 * perSecond < atLms.size(); i++) {
                assertThat(Duration.between(atLms.get(i), atLms.get(i + 2 * perSecond)))
                        .as("time for %d requests from request %d", 2 * perSecond + 1, i).isGreaterThan(Duration.ofMillis(900));
            }
            List<Instant> atPortal = times(portal, PORTAL_PATH);
            assertThat(Duration.between(atPortal.get(0), atPortal.get(atPortal.size() - 1)))
                    .as("the portal has no limit and is not paced by the LMS's").isLessThan(Duration.ofMillis((WORKERS / perSecond - 1) * 1000L - 500));
        }
    }

    /** The LMS (repository route) and a second REST JSON target "portal" with its own route instance and mapping. */
    private Bridge.Builder twoTargets() throws Exception {
        Path mappings = TestFiles.copyTree(Path.of("mappings").toAbsolutePath(), home.resolve("mappings"));
        Files.copy(mappings.resolve("targets/lms.mapping.yaml"), mappings.resolve("targets/portal.mapping.yaml"));
        Files.copy(mappings.resolve("targets/lms.mapping.test.yaml"), mappings.resolve("targets/portal.mapping.test.yaml"));
        Path route = home.resolve("routes/target-portal.camel.yaml");
        Files.createDirectories(route.getParent());
        Files.writeString(route, """
                - route:
                    id: target-portal
                    routeConfigurationId: event-errors
                    from:
                      uri: kamelet:learnbridge-due-deliveries-source/deliver-portal
                      parameters: {target: portal, adapter: httpJsonDeliveries}
                      steps:
                        - to:
                            uri: kamelet:learnbridge-target-send-action/send-portal
                            parameters: {target: portal, adapter: httpJsonDeliveries}
                """);
        return Bridge.builder(home)
                .routes("classpath:routes/*.camel.yaml,file:" + route)
                .property("learnbridge.mappings.location", mappings.toString())
                .property("learnbridge.sources.hris.targets", "lms,portal")
                .property("learnbridge.targets.lms.url", lms.baseUrl() + "/lms/users")
                .property("learnbridge.targets.portal.url", portal.baseUrl() + "/portal/people");
    }

    private static List<LoggedRequest> requests(WireMockServer server, String path) {
        return server.findAll(putRequestedFor(urlPathMatching(path)));
    }

    private static List<Instant> times(WireMockServer server, String path) {
        return requests(server, path).stream().map(r -> r.getLoggedDate().toInstant()).sorted(Comparator.naturalOrder()).toList();
    }

    /** Successful upserts per worker id. */
    private static Map<String, Long> successful(WireMockServer server, String path) {
        return server.getAllServeEvents().stream()
                .filter(e -> e.getRequest().getUrl().matches(path.replace(".*", "[^?]*")))
                .filter(e -> e.getResponse().getStatus() == 200)
                .collect(Collectors.groupingBy(e -> e.getRequest().getUrl().substring(e.getRequest().getUrl().lastIndexOf('/') + 1),
                        Collectors.counting()));
    }
}
