package io.learnbridge.delivery;

import static com.github.tomakehurst.wiremock.client.WireMock.aResponse;
import io.learnbridge.testing.ReliabilityScenario;
import io.learnbridge.testing.Scorecard;
import static com.github.tomakehurst.wiremock.client.WireMock.put;
import static com.github.tomakehurst.wiremock.client.WireMock.urlPathEqualTo;
import static com.github.tomakehurst.wiremock.client.WireMock.urlPathMatching;
import static io.learnbridge.testing.SftpLmsWorld.LMS_PATH;
import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

import com.github.tomakehurst.wiremock.http.Fault;
import com.github.tomakehurst.wiremock.stubbing.Scenario;
import com.github.tomakehurst.wiremock.stubbing.StubMapping;
import io.learnbridge.store.ExceptionEntry;
import io.learnbridge.store.ExceptionQueue;
import io.learnbridge.store.Reconciliation;
import io.learnbridge.testing.Bridge;
import io.learnbridge.testing.HrCsv;
import io.learnbridge.testing.LmsJournal;
import io.learnbridge.testing.SftpLmsWorld;
import java.io.IOException;
import java.net.http.HttpResponse;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.HashSet;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.Set;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import java.util.stream.Collectors;
import java.util.stream.IntStream;
import java.util.stream.Stream;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * Delivery under target faults (RELIABILITY.md scenarios 1-3 and the repair loop), against a real
 * SFTP server, the real bridge and a WireMock LMS. The checker: after the faults stop, every worker
 * has exactly one successful upsert, nothing is lost (delivered + queued = received) and every
 * queued exception can be replayed.
 */
class DeliveryFaultsTest {

    private static final int ROWS = 500;
    private static final String FILE = "workers.csv";
    private static final Pattern DELIVERIES_METRIC = Pattern.compile("^learnbridge_deliveries_total\\{([^}]*)}\\s+(\\S+)", Pattern.MULTILINE);

    @TempDir
    Path home;

    SftpLmsWorld world;
    LmsJournal journal;

    @BeforeEach
    void start() throws Exception {
        world = new SftpLmsWorld(home);
        journal = new LmsJournal(world.lms);
    }

    @AfterEach
    void stop() throws Exception {
        world.close();
    }

    @Test
    @ReliabilityScenario(1)
    void lmsAnswering503WithRetryAfterIsRetriedUntilRecoveryWithoutDuplicates() throws Exception {
        // Retry-After (2 s) is longer than any backoff the policy could choose by itself (max 1 s),
        // so gaps of 2 s between a worker's attempts can only come from honouring the header.
        StubMapping outage = world.lms.stubFor(put(urlPathMatching(LMS_PATH + "/.*")).atPriority(1)
                .willReturn(aResponse().withStatus(503).withHeader("Retry-After", "2").withBody("{\"error\":\"maintenance\"}")));
        Bridge bridge = world.start(world.bridge()
                .property("learnbridge.delivery.initialBackoff", "100ms")
                .property("learnbridge.delivery.maxBackoff", "1000ms"));
        world.upload(FILE, HrCsv.create().workers(1, ROWS).build());

        // One batch is in flight at a time (the delivery timer is synchronous), so during an outage the
        // first claimed batch is retried while the rest wait in the store.
        await("the first batch refused twice during the outage").atMost(Duration.ofSeconds(30)).pollInterval(Duration.ofMillis(200))
                .until(() -> journal.countByWorker(503).values().stream().filter(n -> n >= 2).count() >= 50);
        world.lms.removeStub(outage);
        awaitSettled(bridge, Duration.ofSeconds(60));

        Map<String, Integer> successful = world.successfulPutsByWorker();
        Scorecard.measure("records in", ROWS);
        Scorecard.measure("delivered", successful.size());
        Scorecard.measure("lost", ROWS - successful.size());
        Scorecard.measure("duplicate effects", successful.values().stream().filter(n -> n > 1).count());
        Scorecard.measure("faults survived: 503 with Retry-After", journal.countByWorker(503).values().stream().mapToLong(Long::longValue).sum());
        assertThat(successful).hasSize(ROWS).containsOnlyKeys(workerIds(1, ROWS));
        assertThat(successful.values()).allMatch(n -> n == 1);
        assertThat(journal.gapsAfter(503)).isNotEmpty()
                .allSatisfy(gap -> assertThat(gap).as("a retry after 'Retry-After: 2'").isGreaterThanOrEqualTo(Duration.ofMillis(1800)));

        Reconciliation.Report report = report(bridge).orElseThrow();
        assertThat(report.received()).isEqualTo(ROWS);
        assertThat(report.targets()).singleElement().satisfies(t -> {
            assertThat(t.target()).isEqualTo("lms");
            assertThat(t.delivered()).isEqualTo(ROWS);
            assertThat(t.failed()).isZero();
            assertThat(t.pending()).isZero();
        });
        assertThat(report.balanced()).isTrue();
        assertThat(openExceptions(bridge)).isEmpty();
        assertFileDoneOnce();

        long refused = journal.countByWorker(503).values().stream().mapToLong(Long::longValue).sum();
        Map<String, Double> metrics = deliveryMetrics(bridge);
        assertThat(metrics.getOrDefault("retried", 0.0)).as("retried deliveries on /observe/metrics")
                .isGreaterThan(0).isEqualTo((double) refused);
        assertThat(metrics.getOrDefault("delivered", 0.0)).isEqualTo(ROWS);
        assertThat(metrics.getOrDefault("failed", 0.0)).isZero();
    }

