package io.learnbridge;

import io.learnbridge.testing.ReliabilityScenario;
import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;
import static org.awaitility.Awaitility.await;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import de.siegmar.fastcsv.reader.CsvReader;
import de.siegmar.fastcsv.reader.NamedCsvRecord;
import java.io.IOException;
import java.io.StringReader;
import java.io.UncheckedIOException;
import java.net.ServerSocket;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.OptionalDouble;
import java.util.Properties;
import java.util.concurrent.TimeUnit;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import java.util.stream.StreamSupport;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.TestInfo;
import org.junit.jupiter.api.extension.ExtensionContext;
import org.junit.jupiter.api.extension.RegisterExtension;
import org.junit.jupiter.api.extension.TestWatcher;
import org.junit.jupiter.api.io.TempDir;

/**
 * The packaged jar ({@code target/learnbridge.jar} with its {@code target/lib/}), started as its own
 * process the way an operator starts it: {@code java -jar learnbridge.jar run --settings FILE} in an
 * empty working directory, on embedded defaults. Only the ports and the sandbox URL are overridden.
 * The production recipe in {@code deploy/} is checked the same way: its settings and SFTP route,
 * installed beside the repository's routes and mappings, pass {@code validate}.
 * Runs in the failsafe {@code integration-test} phase, after {@code package}.
 */
class PackagedJarIT {

    private static final Path BASEDIR = Path.of(System.getProperty("basedir", ".")).toAbsolutePath().normalize();
    private static final Path JAR = BASEDIR.resolve("target/learnbridge.jar");
    private static final Path SAMPLE = BASEDIR.resolve("deploy/samples/hris-workers.csv");
    private static final Path LOGS = BASEDIR.resolve("target/packaged-jar-it");
    private static final Duration STARTUP = Duration.ofSeconds(90);
    private static final Duration DROP = Duration.ofSeconds(60);
    private static final Pattern DELIVERIES = Pattern.compile("^learnbridge_deliveries_total\\{([^}]*)}\\s+(\\S+)", Pattern.MULTILINE);
    private static final ObjectMapper JSON = new ObjectMapper();

    private final HttpClient http = HttpClient.newBuilder().version(HttpClient.Version.HTTP_1_1).connectTimeout(Duration.ofSeconds(2)).build();

    @RegisterExtension
    final PrintLogOnFailure printLog = new PrintLogOnFailure();

    @TempDir
    Path workdir;

    Path log;
    Process bridge;

    @BeforeEach
    void logFile(TestInfo test) throws IOException {
        assertThat(JAR).as("the packaged jar (run 'mvn package' first)").isRegularFile();
        assertThat(BASEDIR.resolve("target/lib")).as("the jar's Class-Path folder").isDirectory();
        Files.createDirectories(LOGS);
        log = LOGS.resolve(test.getTestMethod().orElseThrow().getName() + ".log");
        printLog.log = log;
    }

    @AfterEach
    void stopBridge() throws InterruptedException {
        if (bridge == null) {
            return;
        }
        bridge.destroy();
        if (!bridge.waitFor(40, TimeUnit.SECONDS)) {
            bridge.destroyForcibly().waitFor(10, TimeUnit.SECONDS);
        }
    }

