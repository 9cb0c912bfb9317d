package io.learnbridge.bench.kafka;

import com.fasterxml.jackson.core.JsonFactory;
import com.fasterxml.jackson.core.JsonGenerator;
import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import io.learnbridge.camel.LearnBridgeConfiguration;
import io.learnbridge.bench.CpuClock;
import io.learnbridge.bench.HeapWatch;
import io.learnbridge.bench.delivery.LoopbackTarget;
import io.learnbridge.bench.sync.FloorSender;
import io.learnbridge.bench.sync.FloorSync;
import io.learnbridge.bench.sync.StoreDb;
import io.learnbridge.bench.sync.SyncOptions;
import java.io.IOException;
import java.io.StringWriter;
import java.net.InetAddress;
import java.net.ServerSocket;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.security.MessageDigest;
import java.sql.Connection;
import java.sql.PreparedStatement;
import java.sql.ResultSet;
import java.sql.SQLException;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.HexFormat;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Properties;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicReference;
import org.apache.camel.main.Main;
import org.apache.kafka.clients.admin.Admin;
import org.apache.kafka.clients.admin.AdminClientConfig;
import org.apache.kafka.clients.admin.NewTopic;
import org.apache.kafka.clients.consumer.ConsumerConfig;
import org.apache.kafka.clients.consumer.ConsumerRecord;
import org.apache.kafka.clients.consumer.ConsumerRecords;
import org.apache.kafka.clients.consumer.KafkaConsumer;
import org.apache.kafka.clients.consumer.OffsetAndMetadata;
import org.apache.kafka.clients.producer.KafkaProducer;
import org.apache.kafka.clients.producer.ProducerConfig;
import org.apache.kafka.clients.producer.ProducerRecord;
import org.apache.kafka.common.TopicPartition;
import org.apache.kafka.common.serialization.ByteArrayDeserializer;
import org.apache.kafka.common.serialization.ByteArraySerializer;
import org.apache.kafka.common.serialization.StringDeserializer;
import org.apache.kafka.common.serialization.StringSerializer;

/**
 * Kafka → map → target, both ways, from one topic preloaded with one change event per worker
 * (source {@code hr-events}'s JSON, key = worker id). Ours: the real bridge booted in this JVM as
 * {@code run} boots it, with a route from the packaged Kamelet {@code learnbridge-kafka-source} for the topic
 * (a fresh consumer group), the packaged routes {@code process-events} and {@code deliver-lms}, and
 * the REST JSON LMS target pointed at the loopback target. The floor: a hand-written
 * {@link KafkaConsumer} loop doing the same work: poll (500 records), parse each value, map it to
 * the LMS payload, compare it with the stored state (one look-up per poll), write the changed
 * states and commit, only then commit the offsets (synchronously), then PUT each changed worker
 * ({@link FloorSender}, the same parallelism). Each run lasts from its start (the bridge's boot
 * included) to the last PUT received.
 */
public final class KafkaBench {

    public static final String SOURCE = "hr-events";
    public static final String TARGET = "lms";
    private static final int POLL_RECORDS = 500;
    private static final ObjectMapper MAPPER = new ObjectMapper();
    private static final JsonFactory JSON = new JsonFactory();

    /** What one pipeline's run did. */
    public record Result(String pipeline, int run, long expected, LoopbackTarget.Counts received, double seconds, CpuClock.Span span,
                         HeapWatch.Peaks heap, long committed, List<String> problems) {

        public boolean ok() {
            return problems.isEmpty();
        }

        public double recordsPerCpuSecond() {
            return span.processCpuNanos() <= 0 ? 0 : expected / (span.processCpuNanos() / 1e9);
        }
    }

    private final String brokers;
    private final int records;
    private final SyncOptions options;
    private final Duration timeout;

    public KafkaBench(String brokers, int records, SyncOptions options, Duration timeout) {
        this.brokers = brokers;
        this.records = records;
        this.options = options;
        this.timeout = timeout;
    }

    /** One change event of source hr-events: a joiner with every field the mapping reads. */
    static String event(int n, Instant effectiveAt) {
        String id = workerId(n);
        return "{\"type\":\"worker.changed\",\"effectiveAt\":\"" + effectiveAt + "\",\"worker\":{\"id\":\"" + id + "\",\"email\":\""
                + id.toLowerCase(java.util.Locale.ROOT) + "@example.com\",\"firstName\":\"Given" + (n % 997) + "\",\"lastName\":\"Family"
                + (n % 1013) + "\",\"managerId\":\"" + workerId(Math.max(1, n / 10)) + "\",\"jobCode\":\"j" + (n % 50) + "\",\"jobTitle\":\"Title "
                + (n % 50) + "\",\"location\":\"Site " + (n % 20) + "\",\"department\":\"Dept " + (n % 40) + "\",\"status\":\"A\","
                + "\"hireDate\":\"2020-01-" + String.format(java.util.Locale.ROOT, "%02d", 1 + n % 28) + "\"}}";
    }

