package io.learnbridge.api;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.node.ArrayNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import java.util.Map;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.atomic.AtomicLong;
import org.apache.camel.Body;
import org.apache.camel.Header;

/**
 * Bean {@code sandboxLms}: the built-in sandbox LMS of the embedded default run. It stores each
 * upserted user in memory by id and answers what it holds, so a newcomer can watch a drop arrive.
 * Not a real LMS: turn it off ({@code learnbridge.sandbox.enabled=false}) in production.
 */
public final class SandboxLms {

    private static final ObjectMapper JSON = new ObjectMapper();

    private final Map<String, JsonNode> users = new ConcurrentHashMap<>();
    /** Worker id to the curricula they are enrolled in. */
    private final Map<String, java.util.Set<String>> enrolments = new ConcurrentHashMap<>();
    private final AtomicLong requests = new AtomicLong();

    public String upsert(@Header("id") String id, @Body String body) throws Exception {
        users.put(id, JSON.readTree(body));
        requests.incrementAndGet();
        return "{\"id\":" + JSON.writeValueAsString(id) + ",\"status\":\"upserted\"}";
    }

    /** PUT enrols the worker in the curriculum, DELETE unenrols (404 when not enrolled). */
    public String enrolment(@Header("id") String id, @Header("curriculum") String curriculum, @Header("CamelHttpMethod") String method,
                            org.apache.camel.Exchange exchange) throws Exception {
        requests.incrementAndGet();
        if ("DELETE".equals(method)) {
            java.util.Set<String> held = enrolments.get(id);
            if (held == null || !held.remove(curriculum)) {
                exchange.getMessage().setHeader(org.apache.camel.Exchange.HTTP_RESPONSE_CODE, 404);
                return "{\"error\":\"not enrolled\"}";
            }
            return "{\"id\":" + JSON.writeValueAsString(id) + ",\"curriculum\":" + JSON.writeValueAsString(curriculum) + ",\"status\":\"unenrolled\"}";
        }
        enrolments.computeIfAbsent(id, k -> ConcurrentHashMap.newKeySet()).add(curriculum);
        return "{\"id\":" + JSON.writeValueAsString(id) + ",\"curriculum\":" + JSON.writeValueAsString(curriculum) + ",\"status\":\"enrolled\"}";
    }

    public String list() {
        ObjectNode out = JSON.createObjectNode();
        out.put("sandbox", "LearnBridge sandbox LMS: records what it receives");
        out.put("requests", requests.get());
        out.put("users", users.size());
        ArrayNode items = out.putArray("items");
        users.values().forEach(items::add);
        ObjectNode enrolled = out.putObject("enrolments");
        new java.util.TreeMap<>(enrolments).forEach((id, curricula) -> {
            ArrayNode list = enrolled.putArray(id);
            new java.util.TreeSet<>(curricula).forEach(list::add);
        });
        return out.toString();
    }
}
