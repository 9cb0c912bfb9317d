package io.learnbridge.testing;

import java.io.BufferedReader;
import java.io.File;
import java.io.IOException;
import java.io.InputStreamReader;
import java.io.UncheckedIOException;
import java.io.Writer;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.channels.FileChannel;
import java.nio.channels.FileLock;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
import java.nio.file.StandardOpenOption;
import java.security.MessageDigest;
import java.security.NoSuchAlgorithmException;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.HexFormat;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.TimeoutException;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;

/**
 * A real, strict SCIM 2.0 service provider (RFC 7643/7644) for tests: {@code src/test/node/scim/server.js},
 * built on the npm packages {@code scimmy} and {@code scimmy-routers} (Express), run by Node.js as a child
 * process on 127.0.0.1 with an in-memory store.
 *
 * <p>It serves {@code /Users} (with the enterprise extension) and {@code /Groups} under {@link #baseUrl()},
 * requires {@code Authorization: Bearer <token>} (401 otherwise), answers 409 {@code uniqueness} for a taken
 * {@code userName} (case-insensitive) or {@code externalId} (case-exact), 400 for unknown attributes,
 * missing {@code schemas}, wrong types or missing required attributes, and supports filters, PUT, PATCH
 * and DELETE. Every SCIM request it receives is logged and can be read back with {@link #requests()}.
 *
 * <p>The Node project is copied to {@code target/node-cache/scim} and installed there with {@code npm ci}
 * once per {@code package-lock.json} content (a stamp file holds the lock's SHA-256), so later test classes
 * and runs start in well under a second. Needs {@code node} (20+) and {@code npm} on the PATH.
 */
public final class ScimServer implements AutoCloseable {

    /** One SCIM request as the server saw it: path relative to {@link #baseUrl()}, body null when none was parsed. */
    public record Request(String method, String path, Map<String, String> query, int status, JsonNode body) {

        /** True when this request has the given method and its path starts with {@code pathPrefix}. */
        public boolean is(String method, String pathPrefix) {
            return this.method.equals(method) && path.startsWith(pathPrefix);
        }
    }

    private static final Path BASEDIR = Path.of(System.getProperty("basedir", ".")).toAbsolutePath().normalize();
    private static final Path SOURCE = BASEDIR.resolve("src/test/node/scim");
    private static final Path CACHE = BASEDIR.resolve("target/node-cache/scim");
    private static final List<String> SOURCE_FILES = List.of("package.json", "package-lock.json", "server.js");
    private static final String STAMP = ".installed-lock-sha256";
    private static final Duration INSTALL_TIMEOUT = Duration.ofMinutes(5);
    private static final Duration READY_TIMEOUT = Duration.ofSeconds(30);
    private static final Pattern READY = Pattern.compile("^ready (http://127\\.0\\.0\\.1:(\\d+)(/\\S*))$");
    private static final boolean WINDOWS = System.getProperty("os.name", "").startsWith("Windows");
    private static final ObjectMapper JSON = new ObjectMapper();
    private static final Object INSTALL_LOCK = new Object();
    private static final AtomicInteger INSTANCES = new AtomicInteger();

    private final String token;
    private final Process process;
    private final Path log;
    private final String baseUrl;
    private final String rootUrl;
    private final int port;
    private final HttpClient http = HttpClient.newBuilder()
            .version(HttpClient.Version.HTTP_1_1).connectTimeout(Duration.ofSeconds(2)).build();

    private ScimServer(String token, Process process, Path log, String baseUrl, int port) {
        this.token = token;
        this.process = process;
        this.log = log;
        this.baseUrl = baseUrl;
        this.port = port;
        this.rootUrl = "http://127.0.0.1:" + port;
    }

