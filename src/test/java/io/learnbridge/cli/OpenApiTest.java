package io.learnbridge.cli;

import static org.assertj.core.api.Assertions.assertThat;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import io.learnbridge.testing.Bridge;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Locale;
import java.util.Set;
import java.util.TreeSet;
import org.apache.camel.model.rest.RestDefinition;
import org.apache.camel.model.rest.VerbDefinition;
import org.apache.camel.model.ModelCamelContext;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * The OpenAPI description served by the bridge names exactly the REST operations the running
 * routes serve, and each described operation answers on its path (not 404).
 */
class OpenApiTest {

    private static final ObjectMapper JSON = new ObjectMapper();

    @TempDir
    Path home;

    @Test
    void theServedOpenApiDescriptionMatchesTheRunningRestRoutes() throws Exception {
        try (Bridge bridge = Bridge.builder(home).start()) {
            HttpResponse<String> served = bridge.get(bridge.port(), "/api/openapi.json");
            assertThat(served.statusCode()).isEqualTo(200);
            JsonNode doc = JSON.readTree(served.body());
            assertThat(doc.path("openapi").asText()).startsWith("3.");

            Set<String> described = new TreeSet<>();
            doc.path("paths").fields().forEachRemaining(path -> path.getValue().fieldNames()
                    .forEachRemaining(method -> described.add(method.toUpperCase(Locale.ROOT) + " " + path.getKey())));
            Set<String> running = new TreeSet<>();
            for (RestDefinition rest : ((ModelCamelContext) bridge.context()).getRestDefinitions()) {
                for (VerbDefinition verb : rest.getVerbs()) {
                    running.add(verb.asVerb().toUpperCase(Locale.ROOT) + " " + rest.getPath() + (verb.getPath() == null ? "" : verb.getPath()));
                }
            }
            assertThat(described).as("operations in /api/openapi.json").isEqualTo(running);
            assertThat(bridge.context().getRoutes()).as("every route has an explicit id (STYLE.md)")
                    .noneMatch(route -> route.getRouteId().matches("route\\d+"));
            assertThat(described).contains("POST /webhooks/{source}", "GET /api/exceptions", "POST /api/exceptions/{id}/replay");

            JsonNode webhook = doc.path("paths").path("/webhooks/{source}").path("post");
            assertThat(webhook.path("responses").fieldNames()).toIterable().contains("202", "400", "401", "413", "429", "503");
            List<String> listParameters = new ArrayList<>();
            doc.path("paths").path("/api/exceptions").path("get").path("parameters")
                    .forEach(p -> listParameters.add(p.path("in").asText() + " " + p.path("name").asText()));
            assertThat(listParameters).containsExactly("query status", "query drop", "query target", "query source", "query worker", "query limit");

            HttpClient http = io.learnbridge.testing.TestHttp.client();
            for (String operation : described) {
                String method = operation.substring(0, operation.indexOf(' '));
                String path = operation.substring(operation.indexOf(' ') + 1).replace("{source}", "hr-events").replace("{id}", "1");
                HttpResponse<String> response = http.send(HttpRequest.newBuilder(URI.create("http://127.0.0.1:" + bridge.port() + path))
                        .method(method, HttpRequest.BodyPublishers.noBody()).build(), HttpResponse.BodyHandlers.ofString());
                assertThat(response.statusCode()).as(operation + " is served").isNotEqualTo(405);
                if (!path.startsWith("/sandbox") && !path.startsWith("/webhooks")) {
                    assertThat(response.statusCode()).as(operation + " without a token").isEqualTo(401);
                }
            }
        }
    }
}