    @Test
    @ReliabilityScenario({18, 24})
    void sampleDropDroppedIntoTheWorkingDirectoryReachesTheSandboxLms() throws Exception {
        int port = freePort();
        int managementPort = freePort();
        // secrets from the settings file and the environment: none of them may reach the log
        String webhookSecret = "whsec_" + java.util.Base64.getEncoder().encodeToString("canary-webhook-secret-0001".getBytes(StandardCharsets.UTF_8));
        String apiToken = "canary-api-token-0002";
        String lmsToken = "canary-lms-token-0003";
        Path settingsFile = settings(Map.of(
                "camel.server.port", String.valueOf(port),
                "camel.management.port", String.valueOf(managementPort),
                "learnbridge.targets.lms.url", "http://127.0.0.1:" + port + "/sandbox/lms/workers",
                "learnbridge.api.token", apiToken,
                "learnbridge.sources.hr-events.targets", "lms",
                "learnbridge.sources.hr-events.webhook.verifier", "standard-webhooks",
                "learnbridge.sources.hr-events.webhook.secrets", webhookSecret));
        bridge = start(settingsFile, Map.of("LEARNBRIDGE_TARGETS_LMS_TOKEN", lmsToken));

        await("bridge health UP").atMost(STARTUP).pollInterval(Duration.ofMillis(250)).ignoreExceptions()
                .failFast("the bridge process exited before it was healthy", () -> !bridge.isAlive())
                .until(() -> healthStatus(managementPort).equals("UP"));

        // every worker of the sample but the one already terminated, whom change detection does not provision
        List<String> employeeIds = employeeIds(SAMPLE, status -> !status.equals("T"));
        assertThat(employeeIds).as("Employee IDs of the sample").hasSizeGreaterThan(1).doesNotHaveDuplicates()
                .hasSize(employeeIds(SAMPLE, status -> true).size() - 1);
        Path dropFolder = workdir.resolve("drops/hris");
        Files.createDirectories(dropFolder);
        Path hidden = Files.copy(SAMPLE, dropFolder.resolve(".hris-workers.csv.part"));
        Files.move(hidden, dropFolder.resolve("hris-workers.csv"), StandardCopyOption.ATOMIC_MOVE);

        await("every worker of the sample in the sandbox LMS").atMost(DROP).pollInterval(Duration.ofMillis(250))
                .ignoreException(IOException.class)
                .failFast("the bridge process exited", () -> !bridge.isAlive())
                .until(() -> sandbox(port).path("users").asInt(), users -> users >= employeeIds.size());
        JsonNode sandbox = sandbox(port);
        assertThat(sandbox.path("users").asInt()).isEqualTo(employeeIds.size());
        List<String> externalIds = new ArrayList<>();
        sandbox.path("items").forEach(user -> externalIds.add(user.path("externalId").asText()));
        assertThat(externalIds).containsExactlyInAnyOrderElementsOf(employeeIds);

        await("the drop moved to .done").atMost(Duration.ofSeconds(10)).pollInterval(Duration.ofMillis(100))
                .until(() -> Files.isRegularFile(dropFolder.resolve(".done/hris-workers.1.csv")));
        assertThat(dropFolder.resolve("hris-workers.csv")).doesNotExist();

        await("delivered count in /observe/metrics").atMost(Duration.ofSeconds(10)).pollInterval(Duration.ofMillis(250))
                .ignoreException(IOException.class)
                .until(() -> deliveredToLms(metrics(managementPort)).orElse(0) >= employeeIds.size());
        String metrics = metrics(managementPort);
        assertThat(metrics).containsPattern("(?m)^learnbridge_deliveries_total\\{[^}]*outcome=\"delivered\"[^}]*}");
        assertThat(deliveredToLms(metrics)).hasValue(employeeIds.size());
        // the embedded store has no network listener (#12 item 2): no H2 server, no lock file naming one; the commands
        // reach it through the running bridge's control socket, which only its owner may open
        assertThat(workdir.resolve("data/learnbridge.lock.db")).as("H2's lock file of a server").doesNotExist();
        Path socket = workdir.resolve("data/learnbridge.control.sock");
        assertThat(java.nio.file.attribute.PosixFilePermissions.toString(Files.getPosixFilePermissions(socket))).isEqualTo("rw-------");
        Path dropsLog = workdir.resolve("drops-command.log");
        Process drops = new ProcessBuilder(java(), "-jar", JAR.toString(), "drops", "--settings", settingsFile.toString())
                .directory(workdir.toFile()).redirectErrorStream(true).redirectOutput(dropsLog.toFile()).start();
        assertThat(drops.waitFor(STARTUP.toSeconds(), TimeUnit.SECONDS)).as("drops finishes").isTrue();
        String dropsOutput = read(dropsLog);
        assertThat(drops.exitValue()).as("drops while the bridge runs; output:%n%s", dropsOutput).isZero();
        assertThat(dropsOutput).contains("drop 1  hris hris-workers.csv").contains("-> lms: delivered " + employeeIds.size());
        java.util.Optional<java.net.InetAddress> external = java.util.Collections.list(java.net.NetworkInterface.getNetworkInterfaces()).stream()
                .filter(i -> {
                    try {
                        return i.isUp() && !i.isLoopback();
                    } catch (java.net.SocketException e) {
                        return false;
                    }
                })
                .flatMap(i -> java.util.Collections.list(i.getInetAddresses()).stream())
                .filter(a -> a instanceof java.net.Inet4Address).findFirst();
        if (external.isPresent()) {
            // on the default configuration (RELIABILITY.md scenario 18): the sandbox LMS, health and metrics answer without
            // credentials, so none of the bridge's ports may be reachable from another machine
            for (int listening : new int[] {port, managementPort}) {
                assertThatThrownBy(() -> new java.net.Socket(external.get(), listening).close()).as("port " + listening + " on " + external.get())
                        .isInstanceOf(java.net.ConnectException.class);
            }
        }
        java.net.http.HttpClient http = java.net.http.HttpClient.newBuilder().version(java.net.http.HttpClient.Version.HTTP_1_1).build();
        for (String path : List.of("/api/exceptions", "/api/drops/1", "/api/workers/E1/history")) {
            assertThat(http.send(java.net.http.HttpRequest.newBuilder(java.net.URI.create("http://127.0.0.1:" + port + path)).build(),
                    java.net.http.HttpResponse.BodyHandlers.ofString()).statusCode()).as("GET " + path + " without the API token").isEqualTo(401);
        }
        for (String file : List.of("data/learnbridge.mv.db")) {
            assertThat(java.nio.file.attribute.PosixFilePermissions.toString(Files.getPosixFilePermissions(workdir.resolve(file))))
                    .as(file).isEqualTo("rw-------");
        }
        String logged = Files.readString(log, StandardCharsets.UTF_8);
        assertThat(logged).as("the settings summary was logged").contains("learnbridge.sources.hr-events.webhook.secrets = xxxxxx");
        assertThat(logged).doesNotContain(webhookSecret).doesNotContain("Y2FuYXJ5LXdlYmhvb2stc2VjcmV0LTAwMDE")
                .doesNotContain(apiToken).doesNotContain(lmsToken);
        assertThat(metrics).doesNotContain(webhookSecret).doesNotContain(apiToken).doesNotContain(lmsToken);
    }