    /**
     * Installs the server's npm dependencies if {@code package-lock.json} changed since the last install,
     * starts it on a free loopback port and returns once it has printed its ready line.
     *
     * @param token the bearer token every SCIM request must carry
     */
    public static ScimServer start(String token) throws IOException, InterruptedException {
        if (token == null || token.isBlank() || token.chars().anyMatch(Character::isWhitespace)) {
            throw new IllegalArgumentException("the SCIM bearer token must be non-blank and contain no whitespace");
        }
        Path dir = install();
        Path log = CACHE.resolveSibling("scim-server-" + ProcessHandle.current().pid() + "-" + INSTANCES.incrementAndGet() + ".log");
        ProcessBuilder builder = new ProcessBuilder(WINDOWS ? "node.exe" : "node", "server.js")
                .directory(dir.toFile()).redirectErrorStream(true);
        builder.environment().put("SCIM_TOKEN", token);
        builder.environment().put("SCIM_PORT", "0");
        Process process;
        try {
            process = builder.start();
        } catch (IOException e) {
            throw new IOException("cannot run 'node' (Node.js 20+ must be on the PATH) for the SCIM test server", e);
        }
        // stdin stays open: server.js exits when it closes, so a killed test JVM leaves no server behind.
        CompletableFuture<Matcher> ready = new CompletableFuture<>();
        Thread pump = new Thread(() -> copyOutput(process, log, ready), "scim-server-output-" + process.pid());
        pump.setDaemon(true);
        pump.start();
        try {
            Matcher matcher = ready.get(READY_TIMEOUT.toSeconds(), TimeUnit.SECONDS);
            return new ScimServer(token, process, log, matcher.group(1), Integer.parseInt(matcher.group(2)));
        } catch (ExecutionException | TimeoutException e) {
            stop(process);
            pump.join(TimeUnit.SECONDS.toMillis(5));
            String why = e instanceof TimeoutException ? "did not print its ready line within " + READY_TIMEOUT.toSeconds() + " s"
                    : "exited before it was ready (exit code " + process.exitValue() + ")";
            throw new IllegalStateException("the SCIM test server " + why + "; output in " + log + ":\n" + tail(log), e);
        } catch (InterruptedException e) {
            stop(process);
            throw e;
        }
    }

    /** e.g. {@code http://127.0.0.1:41234/scim/v2}, without a trailing slash. */
    public String baseUrl() {
        return baseUrl;
    }

    public String token() {
        return token;
    }

    public int port() {
        return port;
    }

    /** The server's stdout and stderr. */
    public Path log() {
        return log;
    }

    /** Every SCIM request received since the start or the last {@link #reset()}, oldest first, 401s included. */
    public List<Request> requests() {
        HttpResponse<String> response = control("GET", "/_test/requests", 200);
        try {
            List<Request> requests = new ArrayList<>();
            for (JsonNode entry : JSON.readTree(response.body())) {
                Map<String, String> query = new LinkedHashMap<>();
                entry.path("query").fields().forEachRemaining(field -> query.put(field.getKey(), field.getValue().asText()));
                JsonNode body = entry.path("body");
                requests.add(new Request(entry.path("method").asText(), entry.path("path").asText(), Map.copyOf(query),
                        entry.path("status").asInt(), body.isMissingNode() || body.isNull() ? null : body));
            }
            return List.copyOf(requests);
        } catch (IOException e) {
            throw new UncheckedIOException("the SCIM test server's request log is not JSON: " + response.body(), e);
        }
    }

    /** Empties the store (users and groups) and the request log. */
    public void reset() {
        control("POST", "/_test/reset", 204);
    }

    /** Stops the server (SIGTERM, then SIGKILL after 5 s). */
    @Override
    public void close() {
        stop(process);
    }

    private HttpResponse<String> control(String method, String path, int expectedStatus) {
        HttpRequest request = HttpRequest.newBuilder(URI.create(rootUrl + path)).timeout(Duration.ofSeconds(10))
                .method(method, HttpRequest.BodyPublishers.noBody()).build();
        try {
            HttpResponse<String> response = http.send(request, HttpResponse.BodyHandlers.ofString());
            if (response.statusCode() != expectedStatus) {
                throw new IllegalStateException(method + " " + path + " on the SCIM test server answered "
                        + response.statusCode() + " (expected " + expectedStatus + "): " + response.body());
            }
            return response;
        } catch (IOException e) {
            throw new UncheckedIOException(method + " " + path + " on the SCIM test server failed; output in " + log, e);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            throw new IllegalStateException("interrupted during " + method + " " + path + " on the SCIM test server", e);
        }
    }

    /** Copies the Node project to the cache directory and runs {@code npm ci} there unless the stamp matches. */
    private static Path install() throws IOException, InterruptedException {
        synchronized (INSTALL_LOCK) {
            Files.createDirectories(CACHE);
            // Surefire forks and parallel builds share target/: one installer at a time across processes too.
            try (FileChannel channel = FileChannel.open(CACHE.resolveSibling("scim.lock"),
                    StandardOpenOption.CREATE, StandardOpenOption.WRITE);
                 FileLock ignored = channel.lock()) {
                for (String name : SOURCE_FILES) {
                    copyIfChanged(SOURCE.resolve(name), CACHE.resolve(name));
                }
                String lockHash = sha256(CACHE.resolve("package-lock.json"));
                Path stamp = CACHE.resolve(STAMP);
                boolean current = Files.isDirectory(CACHE.resolve("node_modules")) && Files.isRegularFile(stamp)
                        && Files.readString(stamp, StandardCharsets.UTF_8).trim().equals(lockHash);
                if (!current) {
                    Files.deleteIfExists(stamp);
                    npmCi();
                    Files.writeString(stamp, lockHash + "\n", StandardCharsets.UTF_8);
                }
            }
            return CACHE;
        }
    }

