package io.learnbridge.testing;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import java.io.File;
import java.io.IOException;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.Arrays;
import java.util.LinkedHashMap;
import java.util.Map;
import java.util.concurrent.TimeUnit;
import java.util.stream.Collectors;

/**
 * The bridge as a separate process ({@code LearnBridgeCli run --settings FILE} in a child JVM on
 * the test classpath), so a test can kill it with -9 and start it again on the same store, ports
 * and instance id. Output goes to {@code home/bridge.log}.
 */
public final class BridgeProcess implements AutoCloseable {

    private static final ObjectMapper JSON = new ObjectMapper();

    private final Path home;
    private final Path settings;
    private final Path log;
    private final int port;
    private final int managementPort;
    private final HttpClient http = TestHttp.client();
    private Process process;
    private int heapMegabytes = 256;

    /** @param overrides settings on top of the test defaults (store, ports, instance id) */
    public BridgeProcess(Path home, Map<String, String> overrides) throws IOException {
        this.home = Files.createDirectories(home);
        this.port = Bridge.freePort();
        this.managementPort = Bridge.freePort();
        this.log = home.resolve("bridge.log");
        Map<String, String> values = new LinkedHashMap<>();
        values.put("learnbridge.store.url", "jdbc:h2:file:" + home.resolve("store/learnbridge").toAbsolutePath() + ";WRITE_DELAY=0;AUTO_SERVER=TRUE");
        values.put("learnbridge.sources.hris.directory", home.resolve("drops/hris").toAbsolutePath().toString());
        values.put("learnbridge.instanceId", "bridge-process");
        values.put("learnbridge.api.token", "test-token");
        values.put("camel.server.port", String.valueOf(port));
        values.put("camel.management.port", String.valueOf(managementPort));
        values.put("camel.main.shutdownTimeout", "5");
        values.put("learnbridge.delivery.pollPeriod", "50ms");
        values.put("learnbridge.enrolments.enabled", "false");
        values.put("learnbridge.events.pollPeriod", "50ms");
        // drops are picked up quickly: the tests put them in place with a rename (dropActiveWorkers)
        values.put("learnbridge.drops.pollDelay", "200ms");
        values.put("learnbridge.drops.readLockCheckInterval", "100ms");
        values.put("learnbridge.drops.readLockMinAge", "200ms");
        values.putAll(overrides);
        this.settings = home.resolve("settings.properties");
        Files.writeString(settings, values.entrySet().stream().map(e -> e.getKey() + "=" + e.getValue().replace("\\", "\\\\"))
                .collect(Collectors.joining("\n", "", "\n")), StandardCharsets.UTF_8);
    }

    /** The child JVM's maximum heap (256 MB unless a test says otherwise). */
    public BridgeProcess heap(int megabytes) {
        this.heapMegabytes = megabytes;
        return this;
    }

    public int heapMegabytes() {
        return heapMegabytes;
    }

    /** Starts the process and waits until its health endpoint answers (UP or DOWN). */
    public BridgeProcess start() throws Exception {
        String java = Path.of(System.getProperty("java.home"), "bin", "java").toString();
        String classpath = Arrays.stream(System.getProperty("java.class.path").split(File.pathSeparator))
                .filter(entry -> !entry.isBlank()).map(entry -> Path.of(entry).toAbsolutePath().toString())
                .collect(Collectors.joining(File.pathSeparator));
        // a bridge that runs out of heap exits at once (and the test fails on it) rather than limping on
        process = new ProcessBuilder(java, "-Xmx" + heapMegabytes + "m", "-XX:+ExitOnOutOfMemoryError", "-XX:TieredStopAtLevel=1", "-cp", classpath,
                "io.learnbridge.cli.LearnBridgeCli", "run", "--settings", settings.toString())
                .directory(home.toFile()).redirectErrorStream(true)
                .redirectOutput(ProcessBuilder.Redirect.appendTo(log.toFile())).start();
        process.getOutputStream().close();
        long deadline = System.nanoTime() + Duration.ofSeconds(90).toNanos();
        while (health() == null) {
            if (!process.isAlive()) {
                throw new IllegalStateException("the bridge process exited with " + process.exitValue() + "; output in " + log);
            }
            if (System.nanoTime() > deadline) {
                throw new IllegalStateException("the bridge process did not answer health within 90 s; output in " + log);
            }
            TimeUnit.MILLISECONDS.sleep(200);
        }
        return this;
    }

    /** kill -9. */
    public void kill() throws InterruptedException {
        if (process != null && process.isAlive()) {
            process.destroyForcibly();
            if (!process.waitFor(20, TimeUnit.SECONDS)) {
                throw new IllegalStateException("bridge process " + process.pid() + " survived kill -9");
            }
        }
    }

    /** Puts a drop of {@code workers} active workers into the bridge's HRIS folder, written aside and renamed in; returns its folder. */
    public Path dropActiveWorkers(String name, int workers) throws IOException {
        Path drops = Files.createDirectories(home.resolve("drops/hris"));
        Path partial = drops.resolve("." + name + ".part");
        Files.writeString(partial, HrCsv.create().workers(1, workers).build(), StandardCharsets.UTF_8);
        Files.move(partial, drops.resolve(name));
        return drops;
    }

    /** SIGTERM, as a service manager stops the bridge; returns the exit code (null when it did not exit within the wait). */
    public Integer stop(Duration wait) throws InterruptedException {
        if (process == null || !process.isAlive()) {
            return process == null ? null : process.exitValue();
        }
        process.destroy();
        return process.waitFor(wait.toMillis(), TimeUnit.MILLISECONDS) ? process.exitValue() : null;
    }

    /** The management port (health, metrics). */
    public int managementPort() {
        return managementPort;
    }

    /** The health report, or null while the process does not answer. */
    public JsonNode health() {
        try {
            HttpResponse<String> response = http.send(HttpRequest.newBuilder(URI.create("http://127.0.0.1:" + managementPort + "/observe/health"))
                    .timeout(Duration.ofSeconds(5)).build(), HttpResponse.BodyHandlers.ofString());
            return JSON.readTree(response.body());
        } catch (IOException e) {
            return null;
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            return null;
        }
    }

    public String healthStatus() {
        JsonNode health = health();
        return health == null ? "UNREACHABLE" : health.path("status").asText();
    }

    public int port() {
        return port;
    }

    public Path log() {
        return log;
    }

    /** The store's JDBC URL (H2 with AUTO_SERVER, so a test may read it while the process runs). */
    public String storeUrl() {
        return "jdbc:h2:file:" + home.resolve("store/learnbridge").toAbsolutePath() + ";WRITE_DELAY=0;AUTO_SERVER=TRUE";
    }

    @Override
    public void close() throws InterruptedException {
        if (process != null && process.isAlive()) {
            process.destroy();
            if (!process.waitFor(30, TimeUnit.SECONDS)) {
                process.destroyForcibly().waitFor(10, TimeUnit.SECONDS);
            }
        }
    }
}
