package io.learnbridge.camel;

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
    private final AtomicLong requests = new AtomicLong();

    public String upsert(@Header("id") String id, @Body String body) throws Exception {
        users.put(id, JSON.readTree(body));
        requests.incrementAndGet();
        return "{\"id\":" + JSON.writeValueAsString(id) + ",\"status\":\"upserted\"}";
    }

    public String list() {
        ObjectNode out = JSON.createObjectNode();
        out.put("sandbox", "LearnBridge sandbox LMS: records what it receives");
        out.put("requests", requests.get());
        out.put("users", users.size());
        ArrayNode items = out.putArray("items");
        users.values().forEach(items::add);
        return out.toString();
    }
}
