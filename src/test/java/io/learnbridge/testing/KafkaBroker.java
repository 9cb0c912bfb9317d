package io.learnbridge.testing;

import java.io.ByteArrayOutputStream;
import java.io.File;
import java.io.IOException;
import java.io.PrintStream;
import java.io.UncheckedIOException;
import java.net.InetAddress;
import java.net.ServerSocket;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardOpenOption;
import java.time.Duration;
import java.util.Arrays;
import java.util.HashMap;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Properties;
import java.util.TreeMap;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.Future;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.TimeoutException;
import java.util.stream.Collectors;

import kafka.testkit.KafkaClusterTestKit;
import kafka.testkit.TestKitNodes;
import kafka.tools.StorageTool;
import org.apache.kafka.clients.CommonClientConfigs;
import org.apache.kafka.clients.admin.Admin;
import org.apache.kafka.clients.admin.AdminClientConfig;
import org.apache.kafka.clients.admin.DescribeClusterOptions;
import org.apache.kafka.clients.admin.NewTopic;
import org.apache.kafka.clients.admin.TopicDescription;
import org.apache.kafka.clients.consumer.ConsumerConfig;
import org.apache.kafka.clients.consumer.KafkaConsumer;
import org.apache.kafka.clients.consumer.OffsetAndMetadata;
import org.apache.kafka.clients.producer.KafkaProducer;
import org.apache.kafka.clients.producer.ProducerConfig;
import org.apache.kafka.clients.producer.ProducerRecord;
import org.apache.kafka.clients.producer.RecordMetadata;
import org.apache.kafka.common.TopicPartition;
import org.apache.kafka.common.network.ListenerName;
import org.apache.kafka.common.serialization.ByteArrayDeserializer;
import org.apache.kafka.common.serialization.ByteArraySerializer;
import org.apache.kafka.common.serialization.StringDeserializer;
import org.apache.kafka.common.serialization.StringSerializer;
import org.awaitility.Awaitility;
import org.awaitility.core.ConditionTimeoutException;
import org.awaitility.core.TerminalFailureException;

/**
 * A real single-node KRaft Kafka broker ({@code kafka_2.13} 3.9.1, the broker matching camel-kafka's
 * kafka-clients) on loopback, for tests. No Docker, no mocks.
 *
 * <ul>
 *   <li>{@link #inJvm()}: broker and controller combined in the test JVM ({@code KafkaClusterTestKit});
 *       starts in a few seconds, on ephemeral ports, data in a temp directory deleted on close.</li>
 *   <li>{@link #childJvm(Path)}: {@code kafka.Kafka} in a child JVM (same java, same classpath) on ports
 *       fixed at creation and data under the given directory, so a test can {@link #kill()} it (kill -9)
 *       and {@link #restart()} it on the same address with the same data. The child's output is appended
 *       to {@code <dataDir>/broker.log}.</li>
 * </ul>
 *
 * <p>Settings for tests: one node, replication factor 1 everywhere, {@code num.partitions=3}, no
 * auto-created topics, no initial rebalance delay, one partition for the offsets and transaction topics.
 * Clients made here ({@link #producer()}, {@link #consumer(String)}, {@link #admin()}) point at
 * {@link #bootstrapServers()}; those the fixture caches are closed by {@link #kill()} and {@link #close()}.
 */
public final class KafkaBroker implements AutoCloseable {

    /** Fixed cluster id: base64url of the 16 bytes {@code learnbridge-test}. */
    public static final String CLUSTER_ID = "bGVhcm5icmlkZ2UtdGVzdA";

    private static final String HOST = "127.0.0.1";
    private static final int NODE_ID = 1;
    private static final Duration START_TIMEOUT = Duration.ofSeconds(60);
    private static final Duration ADMIN_TIMEOUT = Duration.ofSeconds(20);
    private static final Duration CLIENT_CLOSE_TIMEOUT = Duration.ofSeconds(2);
    private static final int LOG_TAIL_LINES = 25;

