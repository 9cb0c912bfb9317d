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
import org.apache.camel.component.file.remote.SftpEndpoint;
import org.h2.tools.Server;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** RELIABILITY.md guards for files and SFTP, as regression tests. */
class DropGuardsTest {

    @TempDir
    Path home;

    @Test
    @ReliabilityScenario(9)
    void aDropIsNotMovedWhileTheStoreIsDownAndIsProcessedOnceAfterwards() throws Exception {
        Server h2 = Server.createTcpServer("-tcpPort", "0", "-ifNotExists", "-baseDir", home.resolve("h2").toString()).start();
        int port = h2.getPort();
        try (Bridge bridge = Bridge.builder(home).property("learnbridge.store.url", "jdbc:h2:tcp://127.0.0.1:" + port + "/learnbridge").start()) {
            h2.stop();
            Path drop = bridge.drop("while-down.csv", HrCsv.create().workers(1, 5).build());
            // several polls fail while the store is down; the file must stay where it is
            await().pollDelay(Duration.ofSeconds(3)).atMost(Duration.ofSeconds(5)).until(() -> true);
            assertThat(drop).exists();
            assertThat(bridge.dropFolder().resolve(".done")).doesNotExist();
            assertThat(bridge.dropFolder().resolve(".failed")).doesNotExist();

            h2 = Server.createTcpServer("-tcpPort", String.valueOf(port), "-ifNotExists", "-baseDir", home.resolve("h2").toString()).start();
            await().atMost(Duration.ofSeconds(60)).until(() -> Files.exists(bridge.dropFolder().resolve(".done/while-down.1.csv")));
            await().atMost(Duration.ofSeconds(30)).until(() -> new Reconciliation(bridge.store()).forDrop(1).map(Reconciliation.Report::settled).orElse(false));
            assertThat(new Reconciliation(bridge.store()).recent(10)).singleElement().satisfies(r -> {
                assertThat(r.received()).isEqualTo(5);
                assertThat(r.targets()).singleElement().satisfies(t -> assertThat(t.delivered()).isEqualTo(5));
            });
        } finally {
            h2.stop();
        }
    }

    private static String status(Bridge bridge, String fileName) {
        return bridge.store().tx(c -> {
            try (var ps = c.prepareStatement("select status from drop_file where file_name = ? order by id")) {
                ps.setString(1, fileName);
                try (var rs = ps.executeQuery()) {
                    return rs.next() ? rs.getString(1) : null;
                }
            }
        });
    }

    @Test
    @ReliabilityScenario(13)
    void aDropReplacedWhileItIsReadBecomesItsOwnDropAndTheBytesArchivedAreTheBytesRead() throws Exception {
        try (Bridge bridge = Bridge.builder(home).property("learnbridge.drops.batchSize", "100").start()) {
            String a = HrCsv.create().workers(1, 20_000).build();
            String b = HrCsv.create().workers(30_001, 30_100).build();
            Files.createDirectories(bridge.dropFolder());
            Path name = bridge.dropFolder().resolve("workers.csv");
            Files.move(Files.writeString(bridge.dropFolder().resolve(".a.part"), a), name);
            await("drop A claimed").atMost(Duration.ofSeconds(30)).pollInterval(Duration.ofMillis(20))
                    .until(() -> "STAGING".equals(status(bridge, "workers.csv")));
            // the HR system writes tonight's file over the one being read
            Files.move(Files.writeString(bridge.dropFolder().resolve(".b.part"), b), name,
                    java.nio.file.StandardCopyOption.REPLACE_EXISTING, java.nio.file.StandardCopyOption.ATOMIC_MOVE);
            assertThat(status(bridge, "workers.csv")).as("replaced while drop A was still being read").isEqualTo("STAGING");

            Reconciliation reconciliation = new Reconciliation(bridge.store());
            await("both drops settled").atMost(Duration.ofSeconds(120)).until(() -> {
                var recent = reconciliation.recent(10);
                return recent.size() == 2 && recent.stream().allMatch(Reconciliation.Report::settled);
            });
            assertThat(reconciliation.recent(10)).extracting(Reconciliation.Report::received).containsExactlyInAnyOrder(20_000, 100);
            assertThat(reconciliation.recent(10)).allSatisfy(r -> assertThat(r.targets()).singleElement()
                    .satisfies(t -> assertThat(t.delivered()).isEqualTo(r.received())));
            try (var archived = Files.list(bridge.dropFolder().resolve(".done"))) {
                assertThat(archived.map(f -> {
                    try {
                        return DropChecksum.sha256(f);
                    } catch (java.io.IOException e) {
                        throw new java.io.UncheckedIOException(e);
                    }
                }).toList()).as("each drop's own bytes archived").containsExactlyInAnyOrder(DropChecksum.sha256(a), DropChecksum.sha256(b));
            }
            assertThat(name).doesNotExist();
            try (var left = Files.list(bridge.dropFolder().resolve(".inprogress"))) {
                assertThat(left).as("no work file left").isEmpty();
            }
        }
    }

