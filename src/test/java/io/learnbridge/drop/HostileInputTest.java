package io.learnbridge.drop;

import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

import ch.qos.logback.classic.LoggerContext;
import ch.qos.logback.classic.spi.ILoggingEvent;
import ch.qos.logback.classic.spi.ThrowableProxyUtil;
import ch.qos.logback.core.read.ListAppender;
import io.learnbridge.testing.Bridge;
import io.learnbridge.testing.EventWorld;
import io.learnbridge.testing.HrCsv;
import io.learnbridge.testing.LmsJournal;
import io.learnbridge.testing.ReliabilityScenario;
import io.learnbridge.testing.Scorecard;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.List;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import java.util.stream.Stream;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.slf4j.LoggerFactory;

/**
 * RELIABILITY.md scenarios 20 and 24: privileged or unlisted fields in the input (a role, a
 * password, a national id) never reach a target; the shipped routes, mappings and settings hold
 * no literal secret; and canary personal data fed through a drop and a webhook, good rows and bad,
 * never appears in the log or in the metrics.
 */
class HostileInputTest {

    /** Fake personal data no code or fixture holds: any sighting of it outside the store and the target is a leak. */
    private static final List<String> CANARIES = List.of("canary.ada.7Q2@pii-canary.test", "Zyxwvutsrq", "Qponmlkjih", "CANARY-NI-4815162342",
            "canary.bad.9K3@pii-canary", "s3cr3t-CANARY-pw");

    @TempDir
    Path home;

    private EventWorld world;
    private ListAppender<ILoggingEvent> log;

    @BeforeEach
    void start() {
        world = new EventWorld(home);
        log = new ListAppender<>();
        log.setContext((LoggerContext) LoggerFactory.getILoggerFactory());
        log.start();
        ((LoggerContext) LoggerFactory.getILoggerFactory()).getLogger(org.slf4j.Logger.ROOT_LOGGER_NAME).addAppender(log);
    }

    @AfterEach
    void stop() {
        ((LoggerContext) LoggerFactory.getILoggerFactory()).getLogger(org.slf4j.Logger.ROOT_LOGGER_NAME).detachAppender(log);
        world.close();
    }

    @Test
    @ReliabilityScenario({20, 24})
    void privilegedFieldsNeverReachATargetAndCanaryPersonalDataNeverReachesTheLogOrTheMetrics() throws Exception {
        try (Bridge bridge = world.bridge().property("learnbridge.sources.hris.targets", "lms").start()) {
            String header = HrCsv.HEADER + ",Role,Password,National ID";
            String drop = header + "\n"
                    + HrCsv.id(1) + ",Zyxwvutsrq,Qponmlkjih,canary.ada.7Q2@pii-canary.test,,ENG-1,Engineer,London,Engineering,A,01/15/2020,admin,"
                    + "s3cr3t-CANARY-pw,CANARY-NI-4815162342\n"
                    // rejected rows: a bad email, an unknown status, a control character; their values must not be logged either
                    + HrCsv.id(2) + ",Zyxwvutsrq,Qponmlkjih,canary.bad.9K3@pii-canary,,ENG-1,Engineer,London,Engineering,A,01/15/2020,admin,"
                    + "s3cr3t-CANARY-pw,CANARY-NI-4815162342\n"
                    + HrCsv.id(3) + ",Zyxwvutsrq,Qponmlkjih,canary.ada.7Q2@pii-canary.test,,ENG-1,Engineer,London,Engineering,RETIRED-Zyxwvutsrq,"
                    + "01/15/2020,root,s3cr3t-CANARY-pw,CANARY-NI-4815162342\n"
                    + HrCsv.id(4) + ",Zyx\u0000wvutsrq,Qponmlkjih,canary.ada.7Q2@pii-canary.test,,ENG-1,Engineer,London,Engineering,A,01/15/2020,"
                    + "admin,s3cr3t-CANARY-pw,CANARY-NI-4815162342\n";
            bridge.drop("canary.csv", drop);
            String event = "{\"type\":\"worker.changed\",\"effectiveAt\":\"" + Instant.now() + "\",\"worker\":{\"id\":\"E9001\","
                    + "\"email\":\"canary.ada.7Q2@pii-canary.test\",\"firstName\":\"Zyxwvutsrq\",\"lastName\":\"Qponmlkjih\",\"jobTitle\":\"Clerk\","
                    + "\"department\":\"Engineering\",\"status\":\"A\",\"role\":\"admin\",\"password\":\"s3cr3t-CANARY-pw\","
                    + "\"nationalId\":\"CANARY-NI-4815162342\"},\"role\":\"admin\",\"password\":\"s3cr3t-CANARY-pw\"}";
            assertThat(world.postSigned(bridge, "canary-1", event).statusCode()).isEqualTo(202);
            String badEvent = event.replace("\"status\":\"A\"", "\"status\":\"RETIRED-Zyxwvutsrq\"").replace("E9001", "E9002");
            assertThat(world.postSigned(bridge, "canary-2", badEvent).statusCode()).isEqualTo(202);

            LmsJournal journal = world.journal();
            await().atMost(Duration.ofSeconds(30)).until(() -> journal.countByWorker(200).keySet().containsAll(List.of(HrCsv.id(1), "E9001")));
            await().atMost(Duration.ofSeconds(30)).until(() -> new io.learnbridge.store.ExceptionQueue(bridge.store())
                    .list(io.learnbridge.store.ExceptionQueue.Filter.open()).size() >= 4);
            String metrics = bridge.get(bridge.managementPort(), "/observe/metrics").body();

            // scenario 20: what reached the target
            List<String> sent = journal.puts().stream().map(LmsJournal.Put::body).toList();
            assertThat(sent).isNotEmpty().allSatisfy(body -> assertThat(body)
                    .doesNotContain("s3cr3t-CANARY-pw", "CANARY-NI-4815162342", "admin", "root")
                    .doesNotContainIgnoringCase("password").doesNotContainIgnoringCase("national").doesNotContainIgnoringCase("role"));
            Scorecard.measure("records in", 6);
            Scorecard.measure("delivered", journal.countByWorker(200).size());
            Scorecard.measure("queued", new io.learnbridge.store.ExceptionQueue(bridge.store()).list(io.learnbridge.store.ExceptionQueue.Filter.open()).size());
            Scorecard.measure("bad inputs tried", 4);

            // scenario 24: what reached the log and the metrics
            List<String> lines = new ArrayList<>();
            for (ILoggingEvent e : List.copyOf(log.list)) {
                lines.add(e.getFormattedMessage() + (e.getThrowableProxy() == null ? "" : ThrowableProxyUtil.asString(e.getThrowableProxy())));
            }
            assertThat(lines).as("the bridge logged while it worked").hasSizeGreaterThan(10);
            long leaked = 0;
            for (String canary : CANARIES) {
                long inLog = lines.stream().filter(l -> l.contains(canary)).count();
                leaked += inLog + (metrics.contains(canary) ? 1 : 0);
                assertThat(lines).as("log lines holding " + canary).noneMatch(l -> l.contains(canary));
                assertThat(metrics).as("metrics").doesNotContain(canary);
            }
            Scorecard.measure("PII canaries leaked", leaked);
        }
    }

