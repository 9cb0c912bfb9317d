package io.learnbridge.cluster;

import static io.learnbridge.testing.EventWorld.NEW_SECRET;
import static io.learnbridge.testing.EventWorld.OLD_SECRET;
import static io.learnbridge.testing.EventWorld.SOURCE;
import static io.learnbridge.testing.EventWorld.event;
import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import io.learnbridge.testing.BridgeProcess;
import io.learnbridge.testing.EventWorld;
import io.learnbridge.testing.HrCsv;
import io.learnbridge.testing.KafkaBroker;
import io.learnbridge.testing.LmsJournal;
import io.learnbridge.testing.ReliabilityScenario;
import io.learnbridge.testing.Scorecard;
import io.learnbridge.testing.TestHttp;
import java.net.URI;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicInteger;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * RELIABILITY.md scenario 16 across the whole bridge: two bridges in child JVMs on one embedded PostgreSQL store, one
 * drop folder (polled by the elected instance, {@code learnbridge.cluster.service = store}), one Kafka consumer group
 * on a KRaft broker and webhooks sent to both as a load balancer would. A 10,000-row drop, 5,000 Kafka records and
 * 2,000 webhooks arrive while:
 * <ol>
 * <li>the leader is killed with -9 while it stages the drop: the other takes the folder, marks the dead one departed
 * and stages the drop again from the start;</li>
 * <li>the killed instance is started again (same instance id, as a rolling restart or a service manager would): the
 * consumer group rebalances while records are being consumed;</li>
 * <li>the other is killed with -9 while deliveries are in flight (the LMS answers each in 20 ms): the restarted one
 * marks it departed and takes its claimed deliveries, events and the drop's rest;</li>
 * <li>it is started again too.</li>
 * </ol>
 * Then a checker counts from the LMS's own journal: every worker of the drop, the topic and the webhooks delivered
 * (lost 0), never two different states for one worker (duplicate effects 0), identical upserts sent again reported
 * apart; the drop's reconciliation is read through the API of each instance, and both show it balanced and settled.
 */
class ClusterScenarioTest {

    private static final int DROP_ROWS = 10_000;
    private static final int RECORDS = 5_000;
    private static final int WEBHOOKS = 2_000;
    private static final String TOPIC = "workers-cluster";
    private static final String GROUP = "learnbridge-cluster";
    private static final ObjectMapper JSON = new ObjectMapper();

    @TempDir
    Path home;
    private SharedStore store;
    private KafkaBroker broker;
    private EventWorld world;
    private Path folder;

    @BeforeEach
    void start() throws Exception {
        store = new SharedStore();
        broker = KafkaBroker.inJvm();
        world = new EventWorld(home);
        // each answer takes 20 ms, so the deliveries are still in flight when the second instance is killed
        world.lms.stubFor(com.github.tomakehurst.wiremock.client.WireMock.put(com.github.tomakehurst.wiremock.client.WireMock.urlPathMatching("/lms/users/.*"))
                .atPriority(1).willReturn(com.github.tomakehurst.wiremock.client.WireMock.aResponse().withStatus(200).withFixedDelay(20)));
        folder = Files.createDirectories(home.resolve("shared/drops/hris"));
    }

    @AfterEach
    void stop() throws Exception {
        if (world != null) {
            world.close();
        }
        if (broker != null) {
            broker.close();
        }
        if (store != null) {
            store.close();
        }
    }

