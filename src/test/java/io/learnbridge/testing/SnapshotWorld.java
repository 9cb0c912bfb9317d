package io.learnbridge.testing;

import static com.github.tomakehurst.wiremock.client.WireMock.aResponse;
import static com.github.tomakehurst.wiremock.client.WireMock.post;
import static com.github.tomakehurst.wiremock.client.WireMock.put;
import static com.github.tomakehurst.wiremock.client.WireMock.urlPathEqualTo;
import static com.github.tomakehurst.wiremock.client.WireMock.urlPathMatching;
import static com.github.tomakehurst.wiremock.core.WireMockConfiguration.wireMockConfig;
import static org.awaitility.Awaitility.await;

import com.github.tomakehurst.wiremock.WireMockServer;
import io.learnbridge.store.Reconciliation;
import java.nio.file.Files;
import java.nio.file.Path;
import java.sql.PreparedStatement;
import java.sql.ResultSet;
import java.time.Duration;
import java.util.List;

/**
 * The HRIS source declared as full snapshots (or deltas) from a local drop folder, delivering to
 * a real HTTP server standing in for the LMS (WireMock), which also receives the quarantine
 * notification webhook at {@code /alerts}. {@link #drop} drops a file and waits until it is
 * settled or quarantined.
 */
public final class SnapshotWorld implements AutoCloseable {

    public final WireMockServer lms;
    private final Path home;
    private Bridge bridge;

    public SnapshotWorld(Path home) {
        this.home = home;
        this.lms = new WireMockServer(wireMockConfig().dynamicPort().bindAddress("127.0.0.1").containerThreads(20).maxLoggedResponseSize(1000));
        lms.start();
        lms.stubFor(put(urlPathMatching(SftpLmsWorld.LMS_PATH + "/.*")).willReturn(aResponse().withStatus(200)));
        lms.stubFor(post(urlPathEqualTo("/alerts")).willReturn(aResponse().withStatus(204)));
    }

    /** The bridge with hris as a full-snapshot source; add properties, then {@link #start}. */
    public Bridge.Builder bridge(String snapshot) {
        return Bridge.builder(home.resolve("bridge"))
                .property("learnbridge.targets.lms.url", lms.baseUrl() + SftpLmsWorld.LMS_PATH)
                .property("learnbridge.sources.hris.snapshot", snapshot)
                .property("learnbridge.alerts.webhookUrl", lms.baseUrl() + "/alerts")
                .property("learnbridge.changes.releasePeriod", "200ms");
    }

    public Bridge start(Bridge.Builder builder) throws Exception {
        bridge = builder.start();
        return bridge;
    }

    public Bridge bridge() {
        return bridge;
    }

    public LmsJournal journal() {
        return new LmsJournal(lms);
    }

    /** Drops a file and waits until it is settled (all deliveries done) or quarantined; returns its report. */
    public Reconciliation.Report drop(String name, String csv) throws Exception {
        bridge.drop(name, csv);
        await("drop " + name + " moved out of the drop folder").atMost(Duration.ofSeconds(30))
                .until(() -> !Files.exists(bridge.dropFolder().resolve(name)));
        long id = dropId(name);
        Reconciliation reconciliation = new Reconciliation(bridge.store());
        await("drop " + name + " settled, quarantined or failed").atMost(Duration.ofSeconds(30)).until(() -> reconciliation.forDrop(id)
                .map(r -> r.settled() || r.status().equals("QUARANTINED") || r.status().equals("FAILED")).orElse(false));
        // WireMock journals a request just after answering it: wait until it shows every delivered PUT
        await("the LMS journal shows every delivered PUT").atMost(Duration.ofSeconds(10))
                .until(() -> journal().puts().stream().filter(LmsJournal.Put::succeeded).count() >= delivered());
        return reconciliation.forDrop(id).orElseThrow();
    }

    private long delivered() {
        return bridge.store().tx(c -> {
            try (PreparedStatement ps = c.prepareStatement("select count(*) from delivery where status = 'DELIVERED' and target = 'lms'");
                 ResultSet rs = ps.executeQuery()) {
                rs.next();
                return rs.getLong(1);
            }
        });
    }

    public long dropId(String fileName) {
        return bridge.store().tx(c -> {
            try (PreparedStatement ps = c.prepareStatement("select id from drop_file where file_name = ? order by id desc")) {
                ps.setString(1, fileName);
                try (ResultSet rs = ps.executeQuery()) {
                    if (!rs.next()) {
                        throw new AssertionError("no drop " + fileName);
                    }
                    return rs.getLong(1);
                }
            }
        });
    }

    /** Successful PUTs since the journal held {@code before} entries, oldest first. */
    public List<LmsJournal.Put> putsAfter(int before) {
        List<LmsJournal.Put> puts = journal().puts();
        return puts.subList(before, puts.size()).stream().filter(LmsJournal.Put::succeeded).toList();
    }

    @Override
    public void close() {
        if (bridge != null) {
            bridge.close();
        }
        lms.stop();
    }
}
