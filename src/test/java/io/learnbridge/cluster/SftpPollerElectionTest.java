package io.learnbridge.cluster;

import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

import io.learnbridge.testing.BridgeProcess;
import io.learnbridge.testing.EventWorld;
import io.learnbridge.testing.HrCsv;
import io.learnbridge.testing.LmsJournal;
import io.learnbridge.testing.ReliabilityScenario;
import io.learnbridge.testing.Scorecard;
import io.learnbridge.testing.SftpLmsWorld;
import io.learnbridge.testing.SftpServer;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.List;
import java.util.Map;
import java.util.stream.Stream;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * One poller per drop folder for an SFTP source ({@code learnbridge.cluster.service = store}, RELIABILITY.md scenario 16):
 * two bridges in child JVMs on one PostgreSQL store read the same folder on one SFTP server (Apache MINA SSHD, started
 * here) through the production route {@code deploy/routes/source-hris.camel.yaml} (Kamelet
 * {@code learnbridge-drop-sftp-source}). Only the elected one downloads a drop and moves it on the server; the other
 * never leads and never looks at it. When the leader is killed with -9, the other takes over the SFTP folder.
 */
class SftpPollerElectionTest {

    private static final String NAMESPACE = DropPollerElection.namespace("source-hris");

    @TempDir
    Path home;
    private SharedStore store;
    private EventWorld world;
    private SftpServer sftp;
    private Path inbox;
    private Path routes;

    @BeforeEach
    void start() throws Exception {
        store = new SharedStore();
        world = new EventWorld(home);
        sftp = SftpServer.start(home.resolve("sftp"));
        inbox = sftp.dir("inbox");
        // the production SFTP route, under a name the exclusion of the local-folder source-hris.camel.yaml leaves alone
        routes = Files.createDirectories(home.resolve("routes"));
        Files.copy(Path.of("deploy/routes/source-hris.camel.yaml"), routes.resolve("source-hris-sftp.camel.yaml"));
    }

    @AfterEach
    void stop() throws Exception {
        try {
            if (world != null) {
                world.close();
            }
            if (sftp != null) {
                sftp.close();
            }
        } finally {
            if (store != null) {
                store.close();
            }
        }
    }

    private Map<String, String> settings(String instance) {
        Map<String, String> settings = store.settings(instance);
        settings.put("learnbridge.cluster.service", "store");
        settings.put("camel.main.routesIncludePattern", "classpath:routes/*.camel.yaml,file:" + routes.resolve("source-hris-sftp.camel.yaml"));
        settings.put("camel.main.routesExcludePattern", "**/source-hris.camel.yaml");
        settings.put("learnbridge.sources.hris.host", sftp.host());
        settings.put("learnbridge.sources.hris.port", String.valueOf(sftp.port()));
        settings.put("learnbridge.sources.hris.username", sftp.user());
        settings.put("learnbridge.sources.hris.directory", "inbox");
        settings.put("learnbridge.sources.hris.privateKeyFile", sftp.privateKeyFile().toString());
        settings.put("learnbridge.sources.hris.knownHostsFile", sftp.knownHostsFile().toString());
        settings.put("learnbridge.sources.hris.localWorkDirectory", home.resolve(instance + "-work").toString());
        settings.put("learnbridge.targets.lms.url", world.lms.baseUrl() + SftpLmsWorld.LMS_PATH);
        return settings;
    }

    /** Uploads a drop as a careful uploader does (and as the other SFTP tests do): written under a hidden name, then renamed. */
    private void upload(String name, int from, int to) throws Exception {
        Path partial = inbox.resolve("." + name + ".part");
        Files.writeString(partial, HrCsv.create().workers(from, to).build(), StandardCharsets.UTF_8);
        Files.move(partial, inbox.resolve(name));
    }

    private static void awaitReady(BridgeProcess... bridges) {
        for (BridgeProcess bridge : bridges) {
            await().atMost(Duration.ofSeconds(60)).pollInterval(Duration.ofMillis(200)).until(() -> SharedStore.ready(bridge.managementPort()));
        }
    }

    private static String elected(String instance) {
        return "Instance " + instance + " is now the leader of namespace " + NAMESPACE;
    }