    @Test
    void unknownCanonicalFieldInAMappingStopsTheJarWithFileLineAndField() throws Exception {
        Path mappings = workdir.resolve("mappings");
        copyTree(BASEDIR.resolve("mappings"), mappings);
        Path hris = mappings.resolve("sources/hris.mapping.yaml");
        List<String> lines = new ArrayList<>(Files.readAllLines(hris, StandardCharsets.UTF_8));
        int fields = lines.indexOf("fields:");
        assertThat(fields).as("'fields:' in %s", hris).isNotNegative();
        lines.add(fields + 1, "  workerIdd:");
        lines.add(fields + 2, "    from: Employee ID");
        Files.write(hris, lines, StandardCharsets.UTF_8);
        int brokenLine = fields + 2;

        int port = freePort();
        int managementPort = freePort();
        bridge = start(settings(Map.of(
                "camel.server.port", String.valueOf(port),
                "camel.management.port", String.valueOf(managementPort),
                "learnbridge.targets.lms.url", "http://127.0.0.1:" + port + "/sandbox/lms/workers",
                "learnbridge.mappings.location", mappings.toString())));

        boolean exited = bridge.waitFor(STARTUP.toSeconds(), TimeUnit.SECONDS);
        String output = read(log);
        assertThat(exited).as("the jar exits on its own on a broken mapping; output:%n%s", output).isTrue();
        assertThat(bridge.exitValue()).as("exit code; output:%n%s", output).isNotZero();
        assertThat(output).as("names the file, the line and the field")
                .containsPattern(Pattern.quote(hris.toString()) + ":" + brokenLine + "\\b.*\\bworkerIdd\\b.*unknown canonical field");
    }

