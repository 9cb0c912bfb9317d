package io.learnbridge.drop;

import static org.assertj.core.api.Assertions.assertThat;
import io.learnbridge.testing.ReliabilityScenario;
import static org.awaitility.Awaitility.await;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import io.learnbridge.testing.Bridge;
import io.learnbridge.testing.HrCsv;
import io.learnbridge.testing.SftpLmsWorld;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.function.UnaryOperator;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * RELIABILITY.md scenario 14: a changed host key, an unknown host or a wrong key is refused;
 * nothing is read and the source shows DOWN in health (the alert).
 */
class SftpRefusalTest {

    @TempDir
    Path home;

    SftpLmsWorld world;

    @BeforeEach
    void start() throws Exception {
        world = new SftpLmsWorld(home);
    }

    @AfterEach
    void stop() throws Exception {
        world.close();
    }

    @Test
    @ReliabilityScenario(14)
    void aChangedHostKeyIsRefusedAndNothingIsRead() throws Exception {
        world.sftp.changeHostKey();
        assertRefused(b -> b, "HostKey has been changed");
    }

    @Test
    @ReliabilityScenario(14)
    void anUnknownHostIsRefusedAndNothingIsRead() throws Exception {
        Path otherKnownHosts = world.sftp.writeKnownHostsForUnknownHost();
        assertRefused(b -> b.property("learnbridge.sources.hris.knownHostsFile", otherKnownHosts.toString()), "reject HostKey");
    }

    @Test
    @ReliabilityScenario(14)
    void aWrongClientKeyIsRefusedAndNothingIsRead() throws Exception {
        assertRefused(b -> b.property("learnbridge.sources.hris.privateKeyFile", world.sftp.wrongPrivateKeyFile().toString()), "Auth fail");
        assertThat(world.sftp.failedAuthentications()).isPositive();
    }

    private void assertRefused(UnaryOperator<Bridge.Builder> configure, String why) throws Exception {
        Path file = world.upload("workers.csv", HrCsv.create().workers(1, 5).build());
        Bridge bridge = world.start(configure.apply(world.bridge()));

        await().atMost(Duration.ofSeconds(30)).untilAsserted(() -> {
            JsonNode health = new ObjectMapper().readTree(bridge.get(bridge.managementPort(), "/observe/health").body());
            assertThat(health.path("status").asText()).isEqualTo("DOWN");
            assertThat(health.path("checks")).filteredOn(c -> c.path("name").asText().equals("consumer:source-hris")).singleElement()
                    .satisfies(c -> {
                        assertThat(c.path("status").asText()).isEqualTo("DOWN");
                        assertThat(c.path("error-message").asText()).contains(why);
                    });
        });
        assertThat(file).exists();
        assertThat(Files.exists(world.inbox().resolve(".done"))).isFalse();
        assertThat(world.sftp.logins()).isZero();
        int drops = bridge.store().tx(c -> {
            try (var rs = c.createStatement().executeQuery("select count(*) from drop_file")) {
                rs.next();
                return rs.getInt(1);
            }
        });
        assertThat(drops).isZero();
        assertThat(world.requests()).isEmpty();
    }
}