    static String workerId(int n) {
        return String.format(java.util.Locale.ROOT, "K%07d", n);
    }

    /** Creates {@code topic} with {@code partitions} and writes one event per worker to it. */
    public void preload(String topic, int partitions) throws Exception {
        try (Admin admin = Admin.create(Map.of(AdminClientConfig.BOOTSTRAP_SERVERS_CONFIG, brokers))) {
            admin.createTopics(List.of(new NewTopic(topic, partitions, (short) 1))).all().get(60, TimeUnit.SECONDS);
        }
        Properties p = new Properties();
        p.put(ProducerConfig.BOOTSTRAP_SERVERS_CONFIG, brokers);
        p.put(ProducerConfig.ACKS_CONFIG, "all");
        p.put(ProducerConfig.LINGER_MS_CONFIG, 20);
        p.put(ProducerConfig.BATCH_SIZE_CONFIG, 256 * 1024);
        p.put(ProducerConfig.KEY_SERIALIZER_CLASS_CONFIG, StringSerializer.class.getName());
        p.put(ProducerConfig.VALUE_SERIALIZER_CLASS_CONFIG, ByteArraySerializer.class.getName());
        AtomicReference<Exception> failed = new AtomicReference<>();
        Instant at = Instant.parse("2026-11-02T08:00:00Z");
        try (KafkaProducer<String, byte[]> producer = new KafkaProducer<>(p)) {
            for (int n = 1; n <= records && failed.get() == null; n++) {
                producer.send(new ProducerRecord<>(topic, workerId(n), event(n, at).getBytes(StandardCharsets.UTF_8)), (meta, e) -> {
                    if (e != null) {
                        failed.compareAndSet(null, e);
                    }
                });
            }
            producer.flush();
        }
        if (failed.get() != null) {
            throw new IOException("could not preload topic " + topic + ": " + failed.get().getMessage(), failed.get());
        }
    }

    /** Our run: boots the bridge on {@code db} with a fresh group on {@code topic} and waits for every worker's PUT. */
    public Result bridge(StoreDb db, Path home, int run, String topic, LoopbackTarget target) throws Exception {
        Files.createDirectories(home);
        Path routes = home.resolve("routes/source-" + SOURCE + "-kafka.camel.yaml");
        Files.createDirectories(routes.getParent());
        Files.writeString(routes, """
                # benchmark-kafka: source %1$s from the preloaded topic
                - route:
                    id: %1$s-from-kafka
                    routeConfigurationId: kafka-errors
                    from:
                      uri: kamelet:learnbridge-kafka-source/source-%1$s
                      parameters:
                        source: %1$s
                        topic: "{{learnbridge.sources.%1$s.kafka.topic}}"
                        brokers: "{{learnbridge.sources.%1$s.kafka.brokers}}"
                        groupId: "{{learnbridge.sources.%1$s.kafka.groupId}}"
                      steps:
                        - to: direct:ingest-kafka
                """.formatted(SOURCE), StandardCharsets.UTF_8);
        String group = "learnbridge-bench-" + run + "-" + System.nanoTime();
        Properties p = db.bridgeSettings();
        p.put("learnbridge.instanceId", "benchmark-kafka-" + run);
        p.put("learnbridge.sources.hris.directory", home.resolve("drops/hris").toString());
        p.put("learnbridge.sources." + SOURCE + ".targets", TARGET);
        p.put("learnbridge.sources." + SOURCE + ".webhook.verifier", "");
        p.put("learnbridge.sources." + SOURCE + ".kafka.topic", topic);
        p.put("learnbridge.sources." + SOURCE + ".kafka.brokers", brokers);
        p.put("learnbridge.sources." + SOURCE + ".kafka.groupId", group);
        // deliveries are measured; the deployed enrolment rules would add enrolment requests to the LMS
        p.put("learnbridge.enrolments.enabled", "false");
        p.put("learnbridge.delivery.parallelism", String.valueOf(options.parallelism()));
        p.put("learnbridge.targets." + TARGET + ".url", target.lmsUrl().toString());
        p.put("learnbridge.targets." + TARGET + ".method", "PUT");
        p.put("learnbridge.sandbox.enabled", "false");
        p.put("camel.server.host", "127.0.0.1");
        p.put("camel.server.port", String.valueOf(freePort()));
        p.put("camel.management.host", "127.0.0.1");
        p.put("camel.management.port", String.valueOf(freePort()));
        p.put("camel.main.shutdownTimeout", "3");
        p.put("camel.main.routesIncludePattern", "classpath:routes/*.camel.yaml,file:" + routes);
        target.reset();
        Main main = new Main();
        main.configure().addConfiguration(LearnBridgeConfiguration.class);
        main.setOverrideProperties(p);
        List<String> problems = new ArrayList<>();
        CpuClock start;
        CpuClock end;
        HeapWatch.Peaks peaks;
        try (HeapWatch heap = HeapWatch.start()) {
            start = CpuClock.now();
            try {
                main.start();
                awaitPuts(target, problems);
            } finally {
                end = CpuClock.now();
                peaks = heap.stop();
            }
        }
        long committed = committed(group, topic);
        main.stop();
        return result("learnbridge", run, target, start, end, peaks, committed, problems);
    }

