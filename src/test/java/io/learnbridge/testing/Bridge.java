package io.learnbridge.testing;

import io.learnbridge.camel.LearnBridgeConfiguration;
import io.learnbridge.store.Store;
import java.io.IOException;
import java.net.ServerSocket;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.LinkedHashMap;
import java.util.Map;
import java.util.Properties;
import org.apache.camel.CamelContext;
import org.apache.camel.main.Main;

/**
 * The real bridge, booted in the test JVM from the real route and mapping files, with only what
 * a test must replace: its own store, drop folder, ports and target URL. Start with
 * {@link #builder(Path)}, close to stop.
 */
public final class Bridge implements AutoCloseable {

    private final Main main;
    private final Path home;
    private final int port;
    private final int managementPort;
    private final Map<String, String> properties;

    private Bridge(Main main, Path home, int port, int managementPort, Map<String, String> properties) {
        this.main = main;
        this.home = home;
        this.port = port;
        this.managementPort = managementPort;
        this.properties = properties;
    }

    public static Builder builder(Path home) {
        return new Builder(home);
    }

    /** Builds a bridge: defaults are a fresh H2 store and drop folder under {@code home}. */
    public static final class Builder {
        private final Path home;
        private final Map<String, String> properties = new LinkedHashMap<>();
        private final java.util.List<Class<? extends org.apache.camel.CamelConfiguration>> configurations = new java.util.ArrayList<>();

        private Builder(Path home) {
            this.home = home;
            properties.put("learnbridge.store.url", "jdbc:h2:file:" + home.resolve("store/learnbridge").toAbsolutePath() + ";WRITE_DELAY=0");
            properties.put("learnbridge.sources.hris.directory", home.resolve("drops/hris").toAbsolutePath().toString());
            properties.put("learnbridge.drops.pollDelay", "200ms");
            properties.put("learnbridge.drops.readLockCheckInterval", "200ms");
            properties.put("learnbridge.drops.readLockMinAge", "300ms");
            properties.put("learnbridge.delivery.pollPeriod", "50ms");
            properties.put("learnbridge.delivery.initialBackoff", "100ms");
            properties.put("learnbridge.delivery.maxBackoff", "1000ms");
            properties.put("learnbridge.delivery.breaker.openSeconds", "1s");
            // enrolment rules are off unless a test is about them: the deployed rules would add enrolment requests to every LMS
            properties.put("learnbridge.enrolments.enabled", "false");
            properties.put("learnbridge.api.token", "test-token");
            properties.put("learnbridge.instanceId", "test-instance");
            properties.put("camel.main.shutdownTimeout", "5");
            properties.put("camel.main.routesIncludePattern", "classpath:routes/*.camel.yaml");
        }

        public Builder property(String key, String value) {
            properties.put(key, value);
            return this;
        }

        /** Adds a Camel configuration after LearnBridge's own (e.g. to bind a bean a test needs). */
        public Builder configuration(Class<? extends org.apache.camel.CamelConfiguration> configuration) {
            configurations.add(configuration);
            return this;
        }

        /** Loads route files from the repository's routes/ plus the given extra files. */
        public Builder routes(String pattern) {
            properties.put("camel.main.routesIncludePattern", pattern);
            return this;
        }

        public Bridge start() throws Exception {
            int port = freePort();
            int managementPort = freePort();
            properties.putIfAbsent("camel.server.port", String.valueOf(port));
            properties.put("camel.management.port", String.valueOf(managementPort));
            properties.putIfAbsent("learnbridge.targets.lms.url", "http://127.0.0.1:" + port + "/sandbox/lms/workers");
            Files.createDirectories(home);
            Main main = new Main();
            main.configure().addConfiguration(LearnBridgeConfiguration.class);
            configurations.forEach(main.configure()::addConfiguration);
            Properties override = new Properties();
            override.putAll(properties);
            main.setOverrideProperties(override);
            main.start();
            return new Bridge(main, home, Integer.parseInt(properties.get("camel.server.port")), managementPort, Map.copyOf(properties));
        }
    }

    public static int freePort() throws IOException {
        try (ServerSocket socket = new ServerSocket(0)) {
            socket.setReuseAddress(true);
            return socket.getLocalPort();
        }
    }

    public CamelContext context() {
        return main.getCamelContext();
    }

    public Store store() {
        return context().getRegistry().lookupByNameAndType("learnbridgeStore", Store.class);
    }

    public <T> T bean(String name, Class<T> type) {
        return context().getRegistry().lookupByNameAndType(name, type);
    }

    public Path home() {
        return home;
    }

    public Path dropFolder() {
        return Path.of(properties.get("learnbridge.sources.hris.directory"));
    }

    public int port() {
        return port;
    }

    public int managementPort() {
        return managementPort;
    }

    /** GET on the bridge's HTTP server with the test API token. */
    public HttpResponse<String> api(String method, String path) throws IOException, InterruptedException {
        HttpRequest request = HttpRequest.newBuilder(URI.create("http://127.0.0.1:" + port + path))
                .header("Authorization", "Bearer test-token")
                .method(method, HttpRequest.BodyPublishers.noBody()).timeout(TestHttp.REQUEST_TIMEOUT).build();
        return TestHttp.client().send(request, HttpResponse.BodyHandlers.ofString());
    }

    public HttpResponse<String> get(int port, String path) throws IOException, InterruptedException {
        return TestHttp.client().send(HttpRequest.newBuilder(URI.create("http://127.0.0.1:" + port + path)).timeout(TestHttp.REQUEST_TIMEOUT).build(),
                HttpResponse.BodyHandlers.ofString());
    }

    /** Writes a drop atomically (temp name outside the pattern, then rename), as an uploader should. */
    /** The status of one check of the management port's health report ({@code UP}, {@code DOWN}; {@code MISSING} when it has none). */
    public String healthCheckStatus(String check) throws IOException, InterruptedException {
        com.fasterxml.jackson.databind.JsonNode health = new com.fasterxml.jackson.databind.ObjectMapper()
                .readTree(get(managementPort(), "/observe/health").body());
        for (com.fasterxml.jackson.databind.JsonNode c : health.path("checks")) {
            if (c.path("name").asText().equals(check)) {
                return c.path("status").asText();
            }
        }
        return "MISSING";
    }

    public Path drop(String name, String content) throws IOException {
        Files.createDirectories(dropFolder());
        Path tmp = dropFolder().resolve("." + name + ".part");
        Files.writeString(tmp, content);
        return Files.move(tmp, dropFolder().resolve(name));
    }

    @Override
    public void close() {
        main.stop();
    }
}