    @Test
    @ReliabilityScenario(16)
    void onlyTheElectedInstanceReadsTheSftpFolderAndTheOtherTakesOverWhenItIsKilled() throws Exception {
        try (BridgeProcess a = new BridgeProcess(home.resolve("a"), settings("bridge-a"));
             BridgeProcess b = new BridgeProcess(home.resolve("b"), settings("bridge-b"))) {
            a.start();
            b.start();
            awaitReady(a, b);

            // 1. one drop: downloaded, staged and moved on the server by the elected instance only
            upload("day1.csv", 1, 1000);
            await().atMost(Duration.ofSeconds(90)).pollInterval(Duration.ofMillis(200)).until(() -> world.journal().countByWorker(200).size() == 1000);
            await().atMost(Duration.ofSeconds(30)).until(() -> Files.exists(inbox.resolve(".done/day1.1.csv")));
            List<String> claimers = claimers();
            assertThat(claimers).as("one drop, read by one instance").hasSize(1);
            String leader = claimers.get(0);
            BridgeProcess leading = leader.equals("bridge-a") ? a : b;
            BridgeProcess following = leading == a ? b : a;
            String other = leading == a ? "bridge-b" : "bridge-a";
            assertThat(Files.readString(following.log())).as("the other instance never led, never polled the SFTP folder, nor looked at the drop")
                    .doesNotContain(" is now the leader of namespace " + NAMESPACE).doesNotContain("sftp://").doesNotContain("day1.csv");
            assertThat(sftp.logins()).as("SFTP sessions: only the leader's consumer ever logged in").isEqualTo(1);
            assertThat(Files.readString(leading.log())).contains(elected(leader));
            assertThat(SharedStore.ready(a.managementPort()) && SharedStore.ready(b.managementPort())).as("the instance that does not poll stays ready").isTrue();
            assertThat(doneFiles()).as("the remote file moved once, under its drop id").containsExactly("day1.1.csv");
            assertThat(inbox.resolve("day1.csv")).doesNotExist();
            assertThat(localWork(other)).as("nothing downloaded by the other instance").isEmpty();
            int loginsBeforeKill = sftp.logins();

            // 2. kill -9 of the leader; the next drop is read by the other instance
            leading.kill();
            long killedAt = System.nanoTime();
            upload("day2.csv", 1001, 1500);
            long leadsAfter = awaitLog(following, elected(other), killedAt);
            await().atMost(Duration.ofSeconds(90)).pollInterval(Duration.ofMillis(200)).until(() -> world.journal().countByWorker(200).size() == 1500);
            long deliveredAfter = (System.nanoTime() - killedAt) / 1_000_000;
            await().atMost(Duration.ofSeconds(30)).until(() -> Files.exists(inbox.resolve(".done/day2.2.csv")));
            System.out.printf("SFTP poller election: %s read day 1 (SFTP logins so far: %d); killed -9; %s led the SFTP folder %d ms later,"
                    + " day 2's 500 workers delivered %d ms after the kill (SFTP logins in all: %d)%n",
                    leader, loginsBeforeKill, other, leadsAfter, deliveredAfter, sftp.logins());
            assertThat(claimers()).as("the next drop read by the other instance").containsExactly(leader, other);
            assertThat(doneFiles()).as("each remote file moved once").containsExactlyInAnyOrder("day1.1.csv", "day2.2.csv");
            assertThat(inbox.resolve("day2.csv")).doesNotExist();

            LmsJournal.Resends resends = Scorecard.measureJournal(1500, world.journal());
            Scorecard.measure("faults survived: kill -9", 1);
            assertThat(world.journal().countByWorker(200)).as("every worker delivered").hasSize(1500)
                    .allSatisfy((worker, n) -> assertThat(n).as("deliveries of %s", worker).isEqualTo(1));
            assertThat(resends.identical()).as("re-sends").isZero();
            assertThat(store.count("select count(*) from drop_file where status = 'STAGED'")).isEqualTo(2);
        }
    }

