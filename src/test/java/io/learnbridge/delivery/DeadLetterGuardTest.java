package io.learnbridge.delivery;

import static com.github.tomakehurst.wiremock.client.WireMock.aResponse;
import io.learnbridge.testing.ReliabilityScenario;
import static com.github.tomakehurst.wiremock.client.WireMock.put;
import static com.github.tomakehurst.wiremock.client.WireMock.putRequestedFor;
import static com.github.tomakehurst.wiremock.client.WireMock.urlPathMatching;
import static com.github.tomakehurst.wiremock.core.WireMockConfiguration.wireMockConfig;
import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

import com.github.tomakehurst.wiremock.WireMockServer;
import io.learnbridge.store.ExceptionEntry;
import io.learnbridge.store.ExceptionQueue;
import io.learnbridge.testing.Bridge;
import io.learnbridge.testing.HrCsv;
import java.nio.file.Path;
import java.sql.Statement;
import java.time.Duration;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * RELIABILITY.md dead-letter guard: if the exception queue itself cannot be written when a
 * delivery fails, the failure is not swallowed: the delivery goes back to the store (the delivery
 * route's fallback) and is tried again, and ends in the queue once the store takes writes again.
 */
class DeadLetterGuardTest {

    @TempDir
    Path home;

    WireMockServer lms;

    @BeforeEach
    void startLms() {
        lms = new WireMockServer(wireMockConfig().dynamicPort().bindAddress("127.0.0.1"));
        lms.start();
        lms.stubFor(put(urlPathMatching("/lms/users/.*")).willReturn(aResponse().withStatus(422).withBody("{\"error\":\"email taken\"}")));
    }

    @AfterEach
    void stopLms() {
        lms.stop();
    }

    @Test
    @ReliabilityScenario(9)
    void aFailedDeliveryIsNotLostWhenTheExceptionQueueCannotBeWritten() throws Exception {
        try (Bridge bridge = Bridge.builder(home)
                .property("learnbridge.targets.lms.url", lms.baseUrl() + "/lms/users")
                .property("learnbridge.delivery.retryBudget", "PT1S")
                .property("learnbridge.delivery.lease", "PT3S")
                .start()) {
            execute(bridge, "alter table exception_record rename to exception_record_away");
            bridge.drop("one.csv", HrCsv.create().worker(1).build());

            // the exception cannot be written: the delivery goes back to the store and is tried again, never marked failed without it
            await().atMost(Duration.ofSeconds(30)).until(() -> lms.countRequestsMatching(putRequestedFor(urlPathMatching(".*")).build()).getCount() >= 2);
            assertThat(status(bridge)).as("the failed delivery is neither lost nor marked failed without its exception").isIn("PENDING", "SENDING");

            execute(bridge, "alter table exception_record_away rename to exception_record");
            await().atMost(Duration.ofSeconds(30)).until(() -> status(bridge).equals("FAILED"));
            assertThat(new ExceptionQueue(bridge.store()).list(ExceptionQueue.Filter.open())).singleElement().satisfies(e -> {
                assertThat(e.kind()).isEqualTo(ExceptionEntry.Kind.FAILED);
                assertThat(e.workerId()).isEqualTo(HrCsv.id(1));
                assertThat(e.httpStatus()).isEqualTo(422);
                assertThat(e.responseExcerpt()).contains("email taken");
            });
            assertThat(lms.countRequestsMatching(putRequestedFor(urlPathMatching(".*")).build()).getCount()).isGreaterThanOrEqualTo(2);
        }
    }

    private static String status(Bridge bridge) {
        return bridge.store().tx(c -> {
            // the worker's delivery, or while it has none of its own, the range of its drop's page that carries it (V18)
            try (var rs = c.createStatement().executeQuery("select status from delivery union all select g.status from delivery_range g"
                    + " join drop_row r on " + io.learnbridge.store.DeliveryQueue.RANGE_ROWS)) {
                return rs.next() ? rs.getString(1) : "NONE";
            }
        });
    }

    private static void execute(Bridge bridge, String sql) {
        bridge.store().tx(c -> {
            try (Statement s = c.createStatement()) {
                s.execute(sql);
            }
            return null;
        });
    }
}
