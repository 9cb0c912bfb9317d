package io.learnbridge.testing;

import com.fasterxml.jackson.core.type.TypeReference;
import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;
import java.io.UncheckedIOException;
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
import java.util.Base64;
import java.util.HashSet;
import java.util.HexFormat;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.TimeUnit;
import java.util.stream.Stream;

import org.awaitility.Awaitility;

/**
 * A real xAPI Learning Record Store for tests: Learning Locker's {@code @learninglocker/xapi-statements}
 * 7.8.0 (pinned with its whole tree in {@code src/test/node/lrs/package-lock.json}) as a child Node.js
 * process, statements in memory, bound to 127.0.0.1 on a port the OS picks.
 *
 * <p><b>Installation.</b> {@code src/test/node/lrs} is copied to {@code target/node-cache/lrs} and
 * {@code npm ci} runs there (log: {@code target/node-cache/lrs/npm-ci.log}) when the stamp file
 * {@code .installed} does not hold the SHA-256 of package.json + package-lock.json; otherwise the
 * installed tree is reused across test classes and runs. A file lock serialises concurrent JVMs.
 * {@code node} and {@code npm} are taken from the PATH.
 *
 * <p><b>Binding.</b> The service itself listens on every interface and has no host setting;
 * {@code start.js} makes it bind 127.0.0.1 and reports the address the socket really got, which
 * {@link #baseUrl()} is built from. The process exits when its stdin closes, so it dies with this JVM.
 *
 * <p><b>Authentication.</b> The service runs with {@code AUTH_REPO=test}: it does not check credentials
 * at all. Any {@code Authorization} header, or none, is the test client with scope {@code all}; the one
 * exception is the literal header {@value #REJECTED_AUTHORIZATION}, answered 401. {@link #basicAuth()}
 * is therefore only a realistic header ({@value #KEY}:{@value #SECRET}), not a secret the LRS knows.
 *
 * <p><b>Endpoint.</b> The xAPI base is {@code /xAPI} (Learning Locker's {@code /data/xAPI} is a
 * prefix added by its reverse proxy, which is not part of this package). Every xAPI request needs the
 * header {@value #VERSION_HEADER}: {@value #XAPI_VERSION}, or it is answered 400.
 *
 * <p>Output of the service goes to {@code workDir/lrs/lrs.log}.
 */
public final class LrsServer implements AutoCloseable {

    /** The xAPI version header every request to the LRS must carry. */
    public static final String VERSION_HEADER = "X-Experience-API-Version";
    /** The version the LRS announces and the bridge sends. */
    public static final String XAPI_VERSION = "1.0.3";
    /** Key of {@link #basicAuth()}: any key is accepted by the test auth repo. */
    public static final String KEY = "learnbridge";
    /** Secret of {@link #basicAuth()}: any secret is accepted by the test auth repo. */
    public static final String SECRET = "learnbridge-secret";
    /** The only Authorization header value the test auth repo refuses (401 Unauthorised). */
    public static final String REJECTED_AUTHORIZATION = "Basic missing_token";

    private static final String HOST = "127.0.0.1";
    private static final Path SOURCE = projectDir().resolve("src/test/node/lrs");
    private static final Path CACHE = projectDir().resolve("target/node-cache/lrs");
    private static final Duration INSTALL_TIMEOUT = Duration.ofMinutes(5);
    private static final Duration START_TIMEOUT = Duration.ofSeconds(30);
    private static final ObjectMapper JSON = new ObjectMapper();

    private final Path home;
    private final Path log;
    private final HttpClient http = HttpClient.newBuilder()
            .version(HttpClient.Version.HTTP_1_1).connectTimeout(Duration.ofSeconds(2)).build();
    private Process process;
    private URI baseUrl;

    private LrsServer(Path home) {
        this.home = home;
        this.log = home.resolve("lrs.log");
    }

