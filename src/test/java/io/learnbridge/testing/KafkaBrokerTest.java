package io.learnbridge.testing;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.catchThrowable;

import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.time.Duration;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.TimeUnit;

import org.apache.kafka.clients.consumer.ConsumerRecord;
import org.apache.kafka.clients.consumer.KafkaConsumer;
import org.apache.kafka.clients.producer.KafkaProducer;
import org.apache.kafka.clients.producer.ProducerConfig;
import org.apache.kafka.clients.producer.ProducerRecord;
import org.apache.kafka.common.errors.TimeoutException;
import org.awaitility.Awaitility;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.api.io.TempDir;

/** Proves {@link KafkaBroker}: a real KRaft broker in this JVM, and one in a child JVM that survives kill -9. */
@Timeout(value = 90, unit = TimeUnit.SECONDS)
class KafkaBrokerTest {

    @Test
    void inJvmBrokerStoresKeyedRecordsAndTheOffsetsAConsumerCommits() {
        try (KafkaBroker broker = KafkaBroker.inJvm()) {
            broker.createTopic("people", 3);
            for (int i = 0; i < 99; i++) {
                broker.send("people", "person-" + i, value("v" + i));
            }
            broker.send("people", "person-99", null);

            try (KafkaConsumer<String, byte[]> consumer = broker.consumer("reader")) {
                consumer.subscribe(List.of("people"));
                Map<String, byte[]> read = readAtLeast(consumer, 100);
                consumer.commitSync();

                assertThat(read).hasSize(100).containsKey("person-99");
                assertThat(read.get("person-99")).as("tombstone value").isNull();
                assertThat(read.get("person-42")).isEqualTo(value("v42"));
            }
            assertThat(broker.committedOffset("reader", "people")).isEqualTo(100);
            assertThat(broker.committedOffsets("reader", "people")).as("one committed offset per partition").hasSize(3);
        }
    }

    @Test
    void childJvmBrokerKeepsAckedRecordsThroughKillNineAndComesBackOnTheSameAddress(@TempDir Path dataDir) {
        try (KafkaBroker broker = KafkaBroker.childJvm(dataDir)) {
            String address = broker.bootstrapServers();
            broker.createTopic("changes", 3);
            for (int i = 0; i < 10; i++) {
                broker.send("changes", "before-" + i, value("before-" + i));
            }

            broker.kill();

            long started = System.nanoTime();
            Throwable failure;
            try (KafkaProducer<String, byte[]> producer = broker.producer(Map.of(ProducerConfig.MAX_BLOCK_MS_CONFIG, 1_000))) {
                failure = catchThrowable(() -> producer.send(new ProducerRecord<>("changes", "lost", value("lost")))
                        .get(10, TimeUnit.SECONDS));
            }
            assertThat(failure).as("send to a killed broker").hasRootCauseInstanceOf(TimeoutException.class);
            assertThat(Duration.ofNanos(System.nanoTime() - started)).isLessThan(Duration.ofSeconds(8));

            broker.restart();

            assertThat(broker.bootstrapServers()).isEqualTo(address);
            try (KafkaConsumer<String, byte[]> consumer = broker.consumer("after-restart")) {
                consumer.subscribe(List.of("changes"));
                assertThat(readAtLeast(consumer, 10).keySet())
                        .containsExactlyInAnyOrder(keys("before-", 10));
                consumer.commitSync();
            }
            assertThat(broker.committedOffset("after-restart", "changes")).isEqualTo(10);

            for (int i = 0; i < 10; i++) {
                broker.send("changes", "after-" + i, value("after-" + i));
            }
            try (KafkaConsumer<String, byte[]> consumer = broker.consumer("everything")) {
                consumer.subscribe(List.of("changes"));
                Map<String, byte[]> all = readAtLeast(consumer, 20);
                assertThat(all).hasSize(20).doesNotContainKey("lost");
                assertThat(all.get("before-3")).isEqualTo(value("before-3"));
                assertThat(all.get("after-7")).isEqualTo(value("after-7"));
            }
        }
    }

    /** Polls (in this thread: consumers are single-threaded) until {@code count} records arrived, by key. */
    private static Map<String, byte[]> readAtLeast(KafkaConsumer<String, byte[]> consumer, int count) {
        Map<String, byte[]> byKey = new HashMap<>();
        Awaitility.await(count + " records")
                .atMost(Duration.ofSeconds(30))
                .pollInSameThread()
                .pollInterval(Duration.ofMillis(1))
                .until(() -> {
                    for (ConsumerRecord<String, byte[]> r : consumer.poll(Duration.ofMillis(500))) {
                        byKey.put(r.key(), r.value());
                    }
                    return byKey.size() >= count;
                });
        return byKey;
    }

    private static String[] keys(String prefix, int count) {
        String[] keys = new String[count];
        for (int i = 0; i < count; i++) {
            keys[i] = prefix + i;
        }
        return keys;
    }

    private static byte[] value(String text) {
        return text.getBytes(StandardCharsets.UTF_8);
    }
}