    @Test
    @ReliabilityScenario(16)
    void aLeaderKilledWhileStagingAnSftpDropIsReplacedAndTheDropIsProcessedOnce() throws Exception {
        int workers = 5_000;
        // small batches so that staging runs long enough to be killed in the middle of the rows. The drop's claim lease
        // stays at its default (PT10M): the other instance takes the dead leader's drop once it has marked it departed
        // (no beat for learnbridge.cluster.departedAfter, here 4 s)
        Map<String, String> extra = Map.of("learnbridge.drops.batchSize", "20", "learnbridge.cluster.heartbeat", "1s",
                "learnbridge.cluster.departedAfter", "PT4S");
        Map<String, String> settingsA = settings("bridge-a");
        settingsA.putAll(extra);
        Map<String, String> settingsB = settings("bridge-b");
        settingsB.putAll(extra);
        try (BridgeProcess a = new BridgeProcess(home.resolve("a"), settingsA);
             BridgeProcess b = new BridgeProcess(home.resolve("b"), settingsB)) {
            a.start();
            b.start();
            awaitReady(a, b);

            upload("big.csv", 1, workers);
            await().atMost(Duration.ofSeconds(120)).pollInterval(Duration.ofMillis(5)).until(() ->
                    store.count("select count(*) from drop_row") > 500 && store.count("select count(*) from drop_file where status = 'STAGING'") == 1);
            String leader = claimers().get(0);
            BridgeProcess leading = leader.equals("bridge-a") ? a : b;
            BridgeProcess following = leading == a ? b : a;
            String other = leading == a ? "bridge-b" : "bridge-a";
            assertThat(Files.readString(following.log())).as("the other instance does not poll while the leader stages")
                    .doesNotContain(" is now the leader of namespace " + NAMESPACE).doesNotContain("big.csv");
            leading.kill();
            long killedAt = System.nanoTime();
            int stagedAtKill = store.count("select count(*) from drop_row");
            assertThat(store.count("select count(*) from drop_file where status = 'STAGING'")).as("killed while staging").isEqualTo(1);
            assertThat(store.count("select count(*) from delivery")).as("nothing queued before the plan").isZero();
            assertThat(inbox.resolve("big.csv")).as("the remote file stays until its drop is accounted for").exists();

            long leadsAfter = awaitLog(following, elected(other), killedAt);
            await().atMost(Duration.ofSeconds(180)).pollInterval(Duration.ofMillis(500)).until(() -> world.journal().countByWorker(200).size() == workers);
            long deliveredAfter = (System.nanoTime() - killedAt) / 1_000_000;
            await().atMost(Duration.ofSeconds(30)).until(() -> Files.exists(inbox.resolve(".done/big.1.csv")));
            System.out.printf("SFTP leader killed while staging: %s killed after %d of %d rows staged; %s led %d ms later, all delivered %d ms after"
                    + " the kill; %s waited for the dead claim: %s%n", leader, stagedAtKill, workers, other, leadsAfter, deliveredAfter, other,
                    Files.readString(following.log()).contains("is being staging since"));
            assertThat(Files.readString(following.log())).as("the dead leader was marked departed, which freed its drop")
                    .contains("Instance " + leader + " was last seen at");

            assertThat(claimers()).as("the same drop, reclaimed by the other instance").containsExactly(other);
            assertThat(store.count("select count(*) from drop_file where status = 'STAGED'")).isEqualTo(1);
            assertThat(store.count("select count(*) from delivery")).as("deliveries queued once each").isEqualTo(workers);
            assertThat(doneFiles()).as("the remote file moved once").containsExactly("big.1.csv");
            assertThat(inbox.resolve("big.csv")).doesNotExist();
            LmsJournal.Resends resends = Scorecard.measureJournal(workers, world.journal());
            Scorecard.measure("faults survived: kill -9", 1);
            assertThat(world.journal().countByWorker(200)).as("every worker delivered").hasSize(workers)
                    .allSatisfy((worker, n) -> assertThat(n).as("deliveries of %s", worker).isEqualTo(1));
            assertThat(resends.identical()).as("re-sends").isZero();
        }
    }

    /** Waits until {@code line} is in the bridge's log; returns the milliseconds since {@code since} (System.nanoTime). */
    private static long awaitLog(BridgeProcess bridge, String line, long since) {
        await().atMost(Duration.ofSeconds(30)).pollInterval(Duration.ofMillis(50)).until(() -> Files.readString(bridge.log()).contains(line));
        return (System.nanoTime() - since) / 1_000_000;
    }

    private List<String> doneFiles() throws Exception {
        Path done = inbox.resolve(".done");
        if (!Files.isDirectory(done)) {
            return List.of();
        }
        try (Stream<Path> files = Files.list(done)) {
            return files.map(f -> f.getFileName().toString()).sorted().toList();
        }
    }

    /** What is left in an instance's local SFTP work folder (a download that was never made leaves nothing; nor does one that was read). */
    private List<String> localWork(String instance) throws Exception {
        Path work = home.resolve(instance + "-work");
        if (!Files.exists(work)) {
            return List.of();
        }
        try (Stream<Path> files = Files.walk(work)) {
            return files.filter(Files::isRegularFile).map(Path::toString).toList();
        }
    }

    private List<String> claimers() throws Exception {
        return store.claimers();
    }
}
