package io.learnbridge.testing;

import static com.github.tomakehurst.wiremock.client.WireMock.aResponse;
import static com.github.tomakehurst.wiremock.client.WireMock.put;
import static com.github.tomakehurst.wiremock.client.WireMock.urlPathMatching;
import static com.github.tomakehurst.wiremock.core.WireMockConfiguration.wireMockConfig;

import com.github.tomakehurst.wiremock.WireMockServer;
import com.github.tomakehurst.wiremock.verification.LoggedRequest;
import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.HashMap;
import java.util.List;
import java.util.Map;

/**
 * A real SFTP server (MINA SSHD), a real HTTP server standing in for the LMS (WireMock, answering
 * 200 to {@code PUT /lms/users/<id>} unless a test stubs a fault), and the bridge reading drops from
 * the SFTP server with host key verification and key authentication.
 */
public final class SftpLmsWorld implements AutoCloseable {

    public static final String LMS_PATH = "/lms/users";

    public final SftpServer sftp;
    public final WireMockServer lms;
    private final Path home;
    private Bridge bridge;

    public SftpLmsWorld(Path home) throws Exception {
        this.home = home;
        this.sftp = SftpServer.start(home.resolve("sftp"));
        this.lms = new WireMockServer(wireMockConfig().dynamicPort().bindAddress("127.0.0.1").containerThreads(20)
                .maxLoggedResponseSize(1000));
        lms.start();
        lms.stubFor(put(urlPathMatching(LMS_PATH + "/.*")).atPriority(10).willReturn(aResponse().withStatus(200).withBody("{\"ok\":true}")));
        sftp.dir("inbox");
    }

    /** The bridge's builder with the SFTP source and the LMS target wired in; add properties, then start. */
    public Bridge.Builder bridge() {
        return Bridge.builder(home.resolve("bridge"))
                .routes("classpath:routes/*.camel.yaml,classpath:test-routes/source-hris-sftp.camel.yaml")
                .property("camel.main.routesExcludePattern", "**/source-hris.camel.yaml")
                .property("learnbridge.sources.hris.host", sftp.host())
                .property("learnbridge.sources.hris.port", String.valueOf(sftp.port()))
                .property("learnbridge.sources.hris.username", sftp.user())
                .property("learnbridge.sources.hris.remoteDirectory", "inbox")
                .property("learnbridge.sources.hris.privateKeyFile", sftp.privateKeyFile().toString())
                .property("learnbridge.sources.hris.knownHostsFile", sftp.knownHostsFile().toString())
                .property("learnbridge.sources.hris.localWorkDirectory", home.resolve("work").toString())
                .property("learnbridge.targets.lms.url", lms.baseUrl() + LMS_PATH);
    }

    public Bridge start(Bridge.Builder builder) throws Exception {
        bridge = builder.start();
        return bridge;
    }

    /** Uploads a drop atomically: written under a hidden name, then renamed, as a careful uploader does. */
    public Path upload(String name, String content) throws IOException {
        Path inbox = sftp.dir("inbox");
        Path tmp = inbox.resolve("." + name + ".part");
        Files.writeString(tmp, content, StandardCharsets.UTF_8);
        return Files.move(tmp, inbox.resolve(name));
    }

    public Path inbox() {
        return sftp.dir("inbox");
    }

    /** Successful (2xx) PUTs the LMS received, by worker id. */
    public Map<String, Integer> successfulPutsByWorker() {
        Map<String, Integer> counts = new HashMap<>();
        for (com.github.tomakehurst.wiremock.stubbing.ServeEvent event : lms.getAllServeEvents()) {
            LoggedRequest request = event.getRequest();
            int status = event.getResponse().getStatus();
            if (request.getMethod().getName().equals("PUT") && status >= 200 && status < 300) {
                counts.merge(request.getUrl().substring(LMS_PATH.length() + 1), 1, Integer::sum);
            }
        }
        return counts;
    }

    public List<LoggedRequest> requests() {
        return lms.findAll(com.github.tomakehurst.wiremock.client.WireMock.anyRequestedFor(urlPathMatching(".*")));
    }

    @Override
    public void close() throws Exception {
        try {
            if (bridge != null) {
                bridge.close();
            }
        } finally {
            lms.stop();
            sftp.close();
        }
    }
}
