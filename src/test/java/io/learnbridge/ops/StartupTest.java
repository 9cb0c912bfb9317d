package io.learnbridge.ops;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;
import static org.awaitility.Awaitility.await;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
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
                .hasMessage("setting learnbridge.delivery.retryBudget: must be an ISO-8601 duration such as PT10M, found 'ten minutes'");
    }

    @Test
    void healthIsDownWhileTheStoreIsUnreachableAndUpAgainAfter() throws Exception {
        Server h2 = Server.createTcpServer("-tcpPort", "0", "-ifNotExists", "-baseDir", home.resolve("h2").toString()).start();
        int port = h2.getPort();
        try (Bridge bridge = Bridge.builder(home).property("learnbridge.store.url", "jdbc:h2:tcp://127.0.0.1:" + port + "/learnbridge").start()) {
            await().atMost(Duration.ofSeconds(20)).until(() -> storeStatus(bridge).equals("UP"));
            h2.stop();
            await().atMost(Duration.ofSeconds(30)).until(() -> storeStatus(bridge), "DOWN"::equals);
            h2 = Server.createTcpServer("-tcpPort", String.valueOf(port), "-ifNotExists", "-baseDir", home.resolve("h2").toString()).start();
            await().atMost(Duration.ofSeconds(30)).until(() -> storeStatus(bridge), "UP"::equals);
        } finally {
            h2.stop();
        }
    }

    private static String storeStatus(Bridge bridge) throws Exception {
        JsonNode health = new ObjectMapper().readTree(bridge.get(bridge.managementPort(), "/observe/health").body());
        for (JsonNode check : health.path("checks")) {
            if (check.path("name").asText().equals("store")) {
                return check.path("status").asText();
            }
        }
        return "MISSING";
    }
}
