package io.learnbridge.drop;

import static org.assertj.core.api.Assertions.assertThat;
import io.learnbridge.testing.ReliabilityScenario;
import static org.awaitility.Awaitility.await;

import io.learnbridge.store.Reconciliation;
import io.learnbridge.testing.Bridge;
import io.learnbridge.testing.HrCsv;
import io.learnbridge.testing.SftpLmsWorld;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.Map;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** SFTP drops against a real SFTP server and a real HTTP server for the LMS. */
class SftpDropTest {

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
    void tenThousandRowDropDeliversEachWorkerOnce() throws Exception {
        Bridge bridge = world.start(world.bridge());
        world.upload("snapshot-10k.csv", HrCsv.create().workers(1, 10_000).build());

        await().atMost(Duration.ofMinutes(3)).pollInterval(Duration.ofMillis(500))
                .until(() -> report(bridge).map(Reconciliation.Report::settled).orElse(false));
        Map<String, Integer> puts = world.successfulPutsByWorker();
        assertThat(puts).hasSize(10_000);
        assertThat(puts.values()).allMatch(n -> n == 1);
        Reconciliation.Report report = report(bridge).orElseThrow();
        assertThat(report.received()).isEqualTo(10_000);
        assertThat(report.targets()).singleElement().satisfies(t -> {
            assertThat(t.delivered()).isEqualTo(10_000);
            assertThat(t.failed()).isZero();
        });
        assertThat(report.balanced()).isTrue();
        await().atMost(Duration.ofSeconds(10)).until(() -> Files.exists(world.inbox().resolve(".done/snapshot-10k.1.csv")));
        assertThat(world.inbox().resolve("snapshot-10k.csv")).doesNotExist();
    }

    @Test
    void badRowsAreQueuedWithLineAndReasonWhileGoodRowsAreDelivered() throws Exception {
        Bridge bridge = world.start(world.bridge());
        String csv = HrCsv.create()
                .worker(1)                                                                                   // line 2
                .row("", "No", "Id", "noid@example.com", "", "ENG-1", "Engineer", "London", "Eng", "A", "01/15/2020") // line 3
                .row(HrCsv.id(3), "Bad", "Email", "not-an-email", "", "ENG-1", "Engineer", "London", "Eng", "A", "01/15/2020") // 4
                .row(HrCsv.id(4), "Unknown", "Status", "s@example.com", "", "ENG-1", "Engineer", "London", "Eng", "Z", "01/15/2020") // 5
                .row(HrCsv.id(5), "Too", "Many", "m@example.com", "", "ENG-1", "Engineer", "London", "Eng", "A", "01/15/2020", "extra") // 6
                .row(HrCsv.id(6), "First", "Version", "v@example.com", "", "ENG-1", "Engineer", "London", "Eng", "A", "01/15/2020") // 7
                .worker(7)                                                                                   // line 8
                .row(HrCsv.id(6), "Second", "Version", "v@example.com", "", "ENG-1", "Engineer", "London", "Eng", "A", "01/15/2020") // 9
                .worker(8)                                                                                   // line 10
                .worker(8)                                                                                   // line 11: identical repeat
                .raw(HrCsv.id(9) + ",\"Multi\nLine\",Name,ml@example.com,,ENG-1,\"Engineer, Senior\",London,Eng,A,01/15/2020") // 12-13
                .build();
        world.upload("with-bad-rows.csv", csv);

        await().atMost(Duration.ofSeconds(60)).until(() -> report(bridge).map(Reconciliation.Report::settled).orElse(false));
        assertThat(world.successfulPutsByWorker()).containsOnlyKeys(HrCsv.id(1), HrCsv.id(7), HrCsv.id(8), HrCsv.id(9))
                .allSatisfy((worker, puts) -> assertThat(puts).isEqualTo(1));
        var exceptions = new io.learnbridge.store.ExceptionQueue(bridge.store()).list(io.learnbridge.store.ExceptionQueue.Filter.open());
        assertThat(exceptions).extracting(e -> e.fileName() + ":" + e.line() + " " + e.field() + " " + e.stage())
                .containsExactlyInAnyOrder(
                        "with-bad-rows.csv:3 workerId map",
                        "with-bad-rows.csv:4 email map",
                        "with-bad-rows.csv:5 employmentStatus map",
                        "with-bad-rows.csv:6 null map",
                        "with-bad-rows.csv:7 workerId dedupe",
                        "with-bad-rows.csv:9 workerId dedupe");
        assertThat(exceptions).filteredOn(e -> e.line() == 3).singleElement().satisfies(e -> assertThat(e.reason()).contains("required value is missing"));
        assertThat(exceptions).filteredOn(e -> e.line() == 4).singleElement().satisfies(e -> assertThat(e.reason()).contains("does not match pattern").doesNotContain("not-an-email"));
        assertThat(exceptions).filteredOn(e -> e.line() == 5).singleElement().satisfies(e -> assertThat(e.reason()).contains("'Z' is not in value table employment-status"));
        assertThat(exceptions).filteredOn(e -> e.line() == 6).singleElement().satisfies(e -> assertThat(e.reason()).isEqualTo("row has 12 fields but the header has 11"));
        assertThat(exceptions).filteredOn(e -> e.line() == 7).singleElement().satisfies(e -> {
            assertThat(e.reason()).contains("appears on lines [7, 9]");
            assertThat(e.sourceRecord()).contains("\"First Name\":\"First\"");
        });
        Reconciliation.Report report = report(bridge).orElseThrow();
        assertThat(report.received()).isEqualTo(11);
        assertThat(report.rejected()).isEqualTo(6);
        assertThat(report.unchanged()).isEqualTo(1);
        assertThat(report.targets()).singleElement().satisfies(t -> assertThat(t.delivered()).isEqualTo(4));
        assertThat(report.balanced()).isTrue();
        assertThat(world.requests()).filteredOn(r -> r.getUrl().endsWith(HrCsv.id(9))).singleElement()
                .satisfies(r -> assertThat(r.getBodyAsString()).contains("\"firstName\":\"Multi\\nLine\"").contains("\"jobTitle\":\"Engineer, Senior\""));
        await().atMost(Duration.ofSeconds(10)).until(() -> Files.exists(world.inbox().resolve(".done/with-bad-rows.1.csv")));
    }

