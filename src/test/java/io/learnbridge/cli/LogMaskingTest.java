package io.learnbridge.cli;

import io.learnbridge.support.LogMask;
import io.learnbridge.support.Logs;
import static com.github.tomakehurst.wiremock.client.WireMock.aResponse;
import static com.github.tomakehurst.wiremock.client.WireMock.put;
import static com.github.tomakehurst.wiremock.client.WireMock.urlPathMatching;
import static com.github.tomakehurst.wiremock.core.WireMockConfiguration.wireMockConfig;
import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.github.tomakehurst.wiremock.WireMockServer;
import io.learnbridge.testing.BridgeProcess;
import io.learnbridge.testing.HrCsv;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * #13 item 2: logs go through logback, in JSON lines when {@code learnbridge.log.format=json}, and
 * neither a secret setting nor a worker's e-mail address reaches them, whoever logs it: here a log
 * step an engineer added to a route, printing a record and the LMS token.
 */
class LogMaskingTest {

    private static final String EMAIL = "canary.person@example.org";
    private static final String LMS_TOKEN = "canary/lms+token/0003=";
    private static final String API_TOKEN = "canary-api-token-0002";

    @TempDir
    Path home;

    private final WireMockServer lms = new WireMockServer(wireMockConfig().dynamicPort().bindAddress("127.0.0.1"));

    @AfterEach
    void stop() {
        lms.stop();
    }

    @Test
    void jsonLinesCarryNeitherTheSecretsNorTheWorkersEmailAddress() throws Exception {
        lms.start();
        lms.stubFor(put(urlPathMatching("/lms/users/.*")).willReturn(aResponse().withStatus(200)));
        // what an engineer adds while chasing a problem: a log step that prints a record and a setting
        Path debugRoute = Files.writeString(home.resolve("debug-log.camel.yaml"), """
                - route:
                    id: engineer-debug-log
                    from:
                      uri: "timer:debug-log?repeatCount=1&delay=200"
                      steps:
                        - setBody:
                            constant: "row for %s"
                        - log: "debugging ${body} with token {{learnbridge.targets.lms.token}}"
                """.formatted(EMAIL));
        try (BridgeProcess bridge = new BridgeProcess(home.resolve("bridge"), Map.of(
                "learnbridge.targets.lms.url", lms.baseUrl() + "/lms/users",
                "learnbridge.targets.lms.token", LMS_TOKEN,
                "learnbridge.api.token", API_TOKEN,
                "learnbridge.sources.hris.targets", "lms",
                "camel.main.routesIncludePattern", "classpath:routes/*.camel.yaml,file:" + debugRoute,
                "learnbridge.log.format", "json"))) {
            bridge.start();
            Path drops = Files.createDirectories(home.resolve("bridge/drops/hris"));
            String csv = HrCsv.create().row(HrCsv.id(1), "Canary", "Person", EMAIL, "", "ENG-1", "Engineer", "London", "Engineering", "A", "01/15/2020")
                    .build();
            Files.move(Files.writeString(drops.resolve(".workers.part"), csv, StandardCharsets.UTF_8), drops.resolve("workers.csv"));
            await().atMost(Duration.ofSeconds(60)).until(() -> lms.getAllServeEvents().stream()
                    .anyMatch(e -> e.getRequest().getBodyAsString().contains(EMAIL) && e.getRequest().getHeader("Authorization").contains(LMS_TOKEN)));
            assertThat(bridge.stop(Duration.ofSeconds(30))).isNotNull();

            String log = Files.readString(bridge.log());
            assertThat(log).doesNotContain(EMAIL).doesNotContain(LMS_TOKEN).doesNotContain(API_TOKEN)
                    .as("the token as JSON writes it").doesNotContain(LMS_TOKEN.replace("/", "\\/"));
            List<String> lines = log.lines().filter(l -> l.startsWith("{")).toList();
            ObjectMapper json = new ObjectMapper();
            JsonNode debugLine = null;
            for (String line : lines) {
                JsonNode node = json.readTree(line);
                assertThat(node.has("level") && node.has("loggerName") && node.has("formattedMessage")).as(line).isTrue();
                if (node.path("formattedMessage").asText().startsWith("debugging")) {
                    debugLine = node;
                }
            }
            assertThat(lines).as("JSON lines in %s", bridge.log()).hasSizeGreaterThan(10);
            assertThat(debugLine).as("the engineer's log line").isNotNull();
            assertThat(debugLine.path("formattedMessage").asText()).isEqualTo("debugging row for ***@example.org with token " + LogMask.MASK);
        }
    }

    @Test
    void aLogbackFileBesideTheSettingsReplacesThePackagedOne() throws Exception {
        lms.start();
        Path folder = Files.createDirectories(home.resolve("bridge"));
        Path written = folder.resolve("override.log");
        Files.writeString(folder.resolve("logback.xml"), """
                <configuration>
                  <appender name="file" class="ch.qos.logback.core.FileAppender">
                    <file>%s</file>
                    <encoder><pattern>OVERRIDE %%level %%msg%%n</pattern></encoder>
                  </appender>
                  <root level="INFO"><appender-ref ref="file"/></root>
                </configuration>
                """.formatted(written));
        try (BridgeProcess bridge = new BridgeProcess(folder, Map.of("learnbridge.targets.lms.url", lms.baseUrl() + "/lms/users",
                "learnbridge.sources.hris.targets", "lms"))) {
            bridge.start();
            assertThat(bridge.stop(Duration.ofSeconds(30))).isNotNull();
        }
        assertThat(Files.readString(written)).contains("OVERRIDE INFO Logging configured by " + folder.resolve("logback.xml"))
                .contains("OVERRIDE INFO Apache Camel");
    }

    @Test
    void theMaskTakesSecretValuesEachItemOfASecretListAndAddressesOutOfALine() {
        LogMask.clear();
        Logs.registerSecrets(Map.of("learnbridge.sources.hr.webhook.secrets", "", "learnbridge.targets.lms.password", "",
                        "learnbridge.gate.minPopulation", ""),
                key -> java.util.Optional.of(switch (key) {
                    case "learnbridge.sources.hr.webhook.secrets" -> "whsec_b2xkLXNlY3JldA==,whsec_bmV3LXNlY3JldA==";
                    case "learnbridge.targets.lms.password" -> "{{env:LMS_PASSWORD}}";
                    default -> "50";
                }),
                Map.of("LMS_PASSWORD", "p4ssw0rd-from-env", "LEARNBRIDGE_API_TOKEN", "token-from-env", "HOME", "/root"));
        String line = "sent whsec_b2xkLXNlY3JldA== and bmV3LXNlY3JldA== with p4ssw0rd-from-env and token-from-env to Jane.Doe+hr@Mail.Example.co.uk; 50 rows from /root";
        assertThat(LogMask.mask(line)).isEqualTo("sent xxxxxx and xxxxxx with xxxxxx and xxxxxx to ***@Mail.Example.co.uk; 50 rows from /root");
        LogMask.secret("a1/b2+c3==");
        assertThat(LogMask.mask("{\"formattedMessage\":\"key a1\\/b2+c3== and a1/b2+c3==\"}")).as("as the JSON encoder escapes it")
                .isEqualTo("{\"formattedMessage\":\"key xxxxxx and xxxxxx\"}");
        LogMask.clear();
    }
}