    /** The floor's run: the same topic from a fresh group into its own table on {@code db}. */
    public Result floor(StoreDb db, int run, String topic, LoopbackTarget target) throws Exception {
        boolean postgres = db.url().startsWith("jdbc:postgresql:");
        String group = "floor-bench-" + run + "-" + System.nanoTime();
        Properties p = new Properties();
        p.put(ConsumerConfig.BOOTSTRAP_SERVERS_CONFIG, brokers);
        p.put(ConsumerConfig.GROUP_ID_CONFIG, group);
        p.put(ConsumerConfig.AUTO_OFFSET_RESET_CONFIG, "earliest");
        p.put(ConsumerConfig.ENABLE_AUTO_COMMIT_CONFIG, "false");
        p.put(ConsumerConfig.MAX_POLL_RECORDS_CONFIG, POLL_RECORDS);
        p.put(ConsumerConfig.KEY_DESERIALIZER_CLASS_CONFIG, StringDeserializer.class.getName());
        p.put(ConsumerConfig.VALUE_DESERIALIZER_CLASS_CONFIG, ByteArrayDeserializer.class.getName());
        target.reset();
        List<String> problems = new ArrayList<>();
        CpuClock start;
        CpuClock end;
        HeapWatch.Peaks peaks;
        try (HeapWatch heap = HeapWatch.start()) {
            start = CpuClock.now();
            try (Connection c = db.connect(); KafkaConsumer<String, byte[]> consumer = new KafkaConsumer<>(p);
                 FloorSender sender = new FloorSender(target.lmsUrl(), options)) {
                try (var st = c.createStatement()) {
                    st.execute("create table bench_kafka_floor (worker_id varchar(64) primary key, state_hash varchar(64) not null)");
                }
                c.setAutoCommit(false);
                String upsertSql = postgres
                        ? "insert into bench_kafka_floor (worker_id, state_hash) values (?, ?) on conflict (worker_id) do update set state_hash = excluded.state_hash"
                        : "merge into bench_kafka_floor key (worker_id) values (?, ?)";
                consumer.subscribe(List.of(topic));
                long consumed = 0;
                long deadline = System.nanoTime() + timeout.toNanos();
                MessageDigest sha = MessageDigest.getInstance("SHA-256");
                try (PreparedStatement upsert = c.prepareStatement(upsertSql)) {
                    while (consumed < records && System.nanoTime() < deadline) {
                        ConsumerRecords<String, byte[]> polled = consumer.poll(Duration.ofMillis(500));
                        if (polled.isEmpty()) {
                            continue;
                        }
                        Map<String, String[]> batch = new LinkedHashMap<>(); // worker -> payload, hash (the last event of a worker wins)
                        for (ConsumerRecord<String, byte[]> record : polled) {
                            JsonNode worker = MAPPER.readTree(record.value()).path("worker");
                            String payload = payload(worker);
                            String hash = HexFormat.of().formatHex(sha.digest(payload.getBytes(StandardCharsets.UTF_8)));
                            batch.put(text(worker, "id"), new String[] {payload, hash});
                        }
                        Map<String, String> stored = stored(c, batch.keySet());
                        List<String> changed = new ArrayList<>();
                        for (Map.Entry<String, String[]> e : batch.entrySet()) {
                            if (!e.getValue()[1].equals(stored.get(e.getKey()))) {
                                upsert.setString(1, e.getKey());
                                upsert.setString(2, e.getValue()[1]);
                                upsert.addBatch();
                                changed.add(e.getKey());
                            }
                        }
                        upsert.executeBatch();
                        c.commit();
                        // offsets only after the states are durable, as the bridge does
                        consumer.commitSync();
                        for (String id : changed) {
                            sender.send(id, batch.get(id)[0]);
                        }
                        consumed += polled.count();
                    }
                }
                if (consumed < records) {
                    problems.add("the floor consumed " + consumed + " of " + records + " records within " + timeout);
                }
                sender.awaitAll();
            } finally {
                end = CpuClock.now();
                peaks = heap.stop();
            }
        }
        return result("floor", run, target, start, end, peaks, committed(group, topic), problems);
    }