    private static void npmCi() throws IOException, InterruptedException {
        Path npmLog = CACHE.resolveSibling("scim-npm-ci.log");
        List<String> command = List.of(WINDOWS ? "npm.cmd" : "npm", "ci", "--no-audit", "--no-fund");
        Process npm;
        try {
            npm = new ProcessBuilder(command).directory(CACHE.toFile()).redirectErrorStream(true)
                    .redirectOutput(ProcessBuilder.Redirect.to(npmLog.toFile()))
                    .redirectInput(ProcessBuilder.Redirect.from(nullDevice())).start();
        } catch (IOException e) {
            throw new IOException("cannot run 'npm' (npm must be on the PATH) to install the SCIM test server", e);
        }
        if (!npm.waitFor(INSTALL_TIMEOUT.toSeconds(), TimeUnit.SECONDS)) {
            stop(npm);
            throw new IllegalStateException(String.join(" ", command) + " in " + CACHE + " did not finish within "
                    + INSTALL_TIMEOUT.toMinutes() + " min; log " + npmLog + ":\n" + tail(npmLog));
        }
        if (npm.exitValue() != 0) {
            throw new IllegalStateException(String.join(" ", command) + " in " + CACHE + " failed with exit code "
                    + npm.exitValue() + "; log " + npmLog + ":\n" + tail(npmLog));
        }
    }

    private static void copyOutput(Process process, Path log, CompletableFuture<Matcher> ready) {
        try (BufferedReader output = new BufferedReader(new InputStreamReader(process.getInputStream(), StandardCharsets.UTF_8));
             Writer file = Files.newBufferedWriter(log, StandardCharsets.UTF_8)) {
            String line;
            while ((line = output.readLine()) != null) {
                file.write(line);
                file.write('\n');
                file.flush();
                Matcher matcher = READY.matcher(line);
                if (!ready.isDone() && matcher.matches()) {
                    ready.complete(matcher);
                }
            }
        } catch (IOException e) {
            ready.completeExceptionally(e);
        } finally {
            ready.completeExceptionally(new IllegalStateException("the SCIM test server's output ended"));
        }
    }

    private static void stop(Process process) {
        if (!process.isAlive()) {
            return;
        }
        process.destroy();
        try {
            if (!process.waitFor(5, TimeUnit.SECONDS)) {
                process.destroyForcibly();
                if (!process.waitFor(10, TimeUnit.SECONDS)) {
                    throw new IllegalStateException("process " + process.pid() + " survived kill -9");
                }
            }
        } catch (InterruptedException e) {
            process.destroyForcibly();
            Thread.currentThread().interrupt();
        }
    }

    private static void copyIfChanged(Path from, Path to) throws IOException {
        byte[] content = Files.readAllBytes(from);
        if (Files.isRegularFile(to) && Arrays.equals(content, Files.readAllBytes(to))) {
            return;
        }
        Path temporary = Files.createTempFile(to.getParent(), to.getFileName().toString(), ".tmp");
        Files.write(temporary, content);
        Files.move(temporary, to, StandardCopyOption.REPLACE_EXISTING, StandardCopyOption.ATOMIC_MOVE);
    }

    private static String sha256(Path file) throws IOException {
        try {
            return HexFormat.of().formatHex(MessageDigest.getInstance("SHA-256").digest(Files.readAllBytes(file)));
        } catch (NoSuchAlgorithmException e) {
            throw new IllegalStateException("SHA-256 is not available", e);
        }
    }

    private static String tail(Path file) {
        try {
            List<String> lines = Files.readAllLines(file, StandardCharsets.UTF_8);
            return String.join("\n", lines.subList(Math.max(0, lines.size() - 40), lines.size()));
        } catch (IOException e) {
            return "(cannot read " + file + ": " + e.getMessage() + ")";
        }
    }

    private static File nullDevice() {
        return new File(WINDOWS ? "NUL" : "/dev/null");
    }

    @Override
    public String toString() {
        return "ScimServer[" + baseUrl + ", pid " + process.pid() + "]";
    }
}