    @Test
    @ReliabilityScenario(1)
    void aTenThousandRowDropThroughASustained503OutageIsDeliveredOnceAfterRecovery() throws Exception {
        int rows = 10_000;
        StubMapping outage = world.lms.stubFor(put(urlPathMatching(LMS_PATH + "/.*")).atPriority(1)
                .willReturn(aResponse().withStatus(503).withHeader("Retry-After", "2").withBody("{\"error\":\"maintenance\"}")));
        Bridge bridge = world.start(world.bridge().property("learnbridge.delivery.parallelism", "16"));
        world.upload(FILE, HrCsv.create().workers(1, rows).build());
        await("drop staged during the outage").atMost(Duration.ofSeconds(90)).until(() -> report(bridge).map(r -> r.received() == rows).orElse(false));
        // the outage lasts 20 s after the drop is in (the scenario's 2 minutes, scaled to fit CI): nothing is accepted meanwhile
        await("nothing accepted during the outage").during(Duration.ofSeconds(20)).atMost(Duration.ofSeconds(25)).pollInterval(Duration.ofMillis(500))
                .until(() -> journal.countByWorker(200).isEmpty());
        long refused = journal.countByWorker(503).values().stream().mapToLong(Long::longValue).sum();
        world.lms.removeStub(outage);
        awaitSettled(bridge, Duration.ofSeconds(180));

        Map<String, Integer> successful = world.successfulPutsByWorker();
        Scorecard.measure("records in", rows);
        Scorecard.measure("delivered", successful.size());
        Scorecard.measure("lost", rows - successful.size());
        Scorecard.measure("duplicate effects", successful.values().stream().filter(n -> n > 1).count());
        Scorecard.measure("faults survived: 503 with Retry-After", refused);
        assertThat(refused).as("attempts refused during the outage").isPositive();
        assertThat(successful).hasSize(rows);
        assertThat(successful.values()).as("one accepted PUT per worker").allMatch(n -> n == 1);
        Reconciliation.Report report = report(bridge).orElseThrow();
        assertThat(report.balanced()).isTrue();
        assertThat(report.targets()).singleElement().satisfies(t -> assertThat(t.delivered()).isEqualTo(rows));
        assertThat(openExceptions(bridge)).isEmpty();
        assertFileDoneOnce();
        assertThat(deliveryMetrics(bridge).getOrDefault("retried", 0.0)).as("retries counted in the metrics").isPositive();
    }