    /**
     * Installs the LRS if needed (first run: about 30 s, mostly npm), starts it and waits until
     * {@code GET /xAPI/about} answers 200.
     *
     * @param workDir a scratch directory owned by the test (typically a JUnit {@code @TempDir});
     *                the LRS's log, file storage and access logs go to {@code workDir/lrs}
     * @return the running LRS, empty; close it when done
     */
    public static LrsServer start(Path workDir) {
        Path installed = install();
        try {
            LrsServer lrs = new LrsServer(Files.createDirectories(workDir.resolve("lrs")).toAbsolutePath());
            lrs.launch(installed);
            return lrs;
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
    }

    /** @return the xAPI endpoint base, {@code http://127.0.0.1:PORT/xAPI} (append {@code /statements}) */
    public URI baseUrl() {
        return baseUrl;
    }

    /** @return the statements resource, {@code baseUrl()/statements} */
    public URI statementsUrl() {
        return URI.create(baseUrl + "/statements");
    }

    /** @return {@code Basic base64(KEY:SECRET)}; the test auth repo accepts it (as it accepts anything) */
    public String basicAuth() {
        return "Basic " + Base64.getEncoder().encodeToString((KEY + ":" + SECRET).getBytes(StandardCharsets.UTF_8));
    }

    /** @return the file the LRS process writes its output to */
    public Path log() {
        return log;
    }

    /**
     * Reads every statement the LRS returns from {@code GET /statements} (voided ones excluded, as
     * xAPI requires), following {@code more} links, newest stored first.
     *
     * @return the statements as the LRS serialises them (with {@code stored}, {@code authority}, ...)
     */
    public List<JsonNode> statements() {
        List<JsonNode> statements = new ArrayList<>();
        Set<String> seen = new HashSet<>();
        URI next = statementsUrl();
        while (next != null) {
            if (!seen.add(next.toString())) {
                throw new IllegalStateException("The LRS returned the same 'more' link twice: " + next);
            }
            HttpResponse<String> response = send(HttpRequest.newBuilder(next).GET());
            if (response.statusCode() != 200) {
                throw new IllegalStateException("GET " + next + " answered " + response.statusCode() + ": " + response.body());
            }
            JsonNode page = readTree(response.body());
            page.path("statements").forEach(statements::add);
            String more = page.path("more").asText("");
            next = more.isEmpty() ? null : baseUrl.resolve(more);
        }
        return statements;
    }

    /**
     * Sends a request to the LRS with the version header and {@link #basicAuth()} already set.
     *
     * @param request the request, e.g. {@code HttpRequest.newBuilder(lrs.statementsUrl()).POST(...)}
     * @return the response, body as a string
     */
    public HttpResponse<String> send(HttpRequest.Builder request) {
        try {
            return http.send(request.header(VERSION_HEADER, XAPI_VERSION).header("Authorization", basicAuth())
                    .timeout(Duration.ofSeconds(10)).build(), HttpResponse.BodyHandlers.ofString());
        } catch (IOException e) {
            throw new UncheckedIOException("Request to the LRS failed; its output is in " + log, e);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            throw new IllegalStateException("Interrupted", e);
        }
    }

    /** Stops the LRS (stdin closed, then SIGTERM, then SIGKILL) and waits for it to be gone. */
    @Override
    public synchronized void close() {
        if (process == null) {
            return;
        }
        try {
            closeQuietly(process.getOutputStream());
            if (!process.waitFor(5, TimeUnit.SECONDS)) {
                process.descendants().forEach(ProcessHandle::destroy);
                process.destroy();
                if (!process.waitFor(5, TimeUnit.SECONDS)) {
                    process.descendants().forEach(ProcessHandle::destroyForcibly);
                    process.destroyForcibly().waitFor(10, TimeUnit.SECONDS);
                }
            }
        } catch (InterruptedException e) {
            process.destroyForcibly();
            Thread.currentThread().interrupt();
        } finally {
            process = null;
        }
    }

    /**
     * Validates statements with {@code @learninglocker/xapi-validation} (the validator the LRS applies
     * on every write), through {@code validate.js}. Installs the package tree if needed.
     *
     * @param statementsJson a JSON array of statements (or one statement object)
     * @return one entry per statement, in order: {@code ""} when valid, otherwise its problems joined
     *         by {@code "; "}, each as {@code "<path>: <WarningName> [details]"}, e.g.
     *         {@code "statement.verb: RequiredWarning"}; offending values are never included
     */
    public static List<String> validate(String statementsJson) {
        Path installed = install();
        try {
            Process node = new ProcessBuilder("node", "validate.js").directory(installed.toFile()).start();
            CompletableFuture<String> stdout = CompletableFuture.supplyAsync(() -> readAll(node.getInputStream()));
            CompletableFuture<String> stderr = CompletableFuture.supplyAsync(() -> readAll(node.getErrorStream()));
            try (OutputStream stdin = node.getOutputStream()) {
                stdin.write(statementsJson.getBytes(StandardCharsets.UTF_8));
            }
            if (!node.waitFor(30, TimeUnit.SECONDS)) {
                node.destroyForcibly();
                throw new IllegalStateException("validate.js did not finish within 30 s");
            }
            if (node.exitValue() != 0) {
                throw new IllegalArgumentException("validate.js exited with " + node.exitValue() + ": " + stderr.join().strip());
            }
            List<List<String>> problems = JSON.readValue(stdout.join(), new TypeReference<List<List<String>>>() { });
            return problems.stream().map(list -> String.join("; ", list)).toList();
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            throw new IllegalStateException("Interrupted", e);
        }
    }

    private void launch(Path installed) throws IOException {
        Path readyFile = home.resolve("ready");
        Files.deleteIfExists(readyFile);
        ProcessBuilder builder = new ProcessBuilder("node", installed.resolve("start.js").toString())
                // cwd is the work dir: the service loads ./.env (dotenv) and defaults its storage to ./storage
                .directory(home.toFile())
                .redirectErrorStream(true)
                .redirectOutput(ProcessBuilder.Redirect.appendTo(log.toFile()));
        Map<String, String> env = builder.environment();
        env.put("LRS_HOST", HOST);
        env.put("LRS_READY_FILE", readyFile.toString());
        env.put("EXPRESS_PORT", "0");
        env.put("MODELS_REPO", "memory");
        env.put("STORAGE_REPO", "local");
        env.put("AUTH_REPO", "test");
        // the default events repo is Redis; "test" is the package's no-op one
        env.put("EVENTS_REPO", "test");
        // the service opens a Mongo connection at startup whatever the repos; point it at a closed
        // loopback port (it logs three refusals and gives up) rather than at a real mongod on 27017
        env.put("MONGO_URL", "mongodb://127.0.0.1:1/unused");
        env.put("FS_LOCAL_STORAGE_DIR", home.resolve("storage").toString());
        env.put("EXPRESS_MORGAN_DIRECTORY", home.resolve("access-logs").toString());
        env.put("WINSTON_CONSOLE_LEVEL", "info");
        process = builder.start();

        try {
            Awaitility.await("LRS ready file " + readyFile)
                    .atMost(START_TIMEOUT).pollDelay(Duration.ZERO).pollInterval(Duration.ofMillis(50))
                    .until(() -> {
                        if (!process.isAlive()) {
                            throw new IllegalStateException("The LRS exited with " + process.exitValue() + ":\n" + tail(log));
                        }
                        return Files.exists(readyFile);
                    });
            baseUrl = URI.create(Files.readString(readyFile, StandardCharsets.UTF_8).strip());
            if (!HOST.equals(baseUrl.getHost())) {
                throw new IllegalStateException("The LRS is bound to " + baseUrl.getHost() + ", not " + HOST);
            }
            Awaitility.await("LRS answers GET /xAPI/about")
                    .atMost(START_TIMEOUT).pollDelay(Duration.ZERO).pollInterval(Duration.ofMillis(50))
                    .until(this::answersAbout);
        } catch (RuntimeException e) {
            close();
            throw e;
        }
    }

    private boolean answersAbout() {
        try {
            HttpResponse<String> response = http.send(HttpRequest.newBuilder(URI.create(baseUrl + "/about"))
                    .header(VERSION_HEADER, XAPI_VERSION).timeout(Duration.ofSeconds(2)).build(),
                    HttpResponse.BodyHandlers.ofString());
            return response.statusCode() == 200;
        } catch (IOException e) {
            return false;
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            return false;
        }
    }

    /** Copies the sources to the cache and runs npm ci there unless the stamp matches; returns the cache dir. */
    private static synchronized Path install() {
        try {
            Files.createDirectories(CACHE);
            try (FileChannel channel = FileChannel.open(CACHE.resolveSibling("lrs.lock"),
                    StandardOpenOption.CREATE, StandardOpenOption.WRITE);
                 FileLock ignored = channel.lock()) {
                copySources();
                String stamp = sha256(SOURCE.resolve("package.json"), SOURCE.resolve("package-lock.json"));
                Path stampFile = CACHE.resolve(".installed");
                boolean current = Files.isDirectory(CACHE.resolve("node_modules"))
                        && Files.exists(stampFile) && Files.readString(stampFile).strip().equals(stamp);
                if (!current) {
                    Files.deleteIfExists(stampFile);
                    npmCi();
                    Files.writeString(stampFile, stamp + "\n");
                }
            }
            return CACHE;
        } catch (IOException e) {
            throw new UncheckedIOException("Cannot prepare the LRS in " + CACHE, e);
        }
    }

    private static void copySources() throws IOException {
        try (Stream<Path> files = Files.list(SOURCE)) {
            for (Path file : (Iterable<Path>) files::iterator) {
                if (Files.isRegularFile(file)) {
                    Files.copy(file, CACHE.resolve(file.getFileName()), StandardCopyOption.REPLACE_EXISTING);
                }
            }
        }
    }

    private static void npmCi() throws IOException {
        Path npmLog = CACHE.resolve("npm-ci.log");
        // --ignore-scripts: nothing in the tree needs an install script, and one optional dependency
        // (newrelic native metrics) would try to compile; --omit=optional drops it and Mongo extras;
        // --engine-strict=false: xapi-statements 7.8.0 declares node 6 - 8 and runs on 20
        Process npm = new ProcessBuilder("npm", "ci", "--no-audit", "--no-fund", "--ignore-scripts",
                "--omit=optional", "--engine-strict=false", "--prefer-offline")
                .directory(CACHE.toFile()).redirectErrorStream(true)
                .redirectOutput(ProcessBuilder.Redirect.to(npmLog.toFile())).start();
        npm.getOutputStream().close();
        try {
            if (!npm.waitFor(INSTALL_TIMEOUT.toSeconds(), TimeUnit.SECONDS)) {
                npm.descendants().forEach(ProcessHandle::destroyForcibly);
                npm.destroyForcibly();
                throw new IllegalStateException("npm ci in " + CACHE + " did not finish within " + INSTALL_TIMEOUT
                        + ":\n" + tail(npmLog));
            }
        } catch (InterruptedException e) {
            npm.destroyForcibly();
            Thread.currentThread().interrupt();
            throw new IllegalStateException("Interrupted during npm ci", e);
        }
        if (npm.exitValue() != 0) {
            throw new IllegalStateException("npm ci in " + CACHE + " exited with " + npm.exitValue() + ":\n" + tail(npmLog));
        }
    }

    private static String sha256(Path... files) throws IOException {
        try {
            MessageDigest digest = MessageDigest.getInstance("SHA-256");
            for (Path file : files) {
                digest.update(Files.readAllBytes(file));
            }
            return HexFormat.of().formatHex(digest.digest());
        } catch (NoSuchAlgorithmException e) {
            throw new IllegalStateException(e);
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

    private static String readAll(InputStream in) {
        try (in) {
            return new String(in.readAllBytes(), StandardCharsets.UTF_8);
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
    }

    private static JsonNode readTree(String body) {
        try {
            return JSON.readTree(body);
        } catch (IOException e) {
            throw new IllegalStateException("The LRS answered something that is not JSON: " + body, e);
        }
    }

    private static void closeQuietly(OutputStream out) {
        try {
            out.close();
        } catch (IOException e) {
            // the process is being stopped anyway
        }
    }

    private static Path projectDir() {
        return Path.of(System.getProperty("basedir", "")).toAbsolutePath();
    }
}