    /** Broker settings shared by both modes. */
    private static final Map<String, String> TEST_SETTINGS = Map.ofEntries(
            Map.entry("offsets.topic.replication.factor", "1"),
            Map.entry("offsets.topic.num.partitions", "1"),
            Map.entry("transaction.state.log.replication.factor", "1"),
            Map.entry("transaction.state.log.min.isr", "1"),
            Map.entry("transaction.state.log.num.partitions", "1"),
            Map.entry("group.initial.rebalance.delay.ms", "0"),
            Map.entry("num.partitions", "3"),
            Map.entry("default.replication.factor", "1"),
            Map.entry("min.insync.replicas", "1"),
            Map.entry("auto.create.topics.enable", "false"),
            // the default 128 MiB log cleaner buffer is most of a small test heap
            Map.entry("log.cleaner.dedupe.buffer.size", "2097152"),
            Map.entry("num.network.threads", "2"),
            Map.entry("num.io.threads", "2"),
            Map.entry("num.recovery.threads.per.data.dir", "1"));

    /** Broker-side loggers turned down to warn in the test JVM unless set with -D. */
    private final Server server;
    private KafkaProducer<String, byte[]> producer;
    private Admin admin;

    private KafkaBroker(Server server) {
        this.server = server;
    }

    /** Starts a combined broker+controller inside this JVM; returns once the broker is ready. */
    public static KafkaBroker inJvm() {
        KafkaBroker broker = new KafkaBroker(InJvm.start());
        broker.awaitReady();
        return broker;
    }

    /**
     * Formats {@code dataDir} (if not yet formatted) and starts {@code kafka.Kafka} in a child JVM on two
     * loopback ports chosen now and kept across {@link #restart()}; returns once the broker is ready.
     */
    public static KafkaBroker childJvm(Path dataDir) {
        KafkaBroker broker = new KafkaBroker(ChildJvm.start(dataDir));
        broker.awaitReady();
        return broker;
    }

    /** {@code 127.0.0.1:<port>} of the PLAINTEXT listener. */
    public String bootstrapServers() {
        return server.bootstrapServers();
    }

    /** Child JVM mode: the file the broker's output is appended to. */
    public Path logFile() {
        if (server instanceof ChildJvm child) {
            return child.logFile;
        }
        throw new UnsupportedOperationException("the in-JVM broker logs through this JVM's slf4j");
    }

    /** Child JVM mode: kill -9 the broker and wait for the process to be gone. Cached clients are closed. */
    public void kill() {
        closeClients();
        childJvmOnly("kill").kill();
    }

    /** Child JVM mode: start the broker again (after {@link #kill()}) on the same ports and data directory. */
    public void restart() {
        ChildJvm child = childJvmOnly("restart");
        closeClients();
        child.kill();
        child.launch();
        awaitReady();
    }

    /** Creates a topic with replication factor 1 and waits until every partition has a leader. */
    public void createTopic(String name, int partitions) {
        Admin a = admin();
        get(a.createTopics(List.of(new NewTopic(name, partitions, (short) 1))).all(), "create topic " + name);
        Awaitility.await("leaders for the " + partitions + " partitions of topic " + name)
                .atMost(ADMIN_TIMEOUT)
                .pollInterval(Duration.ofMillis(100))
                .ignoreExceptions()
                .until(() -> {
                    TopicDescription d = a.describeTopics(List.of(name)).allTopicNames()
                            .get(5, TimeUnit.SECONDS).get(name);
                    return d.partitions().size() == partitions
                            && d.partitions().stream().allMatch(p -> p.leader() != null && !p.leader().isEmpty());
                });
    }

    /** Committed offsets of {@code group} for the partitions of {@code topic} that have one. */
    public Map<TopicPartition, Long> committedOffsets(String group, String topic) {
        Map<TopicPartition, OffsetAndMetadata> all = get(
                admin().listConsumerGroupOffsets(group).partitionsToOffsetAndMetadata(),
                "list offsets of group " + group);
        return all.entrySet().stream()
                .filter(e -> e.getKey().topic().equals(topic) && e.getValue() != null)
                .collect(Collectors.toMap(Map.Entry::getKey, e -> e.getValue().offset()));
    }

