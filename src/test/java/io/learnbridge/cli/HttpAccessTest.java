package io.learnbridge.cli;

import static org.assertj.core.api.Assertions.assertThat;
import io.learnbridge.testing.ReliabilityScenario;
import io.learnbridge.testing.Scorecard;

import io.learnbridge.testing.Bridge;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
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

    private final HttpClient http = io.learnbridge.testing.TestHttp.client();

    @Test
    @ReliabilityScenario(18)
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
                int status = call(bridge.port(), c.getKey(), null).statusCode();
                Scorecard.measure("security cases", 1);
                Scorecard.measure("security cases rejected", status == 401 || status == 403 || status == 404 ? 1 : 0);
                Scorecard.measure("unauthenticated accepted", status / 100 == 2 ? 1 : 0);
                assertThat(status).as("server: " + c.getKey()).isEqualTo(c.getValue());
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

    @Test
    @ReliabilityScenario(18)
    void answersCarryNoHeaderOrParameterOfTheRequest() throws Exception {
        try (Bridge bridge = Bridge.builder(home.resolve("bridge"))
                .property("learnbridge.api.token", "api-token")
                .property("learnbridge.sources.hr-events.targets", "lms")
                .property("learnbridge.sources.hr-events.webhook.verifier", "bearer")
                .property("learnbridge.sources.hr-events.webhook.secrets", "webhook-token")
                .start()) {
            for (String operation : new String[] {"GET /api/exceptions?limit=5&echo=1", "GET /api/exceptions?limit=-1&echo=1",
                    "GET /api/drops/1?echo=1", "POST /webhooks/hr-events?echo=1", "POST /webhooks/unknown?echo=1",
                    "GET /sandbox/lms/workers?echo=1", "PUT /sandbox/lms/workers/E1?echo=1", "GET /api/openapi.json?echo=1"}) {
                for (String authorization : new String[] {null, "Bearer api-token", "Bearer webhook-token"}) {
                    HttpRequest.Builder request = HttpRequest.newBuilder(URI.create("http://127.0.0.1:" + bridge.port() + operation.substring(operation.indexOf(' ') + 1)))
                            .method(operation.substring(0, operation.indexOf(' ')), HttpRequest.BodyPublishers.ofString("{}"))
                            .header("X-Echo-Probe", "injected").header("Content-Type", "application/json");
                    if (authorization != null) {
                        request.header("Authorization", authorization);
                    }
                    HttpResponse<String> response = http.send(request.build(), HttpResponse.BodyHandlers.ofString());
                    assertThat(response.headers().map().keySet()).as(operation + " with " + authorization + " answered " + response.statusCode())
                            .allSatisfy(name -> assertThat(name.toLowerCase(java.util.Locale.ROOT))
                                    .isIn(":status", "content-type", "www-authenticate", "retry-after", "content-length", "transfer-encoding", "date",
                                            "connection", "cache-control", "location", "allow"));
                }
            }
        }
    }

    @Test
    @ReliabilityScenario(19)
    void aBodyTrickledSlowerThanTheBodyTimeoutIsAnswered408AndItsConnectionClosed() throws Exception {
        try (Bridge bridge = Bridge.builder(home.resolve("slow")).property("learnbridge.http.bodyTimeout", "PT2S")
                .property("learnbridge.sources.hr-events.targets", "lms")
                .property("learnbridge.sources.hr-events.webhook.verifier", "bearer")
                .property("learnbridge.sources.hr-events.webhook.secrets", "webhook-token").start()) {
            java.util.List<java.net.Socket> sockets = new java.util.ArrayList<>();
            try {
                for (int i = 0; i < 20; i++) {
                    java.net.Socket socket = new java.net.Socket("127.0.0.1", bridge.port());
                    socket.getOutputStream().write(("POST /webhooks/hr-events HTTP/1.1\r\nHost: x\r\nAuthorization: Bearer webhook-token\r\n"
                            + "Content-Type: application/json\r\nContent-Length: 1000\r\n\r\n{").getBytes(StandardCharsets.US_ASCII));
                    socket.getOutputStream().flush();
                    sockets.add(socket);
                }
                long start = System.nanoTime();
                java.util.concurrent.ExecutorService trickle = java.util.concurrent.Executors.newFixedThreadPool(20);
                java.util.List<java.util.concurrent.Future<String>> answers = new java.util.ArrayList<>();
                for (java.net.Socket socket : sockets) {
                    answers.add(trickle.submit(() -> {
                        socket.setSoTimeout(200);
                        StringBuilder read = new StringBuilder();
                        for (int second = 0; second < 30; second++) {
                            try {
                                socket.getOutputStream().write(' ');
                                socket.getOutputStream().flush();
                            } catch (java.io.IOException closed) {
                                break;
                            }
                            try {
                                int b;
                                byte[] buffer = new byte[4096];
                                while ((b = socket.getInputStream().read(buffer)) > 0) {
                                    read.append(new String(buffer, 0, b, StandardCharsets.US_ASCII));
                                }
                                if (b < 0) {
                                    break;
                                }
                            } catch (java.net.SocketTimeoutException waiting) {
                                Thread.sleep(800);
                            }
                        }
                        return read.toString();
                    }));
                }
                for (var answer : answers) {
                    assertThat(answer.get(40, java.util.concurrent.TimeUnit.SECONDS)).startsWith("HTTP/1.1 408");
                }
                trickle.shutdownNow();
                assertThat(Duration.ofNanos(System.nanoTime() - start)).as("every trickler cut off near the 2 s timeout").isLessThan(Duration.ofSeconds(10));
            } finally {
                for (java.net.Socket socket : sockets) {
                    socket.close();
                }
            }
            assertThat(call(bridge.port(), "GET /api/openapi.json", null).statusCode()).as("the port still answers").isEqualTo(200);
        }
    }

    @Test
    void theSandboxIsNotCreatedWhenOffAndRefusedBeyondLoopback() throws Exception {
        try (Bridge bridge = Bridge.builder(home.resolve("off")).property("learnbridge.sandbox.enabled", "false")
                .property("learnbridge.targets.lms.url", "http://127.0.0.1:9/lms").start()) {
            assertThat(bridge.context().getRoutes()).extracting(org.apache.camel.Route::getRouteId).noneMatch(id -> id.startsWith("sandbox-"));
            assertThat(((org.apache.camel.model.ModelCamelContext) bridge.context()).getRouteDefinitions()).extracting(r -> r.getRouteId())
                    .noneMatch(id -> id.startsWith("sandbox-"));
        }
        org.assertj.core.api.Assertions.assertThatThrownBy(() -> Bridge.builder(home.resolve("wide")).property("camel.server.host", "0.0.0.0").start().close())
                .hasMessageStartingWith("setting learnbridge.sandbox.enabled: the sandbox LMS has no authentication and lists every payload it received:"
                        + " it is only served on a loopback camel.server.host, not on 0.0.0.0");
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
