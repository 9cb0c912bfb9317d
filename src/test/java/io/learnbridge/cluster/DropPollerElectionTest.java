package io.learnbridge.cluster;

import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

import io.learnbridge.testing.BridgeProcess;
import io.learnbridge.testing.EventWorld;
import io.learnbridge.testing.HrCsv;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * One poller per drop folder ({@code learnbridge.cluster.service = store}): two bridges in child JVMs on one
 * PostgreSQL store watch the same drop folder. Only the elected one reads a drop; both stay ready. When the leader
 * is killed with -9, the other takes over the folder and reads the next drop.
 */
class DropPollerElectionTest {

    @TempDir
    Path home;
    private SharedStore store;
    private EventWorld world;
    private Path folder;

    @BeforeEach
    void start() throws Exception {
        store = new SharedStore();
        world = new EventWorld(home);
        folder = Files.createDirectories(home.resolve("shared/drops/hris"));
    }

    @AfterEach
    void stop() throws Exception {
        if (world != null) {
            world.close();
        }
        if (store != null) {
            store.close();
        }
    }

    private Map<String, String> settings(String instance) {
        Map<String, String> settings = store.settings(instance);
        settings.put("learnbridge.cluster.service", "store");
        settings.put("learnbridge.sources.hris.directory", folder.toString());
        settings.put("learnbridge.targets.lms.url", world.lms.baseUrl() + "/lms/users");
        return settings;
    }

    private void drop(String name, int from, int to) throws Exception {
        Path partial = folder.resolve("." + name + ".part");
        Files.writeString(partial, HrCsv.create().workers(from, to).build(), StandardCharsets.UTF_8);
        Files.move(partial, folder.resolve(name));
    }

    @Test
    void onlyTheElectedInstanceReadsTheSharedFolderAndTheOtherTakesOverWhenItIsKilled() throws Exception {
        try (BridgeProcess a = new BridgeProcess(home.resolve("a"), settings("bridge-a"));
             BridgeProcess b = new BridgeProcess(home.resolve("b"), settings("bridge-b"))) {
            a.start();
            b.start();
            for (BridgeProcess bridge : List.of(a, b)) {
                await().atMost(Duration.ofSeconds(60)).pollInterval(Duration.ofMillis(200)).until(() -> SharedStore.ready(bridge.managementPort()));
            }

            drop("day1.csv", 1, 1000);
            await().atMost(Duration.ofSeconds(90)).pollInterval(Duration.ofMillis(200)).until(() -> world.journal().countByWorker(200).size() == 1000);
            List<String> claimers = claimers();
            assertThat(claimers).as("one drop, read by one instance").hasSize(1);
            String leader = claimers.get(0);
            assertThat(SharedStore.ready(a.managementPort()) && SharedStore.ready(b.managementPort())).as("the instance that does not poll stays ready").isTrue();
            BridgeProcess leading = leader.equals("bridge-a") ? a : b;
            BridgeProcess following = leading == a ? b : a;
            String elected = " is now the leader of namespace " + DropPollerElection.namespace("source-hris");
            assertThat(Files.readString(leading.log())).contains("Instance " + leader + elected);
            assertThat(Files.readString(following.log())).as("the other instance never led, nor looked at the drop")
                    .doesNotContain(elected).doesNotContain("day1.csv");

            leading.kill();
            String other = leader.equals("bridge-a") ? "bridge-b" : "bridge-a";
            drop("day2.csv", 1001, 1500);
            long killedAt = System.nanoTime();
            await().atMost(Duration.ofSeconds(90)).pollInterval(Duration.ofMillis(200)).until(() -> world.journal().countByWorker(200).size() == 1500);
            System.out.printf("drop poller election: %s read day 1; killed; %s read day 2, delivered %d ms after the drop%n", leader, other,
                    (System.nanoTime() - killedAt) / 1_000_000);
            assertThat(claimers()).as("the next drop read by the other instance").containsExactly(leader, other);
            assertThat(Files.readString((leader.equals("bridge-a") ? b : a).log())).contains("Instance " + other + " is now the leader of namespace "
                    + DropPollerElection.namespace("source-hris"));
            assertThat(world.journal().countByWorker(200).values()).as("each worker delivered once").allMatch(n -> n == 1);
        }
    }

    private List<String> claimers() throws Exception {
        return store.claimers();
    }

}