    @Test
    @ReliabilityScenario(2)
    void outageLongerThanTheRetryBudgetParksRecordsAndReplayDeliversThem() throws Exception {
        StubMapping outage = world.lms.stubFor(put(urlPathMatching(LMS_PATH + "/.*")).atPriority(1)
                .willReturn(aResponse().withStatus(503).withBody("{\"error\":\"lms down for maintenance\"}")));
        Bridge bridge = world.start(world.bridge().property("learnbridge.delivery.retryBudget", "PT2S"));
        world.upload(FILE, HrCsv.create().workers(1, ROWS).build());

        // The first parked record already tells the truth: its attempts are the PUTs the LMS received.
        ExceptionEntry first = await("a first record parked").atMost(Duration.ofSeconds(30)).pollInterval(Duration.ofMillis(100))
                .until(() -> openExceptions(bridge).stream().findFirst(), Optional::isPresent).orElseThrow();
        await("attempts of the first parked record match the LMS journal").atMost(Duration.ofSeconds(2))
                .untilAsserted(() -> assertThat(first.attempts()).as("attempts recorded for %s vs PUTs the LMS received", first.workerId())
                        .isEqualTo(journal.putsByWorker().get(first.workerId()).size()));

        awaitSettled(bridge, Duration.ofSeconds(60));
        Reconciliation.Report parked = report(bridge).orElseThrow();
        assertThat(parked.received()).isEqualTo(ROWS);
        assertThat(parked.targets()).singleElement().satisfies(t -> {
            assertThat(t.delivered()).isZero();
            assertThat(t.failed()).isEqualTo(ROWS);
        });
        assertThat(parked.balanced()).isTrue();
        assertThat(world.successfulPutsByWorker()).isEmpty();
        assertFileDoneOnce();

        Map<String, List<LmsJournal.Put>> putsByWorker = journal.putsByWorker();
        List<ExceptionEntry> open = openExceptions(bridge);
        assertThat(open).hasSize(ROWS);
        assertThat(open).extracting(ExceptionEntry::workerId).containsExactlyInAnyOrderElementsOf(workerIds(1, ROWS));
        assertThat(open).as("records tried again within the retry budget before the breaker opened")
                .anySatisfy(e -> assertThat(e.attempts()).isGreaterThan(1));
        assertThat(open).allSatisfy(e -> {
            int worker = Integer.parseInt(e.workerId().substring(1));
            assertThat(e.kind()).isEqualTo(ExceptionEntry.Kind.FAILED);
            assertThat(e.stage()).isEqualTo("deliver");
            assertThat(e.target()).isEqualTo("lms");
            assertThat(e.source()).isEqualTo("hris");
            assertThat(e.fileName()).isEqualTo(FILE);
            assertThat(e.line()).as("line of %s (header is line 1)", e.workerId()).isEqualTo(worker + 1);
            assertThat(e.httpStatus()).isEqualTo(503);
            assertThat(e.responseExcerpt()).contains("lms down for maintenance");
            // records held back while the LMS's circuit breaker was open get fewer attempts, never a hidden one
            assertThat(e.attempts()).as("attempts of %s", e.workerId()).isPositive()
                    .isEqualTo(putsByWorker.get(e.workerId()).size());
            assertThat(e.reason()).contains("503");
        });

        world.lms.removeStub(outage);
        HttpResponse<String> replay = bridge.api("POST", "/api/exceptions/replay?target=lms");
        assertThat(replay.statusCode()).isEqualTo(200);
        assertThat(replay.body()).contains("\"replayed\":true").doesNotContain("\"replayed\":false");

        awaitDelivered(bridge, ROWS, Duration.ofSeconds(60));
        Map<String, Integer> successful = world.successfulPutsByWorker();
        assertThat(successful).hasSize(ROWS).containsOnlyKeys(workerIds(1, ROWS));
        assertThat(successful.values()).allMatch(n -> n == 1);
        assertThat(openExceptions(bridge)).isEmpty();
        assertThat(exceptions(bridge, ExceptionEntry.Status.REPLAYED)).hasSize(ROWS);
        Reconciliation.Report replayed = report(bridge).orElseThrow();
        assertThat(replayed.targets()).singleElement().satisfies(t -> {
            assertThat(t.delivered()).isEqualTo(ROWS);
            assertThat(t.failed()).isZero();
        });
        assertThat(replayed.balanced()).isTrue();
    }

