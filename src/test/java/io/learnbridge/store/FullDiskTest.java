package io.learnbridge.store;

import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

import io.learnbridge.testing.Bridge;
import io.learnbridge.testing.EventWorld;
import io.learnbridge.testing.HrCsv;
import java.io.IOException;
import java.io.OutputStream;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.time.Instant;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Assumptions;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.condition.EnabledOnOs;
import org.junit.jupiter.api.condition.OS;
import org.junit.jupiter.api.io.TempDir;

/**
 * RELIABILITY.md's full disk (#12 item 4), on a real full filesystem: the embedded store lives on a
 * 24 MB tmpfs that the test fills. While it is full, webhooks are answered 503 and the store's
 * health is DOWN; once space is freed the bridge recovers by itself (no restart): health UP again,
 * webhooks accepted and delivered, drops read. H2 writes no trace file meanwhile.
 */
@EnabledOnOs(OS.LINUX)
class FullDiskTest {

    @TempDir
    Path home;

    private Path disk;
    private EventWorld world;

    @BeforeEach
    void mountASmallDisk() throws Exception {
        disk = Files.createDirectories(home.resolve("disk"));
        Process mount = new ProcessBuilder("mount", "-t", "tmpfs", "-o", "size=24m", "tmpfs", disk.toString()).redirectErrorStream(true).start();
        boolean mounted = mount.waitFor(10, TimeUnit.SECONDS) && mount.exitValue() == 0;
        Assumptions.assumeTrue(mounted, "mounting a 24 MB tmpfs needs root (CAP_SYS_ADMIN): " + new String(mount.getInputStream().readAllBytes()));
        world = new EventWorld(home);
    }

    @AfterEach
    void unmount() throws Exception {
        if (world != null) {
            world.close();
        }
        new ProcessBuilder("umount", "-l", disk.toString()).start().waitFor(10, TimeUnit.SECONDS);
    }

    @Test
    void aFullDiskIsSurvivedWithoutARestart() throws Exception {
        String url = "jdbc:h2:file:" + disk.resolve("store/learnbridge") + ";WRITE_DELAY=0"; // the embedded default
        try (Bridge bridge = world.bridge().property("learnbridge.store.url", url).start()) {
            assertThat(world.postSigned(bridge, "before", EventWorld.event(HrCsv.id(1), "Clerk", Instant.now())).statusCode()).isEqualTo(202);
            await().atMost(Duration.ofSeconds(20)).until(() -> bridge.healthCheckStatus("store").equals("UP"));

            Path filler = disk.resolve("filler");
            fill(filler);
            int refused = 0;
            for (int i = 0; i < 5; i++) {
                int status = world.postSigned(bridge, "full-" + i, EventWorld.event(HrCsv.id(100 + i), "Clerk", Instant.now())).statusCode();
                assertThat(status).as("a webhook while the disk is full is accepted or refused for a retry, never half-stored").isIn(202, 503);
                refused += status == 503 ? 1 : 0;
            }
            assertThat(refused).as("refused while the disk is full").isPositive();
            await().atMost(Duration.ofSeconds(30)).until(() -> bridge.healthCheckStatus("store"), "DOWN"::equals);

            Files.delete(filler);
            await().atMost(Duration.ofSeconds(60)).until(() -> bridge.healthCheckStatus("store"), "UP"::equals);
            await().atMost(Duration.ofSeconds(30)).ignoreExceptions().until(() ->
                    world.postSigned(bridge, "after", EventWorld.event(HrCsv.id(2), "Clerk", Instant.now())).statusCode() == 202);
            await().atMost(Duration.ofSeconds(30)).until(() -> world.journal().countByWorker(200).containsKey(HrCsv.id(2)));
            bridge.drop("after.csv", HrCsv.create().workers(500, 502).build());
            await().atMost(Duration.ofSeconds(30)).until(() -> world.journal().countByWorker(200).containsKey(HrCsv.id(502)));
            try (var files = Files.list(disk.resolve("store"))) {
                assertThat(files.map(f -> f.getFileName().toString())).noneMatch(n -> n.endsWith(".trace.db"));
            }
        }
    }

    private static void fill(Path filler) throws IOException {
        byte[] block = new byte[1 << 16];
        try (OutputStream out = Files.newOutputStream(filler)) {
            while (true) {
                out.write(block);
            }
        } catch (IOException full) {
            // No space left on device
        }
    }
}