    /** Sum over partitions of the offsets {@code group} committed for {@code topic} (0 when none). */
    public long committedOffset(String group, String topic) {
        return committedOffsets(group, topic).values().stream().mapToLong(Long::longValue).sum();
    }

    /** A new producer (acks=all, idempotent, String keys, byte[] values); the caller closes it. */
    public KafkaProducer<String, byte[]> producer() {
        return producer(Map.of());
    }

    /** A new producer with the defaults of {@link #producer()} and the given overrides; the caller closes it. */
    public KafkaProducer<String, byte[]> producer(Map<String, Object> overrides) {
        Map<String, Object> config = new HashMap<>();
        config.put(ProducerConfig.BOOTSTRAP_SERVERS_CONFIG, bootstrapServers());
        config.put(ProducerConfig.ACKS_CONFIG, "all");
        config.put(ProducerConfig.ENABLE_IDEMPOTENCE_CONFIG, true);
        config.put(ProducerConfig.LINGER_MS_CONFIG, 0);
        config.put(ProducerConfig.MAX_BLOCK_MS_CONFIG, 30_000);
        config.put(ProducerConfig.REQUEST_TIMEOUT_MS_CONFIG, 10_000);
        config.put(ProducerConfig.DELIVERY_TIMEOUT_MS_CONFIG, 30_000);
        config.putAll(overrides);
        return new KafkaProducer<>(config, new StringSerializer(), new ByteArraySerializer());
    }

    /** A new consumer in {@code group} (earliest, no auto commit, String keys, byte[] values); the caller closes it. */
    public KafkaConsumer<String, byte[]> consumer(String group) {
        Map<String, Object> config = new HashMap<>();
        config.put(ConsumerConfig.BOOTSTRAP_SERVERS_CONFIG, bootstrapServers());
        config.put(ConsumerConfig.GROUP_ID_CONFIG, group);
        config.put(ConsumerConfig.AUTO_OFFSET_RESET_CONFIG, "earliest");
        config.put(ConsumerConfig.ENABLE_AUTO_COMMIT_CONFIG, false);
        return new KafkaConsumer<>(config, new StringDeserializer(), new ByteArrayDeserializer());
    }

    /**
     * Sends one record with the fixture's producer and waits for the broker's ack. {@code value} may be null
     * (a tombstone). Kafka's failure (e.g. a {@code TimeoutException}) is rethrown as is.
     */
    public RecordMetadata send(String topic, String key, byte[] value) {
        Future<RecordMetadata> ack;
        synchronized (this) {
            if (producer == null) {
                producer = producer();
            }
            ack = producer.send(new ProducerRecord<>(topic, key, value));
        }
        return get(ack, "send to " + topic + " key " + key);
    }

    /** The fixture's admin client (cached; closed by {@link #kill()} and {@link #close()}). */
    public synchronized Admin admin() {
        if (admin == null) {
            admin = Admin.create(Map.of(
                    AdminClientConfig.BOOTSTRAP_SERVERS_CONFIG, bootstrapServers(),
                    AdminClientConfig.DEFAULT_API_TIMEOUT_MS_CONFIG, (int) ADMIN_TIMEOUT.toMillis(),
                    AdminClientConfig.REQUEST_TIMEOUT_MS_CONFIG, 5_000));
        }
        return admin;
    }

    /** Closes the cached clients, then stops the broker (the child JVM is killed) and frees its threads. */
    @Override
    public void close() {
        closeClients();
        server.close();
    }

    private void awaitReady() {
        try {
            Awaitility.await("Kafka broker at " + bootstrapServers() + " answers describeCluster")
                    .atMost(START_TIMEOUT)
                    .pollInterval(Duration.ofMillis(200))
                    .failFast("the Kafka broker process is not running", () -> !server.isRunning())
                    .ignoreExceptions()
                    .until(() -> !admin().describeCluster(new DescribeClusterOptions().timeoutMs(2_000))
                            .nodes().get(3, TimeUnit.SECONDS).isEmpty());
        } catch (ConditionTimeoutException | TerminalFailureException e) {
            IllegalStateException failure = new IllegalStateException(
                    "Kafka broker at " + bootstrapServers() + " did not come up: " + e.getMessage()
                            + server.diagnostics(), e);
            try {
                close();
            } catch (RuntimeException closing) {
                failure.addSuppressed(closing);
            }
            throw failure;
        }
    }