    @Test
    @ReliabilityScenario(13)
    void aDropIsProcessedOnceEvenUnderAnotherNameOrAfterAFailedMove() throws Exception {
        Bridge bridge = world.start(world.bridge());
        String content = HrCsv.create().workers(1, 20).build();
        world.upload("monday.csv", content);
        await().atMost(Duration.ofSeconds(30)).until(() -> Files.exists(world.inbox().resolve(".done/monday.1.csv")));
        await().atMost(Duration.ofSeconds(30)).until(() -> world.successfulPutsByWorker().size() == 20);

        world.upload("monday.csv", content);
        world.upload("monday-copy.csv", content);
        await().atMost(Duration.ofSeconds(30)).until(() -> Files.exists(world.inbox().resolve(".duplicate/monday.1.csv"))
                && Files.exists(world.inbox().resolve(".duplicate/monday-copy.1.csv")));

        // A failed move: '.done' is now a plain file, so moving tuesday.csv into it fails after staging.
        Path done = world.inbox().resolve(".done");
        Files.move(done, world.inbox().resolve(".done-kept"));
        Files.writeString(done, "not a folder");
        world.upload("tuesday.csv", HrCsv.create().workers(21, 30).build());
        // staged and applied, then found again: a duplicate of itself, filed under its own drop id
        await().atMost(Duration.ofSeconds(60)).until(() -> new Reconciliation(bridge.store()).recent(10).stream()
                .filter(r -> r.fileName().equals("tuesday.csv"))
                .anyMatch(r -> Files.exists(world.inbox().resolve(".duplicate/tuesday." + r.dropId() + ".csv"))));

        Map<String, Integer> puts = world.successfulPutsByWorker();
        assertThat(puts).hasSize(30);
        assertThat(puts.values()).allMatch(n -> n == 1);
        assertThat(new Reconciliation(bridge.store()).recent(10)).extracting(Reconciliation.Report::fileName)
                .containsExactlyInAnyOrder("monday.csv", "tuesday.csv");
    }

