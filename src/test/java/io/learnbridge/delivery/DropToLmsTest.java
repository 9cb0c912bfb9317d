package io.learnbridge.delivery;

import static com.github.tomakehurst.wiremock.client.WireMock.aResponse;
import static com.github.tomakehurst.wiremock.client.WireMock.put;
import static com.github.tomakehurst.wiremock.client.WireMock.putRequestedFor;
import static com.github.tomakehurst.wiremock.client.WireMock.urlPathMatching;
import static com.github.tomakehurst.wiremock.core.WireMockConfiguration.wireMockConfig;
import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

import com.github.tomakehurst.wiremock.WireMockServer;
import io.learnbridge.store.Reconciliation;
import io.learnbridge.testing.Bridge;
import io.learnbridge.testing.HrCsv;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

class DropToLmsTest {

    @TempDir
    Path home;

    WireMockServer lms;

    @BeforeEach
    void startLms() {
        lms = new WireMockServer(wireMockConfig().dynamicPort().bindAddress("127.0.0.1"));
        lms.start();
        lms.stubFor(put(urlPathMatching("/lms/users/.*")).willReturn(aResponse().withStatus(200).withBody("{}")));
    }

    @AfterEach
    void stopLms() {
        lms.stop();
    }

    @Test
    void everyWorkerOfADropIsUpsertedOnceAndTheFileIsDone() throws Exception {
        try (Bridge bridge = Bridge.builder(home).property("learnbridge.targets.lms.url", lms.baseUrl() + "/lms/users").start()) {
            bridge.drop("workers.csv", HrCsv.create().workers(1, 50).build());

            await().atMost(Duration.ofSeconds(30)).until(() -> lms.countRequestsMatching(putRequestedFor(urlPathMatching("/lms/users/.*")).build()).getCount() == 50);
            await().atMost(Duration.ofSeconds(10)).until(() -> Files.exists(bridge.dropFolder().resolve(".done/workers.csv")));
            lms.verify(1, putRequestedFor(urlPathMatching("/lms/users/E000007")));
            Reconciliation.Report report = new Reconciliation(bridge.store()).forDrop(1).orElseThrow();
            await().atMost(Duration.ofSeconds(10)).until(() -> new Reconciliation(bridge.store()).forDrop(1).orElseThrow().settled());
            report = new Reconciliation(bridge.store()).forDrop(1).orElseThrow();
            assertThat(report.received()).isEqualTo(50);
            assertThat(report.targets()).singleElement().satisfies(t -> assertThat(t.delivered()).isEqualTo(50));
            assertThat(report.balanced()).isTrue();
        }
    }
}
