package io.learnbridge.testing;

import static com.github.tomakehurst.wiremock.client.WireMock.aResponse;
import static com.github.tomakehurst.wiremock.client.WireMock.put;
import static com.github.tomakehurst.wiremock.client.WireMock.urlPathMatching;
import static com.github.tomakehurst.wiremock.core.WireMockConfiguration.wireMockConfig;

import com.github.tomakehurst.wiremock.WireMockServer;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.time.Instant;
import java.util.Base64;
import java.util.LinkedHashMap;
import java.util.Map;
import javax.crypto.Mac;
import javax.crypto.spec.SecretKeySpec;

/**
 * The bridge with webhook source {@code hr-events} (Standard Webhooks signatures, two secrets as
 * during a rotation, mapping {@code mappings/sources/hr-events.mapping.yaml}) delivering to a real
 * HTTP server standing in for the LMS (WireMock: 200 to {@code PUT /lms/users/<id>} unless a test
 * stubs a fault).
 */
public final class EventWorld implements AutoCloseable {

    public static final String SOURCE = "hr-events";
    /** Two current secrets, as during a rotation; {@link #RETIRED_SECRET} was removed. */
    public static final String OLD_SECRET = "whsec_" + Base64.getEncoder().encodeToString("old-secret-of-32-bytes-for-tests!".getBytes(StandardCharsets.UTF_8));
    public static final String NEW_SECRET = "whsec_" + Base64.getEncoder().encodeToString("new-secret-of-32-bytes-for-tests!".getBytes(StandardCharsets.UTF_8));
    public static final String RETIRED_SECRET = "whsec_" + Base64.getEncoder().encodeToString("retired-secret-32-bytes-for-test".getBytes(StandardCharsets.UTF_8));

    public final WireMockServer lms;
    private final Path home;
    private final HttpClient http = TestHttp.client();

    public EventWorld(Path home) {
        this.home = home;
        this.lms = new WireMockServer(wireMockConfig().dynamicPort().bindAddress("127.0.0.1").containerThreads(20).maxLoggedResponseSize(1000));
        lms.start();
        lms.stubFor(put(urlPathMatching(SftpLmsWorld.LMS_PATH + "/.*")).atPriority(10).willReturn(aResponse().withStatus(200).withBody("{\"ok\":true}")));
    }

    /** The bridge's builder with the webhook source and the LMS target wired in. */
    public Bridge.Builder bridge() {
        return Bridge.builder(home.resolve("bridge"))
                .property("learnbridge.targets.lms.url", lms.baseUrl() + SftpLmsWorld.LMS_PATH)
                .property("learnbridge.sources." + SOURCE + ".targets", "lms")
                .property("learnbridge.sources." + SOURCE + ".webhook.verifier", "standard-webhooks")
                .property("learnbridge.sources." + SOURCE + ".webhook.secrets", OLD_SECRET + "," + NEW_SECRET)
                .property("learnbridge.events.pollPeriod", "50ms");
    }

    public LmsJournal journal() {
        return new LmsJournal(lms);
    }

    /** A worker change event as the HR system sends it. */
    public static String event(String workerId, String jobTitle, Instant effectiveAt) {
        return "{\"type\":\"worker.changed\",\"effectiveAt\":\"" + effectiveAt + "\",\"worker\":{\"id\":\"" + workerId
                + "\",\"email\":\"" + workerId.toLowerCase() + "@example.com\",\"firstName\":\"Given\",\"lastName\":\"Family\","
                + "\"jobTitle\":\"" + jobTitle + "\",\"department\":\"Engineering\",\"status\":\"A\"}}";
    }

    /** The Standard Webhooks signature header value of a request: {@code v1,<base64 HMAC-SHA256>}. */
    public static String sign(String secret, String id, long timestamp, byte[] body) {
        try {
            byte[] key = Base64.getDecoder().decode(secret.substring("whsec_".length()));
            Mac mac = Mac.getInstance("HmacSHA256");
            mac.init(new SecretKeySpec(key, "HmacSHA256"));
            mac.update((id + "." + timestamp + ".").getBytes(StandardCharsets.UTF_8));
            return "v1," + Base64.getEncoder().encodeToString(mac.doFinal(body));
        } catch (Exception e) {
            throw new IllegalStateException(e);
        }
    }

    /** Headers of a correctly signed request. */
    public static Map<String, String> signed(String secret, String id, Instant at, byte[] body) {
        Map<String, String> headers = new LinkedHashMap<>();
        headers.put("webhook-id", id);
        headers.put("webhook-timestamp", String.valueOf(at.getEpochSecond()));
        headers.put("webhook-signature", sign(secret, id, at.getEpochSecond(), body));
        return headers;
    }

    /** POSTs a webhook to the bridge as the HR system would. */
    public HttpResponse<String> post(Bridge bridge, String source, byte[] body, Map<String, String> headers) throws Exception {
        return post(bridge.port(), source, body, headers);
    }

    /** POSTs a webhook to the bridge listening on {@code port} (a bridge in a child process). */
    public HttpResponse<String> post(int port, String source, byte[] body, Map<String, String> headers) throws Exception {
        HttpRequest.Builder request = HttpRequest.newBuilder(URI.create("http://127.0.0.1:" + port + "/webhooks/" + source))
                .header("Content-Type", "application/json")
                .POST(HttpRequest.BodyPublishers.ofByteArray(body)).timeout(TestHttp.REQUEST_TIMEOUT);
        headers.forEach(request::header);
        return http.send(request.build(), HttpResponse.BodyHandlers.ofString());
    }

    /** POSTs a correctly signed event (new secret, now). */
    public HttpResponse<String> postSigned(Bridge bridge, String id, String json) throws Exception {
        byte[] body = json.getBytes(StandardCharsets.UTF_8);
        return post(bridge, SOURCE, body, signed(NEW_SECRET, id, Instant.now(), body));
    }

    @Override
    public void close() {
        lms.stop();
    }

    /** How many events of {@link #SOURCE} the store at {@code storeUrl} holds (a child bridge's store, opened beside it). */
    public static int storedEvents(String storeUrl) {
        try (io.learnbridge.store.Store store = io.learnbridge.store.Store.open(storeUrl, "sa", "", 2)) {
            return store.tx(c -> {
                try (java.sql.PreparedStatement ps = c.prepareStatement("select count(*) from inbound_event where source = ?")) {
                    ps.setString(1, SOURCE);
                    try (java.sql.ResultSet rs = ps.executeQuery()) {
                        rs.next();
                        return rs.getInt(1);
                    }
                }
            });
        }
    }
}
