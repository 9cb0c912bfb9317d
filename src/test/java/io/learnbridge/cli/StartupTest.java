package io.learnbridge.cli;

import io.learnbridge.support.KnownSettings;
import io.learnbridge.support.Settings;
import io.learnbridge.support.SettingsException;
import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;
import static org.awaitility.Awaitility.await;

import io.learnbridge.mapping.MappingException;
import io.learnbridge.testing.Bridge;
import io.learnbridge.testing.TestFiles;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import org.h2.tools.Server;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** The bridge refuses to start when it would silently do nothing or do the wrong thing. */
class StartupTest {

    @TempDir
    Path home;

    @Test
    void refusesToStartWithZeroRoutes() throws Exception {
        Path empty = Files.createDirectories(home.resolve("no-routes"));
        assertThatThrownBy(() -> Bridge.builder(home).routes("file:" + empty + "/*.camel.yaml").start().close())
                .hasStackTraceContaining("LearnBridge refuses to start: no routes were loaded from file:" + empty + "/*.camel.yaml");
    }

    @Test
    void refusesToStartWhenAConfiguredTargetHasNoRoute() throws Exception {
        assertThatThrownBy(() -> Bridge.builder(home).property("camel.main.routesExcludePattern", "**/target-lms.camel.yaml").start().close())
                .hasStackTraceContaining("target 'lms' is configured (learnbridge.targets.lms.*) but route 'deliver-lms' is not loaded");
    }

    @Test
    void refusesToStartWithABrokenMappingNamingFileLineAndField() throws Exception {
        Path mappings = TestFiles.copyTree(Path.of("mappings"), home.resolve("mappings"));
        Path hris = mappings.resolve("sources/hris.mapping.yaml");
        Files.writeString(hris, Files.readString(hris).replace("  givenName:\n", "  givenNam:\n"));
        assertThatThrownBy(() -> Bridge.builder(home).property("learnbridge.mappings.location", mappings.toString()).start().close())
                .isInstanceOf(MappingException.class)
                .satisfies(e -> assertThat(((MappingException) e).describe())
                        .startsWith(mappings + "/sources/hris.mapping.yaml:22: givenNam: unknown canonical field"));
    }

    @Test
    void refusesToStartWithABadSettingNamingTheKey() {
        assertThatThrownBy(() -> Bridge.builder(home).property("learnbridge.delivery.retryBudget", "ten minutes").start().close())
                .isInstanceOf(SettingsException.class)
                .hasMessage("setting learnbridge.delivery.retryBudget: must be a duration such as 10s, 5m or PT10M, found 'ten minutes'");
    }

    @Test
    void refusesADepartureTimeOfFewerThanThreeHeartbeatsNamingBothSettings() {
        assertThatThrownBy(() -> Bridge.builder(home).property("learnbridge.cluster.heartbeat", "5s")
                .property("learnbridge.cluster.departedAfter", "PT10S").start().close())
                .isInstanceOf(SettingsException.class)
                .hasMessageContaining("learnbridge.cluster.departedAfter").hasMessageContaining("learnbridge.cluster.heartbeat = PT5S");
        assertThat(home.resolve("store/learnbridge.mv.db")).as("refused before the store opens").doesNotExist();
    }

    @Test
    void refusesToStartOnAnUnknownLearnBridgeKeyNamingTheNearestOne() {
        assertThatThrownBy(() -> Bridge.builder(home).property("learnbridge.sources.hris.snapshott", "full").start().close())
                .isInstanceOf(SettingsException.class)
                .hasMessage("setting learnbridge.sources.hris.snapshott is not a LearnBridge setting: did you mean learnbridge.sources.hris.snapshot?");
        assertThatThrownBy(() -> Bridge.builder(home).property("learnbridge.delivery.retryBugdet", "PT1M").start().close())
                .hasMessage("setting learnbridge.delivery.retryBugdet is not a LearnBridge setting: did you mean learnbridge.delivery.retryBudget?");
        assertThatThrownBy(() -> Bridge.builder(home).property("learnbridge.colour", "blue").start().close())
                .hasMessage("setting learnbridge.colour is not a LearnBridge setting (README, Settings, lists them)");
    }