    @Test
    @ReliabilityScenario(11)
    void anEmptyOrBomOnlyDeltaIsRefusedWithItsReasonWhileAHeaderWithoutRowsIsNoChange() throws Exception {
        try (Bridge bridge = Bridge.builder(home).start()) {
            Files.createDirectories(bridge.dropFolder());
            Files.move(Files.write(bridge.dropFolder().resolve(".e.part"), new byte[0]), bridge.dropFolder().resolve("empty.csv"));
            await().atMost(Duration.ofSeconds(30)).until(() -> "FAILED".equals(status(bridge, "empty.csv")));
            Files.move(Files.write(bridge.dropFolder().resolve(".b.part"), new byte[] {(byte) 0xEF, (byte) 0xBB, (byte) 0xBF}),
                    bridge.dropFolder().resolve("bom.csv"));
            await().atMost(Duration.ofSeconds(30)).until(() -> "FAILED".equals(status(bridge, "bom.csv")));
            Files.move(Files.writeString(bridge.dropFolder().resolve(".h.part"), HrCsv.HEADER + "\n"), bridge.dropFolder().resolve("header.csv"));
            await().atMost(Duration.ofSeconds(30)).until(() -> "STAGED".equals(status(bridge, "header.csv")));

            var exceptions = new io.learnbridge.store.ExceptionQueue(bridge.store()).list(io.learnbridge.store.ExceptionQueue.Filter.open());
            assertThat(exceptions).extracting(io.learnbridge.store.ExceptionEntry::reason).containsExactlyInAnyOrder(
                    "empty.csv: the file is empty (not even a header row): nothing was read; an export that failed? Put the whole file back into the drop folder",
                    "bom.csv: the file is empty (not even a header row): nothing was read; an export that failed? Put the whole file back into the drop folder");
            await().atMost(Duration.ofSeconds(10)).until(() -> {
                try (var failed = Files.list(bridge.dropFolder().resolve(".failed"))) {
                    return failed.count() == 2;
                }
            });
        }
    }

    private static java.util.List<io.learnbridge.store.ExceptionEntry> exceptions(Bridge bridge) {
        return new io.learnbridge.store.ExceptionQueue(bridge.store()).list(
                new io.learnbridge.store.ExceptionQueue.Filter(null, null, null, null, null, 100));
    }

    @Test
    void aSymbolicLinkInTheDropFolderIsNeverFollowedAndMovesToTheFailedFolderWithItsReason() throws Exception {
        Path outside = Files.writeString(home.resolve("outside.csv"), HrCsv.create().workers(1, 3).build());
        try (Bridge bridge = Bridge.builder(home).start()) {
            Files.createDirectories(bridge.dropFolder());
            Files.createSymbolicLink(bridge.dropFolder().resolve("linked.csv"), outside);
            await().atMost(Duration.ofSeconds(30)).until(() -> !exceptions(bridge).isEmpty());
            assertThat(exceptions(bridge)).singleElement().satisfies(e -> {
                assertThat(e.fileName()).isEqualTo("linked.csv");
                assertThat(e.dropId()).isNull();
                assertThat(e.reason()).startsWith("linked.csv: is a symbolic link (to " + outside + "); links are never followed in a drop folder");
            });
            await().atMost(Duration.ofSeconds(10)).ignoreExceptions().until(() -> {
                try (var failed = Files.list(bridge.dropFolder().resolve(".failed"))) {
                    return failed.anyMatch(Files::isSymbolicLink);
                }
            });
            assertThat(bridge.dropFolder().resolve("linked.csv")).doesNotExist();
            assertThat(outside).as("the linked file is not touched").hasContent(HrCsv.create().workers(1, 3).build());
            assertThat(status(bridge, "linked.csv")).as("no drop was claimed").isNull();
            assertThat(bridge.store().<Integer>tx(c -> {
                try (var rs = c.createStatement().executeQuery("select count(*) from worker_state")) {
                    rs.next();
                    return rs.getInt(1);
                }
            })).isZero();
        }
    }