    /** The LMS payload of one event's worker, as the floor of benchmark-sync writes it from a CSV row. */
    private static String payload(JsonNode w) throws IOException {
        String[] v = new String[11];
        v[0] = text(w, "id");
        v[1] = lower(text(w, "email"));
        v[2] = text(w, "firstName");
        v[3] = text(w, "lastName");
        v[4] = text(w, "managerId");
        v[5] = text(w, "jobCode");
        v[6] = text(w, "jobTitle");
        v[7] = text(w, "location");
        v[8] = text(w, "department");
        String status = text(w, "status");
        v[9] = status == null ? null : switch (status.toUpperCase(java.util.Locale.ROOT)) {
            case "A" -> "ACTIVE";
            case "L" -> "LEAVE_OF_ABSENCE";
            default -> "TERMINATED";
        };
        v[10] = text(w, "hireDate");
        StringWriter out = new StringWriter(512);
        try (JsonGenerator g = JSON.createGenerator(out)) {
            FloorSync.lmsPayload(g, v);
        }
        return out.toString();
    }

    private static String text(JsonNode node, String field) {
        JsonNode value = node.get(field);
        if (value == null || value.isNull()) {
            return null;
        }
        String text = value.asText().strip();
        return text.isEmpty() ? null : text;
    }

    private static String lower(String text) {
        return text == null ? null : text.toLowerCase(java.util.Locale.ROOT);
    }

    private static Map<String, String> stored(Connection c, java.util.Collection<String> ids) throws SQLException {
        Map<String, String> stored = new java.util.HashMap<>();
        String sql = "select worker_id, state_hash from bench_kafka_floor where worker_id in ("
                + String.join(", ", java.util.Collections.nCopies(ids.size(), "?")) + ")";
        try (PreparedStatement ps = c.prepareStatement(sql)) {
            int i = 1;
            for (String id : ids) {
                ps.setString(i++, id);
            }
            try (ResultSet rs = ps.executeQuery()) {
                while (rs.next()) {
                    stored.put(rs.getString(1), rs.getString(2));
                }
            }
        }
        return stored;
    }

    private void awaitPuts(LoopbackTarget target, List<String> problems) throws InterruptedException {
        long deadline = System.nanoTime() + timeout.toNanos();
        while (target.records() < records && System.nanoTime() < deadline) {
            Thread.sleep(5);
        }
        if (target.records() < records) {
            problems.add("received " + target.records() + " of " + records + " PUTs within " + timeout);
        }
    }

    private Result result(String pipeline, int run, LoopbackTarget target, CpuClock start, CpuClock end, HeapWatch.Peaks peaks, long committed,
                          List<String> problems) {
        long last = target.lastRecordNanos();
        double seconds = ((last == 0 ? end.wallNanos() : last) - start.wallNanos()) / 1e9;
        LoopbackTarget.Counts received = target.reset();
        if (received.records() != records || received.distinct() != records) {
            problems.add("the target received " + received.records() + " PUTs answered 200 for " + received.distinct() + " distinct workers, expected "
                    + records + " each once");
        }
        if (received.refused() > 0) {
            problems.add(received.refused() + " PUTs refused by the target");
        }
        if (committed != records) {
            problems.add("committed offsets add up to " + committed + ", expected " + records);
        }
        return new Result(pipeline, run, records, received, seconds, end.since(start), peaks, committed, problems);
    }

    /** The offsets a group has committed on a topic, added up over its partitions. */
    long committed(String group, String topic) throws Exception {
        try (Admin admin = Admin.create(Map.of(AdminClientConfig.BOOTSTRAP_SERVERS_CONFIG, brokers))) {
            Map<TopicPartition, OffsetAndMetadata> offsets = admin.listConsumerGroupOffsets(group).partitionsToOffsetAndMetadata()
                    .get(30, TimeUnit.SECONDS);
            return offsets.entrySet().stream().filter(e -> e.getKey().topic().equals(topic) && e.getValue() != null)
                    .mapToLong(e -> e.getValue().offset()).sum();
        }
    }

    private static int freePort() throws IOException {
        try (ServerSocket socket = new ServerSocket(0, 1, InetAddress.getLoopbackAddress())) {
            return socket.getLocalPort();
        }
    }
}