    @Test
    void lmsRejecting400ForOneWorkerQueuesOnlyThatWorker() throws Exception {
        String rejectedWorker = HrCsv.id(42);
        String errorBody = "{\"error\":\"invalid_department\",\"detail\":\"department Engineering is archived\"}";
        world.lms.stubFor(put(urlPathEqualTo(LMS_PATH + "/" + rejectedWorker)).atPriority(1)
                .willReturn(aResponse().withStatus(400).withHeader("Content-Type", "application/json").withBody(errorBody)));
        Bridge bridge = world.start(world.bridge());
        world.upload(FILE, HrCsv.create().workers(1, ROWS).build());

        awaitSettled(bridge, Duration.ofSeconds(60));
        Map<String, Integer> successful = world.successfulPutsByWorker();
        Set<String> others = new HashSet<>(workerIds(1, ROWS));
        others.remove(rejectedWorker);
        assertThat(successful).containsOnlyKeys(others);
        assertThat(successful.values()).allMatch(n -> n == 1);
        assertThat(journal.putsByWorker().get(rejectedWorker)).as("PUTs of the rejected worker: a 400 is not retried")
                .singleElement().satisfies(p -> assertThat(p.status()).isEqualTo(400));

        List<ExceptionEntry> all = exceptions(bridge, null);
        assertThat(all).singleElement().satisfies(e -> {
            assertThat(e.workerId()).isEqualTo(rejectedWorker);
            assertThat(e.kind()).isEqualTo(ExceptionEntry.Kind.FAILED);
            assertThat(e.status()).isEqualTo(ExceptionEntry.Status.OPEN);
            assertThat(e.stage()).isEqualTo("deliver");
            assertThat(e.target()).isEqualTo("lms");
            assertThat(e.httpStatus()).isEqualTo(400);
            assertThat(e.attempts()).isEqualTo(1);
            assertThat(e.responseExcerpt()).contains(errorBody);
            assertThat(e.fileName()).isEqualTo(FILE);
            assertThat(e.line()).isEqualTo(43);
        });
        Reconciliation.Report report = report(bridge).orElseThrow();
        assertThat(report.received()).isEqualTo(ROWS);
        assertThat(report.targets()).singleElement().satisfies(t -> {
            assertThat(t.delivered()).isEqualTo(ROWS - 1);
            assertThat(t.failed()).isEqualTo(1);
        });
        assertThat(report.balanced()).isTrue();
    }

    @Test
    @ReliabilityScenario(3)
    void connectionResetAfterTheLmsCommittedLeavesOneEffectPerWorker() throws Exception {
        // Every 10th worker: the LMS reads (journals, "commits") the first PUT, then resets the
        // connection instead of answering; later PUTs of that worker fall through to the 200 stub.
        List<String> resetWorkers = IntStream.rangeClosed(1, ROWS).filter(n -> n % 10 == 0).mapToObj(HrCsv::id).toList();
        for (String worker : resetWorkers) {
            world.lms.stubFor(put(urlPathEqualTo(LMS_PATH + "/" + worker)).atPriority(1)
                    .inScenario("reset-" + worker).whenScenarioStateIs(Scenario.STARTED).willSetStateTo("committed")
                    .willReturn(aResponse().withFault(Fault.CONNECTION_RESET_BY_PEER)));
        }
        Bridge bridge = world.start(world.bridge());
        world.upload(FILE, HrCsv.create().workers(1, ROWS).build());

        awaitSettled(bridge, Duration.ofSeconds(60));
        Map<String, List<LmsJournal.Put>> putsByWorker = journal.putsByWorker();
        assertThat(putsByWorker).as("the LMS holds one user per worker, keyed by the URL").hasSize(ROWS)
                .containsOnlyKeys(workerIds(1, ROWS));
        for (String worker : resetWorkers) {
            List<LmsJournal.Put> puts = putsByWorker.get(worker);
            assertThat(puts).as("PUTs of %s", worker).hasSizeGreaterThanOrEqualTo(2);
            assertThat(puts.get(0).fault()).isEqualTo(Fault.CONNECTION_RESET_BY_PEER);
        }
        putsByWorker.forEach((worker, puts) -> {
            assertThat(puts).as("PUTs of %s", worker).extracting(LmsJournal.Put::url).containsOnly(LMS_PATH + "/" + worker);
            assertThat(puts).as("bodies of %s", worker).extracting(LmsJournal.Put::body).containsOnly(puts.get(0).body());
            assertThat(puts.get(0).body()).contains("\"externalId\":\"" + worker + "\"");
            assertThat(puts.get(puts.size() - 1).succeeded()).as("final answer to %s", worker).isTrue();
            assertThat(puts.stream().filter(LmsJournal.Put::succeeded)).as("successful PUTs of %s", worker).hasSize(1);
        });

        assertThat(exceptions(bridge, null)).isEmpty();
        Reconciliation.Report report = report(bridge).orElseThrow();
        assertThat(report.targets()).singleElement().satisfies(t -> {
            assertThat(t.delivered()).isEqualTo(ROWS);
            assertThat(t.failed()).isZero();
        });
        assertThat(report.balanced()).isTrue();
    }

