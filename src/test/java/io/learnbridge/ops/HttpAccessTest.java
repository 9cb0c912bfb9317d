package io.learnbridge.ops;

import static org.assertj.core.api.Assertions.assertThat;

import io.learnbridge.testing.Bridge;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Base64;
import java.util.LinkedHashMap;
import java.util.Map;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * RELIABILITY.md scenario 18: with the production settings (sandbox off, management server behind
 * basic authentication), every HTTP route and management path refuses a caller without
 * credentials: 401 where it exists, 404 where it does not. The OpenAPI description is public.
 */
class HttpAccessTest {

    @TempDir
    Path home;

    private final HttpClient http = HttpClient.newHttpClient();

    @Test
    void everyRouteAndManagementPathRefusesCallersWithoutCredentials() throws Exception {
        Path users = Files.writeString(home.resolve("management-users.properties"), "user.prometheus=scrape-secret,monitoring\n");
        try (Bridge bridge = Bridge.builder(home.resolve("bridge"))
                .property("learnbridge.sandbox.enabled", "false")
                .property("learnbridge.targets.lms.url", "http://127.0.0.1:9/lms")
                .property("learnbridge.sources.hr-events.targets", "lms")
                .property("learnbridge.sources.hr-events.webhook.verifier", "bearer")
                .property("learnbridge.sources.hr-events.webhook.secrets", "webhook-token")
                .property("camel.management.authenticationEnabled", "true")
                .property("camel.management.authenticationPath", "/*")
                .property("camel.management.basicPropertiesFile", users.toString())
                .start()) {
            Map<String, Integer> main = new LinkedHashMap<>();
            main.put("GET /api/exceptions", 401);
            main.put("GET /api/exceptions/1", 401);
            main.put("POST /api/exceptions/1/replay", 401);
            main.put("POST /api/exceptions/replay", 401);
            main.put("GET /api/drops/1", 401);
            main.put("POST /webhooks/hr-events", 401);
            main.put("POST /webhooks/unknown", 404);
            main.put("GET /sandbox/lms/workers", 404);
            main.put("PUT /sandbox/lms/workers/E1", 404);
            main.put("GET /observe/health", 404);
            main.put("GET /observe/metrics", 404);
            main.put("GET /q/dev", 404);
            main.put("POST /q/upload/x", 404);
            main.put("GET /", 404);
            for (Map.Entry<String, Integer> c : main.entrySet()) {
                assertThat(call(bridge.port(), c.getKey(), null).statusCode()).as("server: " + c.getKey()).isEqualTo(c.getValue());
            }
            assertThat(call(bridge.port(), "GET /api/openapi.json", null).statusCode()).as("the API description is public").isEqualTo(200);

            for (String path : new String[] {"/observe/health", "/observe/metrics", "/observe/info", "/observe/jolokia", "/q/dev", "/"}) {
                assertThat(call(bridge.managementPort(), "GET " + path, null).statusCode()).as("management: GET " + path).isIn(401, 404);
            }
            assertThat(call(bridge.managementPort(), "GET /observe/health", null).statusCode()).isEqualTo(401);
            assertThat(call(bridge.managementPort(), "GET /observe/metrics", null).statusCode()).isEqualTo(401);
            String basic = "Basic " + Base64.getEncoder().encodeToString("prometheus:scrape-secret".getBytes(StandardCharsets.UTF_8));
            org.awaitility.Awaitility.await("health UP with credentials").atMost(java.time.Duration.ofSeconds(20))
                    .until(() -> call(bridge.managementPort(), "GET /observe/health", basic).statusCode() == 200);
            HttpResponse<String> metrics = call(bridge.managementPort(), "GET /observe/metrics", basic);
            assertThat(metrics.statusCode()).isEqualTo(200);
            assertThat(metrics.body()).contains("learnbridge");
            String wrong = "Basic " + Base64.getEncoder().encodeToString("prometheus:guess".getBytes(StandardCharsets.UTF_8));
            assertThat(call(bridge.managementPort(), "GET /observe/health", wrong).statusCode()).isEqualTo(401);
        }
    }

    private HttpResponse<String> call(int port, String operation, String authorization) throws Exception {
        String method = operation.substring(0, operation.indexOf(' '));
        HttpRequest.Builder request = HttpRequest.newBuilder(URI.create("http://127.0.0.1:" + port + operation.substring(method.length() + 1)))
                .method(method, HttpRequest.BodyPublishers.ofString("{}"));
        if (authorization != null) {
            request.header("Authorization", authorization);
        }
        return http.send(request.build(), HttpResponse.BodyHandlers.ofString());
    }
}
