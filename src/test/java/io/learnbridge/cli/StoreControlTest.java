package io.learnbridge.cli;

import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

import io.learnbridge.testing.Bridge;
import io.learnbridge.testing.HrCsv;
import java.io.ByteArrayOutputStream;
import java.io.PrintStream;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.Optional;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * #12 item 2: the embedded store without a network listener. While the bridge runs, a store command
 * is run by the bridge on its own store, reached through the control socket beside the store; once
 * the bridge is stopped, the command opens the store itself. Same output either way.
 */
class StoreControlTest {

    @TempDir
    Path home;

    @Test
    void theSocketOfAStoreUrlIsBesideAnEmbeddedFileOnly() {
        assertThat(StoreControl.socketOf("jdbc:h2:file:./data/learnbridge;WRITE_DELAY=0"))
                .hasValue(Path.of("data/learnbridge.control.sock").toAbsolutePath().normalize());
        assertThat(StoreControl.socketOf("jdbc:h2:/var/lib/learnbridge/store")).hasValue(Path.of("/var/lib/learnbridge/store.control.sock"));
        assertThat(StoreControl.socketOf("jdbc:h2:file:./data/learnbridge;AUTO_SERVER=TRUE")).isEmpty();
        assertThat(StoreControl.socketOf("jdbc:h2:tcp://127.0.0.1/learnbridge")).isEmpty();
        assertThat(StoreControl.socketOf("jdbc:h2:mem:x")).isEmpty();
        assertThat(StoreControl.socketOf("jdbc:postgresql://db:5432/learnbridge")).isEmpty();
    }

    @Test
    void aStoreCommandRunsThroughTheRunningBridgeAndOnTheStoreItselfOnceItStopped() throws Exception {
        Path settings = home.resolve("cli.properties");
        String whileRunning;
        try (Bridge bridge = Bridge.builder(home).start()) {
            String url = "jdbc:h2:file:" + home.resolve("store/learnbridge").toAbsolutePath() + ";WRITE_DELAY=0";
            Files.writeString(settings, "learnbridge.store.url = " + url + "\n");
            Optional<Path> socket = StoreControl.socketOf(url);
            assertThat(socket).isPresent();
            assertThat(socket.get()).exists();
            assertThat(java.nio.file.attribute.PosixFilePermissions.toString(Files.getPosixFilePermissions(socket.get()))).isEqualTo("rw-------");
            bridge.drop("cli.csv", HrCsv.create().workers(1, 3).build());
            await().atMost(Duration.ofSeconds(30)).until(() -> Files.exists(bridge.dropFolder().resolve(".done/cli.1.csv")));
            await().atMost(Duration.ofSeconds(30)).until(() -> run("drops", "--settings", settings.toString()).contains("settled"));
            whileRunning = run("drops", "1", "--settings", settings.toString());
            assertThat(whileRunning).contains("drop 1  hris cli.csv").contains("-> lms: delivered 3");
            assertThat(run("exceptions", "show", "99", "--settings", settings.toString())).contains("no exception 99");
        }
        assertThat(StoreControl.socketOf("jdbc:h2:file:" + home.resolve("store/learnbridge").toAbsolutePath()).get()).as("removed at stop")
                .doesNotExist();
        assertThat(run("drops", "1", "--settings", settings.toString())).as("the same output from the store itself").isEqualTo(whileRunning);
    }

    private static String run(String... args) {
        ByteArrayOutputStream buffer = new ByteArrayOutputStream();
        PrintStream original = System.out;
        System.setOut(new PrintStream(buffer, true, StandardCharsets.UTF_8));
        try {
            LearnBridgeCli.execute(args);
        } finally {
            System.setOut(original);
        }
        return buffer.toString(StandardCharsets.UTF_8);
    }
}