    @Test
    void aKeyOfAnotherSourceOrTargetAndAKeyARouteNamesAreKnown() throws Exception {
        KnownSettings known = KnownSettings.of(java.util.List.of("uri: \"{{learnbridge.custom.folder}}\" x: {{learnbridge.custom.n:5}}"));
        assertThat(known.known("learnbridge.sources.hr-stream.kafka.topic")).isTrue();
        assertThat(known.known("learnbridge.targets.moodle.gate.maxDeactivations")).isTrue();
        assertThat(known.known("learnbridge.targets.lxp.oauth2.clientSecret")).isTrue();
        assertThat(known.known("learnbridge.custom.folder")).isTrue();
        assertThat(known.known("learnbridge.custom.n")).isTrue();
        assertThat(known.known("learnbridge.sources.kafka.topic")).as("a source needs a name").isFalse();
        assertThat(known.known("learnbridge.targets.lms.tokn")).isFalse();
        assertThat(known.unknownEnvironment(java.util.Map.of("LEARNBRIDGE_TARGETS_LMS_TOKEN", "x", "LEARNBRIDGE_SOURCES_HR_STREAM_KAFKA_TOPIC", "t",
                "LEARNBRIDGE_API_TOKEN", "x", "LEARNBRIDGE_API_TOKN", "x", "PATH", "/bin"))).containsExactly("LEARNBRIDGE_API_TOKN");
    }

    @Test
    void refusesToStartOnAnUnsetEnvironmentVariableBehindASecret() {
        assertThatThrownBy(() -> Bridge.builder(home).property("learnbridge.targets.lms.token", "{{env:LEARNBRIDGE_TEST_UNSET_TOKEN}}").start().close())
                .isInstanceOf(SettingsException.class)
                .hasMessage("setting learnbridge.targets.lms.token = {{env:LEARNBRIDGE_TEST_UNSET_TOKEN}}: environment variable"
                        + " LEARNBRIDGE_TEST_UNSET_TOKEN is not set (this secret would be empty); set it, or write {{env:LEARNBRIDGE_TEST_UNSET_TOKEN:<default>}}");
    }

    @Test
    void refusesToStartWhenItsHttpPortIsTakenByAnotherProcess() throws Exception {
        try (java.net.ServerSocket taken = new java.net.ServerSocket(0, 50, java.net.InetAddress.getLoopbackAddress())) {
            assertThatThrownBy(() -> Bridge.builder(home).property("camel.server.port", String.valueOf(taken.getLocalPort())).start().close())
                    .isInstanceOf(SettingsException.class)
                    .hasMessageStartingWith("setting camel.server.port: 127.0.0.1:" + taken.getLocalPort() + " cannot be listened on (")
                    .hasMessageEndingWith("another process holds it? Stop it or set camel.server.port");
        }
    }

    @Test
    void healthIsDownWhileTheStoreIsUnreachableAndUpAgainAfter() throws Exception {
        Server h2 = Server.createTcpServer("-tcpPort", "0", "-ifNotExists", "-baseDir", home.resolve("h2").toString()).start();
        int port = h2.getPort();
        try (Bridge bridge = Bridge.builder(home).property("learnbridge.store.url", "jdbc:h2:tcp://127.0.0.1:" + port + "/learnbridge").start()) {
            await().atMost(Duration.ofSeconds(20)).until(() -> bridge.healthCheckStatus("store").equals("UP"));
            await().atMost(Duration.ofSeconds(20)).until(() -> bridge.get(bridge.managementPort(), "/observe/health/ready").statusCode() == 200);
            h2.stop();
            await().atMost(Duration.ofSeconds(30)).until(() -> bridge.healthCheckStatus("store"), "DOWN"::equals);
            // what Kubernetes probes see (deploy/kubernetes): not ready, so no webhooks come in; alive, so not restarted
            assertThat(bridge.get(bridge.managementPort(), "/observe/health/ready").statusCode()).as("readiness while the store is down").isEqualTo(503);
            assertThat(bridge.get(bridge.managementPort(), "/observe/health/live").statusCode()).as("liveness while the store is down").isEqualTo(200);
            h2 = Server.createTcpServer("-tcpPort", String.valueOf(port), "-ifNotExists", "-baseDir", home.resolve("h2").toString()).start();
            await().atMost(Duration.ofSeconds(30)).until(() -> bridge.healthCheckStatus("store"), "UP"::equals);
        } finally {
            h2.stop();
        }
    }
}