    private Map<String, String> settings(String instance) {
        Map<String, String> settings = store.settings(instance);
        settings.put("learnbridge.cluster.service", "store");
        // a killed instance is marked departed, and its claims taken, 4 to 5 s after its last beat
        settings.put("learnbridge.cluster.heartbeat", "1s");
        settings.put("learnbridge.cluster.departedAfter", "PT4S");
        settings.put("camel.main.routesIncludePattern", "classpath:routes/*.camel.yaml,classpath:test-routes/source-hr-events-kafka-cluster.camel.yaml");
        settings.put("learnbridge.sources.hris.directory", folder.toString());
        // small batches: staging the drop takes long enough to kill its leader in the middle of the rows
        settings.put("learnbridge.drops.batchSize", "50");
        settings.put("learnbridge.targets.lms.url", world.lms.baseUrl() + "/lms/users");
        settings.put("learnbridge.sources." + SOURCE + ".targets", "lms");
        settings.put("learnbridge.sources." + SOURCE + ".kafka.topic", TOPIC);
        settings.put("learnbridge.sources." + SOURCE + ".kafka.brokers", broker.bootstrapServers());
        settings.put("learnbridge.sources." + SOURCE + ".kafka.groupId", GROUP);
        settings.put("learnbridge.sources." + SOURCE + ".webhook.verifier", "standard-webhooks");
        settings.put("learnbridge.sources." + SOURCE + ".webhook.secrets", OLD_SECRET + "," + NEW_SECRET);
        return settings;
    }