    private synchronized void closeClients() {
        if (producer != null) {
            producer.close(CLIENT_CLOSE_TIMEOUT);
            producer = null;
        }
        if (admin != null) {
            admin.close(CLIENT_CLOSE_TIMEOUT);
            admin = null;
        }
    }

    private ChildJvm childJvmOnly(String operation) {
        if (server instanceof ChildJvm child) {
            return child;
        }
        throw new UnsupportedOperationException(operation + " needs a broker made by KafkaBroker.childJvm(dataDir)");
    }

    private <T> T get(Future<T> future, String doing) {
        try {
            return future.get(ADMIN_TIMEOUT.toMillis() + 15_000, TimeUnit.MILLISECONDS);
        } catch (ExecutionException e) {
            if (e.getCause() instanceof RuntimeException cause) {
                throw cause;
            }
            throw new IllegalStateException(doing + " failed at " + bootstrapServers(), e.getCause());
        } catch (TimeoutException e) {
            throw new IllegalStateException(doing + " got no answer from " + bootstrapServers()
                    + server.diagnostics(), e);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            throw new IllegalStateException("interrupted: " + doing, e);
        }
    }

    private static int freeLoopbackPort() {
        try (ServerSocket socket = new ServerSocket(0, 1, InetAddress.getByName(HOST))) {
            return socket.getLocalPort();
        } catch (IOException e) {
            throw new UncheckedIOException("finding a free port on " + HOST, e);
        }
    }

    /** The two ways the broker runs. */
    private interface Server extends AutoCloseable {
        String bootstrapServers();

        boolean isRunning();

        /** Text appended to failure messages: where to look and what the broker said last. */
        String diagnostics();

        @Override
        void close();
    }

    private static final class InJvm implements Server {
        private static final String LISTENER = "EXTERNAL";

        private final KafkaClusterTestKit cluster;
        private final String bootstrapServers;

        private InJvm(KafkaClusterTestKit cluster, String bootstrapServers) {
            this.cluster = cluster;
            this.bootstrapServers = bootstrapServers;
        }

        static InJvm start() {
            KafkaClusterTestKit cluster = null;
            try {
                TestKitNodes nodes = new TestKitNodes.Builder()
                        .setClusterId(CLUSTER_ID)
                        .setCombined(true)
                        .setNumBrokerNodes(1)
                        .setNumControllerNodes(1)
                        .build();
                KafkaClusterTestKit.Builder builder = new KafkaClusterTestKit.Builder(nodes);
                TEST_SETTINGS.forEach(builder::setConfigProp);
                // the test kit's default binds "localhost"; keep both listeners on IPv4 loopback
                builder.setConfigProp("listeners", LISTENER + "://" + HOST + ":0,CONTROLLER://" + HOST + ":0");
                cluster = builder.build();
                cluster.format();
                cluster.startup();
                cluster.waitForReadyBrokers();
                int port = cluster.brokers().values().iterator().next().boundPort(new ListenerName(LISTENER));
                return new InJvm(cluster, HOST + ":" + port);
            } catch (Exception e) {
                if (cluster != null) {
                    try {
                        cluster.close();
                    } catch (Exception closing) {
                        e.addSuppressed(closing);
                    }
                }
                if (e instanceof InterruptedException) {
                    Thread.currentThread().interrupt();
                }
                throw new IllegalStateException("starting the in-JVM KRaft Kafka broker failed", e);
            }
        }

        @Override
        public String bootstrapServers() {
            return bootstrapServers;
        }

        @Override
        public boolean isRunning() {
            return true;
        }

        @Override
        public String diagnostics() {
            return " (in-JVM broker: see this JVM's log)";
        }