    @Test
    @ReliabilityScenario(13)
    void twoFilesFailingWithTheSameContentEachKeepTheirRecord() throws Exception {
        String noEmailColumn = "employee_id,first_name\n" + HrCsv.id(1) + ",Ada\n";
        try (Bridge bridge = Bridge.builder(home).start()) {
            bridge.drop("monday.csv", noEmailColumn);
            await().atMost(Duration.ofSeconds(30)).until(() -> "FAILED".equals(status(bridge, "monday.csv")));
            bridge.drop("tuesday.csv", noEmailColumn);
            await().atMost(Duration.ofSeconds(30)).until(() -> exceptions(bridge).size() == 2);
            assertThat(exceptions(bridge)).extracting(io.learnbridge.store.ExceptionEntry::fileName)
                    .containsExactlyInAnyOrder("monday.csv", "tuesday.csv");
            assertThat(exceptions(bridge)).filteredOn(e -> e.fileName().equals("monday.csv")).singleElement()
                    .satisfies(e -> assertThat(e.status()).as("read again as tuesday.csv").isEqualTo(io.learnbridge.store.ExceptionEntry.Status.REPLAYED));
            assertThat(exceptions(bridge)).filteredOn(e -> e.fileName().equals("tuesday.csv")).singleElement()
                    .satisfies(e -> assertThat(e.status()).isEqualTo(io.learnbridge.store.ExceptionEntry.Status.OPEN));
            await().atMost(Duration.ofSeconds(10)).until(() -> {
                try (var failed = Files.list(bridge.dropFolder().resolve(".failed"))) {
                    return failed.count() == 2;
                }
            });
        }
    }

    @Test
    @ReliabilityScenario(21)
    void aHeaderNamingAMappedColumnTwiceRefusesTheFileAndAControlCharacterRejectsItsRowByField() throws Exception {
        try (Bridge bridge = Bridge.builder(home).start()) {
            String[] lines = HrCsv.create().workers(1, 2).build().split("\n");
            String twice = lines[0] + ",Work Email\n" + lines[1] + ",other@example.com\n";
            bridge.drop("twice.csv", twice);
            await().atMost(Duration.ofSeconds(30)).until(() -> "FAILED".equals(status(bridge, "twice.csv")));
            assertThat(exceptions(bridge)).singleElement().satisfies(e -> {
                assertThat(e.field()).isEqualTo("email");
                assertThat(e.reason()).contains("hris.mapping.yaml:").contains("the header of twice.csv names column 'Work Email' twice (columns 4 and 12)");
            });

            bridge.drop("nul.csv", lines[0] + "\n" + lines[1] + "\n" + lines[2].replaceFirst(",([^,]+),", ",Ad\u0000a,") + "\n");
            await().atMost(Duration.ofSeconds(30)).until(() -> "STAGED".equals(status(bridge, "nul.csv")));
            assertThat(exceptions(bridge)).filteredOn(e -> "nul.csv".equals(e.fileName())).singleElement().satisfies(e -> {
                assertThat(e.line()).isEqualTo(3);
                assertThat(e.reason()).contains("holds the control character U+0000 at position 3");
            });
        }
    }

    @Test
    void aFileTheDropFolderNeverReadsIsReportedOnceWithHowToHaveItRead() throws Exception {
        try (Bridge bridge = Bridge.builder(home).property("learnbridge.drops.unreadAfter", "PT1S").start()) {
            Files.createDirectories(bridge.dropFolder());
            Files.writeString(bridge.dropFolder().resolve(".workers.csv.part"), HrCsv.create().workers(1, 2).build());
            Files.writeString(bridge.dropFolder().resolve("workers.txt"), HrCsv.create().workers(1, 2).build());
            var unread = bridge.bean("unreadDrops", io.learnbridge.drop.UnreadDropFiles.class);
            assertThat(unread.look()).as("not yet past unreadAfter").isEmpty();
            await().atMost(Duration.ofSeconds(10)).until(() -> unread.look().size() == 2);
            assertThat(unread.look()).extracting(u -> u.file().getFileName().toString())
                    .containsExactlyInAnyOrder(".workers.csv.part", "workers.txt");
            await().atMost(Duration.ofSeconds(10)).untilAsserted(() -> assertThat(bridge.get(bridge.managementPort(), "/observe/metrics").body())
                    .containsPattern("(?m)^learnbridge_drops_unread_files\\{[^}]*route=\"source-hris\"[^}]*} 2\\.0$"));
            Files.delete(bridge.dropFolder().resolve("workers.txt"));
            assertThat(unread.look()).hasSize(1);
        }
    }