    @Test
    @ReliabilityScenario(16)
    void twoInstancesKilledInTurnWhileADropRecordsAndWebhooksFlowLoseNothingAndDoNothingTwice() throws Exception {
        broker.createTopic(TOPIC, 4);
        Instant at = Instant.parse("2026-11-03T08:00:00Z");
        try (BridgeProcess a = new BridgeProcess(home.resolve("a"), settings("bridge-a"));
             BridgeProcess b = new BridgeProcess(home.resolve("b"), settings("bridge-b"))) {
            a.start();
            b.start();
            awaitReady(a);
            awaitReady(b);
            Map<String, BridgeProcess> bridges = Map.of("bridge-a", a, "bridge-b", b);

            ExecutorService senders = Executors.newFixedThreadPool(5);
            LoadBalancer balancer = new LoadBalancer(world);
            AtomicInteger accepted = new AtomicInteger();
            List<Future<?>> sending = new ArrayList<>();
            try {
                // 5,000 records in ten slices of 500, 400 ms apart, so that consuming spans both kills and the rebalance
                sending.add(senders.submit(() -> {
                    for (int slice = 0; slice < 10; slice++) {
                        for (int i = slice * 500; i < (slice + 1) * 500; i++) {
                            String worker = String.format("K%05d", i);
                            broker.send(TOPIC, worker, event(worker, "Engineer", at).getBytes(StandardCharsets.UTF_8));
                        }
                        TimeUnit.MILLISECONDS.sleep(400);
                    }
                    return null;
                }));
                // 2,000 webhooks, each to one instance in turn; one that fails (the instance is down) is sent to the other
                for (int t = 0; t < 4; t++) {
                    int thread = t;
                    sending.add(senders.submit(() -> {
                        for (int i = thread; i < WEBHOOKS; i += 4) {
                            balancer.send(String.format("W%05d", i), i % 2 == 0 ? a : b, i % 2 == 0 ? b : a, at);
                            accepted.incrementAndGet();
                            TimeUnit.MILLISECONDS.sleep(5);
                        }
                        return null;
                    }));
                }

                drop("day1.csv", 1, DROP_ROWS);
                // 1. the leader is killed in the middle of the drop's rows
                await().atMost(Duration.ofSeconds(120)).pollInterval(Duration.ofMillis(5)).until(() ->
                        store.count("select count(*) from drop_row") > 1_000 && store.count("select count(*) from drop_file where status = 'STAGING'") == 1);
                String first = claimer();
                BridgeProcess firstLeader = bridges.get(first);
                String second = first.equals("bridge-a") ? "bridge-b" : "bridge-a";
                BridgeProcess secondLeader = bridges.get(second);
                phase("drop mid-rows");
                firstLeader.kill();
                long firstKill = System.nanoTime();
                int stagedAtKill = store.count("select count(*) from drop_row");

                // the other takes the folder and, once it has marked the dead one departed, the drop
                await().atMost(Duration.ofSeconds(60)).pollInterval(Duration.ofMillis(100)).until(() -> second.equals(claimer()));
                long retaken = (System.nanoTime() - firstKill) / 1_000_000;
                phase("drop taken by the other");

                // 2. the killed one starts again: it rejoins the consumer group while records are consumed
                firstLeader.start();
                awaitReady(firstLeader);
                phase("first killed restarted");
                // the group shares the four partitions out again between the two
                await().atMost(Duration.ofSeconds(60)).pollInterval(Duration.ofMillis(200)).until(() -> partitionsByMember().size() == 2
                        && partitionsByMember().values().stream().allMatch(n -> n > 0));
                Map<String, Integer> partitions = partitionsByMember();
                phase("consumer group rebalanced " + partitions.values());

                // 3. the other is killed while deliveries are in flight
                int total = DROP_ROWS + RECORDS + WEBHOOKS;
                await().atMost(Duration.ofSeconds(180)).pollInterval(Duration.ofMillis(20))
                        .until(() -> world.journal().countByWorker(200).size() >= total / 2);
                phase("half delivered");
                secondLeader.kill();
                int deliveredAtSecondKill = world.journal().countByWorker(200).size();
                int inFlight = store.count("select count(*) from delivery where status <> 'DELIVERED'")
                        + store.count("select count(*) from delivery_range");
                int claimedByKilled = store.count("select count(*) from delivery where status = 'SENDING' and claimed_by = '" + second + "'")
                        + store.count("select count(*) from delivery_range where status = 'SENDING' and claimed_by = '" + second + "'");
                assertThat(deliveredAtSecondKill).as("killed mid-delivery: not everything delivered yet").isLessThan(total);

                // the restarted one marks it departed and takes what it held claimed, without waiting for it to come back
                await().atMost(Duration.ofSeconds(30)).pollInterval(Duration.ofMillis(100))
                        .until(() -> Files.readString(firstLeader.log()).contains("Instance " + second + " was last seen at"));
                phase("the second killed marked departed");
                // 4. and started again
                secondLeader.start();
                awaitReady(secondLeader);
                phase("second killed restarted");

                for (Future<?> sent : sending) {
                    sent.get(180, TimeUnit.SECONDS);
                }
                assertThat(accepted.get()).as("every webhook accepted by one instance or the other").isEqualTo(WEBHOOKS);
                phase("all sent");

                await().atMost(Duration.ofSeconds(240)).pollInterval(Duration.ofMillis(500))
                        .until(() -> world.journal().countByWorker(200).size() == total);
                phase("all delivered");
                await().atMost(Duration.ofSeconds(60)).until(() -> broker.committedOffset(GROUP, TOPIC) == RECORDS);
                await().atMost(Duration.ofSeconds(60)).until(() -> store.count("select count(*) from delivery where status <> 'DELIVERED'") == 0
                        && store.count("select count(*) from delivery_range") == 0
                        && store.count("select count(*) from drop_file where status = 'STAGED'") == 1);
                await().atMost(Duration.ofSeconds(30)).until(() -> Files.exists(folder.resolve(".done/day1.1.csv")));
                phase("drop archived");
                // nothing more arrives: a second without a request to the LMS
                int requests = world.journal().puts().size();
                await().during(Duration.ofSeconds(1)).atMost(Duration.ofSeconds(5)).until(() -> world.journal().puts().size() == requests);

                // the checker, from the LMS's own journal
                Map<String, List<LmsJournal.Put>> byWorker = world.journal().putsByWorker();
                LmsJournal.Resends resends = world.journal().resends();
                List<String> expected = new ArrayList<>();
                for (int i = 1; i <= DROP_ROWS; i++) {
                    expected.add(String.format("E%06d", i));
                }
                for (int i = 0; i < RECORDS; i++) {
                    expected.add(String.format("K%05d", i));
                }
                for (int i = 0; i < WEBHOOKS; i++) {
                    expected.add(String.format("W%05d", i));
                }
                Map<String, Long> delivered = world.journal().countByWorker(200);
                List<String> lost = expected.stream().filter(w -> !delivered.containsKey(w)).toList();
                Scorecard.measureJournal(total, world.journal());
                Scorecard.measure("faults survived: kill -9", 2);
                Scorecard.measure("faults survived: consumer-group rebalance", 2);
                System.out.printf("cluster scenario: %s killed after %d of %d rows staged, %s took the drop %d ms after; %s killed with %d of %d"
                                + " workers delivered, %d deliveries not yet delivered (%d claimed by it); delivered by instance %s; %d identical upserts"
                                + " sent again%n", first, stagedAtKill, DROP_ROWS, second, retaken, second, deliveredAtSecondKill, total, inFlight,
                        claimedByKilled, store.deliveriesByInstance(), resends.identical());

                assertThat(lost).as("lost").isEmpty();
                assertThat(byWorker.keySet()).as("nothing but the expected workers").containsExactlyInAnyOrderElementsOf(expected);
                assertThat(resends.conflicting()).as("workers sent two different states").isEmpty();
                // identical upserts sent again: deliveries answered before a kill whose outcome was not stored, at most a
                // batch per target and instance killed (100), and records polled before a rebalance and read again
                assertThat(resends.identical()).as("identical upserts sent again").isLessThanOrEqualTo(400);
                assertThat(store.count("select count(*) from inbound_event")).as("records and webhooks stored once each").isEqualTo(RECORDS + WEBHOOKS);
                assertThat(store.count("select count(*) from inbound_event where status in ('RECEIVED', 'PROCESSING')")).isZero();
                assertThat(store.count("select count(*) from exception_record")).as("nothing in the exception queue").isZero();
                assertThat(store.count("select count(*) from drop_file")).as("the drop claimed once, by content").isEqualTo(1);
                assertThat(Files.exists(folder.resolve("day1.csv"))).as("the file archived").isFalse();
                assertThat(Files.readString(secondLeader.log())).as("the dead leader was marked departed by the other")
                        .contains("Instance " + first + " was last seen at");

                // each instance names itself on its metrics and in its log lines
                for (Map.Entry<String, BridgeProcess> bridge : bridges.entrySet()) {
                    String id = bridge.getKey();
                    String other = id.equals("bridge-a") ? "bridge-b" : "bridge-a";
                    assertThat(metrics(bridge.getValue().managementPort())).as("each instance's metrics carry its id")
                            .contains("instance_id=\"" + id + "\"").doesNotContain("instance_id=\"" + other + "\"");
                    assertThat(Files.readString(bridge.getValue().log())).as("each instance's log lines carry its id")
                            .containsPattern("\\+0000 " + id + " \\[[^]]+\\] INFO io\\.learnbridge");
                }

                // a worker's audit trail names the instance that staged its change and the one that sent it, from either instance
                for (String worker : List.of("E000001", String.format("E%06d", DROP_ROWS), "K00000", "W00001")) {
                    JsonNode trail = api(a, "/api/workers/" + worker + "/history");
                    assertThat(trail).as("the same trail from both instances").isEqualTo(api(b, "/api/workers/" + worker + "/history"));
                    assertThat(trail.path("changes").get(0).path("instance").asText()).as(worker + "'s change: " + trail).isIn("bridge-a", "bridge-b");
                    assertThat(trail.path("deliveries")).as(worker + "'s deliveries: " + trail).hasSize(1);
                    assertThat(trail.path("deliveries").get(0).path("instance").asText()).as(worker + "'s delivery: " + trail).isIn("bridge-a", "bridge-b");
                }

                // the drop's reconciliation, from each instance's API: the same, balanced and settled
                JsonNode fromA = dropReport(a);
                JsonNode fromB = dropReport(b);
                assertThat(fromA).as("both instances show the same reconciliation").isEqualTo(fromB);
                assertThat(fromA.path("status").asText()).isEqualTo("SETTLED");
                assertThat(fromA.path("received").asInt()).isEqualTo(DROP_ROWS);
                assertThat(balanced(fromA)).as("received = delivered + failed + pending + not taken + unchanged + ... at every target: " + fromA).isTrue();
                assertThat(fromA.path("targets").get(0).path("delivered").asInt()).isEqualTo(DROP_ROWS);
                // and the operator's command, with either instance's settings, says the same
                String dropsFromA = reportLines(command("drops", "--settings", home.resolve("a/settings.properties").toString()));
                assertThat(dropsFromA).contains("drop 1 ").contains("received " + DROP_ROWS).contains("-> lms: delivered " + DROP_ROWS + ", failed 0, pending 0");
                assertThat(reportLines(command("drops", "--settings", home.resolve("b/settings.properties").toString()))).isEqualTo(dropsFromA);
            } finally {
                senders.shutdownNow();
            }
        }
    }