    @Test
    void replayAfterAMappingFixDeliversTheRejectedRow() throws Exception {
        Path mappings = copyOfRepositoryMappings();
        Bridge bridge = world.start(world.bridge().property("learnbridge.mappings.location", mappings.toString()));
        String unknownStatusWorker = HrCsv.id(ROWS + 1);
        world.upload(FILE, HrCsv.create().workers(1, ROWS)
                .row(unknownStatusWorker, "Unknown", "Status", "unknown@example.com", "", "ENG-1", "Engineer", "London", "Engineering", "X", "01/15/2020")
                .build());

        awaitSettled(bridge, Duration.ofSeconds(60));
        Reconciliation.Report before = report(bridge).orElseThrow();
        assertThat(before.received()).isEqualTo(ROWS + 1);
        assertThat(before.rejected()).isEqualTo(1);
        assertThat(before.targets()).singleElement().satisfies(t -> assertThat(t.delivered()).isEqualTo(ROWS));
        assertThat(before.balanced()).isTrue();
        assertThat(world.successfulPutsByWorker()).doesNotContainKey(unknownStatusWorker);
        ExceptionEntry rejected = openExceptions(bridge).stream().collect(singleElement());
        assertThat(rejected.kind()).isEqualTo(ExceptionEntry.Kind.REJECTED);
        assertThat(rejected.stage()).isEqualTo("map");
        assertThat(rejected.field()).isEqualTo("employmentStatus");
        assertThat(rejected.reason()).contains("employment-status");
        assertThat(rejected.line()).isEqualTo(ROWS + 2);

        Path lookup = mappings.resolve("lookups/employment-status.yaml");
        Files.writeString(lookup, Files.readString(lookup).stripTrailing() + "\n  X: ACTIVE\n");
        HttpResponse<String> replay = bridge.api("POST", "/api/exceptions/" + rejected.id() + "/replay");
        assertThat(replay.statusCode()).isEqualTo(200);
        assertThat(replay.body()).contains("\"replayed\":true");

        awaitDelivered(bridge, ROWS + 1, Duration.ofSeconds(30));
        Map<String, Integer> successful = world.successfulPutsByWorker();
        assertThat(successful).hasSize(ROWS + 1).containsEntry(unknownStatusWorker, 1);
        assertThat(successful.values()).allMatch(n -> n == 1);
        assertThat(journal.putsByWorker().get(unknownStatusWorker)).singleElement()
                .satisfies(p -> assertThat(p.body()).contains("\"active\":true"));
        assertThat(new ExceptionQueue(bridge.store()).get(rejected.id())).get()
                .satisfies(e -> assertThat(e.status()).isEqualTo(ExceptionEntry.Status.REPLAYED));
        Reconciliation.Report after = report(bridge).orElseThrow();
        assertThat(after.received()).isEqualTo(ROWS + 1);
        assertThat(after.rejected()).isZero();
        assertThat(after.targets()).singleElement().satisfies(t -> {
            assertThat(t.delivered()).isEqualTo(ROWS + 1);
            assertThat(t.failed()).isZero();
            assertThat(t.pending()).isZero();
        });
        assertThat(after.balanced()).isTrue();
    }