    @Test
    void aDropUnreadableHalfWayFailsWithTheLineAndKeepsNoneOfTheRowsStagedBeforeIt() throws Exception {
        // batches of 100: the reader decodes ahead in blocks, so the bad bytes come well after the first
        // batches have been handed to the drop's staging
        try (Bridge bridge = Bridge.builder(home).property("learnbridge.drops.batchSize", "100").start()) {
            byte[] good = HrCsv.create().workers(1, 3000).build().getBytes(java.nio.charset.StandardCharsets.UTF_8);
            byte[] bad = (HrCsv.id(3001) + ",Ren\u00e9,Bad,r@example.com,,J1,Clerk,Paris,Sales,Active,2020-01-01\n")
                    .replace("\u00e9", "\u0000").getBytes(java.nio.charset.StandardCharsets.UTF_8);
            bad[bad.length - 52] = (byte) 0xC3; // a lone lead byte: not UTF-8
            byte[] content = java.util.Arrays.copyOf(good, good.length + bad.length);
            System.arraycopy(bad, 0, content, good.length, bad.length);
            Files.createDirectories(bridge.dropFolder());
            Path tmp = bridge.dropFolder().resolve(".half.csv.part");
            Files.write(tmp, content);
            Files.move(tmp, bridge.dropFolder().resolve("half.csv"));

            await().atMost(Duration.ofSeconds(30)).until(() -> Files.exists(bridge.dropFolder().resolve(".failed/half.1.csv")));
            assertThat(bridge.store().<String>tx(c -> {
                try (var rs = c.createStatement().executeQuery("select status || ': ' || reason from drop_file where id = 1")) {
                    rs.next();
                    return rs.getString(1);
                }
            })).startsWith("FAILED: half.csv:").containsPattern("after line [1-9][0-9]{3}");
            // nothing of the batches staged before the bad line is left, not even one staged after fail
            await().during(Duration.ofSeconds(1)).atMost(Duration.ofSeconds(3)).until(() -> bridge.store().<Integer>tx(c -> {
                try (var rs = c.createStatement().executeQuery("select count(*) from drop_row where drop_id = 1")) {
                    rs.next();
                    return rs.getInt(1);
                }
            }) == 0);
            assertThat(new io.learnbridge.store.DeliveryQueue(bridge.store(), "t", Duration.ofMinutes(1)).count("lms", "PENDING")).isZero();
        }
    }

    @Test
    @io.learnbridge.testing.ReliabilityScenario(10)
    void aFileStillBeingWrittenIntoTheLocalFolderIsNotReadUntilItIsCompleteAndIsReadOnce() throws Exception {
        try (Bridge bridge = Bridge.builder(home).property("learnbridge.drops.pollDelay", "200ms")
                .property("learnbridge.drops.readLockCheckInterval", "200ms").property("learnbridge.drops.readLockMinAge", "1s").start()) {
            Files.createDirectories(bridge.dropFolder());
            Path file = bridge.dropFolder().resolve("slow.csv");
            String[] lines = HrCsv.create().workers(1, 40).build().split("(?<=\n)");
            // written in place (no rename), a few lines every 300 ms, as an export that streams into the folder
            for (int i = 0; i < lines.length; i += 4) {
                Files.writeString(file, String.join("", java.util.Arrays.copyOfRange(lines, i, Math.min(lines.length, i + 4))),
                        java.nio.file.StandardOpenOption.CREATE, java.nio.file.StandardOpenOption.APPEND);
                Thread.sleep(300);
                assertThat(status(bridge, "slow.csv")).as("not claimed while still growing").isNull();
            }
            await().atMost(Duration.ofSeconds(30)).until(() -> "STAGED".equals(status(bridge, "slow.csv")));
            await().atMost(Duration.ofSeconds(30)).until(() -> new Reconciliation(bridge.store()).forDrop(1).map(Reconciliation.Report::settled).orElse(false));
            Reconciliation.Report report = new Reconciliation(bridge.store()).forDrop(1).orElseThrow();
            io.learnbridge.testing.Scorecard.measure("records in", 40);
            io.learnbridge.testing.Scorecard.measure("delivered", report.targets().get(0).delivered());
            io.learnbridge.testing.Scorecard.measure("lost", 40 - report.targets().get(0).delivered());
            assertThat(report.received()).as("the whole file, once").isEqualTo(40);
            assertThat(new Reconciliation(bridge.store()).recent(10)).hasSize(1);
        }
    }