    @Test
    void deploySettingsWithTheSftpSourceValidateAgainstThePackagedJar() throws Exception {
        Path etc = workdir.resolve("etc/learnbridge");
        copyTree(BASEDIR.resolve("mappings"), etc.resolve("mappings"));
        Files.createDirectories(etc.resolve("routes"));
        try (var routes = Files.newDirectoryStream(BASEDIR.resolve("routes"), "*.camel.yaml")) {
            for (Path route : routes) {
                Files.copy(route, etc.resolve("routes").resolve(route.getFileName().toString()));
            }
        }
        Path sftpSource = BASEDIR.resolve("deploy/routes/source-hris.camel.yaml");
        Files.copy(sftpSource, etc.resolve("routes/source-hris.camel.yaml"), StandardCopyOption.REPLACE_EXISTING);
        String deploySettings = read(BASEDIR.resolve("deploy/learnbridge.properties"));
        Properties deployed = new Properties();
        deployed.load(new StringReader(deploySettings));
        assertThat(deployed.stringPropertyNames()).as("secrets come from the environment")
                .filteredOn(key -> key.toLowerCase(Locale.ROOT).matches(".*(token|password|secret)"))
                .isNotEmpty()
                .allSatisfy(key -> assertThat(deployed.getProperty(key)).as(key).startsWith("{{env:"));
        Path settings = etc.resolve("learnbridge.properties");
        Files.writeString(settings, deploySettings.replace("/etc/learnbridge", etc.toString()), StandardCharsets.UTF_8);

        // without the secrets in the environment, each is named: run would refuse to start with an empty token
        ProcessBuilder validate = new ProcessBuilder(java(), "-jar", JAR.toString(), "validate", "--no-load", "--settings", settings.toString())
                .directory(workdir.toFile()).redirectErrorStream(true).redirectOutput(log.toFile());
        List.of("LEARNBRIDGE_API_TOKEN", "LEARNBRIDGE_STORE_PASSWORD", "LEARNBRIDGE_TARGETS_LMS_TOKEN").forEach(validate.environment()::remove);
        bridge = validate.start();
        assertThat(bridge.waitFor(STARTUP.toSeconds(), TimeUnit.SECONDS)).as("validate finishes").isTrue();
        String unset = read(log);
        assertThat(bridge.exitValue()).as("validate exit code without the secrets; output:%n%s", unset).isEqualTo(1);
        assertThat(unset).contains("environment variable LEARNBRIDGE_API_TOKEN is not set (this secret would be empty)",
                "environment variable LEARNBRIDGE_STORE_PASSWORD is not set", "environment variable LEARNBRIDGE_TARGETS_LMS_TOKEN is not set",
                "3 problem(s)");

        validate.environment().putAll(Map.of("LEARNBRIDGE_API_TOKEN", "t", "LEARNBRIDGE_STORE_PASSWORD", "p", "LEARNBRIDGE_TARGETS_LMS_TOKEN", "l"));
        bridge = validate.start();
        assertThat(bridge.waitFor(STARTUP.toSeconds(), TimeUnit.SECONDS)).as("validate finishes").isTrue();
        String output = read(log);
        assertThat(bridge.exitValue()).as("validate exit code; output:%n%s", output).isZero();
        assertThat(output).contains("valid: routes, mappings, example cases and settings");
    }

    private Process start(Path settings) throws IOException {
        return start(settings, Map.of());
    }

    private Process start(Path settings, Map<String, String> environment) throws IOException {
        ProcessBuilder process = new ProcessBuilder(java(), "-jar", JAR.toString(), "run", "--settings", settings.toString())
                .directory(workdir.toFile())
                .redirectErrorStream(true)
                .redirectOutput(log.toFile());
        process.environment().putAll(environment);
        return process.start();
    }

