package io.learnbridge.testing;

import java.net.http.HttpClient;
import java.time.Duration;

/**
 * The HTTP client the tests call the bridge with: HTTP/1.1, as HR systems and Prometheus call it.
 * The JDK client's default offers an h2c upgrade to every plain-HTTP server, which Vert.x accepts;
 * a test once waited for ever on a management-port answer that never came after such an upgrade
 * (both sockets idle, nothing queued), so requests also carry a timeout.
 */
public final class TestHttp {

    /** The longest a test waits for one answer from the bridge. */
    public static final Duration REQUEST_TIMEOUT = Duration.ofSeconds(30);

    private TestHttp() {
    }

    public static HttpClient client() {
        return HttpClient.newBuilder().version(HttpClient.Version.HTTP_1_1).connectTimeout(Duration.ofSeconds(5)).build();
    }
}