    private final long started = System.nanoTime();

    private void phase(String name) {
        System.out.printf("cluster scenario: %s at %d ms%n", name, (System.nanoTime() - started) / 1_000_000);
    }

    /** How many partitions of the topic each member of the group is assigned, by member id. */
    private Map<String, Integer> partitionsByMember() throws Exception {
        Map<String, Integer> partitions = new java.util.TreeMap<>();
        broker.admin().describeConsumerGroups(List.of(GROUP)).all().get().get(GROUP).members()
                .forEach(m -> partitions.put(m.consumerId(), m.assignment().topicPartitions().size()));
        return partitions;
    }

    private static String metrics(int port) throws Exception {
        return TestHttp.client().send(HttpRequest.newBuilder(URI.create("http://127.0.0.1:" + port + "/observe/metrics"))
                .timeout(TestHttp.REQUEST_TIMEOUT).build(), HttpResponse.BodyHandlers.ofString()).body();
    }

    private void drop(String name, int from, int to) throws Exception {
        Path partial = folder.resolve("." + name + ".part");
        Files.writeString(partial, HrCsv.create().workers(from, to).build(), StandardCharsets.UTF_8);
        Files.move(partial, folder.resolve(name));
    }

    private String claimer() throws Exception {
        List<String> claimers = store.claimers();
        return claimers.isEmpty() ? null : claimers.get(0);
    }

