package io.learnbridge.bench.webhook;

import io.learnbridge.camel.LearnBridgeConfiguration;
import io.learnbridge.store.Store;
import java.io.IOException;
import java.net.InetAddress;
import java.net.ServerSocket;
import java.net.URI;
import java.nio.file.Files;
import java.nio.file.Path;
import java.sql.PreparedStatement;
import java.sql.ResultSet;
import java.util.ArrayList;
import java.util.Comparator;
import java.util.List;
import java.util.Locale;
import java.util.Properties;
import java.util.stream.Stream;
import org.apache.camel.main.Main;

/**
 * The real bridge, booted in this JVM as {@code run} boots it (camel-main, {@link LearnBridgeConfiguration},
 * the packaged routes, mappings and {@code application.properties}), with only what a benchmark
 * must set: loopback ports, a fresh store, webhook source {@code hr-events} with Standard Webhooks
 * signatures and a rate limit above the offered load, and the built-in sandbox LMS as its target.
 * So the whole bridge is working while it is measured: events are mapped and delivered to the
 * sandbox LMS (over HTTP, on the same server) in the background, as in production.
 */
public final class LearnBridgeWebhookServer implements WebhookServer {

    public static final String SOURCE = "hr-events";

    private final Path dir;
    private final String storeUrl;
    private final String storeUser;
    private final String storePassword;
    private final int rateLimit;
    private final boolean background;
    private final boolean keepStores;

    /**
     * @param storeUrl   null for a fresh embedded H2 file store per run under {@code dir} ({@code WRITE_DELAY=0})
     * @param background false to leave routes {@code process-events} and {@code deliver-*} stopped: only the intake runs
     */
    public LearnBridgeWebhookServer(Path dir, String storeUrl, String storeUser, String storePassword, int rateLimit, boolean background,
                                    boolean keepStores) {
        this.dir = dir;
        this.storeUrl = storeUrl;
        this.storeUser = storeUser;
        this.storePassword = storePassword;
        this.rateLimit = rateLimit;
        this.background = background;
        this.keepStores = keepStores;
    }

    @Override
    public String name() {
        return background ? "learnbridge" : "lb-intake";
    }

    @Override
    public String description() {
        return "the bridge in this JVM: POST /webhooks/" + SOURCE + " (platform-http/Vert.x, rest DSL, bean webhooks: size, Standard Webhooks "
                + "signature, rate limit " + rateLimit + "/s, JSON, EventInbox.receive) into "
                + (storeUrl == null ? "H2 file (WRITE_DELAY=0)" : Store.redact(storeUrl))
                + (background ? "; events mapped and delivered to the sandbox LMS in the background"
                        : "; routes process-events and deliver-* not started: the intake alone");
    }

    @Override
    public Running start(int run, String secret) throws Exception {
        Path home = dir.resolve("learnbridge-" + run);
        deleteTree(home);
        Files.createDirectories(home);
        int port = freePort();
        Properties p = new Properties();
        p.put("learnbridge.store.url", storeUrl != null ? storeUrl
                : "jdbc:h2:file:" + home.resolve("store/learnbridge").toAbsolutePath() + ";WRITE_DELAY=0");
        if (storeUser != null) {
            p.put("learnbridge.store.user", storeUser);
        }
        if (storePassword != null) {
            p.put("learnbridge.store.password", storePassword);
        }
        p.put("learnbridge.instanceId", "benchmark-" + run);
        p.put("learnbridge.sources.hris.directory", home.resolve("drops/hris").toAbsolutePath().toString());
        p.put("learnbridge.sources." + SOURCE + ".targets", "lms");
        p.put("learnbridge.sources." + SOURCE + ".webhook.verifier", "standard-webhooks");
        p.put("learnbridge.sources." + SOURCE + ".webhook.secrets", secret);
        p.put("learnbridge.sources." + SOURCE + ".webhook.rateLimit", String.valueOf(rateLimit));
        p.put("learnbridge.sandbox.enabled", "true");
        p.put("learnbridge.targets.lms.url", "http://127.0.0.1:" + port + "/sandbox/lms/workers");
        p.put("camel.server.host", "127.0.0.1");
        p.put("camel.server.port", String.valueOf(port));
        p.put("camel.management.host", "127.0.0.1");
        p.put("camel.management.port", String.valueOf(freePort()));
        // in-flight deliveries to the sandbox LMS (on the same HTTP server) would hold a graceful stop until its timeout; the run is over
        p.put("camel.main.shutdownTimeout", "3");
        if (!background) {
            p.put("camel.main.autoStartupExcludePattern", "process-events,deliver-*");
        }
        Main main = new Main();
        main.configure().addConfiguration(LearnBridgeConfiguration.class);
        main.setOverrideProperties(p);
        try {
            main.start();
        } catch (Exception e) {
            main.stop();
            throw e;
        }
        return new Started(main, home, URI.create("http://127.0.0.1:" + port + "/webhooks/" + SOURCE));
    }