    /** A literal secret in a shipped file: a key or parameter named like a secret whose value is not empty and not a placeholder. */
    private static final Pattern SECRET_SETTING = Pattern.compile(
            "(?im)^\\s*-?\\s*\\{?\\s*(?:name:\\s*)?[\"']?([A-Za-z0-9_.\\-]*(?:token|secret|password|passphrase|apikey|api-key|privatekey)[A-Za-z0-9_.\\-]*)[\"']?"
                    + "\\s*(?:[:=]|,\\s*value:)\\s*(.*)$");

    @Test
    @ReliabilityScenario(24)
    void noShippedRouteMappingOrSettingHoldsALiteralSecret() throws IOException {
        List<Path> shipped = new ArrayList<>();
        for (String root : List.of("routes", "mappings", "deploy", "src/main/resources")) {
            try (Stream<Path> files = Files.walk(Path.of(root))) {
                files.filter(Files::isRegularFile).filter(f -> f.toString().matches(".*\\.(ya?ml|properties|json|service|env)$")).forEach(shipped::add);
            }
        }
        assertThat(shipped).hasSizeGreaterThan(20);
        List<String> findings = new ArrayList<>();
        for (Path file : shipped) {
            List<String> lines = Files.readAllLines(file);
            for (int i = 0; i < lines.size(); i++) {
                String line = lines.get(i);
                Matcher m = SECRET_SETTING.matcher(line);
                if (m.find() && !line.strip().startsWith("#")) {
                    String value = m.group(2).strip().replaceAll("^[\"']|[\"'},\\s]+$", "");
                    boolean allowed = value.isEmpty() || value.contains("{{") || value.startsWith("$") || value.startsWith("#")
                            || value.matches("(?i)true|false|none|null|~|\\d+|[A-Za-z]+File|.*\\.(pem|key|json|properties)|publickey|/.*")
                            || value.startsWith("description") || line.contains("description:")
                            // a Kubernetes volume naming the Secret object it mounts (deploy/kubernetes), not a secret value
                            || m.group(1).equals("secretName") && file.toString().contains("kubernetes");
                    if (!allowed) {
                        findings.add(file + ":" + (i + 1) + ": " + m.group(1) + " has a literal value");
                    }
                }
                if (line.matches(".*(whsec_[A-Za-z0-9+/=]{8,}|-----BEGIN [A-Z ]*PRIVATE KEY-----|Bearer [A-Za-z0-9._-]{12,}).*")) {
                    findings.add(file + ":" + (i + 1) + ": looks like a secret value");
                }
            }
        }
        Scorecard.measure("shipped files linted for secrets", shipped.size());
        Scorecard.measure("literal secrets found", findings.size());
        assertThat(findings).as("literal secrets in shipped files").isEmpty();
    }
}
