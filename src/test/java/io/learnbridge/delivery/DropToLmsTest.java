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
            await().atMost(Duration.ofSeconds(10)).until(() -> Files.exists(bridge.dropFolder().resolve(".done/workers.1.csv")));
            lms.verify(1, putRequestedFor(urlPathMatching("/lms/users/E000007")));
            Reconciliation.Report report = new Reconciliation(bridge.store()).forDrop(1).orElseThrow();
            await().atMost(Duration.ofSeconds(10)).until(() -> new Reconciliation(bridge.store()).forDrop(1).orElseThrow().settled());
            report = new Reconciliation(bridge.store()).forDrop(1).orElseThrow();
            assertThat(report.received()).isEqualTo(50);
            assertThat(report.targets()).singleElement().satisfies(t -> assertThat(t.delivered()).isEqualTo(50));
            assertThat(report.balanced()).isTrue();
        }
    }

    @Test
    void aWorkerTheTargetMappingRefusesIsQueuedNamingTheMappingFileAndFieldWhileTheOthersAreDelivered() throws Exception {
        Path mappings = io.learnbridge.testing.TestFiles.copyTree(Path.of("mappings").toAbsolutePath(), home.resolve("mappings"));
        Path lmsMapping = mappings.resolve("targets/lms.mapping.yaml");
        Files.writeString(lmsMapping, Files.readString(lmsMapping) + "  managerId:\n    from: managerId\n    required: true\n");
        try (Bridge bridge = Bridge.builder(home).property("learnbridge.targets.lms.url", lms.baseUrl() + "/lms/users")
                .property("learnbridge.mappings.location", mappings.toString()).start()) {
            bridge.drop("workers.csv", HrCsv.create().worker(1)
                    .row(HrCsv.id(2), "Given2", "Family2", "worker2@example.com", HrCsv.id(1), "ENG-1", "Engineer", "London", "Engineering", "A",
                            "01/15/2020")
                    .build());

            await().atMost(Duration.ofSeconds(30)).until(() -> new io.learnbridge.store.ExceptionQueue(bridge.store())
                    .list(io.learnbridge.store.ExceptionQueue.Filter.open()).size() == 1);
            assertThat(new io.learnbridge.store.ExceptionQueue(bridge.store()).list(io.learnbridge.store.ExceptionQueue.Filter.open()))
                    .singleElement().satisfies(e -> {
                        assertThat(e.stage()).isEqualTo("map");
                        assertThat(e.target()).isEqualTo("lms");
                        assertThat(e.workerId()).isEqualTo(HrCsv.id(1));
                        assertThat(e.field()).isEqualTo("managerId");
                        assertThat(e.reason()).contains("lms.mapping.yaml");
                        assertThat(e.errorClass()).isEqualTo("TargetMappingRejected");
                    });
            await().atMost(Duration.ofSeconds(10)).until(() -> lms.countRequestsMatching(putRequestedFor(urlPathMatching("/lms/users/.*")).build())
                    .getCount() == 1);
            lms.verify(1, putRequestedFor(urlPathMatching("/lms/users/" + HrCsv.id(2))));
        }
    }
}