        @Override
        public void close() {
            try {
                cluster.close();
            } catch (Exception e) {
                if (e instanceof InterruptedException) {
                    Thread.currentThread().interrupt();
                }
                throw new IllegalStateException("stopping the in-JVM Kafka broker at " + bootstrapServers + " failed", e);
            }
        }
    }

    private static final class ChildJvm implements Server {
        private static final String RUN_MARKER = "---- starting";

        private final Path dataDir;
        private final Path propertiesFile;
        private final Path logFile;
        private final int brokerPort;
        private final Thread killOnExit;
        private Process process;

        private ChildJvm(Path dataDir, int brokerPort) {
            this.dataDir = dataDir;
            this.propertiesFile = dataDir.resolve("server.properties");
            this.logFile = dataDir.resolve("broker.log");
            this.brokerPort = brokerPort;
            this.killOnExit = new Thread(this::kill, "kill-kafka-child-" + brokerPort);
        }

        static ChildJvm start(Path dataDir) {
            Path dir = dataDir.toAbsolutePath();
            int brokerPort = freeLoopbackPort();
            int controllerPort = freeLoopbackPort();
            ChildJvm child = new ChildJvm(dir, brokerPort);
            try {
                Files.createDirectories(dir);
                child.writeProperties(controllerPort);
            } catch (IOException e) {
                throw new UncheckedIOException("writing " + child.propertiesFile, e);
            }
            child.format();
            Runtime.getRuntime().addShutdownHook(child.killOnExit);
            child.launch();
            return child;
        }

        private void writeProperties(int controllerPort) throws IOException {
            Map<String, String> config = new LinkedHashMap<>();
            config.put("process.roles", "broker,controller");
            config.put("node.id", Integer.toString(NODE_ID));
            config.put("controller.quorum.voters", NODE_ID + "@" + HOST + ":" + controllerPort);
            config.put("listeners", "PLAINTEXT://" + HOST + ":" + brokerPort + ",CONTROLLER://" + HOST + ":" + controllerPort);
            config.put("advertised.listeners", "PLAINTEXT://" + HOST + ":" + brokerPort);
            config.put("listener.security.protocol.map", "PLAINTEXT:PLAINTEXT,CONTROLLER:PLAINTEXT");
            config.put("inter.broker.listener.name", "PLAINTEXT");
            config.put("controller.listener.names", "CONTROLLER");
            config.put("log.dirs", dataDir.resolve("kraft-combined-logs").toString());
            // After kill -9 the restarted controller still holds the dead broker's registration and rejects
            // the new one (DUPLICATE_BROKER_REGISTRATION) until that session expires: 9 s by default.
            config.put("broker.session.timeout.ms", "3000");
            config.put("broker.heartbeat.interval.ms", "500");
            config.putAll(new TreeMap<>(TEST_SETTINGS));
            Properties properties = new Properties();
            properties.putAll(config);
            try (var out = Files.newBufferedWriter(propertiesFile, StandardCharsets.UTF_8)) {
                properties.store(out, "KRaft single node written by KafkaBroker.childJvm for tests");
            }
        }

        /** {@code kafka-storage.sh format --ignore-formatted}, in this JVM: StorageTool.execute returns, never exits. */
        private void format() {
            ByteArrayOutputStream output = new ByteArrayOutputStream();
            try (PrintStream out = new PrintStream(output, true, StandardCharsets.UTF_8)) {
                int exit = StorageTool.execute(new String[] {"format", "--config", propertiesFile.toString(),
                        "--cluster-id", CLUSTER_ID, "--ignore-formatted"}, out);
                if (exit != 0) {
                    throw new IllegalStateException("formatting " + dataDir + " exited with " + exit + ": " + output);
                }
            } catch (RuntimeException e) {
                throw new IllegalStateException("formatting the KRaft log directory under " + dataDir
                        + " failed: " + output.toString(StandardCharsets.UTF_8), e);
            }
        }