    @Test
    void aWorkFileLeftByABridgeKilledWhileReadingIsRemovedAtTheNextDrop() throws Exception {
        Path stale = Files.createDirectories(home.resolve("drops/hris/.inprogress")).resolve("workers.csv.12345");
        Files.writeString(stale, HrCsv.create().workers(1, 3).build());
        try (Bridge bridge = Bridge.builder(home).start()) {
            assertThat(bridge.dropFolder()).isEqualTo(home.resolve("drops/hris"));
            bridge.drop("next.csv", HrCsv.create().workers(1, 3).build());
            await().atMost(Duration.ofSeconds(30)).until(() -> Files.exists(bridge.dropFolder().resolve(".done/next.1.csv")));
            assertThat(stale).doesNotExist();
            try (var left = Files.list(bridge.dropFolder().resolve(".inprogress"))) {
                assertThat(left).isEmpty();
            }
        }
    }

    @Test
    void anArchivedDropIsNeverOverwrittenByALaterDropOfTheSameName() throws Exception {
        try (Bridge bridge = Bridge.builder(home).start()) {
            String monday = HrCsv.create().workers(1, 3).build();
            String tuesday = HrCsv.create().workers(1, 4).build();
            // the archive is written first, then the name leaves the folder: the next drop of the name waits for both
            bridge.drop("workers.csv", monday);
            await().atMost(Duration.ofSeconds(30)).until(() -> Files.exists(bridge.dropFolder().resolve(".done/workers.1.csv"))
                    && !Files.exists(bridge.dropFolder().resolve("workers.csv")));
            bridge.drop("workers.csv", tuesday);
            await().atMost(Duration.ofSeconds(30)).until(() -> Files.exists(bridge.dropFolder().resolve(".done/workers.2.csv"))
                    && !Files.exists(bridge.dropFolder().resolve("workers.csv")));
            // the failure archive the same way: two unreadable exports of one name (a mapped column missing)
            bridge.drop("workers.csv", "Employee ID,First Name\nE000001,Ada\n");
            await().atMost(Duration.ofSeconds(30)).until(() -> Files.exists(bridge.dropFolder().resolve(".failed/workers.3.csv"))
                    && !Files.exists(bridge.dropFolder().resolve("workers.csv")));
            bridge.drop("workers.csv", "Employee ID,First Name\nE000002,Grace\n");
            await().atMost(Duration.ofSeconds(30)).until(() -> Files.exists(bridge.dropFolder().resolve(".failed/workers.4.csv")));

            assertThat(bridge.dropFolder().resolve(".done/workers.1.csv")).hasContent(monday);
            assertThat(bridge.dropFolder().resolve(".done/workers.2.csv")).hasContent(tuesday);
            assertThat(bridge.dropFolder().resolve(".failed/workers.3.csv")).content().contains("Ada");
            assertThat(bridge.dropFolder().resolve(".failed/workers.4.csv")).content().contains("Grace");
            try (var done = Files.list(bridge.dropFolder().resolve(".done")); var failed = Files.list(bridge.dropFolder().resolve(".failed"))) {
                assertThat(done.map(p -> p.getFileName().toString())).containsExactlyInAnyOrder("workers.1.csv", "workers.2.csv");
                assertThat(failed.map(p -> p.getFileName().toString())).containsExactlyInAnyOrder("workers.3.csv", "workers.4.csv");
            }
        }
    }

    @Test
    void theSftpSourceRunsWithEveryGuardOfTheTrapsTable() throws Exception {
        try (SftpLmsWorld world = new SftpLmsWorld(home)) {
            Bridge bridge = world.start(world.bridge());
            SftpEndpoint endpoint = (SftpEndpoint) bridge.context().getRoute("source-hris").getEndpoint();
            var config = endpoint.getConfiguration();
            assertThat(config.getStrictHostKeyChecking()).isEqualTo("yes");
            assertThat(config.isUseUserKnownHostsFile()).isFalse();
            assertThat(config.getKnownHostsFile()).isEqualTo(world.sftp.knownHostsFile().toString());
            assertThat(config.getPrivateKeyFile()).isEqualTo(world.sftp.privateKeyFile().toString());
            assertThat(config.getPassword()).isNull();
            assertThat(config.getPreferredAuthentications()).isEqualTo("publickey");
            assertThat(config.isStreamDownload()).isFalse();
            assertThat(endpoint.getLocalWorkDirectory()).isNotBlank();
            assertThat(endpoint.getReadLock()).isEqualTo("changed");
            assertThat(endpoint.getReadLockTimeout()).isPositive();
            assertThat(config.isThrowExceptionOnConnectFailed()).isTrue();
            assertThat(endpoint.getMoveFailed()).as("failed drops are moved by the route after they are recorded, never by Camel").isNull();
        }
    }
}