    private static String java() {
        return Path.of(System.getProperty("java.home"), "bin", "java").toString();
    }

    private Path settings(Map<String, String> values) throws IOException {
        Properties properties = new Properties();
        properties.putAll(values);
        Path file = workdir.resolve("learnbridge-it.properties");
        try (var out = Files.newBufferedWriter(file, StandardCharsets.UTF_8)) {
            properties.store(out, "PackagedJarIT");
        }
        return file;
    }

    private String healthStatus(int managementPort) throws Exception {
        return JSON.readTree(get(managementPort, "/observe/health").body()).path("status").asText();
    }

    private JsonNode sandbox(int port) throws Exception {
        HttpResponse<String> response = get(port, "/sandbox/lms/workers");
        assertThat(response.statusCode()).as("GET /sandbox/lms/workers: %s", response.body()).isEqualTo(200);
        return JSON.readTree(response.body());
    }

    private String metrics(int managementPort) throws Exception {
        HttpResponse<String> response = get(managementPort, "/observe/metrics");
        assertThat(response.statusCode()).as("GET /observe/metrics").isEqualTo(200);
        return response.body();
    }

    private HttpResponse<String> get(int port, String path) throws IOException, InterruptedException {
        HttpRequest request = HttpRequest.newBuilder(URI.create("http://127.0.0.1:" + port + path)).timeout(Duration.ofSeconds(5)).build();
        return http.send(request, HttpResponse.BodyHandlers.ofString());
    }

    /** The value of {@code learnbridge_deliveries_total{outcome="delivered",target="lms"}}, if present. */
    private static OptionalDouble deliveredToLms(String metrics) {
        Matcher m = DELIVERIES.matcher(metrics);
        while (m.find()) {
            if (m.group(1).contains("outcome=\"delivered\"") && m.group(1).contains("target=\"lms\"")) {
                return OptionalDouble.of(Double.parseDouble(m.group(2)));
            }
        }
        return OptionalDouble.empty();
    }

    /** Employee IDs of the data rows, read with a CSV parser (a quoted field may hold a newline). */
    private static List<String> employeeIds(Path csv, java.util.function.Predicate<String> status) throws IOException {
        try (CsvReader<NamedCsvRecord> reader = CsvReader.builder().ofNamedCsvRecord(csv, StandardCharsets.UTF_8)) {
            return StreamSupport.stream(reader.spliterator(), false).filter(r -> status.test(r.getField("Status")))
                    .map(r -> r.getField("Employee ID")).toList();
        }
    }

    private static void copyTree(Path from, Path to) throws IOException {
        try (var walk = Files.walk(from)) {
            for (Path p : (Iterable<Path>) walk::iterator) {
                Path dest = to.resolve(from.relativize(p).toString());
                if (Files.isDirectory(p)) {
                    Files.createDirectories(dest);
                } else {
                    Files.copy(p, dest);
                }
            }
        }
    }

    /** The bridge's output, decoded leniently (a log line may hold bytes of another encoding). */
    private static String read(Path file) throws IOException {
        return new String(Files.readAllBytes(file), StandardCharsets.UTF_8);
    }

    private static int freePort() throws IOException {
        try (ServerSocket socket = new ServerSocket(0)) {
            socket.setReuseAddress(true);
            return socket.getLocalPort();
        }
    }

    /** Prints the tail of the bridge's output when a test fails (the full log stays under target/). */
    static final class PrintLogOnFailure implements TestWatcher {

        Path log;

        @Override
        public void testFailed(ExtensionContext context, Throwable cause) {
            if (log == null || !Files.exists(log)) {
                return;
            }
            try {
                List<String> lines = read(log).lines().toList();
                List<String> tail = lines.subList(Math.max(0, lines.size() - 80), lines.size());
                System.err.println("---- last " + tail.size() + " lines of " + log + " ----");
                tail.forEach(System.err::println);
                System.err.println("---- end of " + log + " ----");
            } catch (IOException e) {
                throw new UncheckedIOException(e);
            }
        }
    }
}