    @Test
    @ReliabilityScenario(15)
    void aDownloadCutMidwayLeavesTheRemoteFileUntouchedAndTheDropIsProcessedOnceAfterwards() throws Exception {
        int workers = 5_000;
        String content = HrCsv.create().workers(1, workers).build();
        world.sftp.cutDownloadsOf("big.csv", 2);
        Bridge bridge = world.start(world.bridge());
        Path remote = world.upload("big.csv", content);
        await().atMost(Duration.ofSeconds(60)).until(() -> world.sftp.downloadsCut() == 2);
        // cut twice: the file is where the HR system put it, whole, and nothing of it was claimed from a partial download
        assertThat(remote).exists().hasContent(content);
        await().atMost(Duration.ofSeconds(120)).until(() -> Files.exists(world.inbox().resolve(".done/big.1.csv")));
        await().atMost(Duration.ofSeconds(120)).until(() -> world.successfulPutsByWorker().size() == workers);
        Map<String, Integer> puts = world.successfulPutsByWorker();
        io.learnbridge.testing.Scorecard.measure("records in", workers);
        io.learnbridge.testing.Scorecard.measure("delivered", puts.size());
        io.learnbridge.testing.Scorecard.measure("lost", workers - puts.size());
        io.learnbridge.testing.Scorecard.measure("duplicate effects", puts.values().stream().filter(n -> n > 1).count());
        io.learnbridge.testing.Scorecard.measure("faults survived: SFTP disconnect mid-download", world.sftp.downloadsCut());
        assertThat(puts.values()).allMatch(n -> n == 1);
        assertThat(new Reconciliation(bridge.store()).recent(10)).as("one drop, from the whole file").singleElement().satisfies(r -> {
            assertThat(r.received()).isEqualTo(workers);
            assertThat(r.balanced()).isTrue();
        });
        assertThat(Files.readString(world.inbox().resolve(".done/big.1.csv"))).isEqualTo(content);
    }

    @Test
    @ReliabilityScenario(10)
    void aFileStillBeingUploadedIsNotReadUntilItIsComplete() throws Exception {
        Bridge bridge = world.start(world.bridge()
                .property("learnbridge.drops.readLockCheckInterval", "300ms")
                .property("learnbridge.drops.readLockMinAge", "1500ms"));
        String[] lines = HrCsv.create().workers(1, 40).build().split("(?<=\n)");
        Path file = world.inbox().resolve("slow.csv");
        try (var out = Files.newBufferedWriter(file)) {
            for (int i = 0; i < lines.length; i++) {
                out.write(lines[i]);
                out.flush();
                if (i % 4 == 3) {
                    int written = i;
                    // the uploader pauses briefly; the bridge must not have claimed a half file
                    await().pollDelay(Duration.ofMillis(250)).atMost(Duration.ofSeconds(1)).until(() -> true);
                    assertThat(dropCount(bridge)).as("drops claimed after %d of %d lines", written + 1, lines.length).isZero();
                }
            }
        }
        await().atMost(Duration.ofSeconds(30)).until(() -> report(bridge).map(Reconciliation.Report::settled).orElse(false));
        assertThat(report(bridge).orElseThrow().received()).isEqualTo(40);
        assertThat(dropCount(bridge)).isEqualTo(1);
        assertThat(world.successfulPutsByWorker()).hasSize(40);
    }

    private static int dropCount(Bridge bridge) {
        return bridge.store().tx(c -> {
            try (var rs = c.createStatement().executeQuery("select count(*) from drop_file")) {
                rs.next();
                return rs.getInt(1);
            }
        });
    }

    private static java.util.Optional<Reconciliation.Report> report(Bridge bridge) {
        return new Reconciliation(bridge.store()).forDrop(1);
    }
}