    private final class Started implements Running {
        private final Main main;
        private final Path home;
        private final URI url;

        Started(Main main, Path home, URI url) {
            this.main = main;
            this.home = home;
            this.url = url;
        }

        @Override
        public URI url() {
            return url;
        }

        private Store store() {
            return main.getCamelContext().getRegistry().lookupByNameAndType("learnbridgeStore", Store.class);
        }

        @Override
        public long stored(String idPrefix) {
            return store().tx(c -> {
                try (PreparedStatement ps = c.prepareStatement("select count(*) from inbound_event where source = ? and event_key like ?")) {
                    ps.setString(1, SOURCE);
                    ps.setString(2, "id:" + idPrefix + "%");
                    try (ResultSet rs = ps.executeQuery()) {
                        rs.next();
                        return rs.getLong(1);
                    }
                }
            });
        }

        @Override
        public String background(SignedEvents events) {
            List<String> eventCounts = countsByStatus("select status, count(*) from inbound_event where source = ? and event_key like ? group by status",
                    "id:" + events.idPrefix() + "%");
            List<String> deliveryCounts = countsByStatus("select status, count(*) from delivery where source = ? and worker_id like ? group by status",
                    events.workerPrefix() + "%");
            return "events " + (eventCounts.isEmpty() ? "none" : String.join(", ", eventCounts)) + "; deliveries to the sandbox LMS "
                    + (deliveryCounts.isEmpty() ? "none yet" : String.join(", ", deliveryCounts));
        }

        @Override
        public Backlog backlog(SignedEvents events) {
            if (!background) {
                return null;
            }
            return store().tx(c -> {
                long waiting;
                try (PreparedStatement ps = c.prepareStatement(
                        "select count(*) from inbound_event where status in ('RECEIVED', 'PROCESSING') and source = ? and event_key like ?")) {
                    ps.setString(1, SOURCE);
                    ps.setString(2, "id:" + events.idPrefix() + "%");
                    try (ResultSet rs = ps.executeQuery()) {
                        rs.next();
                        waiting = rs.getLong(1);
                    }
                }
                long unsent;
                try (PreparedStatement ps = c.prepareStatement(
                        "select count(*) from delivery where target = 'lms' and status in ('PENDING', 'SENDING') and worker_id like ?")) {
                    ps.setString(1, events.workerPrefix() + "%");
                    try (ResultSet rs = ps.executeQuery()) {
                        rs.next();
                        unsent = rs.getLong(1);
                    }
                }
                return new Backlog(waiting, unsent);
            });
        }

        private List<String> countsByStatus(String sql, String like) {
            return store().tx(c -> {
                List<String> out = new ArrayList<>();
                try (PreparedStatement ps = c.prepareStatement(sql + " order by 2 desc")) {
                    ps.setString(1, SOURCE);
                    ps.setString(2, like);
                    try (ResultSet rs = ps.executeQuery()) {
                        while (rs.next()) {
                            out.add(String.format(Locale.ROOT, "%,d %s", rs.getLong(2), rs.getString(1)));
                        }
                    }
                }
                return out;
            });
        }

        @Override
        public void close() throws IOException {
            main.stop();
            if (!keepStores) {
                deleteTree(home);
            }
        }
    }

    static int freePort() throws IOException {
        try (ServerSocket socket = new ServerSocket(0, 50, InetAddress.getLoopbackAddress())) {
            return socket.getLocalPort();
        }
    }

    static void deleteTree(Path root) throws IOException {
        if (!Files.exists(root)) {
            return;
        }
        try (Stream<Path> paths = Files.walk(root)) {
            for (Path path : paths.sorted(Comparator.reverseOrder()).toList()) {
                Files.delete(path);
            }
        }
    }
}
