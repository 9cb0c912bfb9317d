package io.learnbridge.cluster;

import static io.learnbridge.testing.EventWorld.SOURCE;
import static io.learnbridge.testing.EventWorld.event;
import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

import io.learnbridge.testing.BridgeProcess;
import io.learnbridge.testing.EventWorld;
import io.learnbridge.testing.KafkaBroker;
import io.learnbridge.testing.LmsJournal;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.time.Duration;
import java.time.Instant;
import java.util.Map;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * Several instances, one Kafka consumer group: two bridges in child JVMs on one PostgreSQL store read one topic of
 * four partitions in one group. The second starts while the first is consuming, so the group rebalances mid-stream.
 * Every record is stored once and every worker reaches the LMS; a record polled before the rebalance and read again
 * after it may send its worker's identical state again (an idempotent upsert, counted apart), never a different one.
 */
class TwoInstancesKafkaTest {

    private static final int RECORDS = 2000;
    private static final String TOPIC = "workers-shared";
    private static final String GROUP = "learnbridge-shared";

    @TempDir
    Path home;
    private SharedStore store;
    private KafkaBroker broker;
    private EventWorld world;

    @BeforeEach
    void start() throws Exception {
        store = new SharedStore();
        broker = KafkaBroker.inJvm();
        world = new EventWorld(home);
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
        settings.put("camel.main.routesIncludePattern", "classpath:routes/*.camel.yaml,classpath:test-routes/source-hr-events-kafka.camel.yaml");
        settings.put("learnbridge.targets.lms.url", world.lms.baseUrl() + "/lms/users");
        settings.put("learnbridge.sources." + SOURCE + ".targets", "lms");
        settings.put("learnbridge.sources." + SOURCE + ".kafka.topic", TOPIC);
        settings.put("learnbridge.sources." + SOURCE + ".kafka.brokers", broker.bootstrapServers());
        settings.put("learnbridge.sources." + SOURCE + ".kafka.groupId", GROUP);
        return settings;
    }

    private void send(int from, int to, Instant at) {
        for (int i = from; i < to; i++) {
            broker.send(TOPIC, "W" + i, event("W" + i, "Engineer", at).getBytes(StandardCharsets.UTF_8));
        }
    }

    @Test
    void twoInstancesInOneConsumerGroupStoreEveryRecordOnceThroughARebalance() throws Exception {
        broker.createTopic(TOPIC, 4);
        Instant at = Instant.parse("2026-11-03T08:00:00Z");
        send(0, RECORDS / 2, at);
        try (BridgeProcess a = new BridgeProcess(home.resolve("a"), settings("bridge-a"));
             BridgeProcess b = new BridgeProcess(home.resolve("b"), settings("bridge-b"))) {
            a.start();
            await().atMost(Duration.ofSeconds(60)).pollInterval(Duration.ofMillis(100)).until(() -> world.journal().countByWorker(200).size() >= 100);
            // the second instance joins the group while the first is consuming: the partitions are shared out again
            b.start();
            // the group now has both instances as members, each assigned some of the four partitions
            await().atMost(Duration.ofSeconds(60)).pollInterval(Duration.ofMillis(200)).until(() -> partitionsByMember().size() == 2
                    && partitionsByMember().values().stream().allMatch(n -> n > 0));
            System.out.printf("consumer group %s after the rebalance: partitions by member %s%n", GROUP, partitionsByMember());
            send(RECORDS / 2, RECORDS, at);

            await().atMost(Duration.ofSeconds(120)).pollInterval(Duration.ofMillis(200))
                    .until(() -> world.journal().countByWorker(200).size() == RECORDS);
            await().atMost(Duration.ofSeconds(90)).until(() -> broker.committedOffset(GROUP, TOPIC) == RECORDS);

            LmsJournal.Resends resends = world.journal().resends();
            assertThat(world.journal().countByWorker(200)).as("lost").hasSize(RECORDS);
            assertThat(resends.conflicting()).as("workers sent two different states").isEmpty();
            assertThat(store.count("select count(*) from inbound_event")).as("records stored once each").isEqualTo(RECORDS);
            assertThat(store.count("select count(*) from delivery")).as("deliveries queued once each").isEqualTo(RECORDS);
            assertThat(store.count("select count(*) from delivery where status = 'DELIVERED'")).isEqualTo(RECORDS);
            System.out.printf("two instances, one consumer group, a rebalance mid-stream: %d records, deliveries settled by instance %s, "
                    + "%d identical upserts sent again%n", RECORDS, store.deliveriesByInstance(), resends.identical());
        }
    }

    /** How many partitions of the topic each member of the group is assigned, by member id. */
    private Map<String, Integer> partitionsByMember() throws Exception {
        Map<String, Integer> partitions = new java.util.TreeMap<>();
        broker.admin().describeConsumerGroups(java.util.List.of(GROUP)).all().get().get(GROUP).members()
                .forEach(m -> partitions.put(m.consumerId(), m.assignment().topicPartitions().size()));
        return partitions;
    }


}