        synchronized void launch() {
            String java = Path.of(System.getProperty("java.home"), "bin", "java").toString();
            List<String> command = List.of(java,
                    "-Xms64m", "-Xmx384m", "-XX:+UseSerialGC", "-XX:TieredStopAtLevel=1", "-Djava.awt.headless=true",
                    "-cp", childClasspath(),
                    "kafka.Kafka", propertiesFile.toString());
            try {
                Files.writeString(logFile, RUN_MARKER + " kafka.Kafka " + propertiesFile + System.lineSeparator(),
                        StandardCharsets.UTF_8, StandardOpenOption.CREATE, StandardOpenOption.APPEND);
                process = new ProcessBuilder(command)
                        .directory(dataDir.toFile())
                        .redirectErrorStream(true)
                        .redirectOutput(ProcessBuilder.Redirect.appendTo(logFile.toFile()))
                        .start();
                process.getOutputStream().close();
            } catch (IOException e) {
                throw new UncheckedIOException("starting the Kafka child JVM (" + java + "), output in " + logFile, e);
            }
        }

        /**
         * The test JVM's classpath with absolute entries (the child runs in dataDir). Under Surefire this
         * is its manifest-only booter jar, whose Class-Path lists the real jars: the child can use it as is.
         */
        private static String childClasspath() {
            return Arrays.stream(System.getProperty("java.class.path").split(File.pathSeparator))
                    .filter(entry -> !entry.isBlank())
                    .map(entry -> Path.of(entry).toAbsolutePath().toString())
                    .collect(Collectors.joining(File.pathSeparator));
        }

        synchronized void kill() {
            if (process == null) {
                return;
            }
            process.destroyForcibly();
            try {
                if (!process.waitFor(20, TimeUnit.SECONDS)) {
                    throw new IllegalStateException("Kafka child JVM pid " + process.pid()
                            + " survived kill -9 for 20 s; output in " + logFile);
                }
            } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
                throw new IllegalStateException("interrupted while killing Kafka child JVM pid " + process.pid(), e);
            }
            process = null;
        }

        @Override
        public String bootstrapServers() {
            return HOST + ":" + brokerPort;
        }

        @Override
        public synchronized boolean isRunning() {
            return process != null && process.isAlive();
        }

        @Override
        public synchronized String diagnostics() {
            String state = process == null ? "not started"
                    : process.isAlive() ? "pid " + process.pid() + " running"
                    : "pid " + process.pid() + " exited with " + process.exitValue();
            return "; child JVM " + state + ", output in " + logFile + ", " + System.lineSeparator()
                    + tail(logFile, LOG_TAIL_LINES);
        }

        @Override
        public void close() {
            kill();
            try {
                Runtime.getRuntime().removeShutdownHook(killOnExit);
            } catch (IllegalStateException shuttingDown) {
                // the hook is running or about to: nothing left to remove
            }
        }

        /** The first errors of the latest run (the cause, before the shutdown noise), then its last lines. */
        private static String tail(Path file, int lines) {
            List<String> all;
            try {
                all = Files.readAllLines(file, StandardCharsets.UTF_8);
            } catch (IOException | UncheckedIOException e) {
                return "(cannot read " + file + ": " + e + ")";
            }
            int runStart = 0;
            for (int i = all.size() - 1; i >= 0; i--) {
                if (all.get(i).startsWith(RUN_MARKER)) {
                    runStart = i;
                    break;
                }
            }
            List<String> run = all.subList(runStart, all.size());
            List<String> errors = run.stream()
                    .filter(line -> line.contains(" ERROR ") || line.startsWith("Exception") || line.startsWith("Caused by"))
                    .limit(5)
                    .toList();
            String lineBreak = System.lineSeparator();
            return (errors.isEmpty() ? "" : "first errors:" + lineBreak + String.join(lineBreak, errors) + lineBreak
                    + "last lines:" + lineBreak)
                    + String.join(lineBreak, run.subList(Math.max(0, run.size() - lines), run.size()));
        }
    }

    @Override
    public String toString() {
        return "KafkaBroker[" + bootstrapServers() + ", " + server.getClass().getSimpleName() + "]";
    }
}