    /** A command of the runnable jar, run in this JVM as an operator would run it; its output. */
    private static synchronized String command(String... args) {
        java.io.PrintStream original = System.out;
        java.io.ByteArrayOutputStream buffer = new java.io.ByteArrayOutputStream();
        System.setOut(new java.io.PrintStream(buffer, true, StandardCharsets.UTF_8));
        try {
            int code = io.learnbridge.cli.LearnBridgeCli.execute(args);
            assertThat(code).as(String.join(" ", args) + ": " + buffer.toString(StandardCharsets.UTF_8)).isZero();
            return buffer.toString(StandardCharsets.UTF_8);
        } finally {
            System.setOut(original);
        }
    }

    /** The report's own lines (a drop's line and the lines under it), without what the command says about where it reads from. */
    private static String reportLines(String output) {
        return output.lines().filter(line -> line.startsWith("drop ") || line.startsWith("    ")).collect(java.util.stream.Collectors.joining("\n"));
    }

    private static void awaitReady(BridgeProcess bridge) {
        await().atMost(Duration.ofSeconds(90)).pollInterval(Duration.ofMillis(200)).until(() -> SharedStore.ready(bridge.managementPort()));
    }

    private static JsonNode dropReport(BridgeProcess bridge) throws Exception {
        return api(bridge, "/api/drops/1");
    }

    private static JsonNode api(BridgeProcess bridge, String path) throws Exception {
        HttpResponse<String> answer = TestHttp.client().send(HttpRequest.newBuilder(URI.create("http://127.0.0.1:" + bridge.port() + path))
                .header("Authorization", "Bearer test-token").timeout(TestHttp.REQUEST_TIMEOUT).build(), HttpResponse.BodyHandlers.ofString());
        assertThat(answer.statusCode()).as(answer.body()).isEqualTo(200);
        return JSON.readTree(answer.body());
    }

    /** The report's balance, as {@code Reconciliation.Report.balanced} states it, from the JSON an operator reads. */
    private static boolean balanced(JsonNode report) {
        int settled = 0;
        for (String field : List.of("unchanged", "superseded", "rejected", "quarantined", "held", "discarded", "staging")) {
            settled += report.path(field).asInt();
        }
        int received = report.path("received").asInt();
        for (JsonNode target : report.path("targets")) {
            if (received != settled + target.path("delivered").asInt() + target.path("failed").asInt() + target.path("pending").asInt()
                    + target.path("notTaken").asInt()) {
                return false;
            }
        }
        return report.path("targets").size() > 0;
    }
}