    // --- helpers ---------------------------------------------------------------------------

    private static Optional<Reconciliation.Report> report(Bridge bridge) {
        return new Reconciliation(bridge.store()).forDrop(1);
    }

    private static void awaitSettled(Bridge bridge, Duration atMost) {
        await("drop 1 staged and nothing pending").atMost(atMost).pollInterval(Duration.ofMillis(200))
                .until(() -> report(bridge).map(Reconciliation.Report::settled).orElse(false));
    }

    private static void awaitDelivered(Bridge bridge, int delivered, Duration atMost) {
        await(delivered + " delivered").atMost(atMost).pollInterval(Duration.ofMillis(200))
                .until(() -> report(bridge).filter(Reconciliation.Report::settled)
                        .map(r -> r.targets().stream().allMatch(t -> t.delivered() == delivered)).orElse(false));
    }

    private static List<ExceptionEntry> openExceptions(Bridge bridge) {
        return exceptions(bridge, ExceptionEntry.Status.OPEN);
    }

    private static List<ExceptionEntry> exceptions(Bridge bridge, ExceptionEntry.Status status) {
        return new ExceptionQueue(bridge.store()).list(new ExceptionQueue.Filter(status, null, null, null, null, 10_000));
    }

    private void assertFileDoneOnce() throws IOException {
        Path done = world.inbox().resolve(".done");
        String archived = "workers.1.csv"; // FILE, archived under its drop id
        await("drop moved to .done").atMost(Duration.ofSeconds(10)).until(() -> Files.exists(done.resolve(archived)));
        try (Stream<Path> files = Files.list(done)) {
            assertThat(files.map(p -> p.getFileName().toString())).containsExactly(archived);
        }
        assertThat(world.inbox().resolve(FILE)).doesNotExist();
    }

    /** {@code learnbridge_deliveries_total} for target lms, by outcome, from the Prometheus endpoint. */
    private static Map<String, Double> deliveryMetrics(Bridge bridge) throws Exception {
        HttpResponse<String> response = bridge.get(bridge.managementPort(), "/observe/metrics");
        assertThat(response.statusCode()).isEqualTo(200);
        Map<String, Double> byOutcome = new java.util.HashMap<>();
        Matcher m = DELIVERIES_METRIC.matcher(response.body());
        while (m.find()) {
            Map<String, String> labels = Stream.of(m.group(1).split(",")).filter(s -> s.contains("="))
                    .map(s -> s.split("=", 2)).collect(Collectors.toMap(kv -> kv[0].strip(), kv -> kv[1].strip().replace("\"", "")));
            if ("lms".equals(labels.get("target"))) {
                byOutcome.merge(labels.get("outcome"), Double.parseDouble(m.group(2)), Double::sum);
            }
        }
        return byOutcome;
    }

    private Path copyOfRepositoryMappings() throws IOException {
        Path from = Path.of("mappings").toAbsolutePath();
        Path to = home.resolve("mappings");
        try (Stream<Path> files = Files.walk(from)) {
            for (Path file : (Iterable<Path>) files::iterator) {
                Path target = to.resolve(from.relativize(file).toString());
                if (Files.isDirectory(file)) {
                    Files.createDirectories(target);
                } else {
                    Files.copy(file, target);
                }
            }
        }
        return to;
    }

    private static List<String> workerIds(int from, int toInclusive) {
        return IntStream.rangeClosed(from, toInclusive).mapToObj(HrCsv::id).toList();
    }

    private static <T> java.util.stream.Collector<T, ?, T> singleElement() {
        return Collectors.collectingAndThen(Collectors.toList(), list -> {
            assertThat(list).hasSize(1);
            return list.get(0);
        });
    }
}
