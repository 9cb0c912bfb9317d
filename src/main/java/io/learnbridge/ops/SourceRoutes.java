package io.learnbridge.ops;

import com.fasterxml.jackson.databind.JsonNode;
import io.learnbridge.mapping.YamlTree;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;

/**
 * The sources a route file binds, read from its YAML for {@code validate}: a source is served by
 * the route whose id is {@code source-<name>} (what the bridge's startup check looks for), and a
 * templated route names the source it reads in its {@code source} parameter (file-csv-drop,
 * sftp-csv-drop, kafka-source). Webhook sources need no route.
 */
final class SourceRoutes {

    static final String ROUTE_ID_PREFIX = "source-";

    /**
     * One route of a file: its id and the source it reads (from its {@code source} parameter, else from
     * an id {@code source-<name>}; null when it reads none), with {@code file:line} of where it says so.
     */
    record Route(String id, String source, String location) {
    }

    private SourceRoutes() {
    }

    /** The routes of one route file; a file that is not YAML has none here (the schema check reports it). */
    static List<Route> read(String file, String text) {
        YamlTree tree;
        try {
            tree = YamlTree.parse(file, text);
        } catch (RuntimeException e) {
            return List.of();
        }
        List<Route> routes = new ArrayList<>();
        JsonNode items = tree.root();
        for (int i = 0; i < items.size(); i++) {
            String pointer = "/" + i;
            JsonNode templated = items.get(i).path("templatedRoute");
            JsonNode route = items.get(i).path("route");
            if (templated.isObject()) {
                String id = templated.path("routeId").asText(null);
                String source = null;
                String at = pointer + "/templatedRoute" + (id == null ? "" : "/routeId");
                JsonNode parameters = templated.path("parameters");
                for (int p = 0; p < parameters.size(); p++) {
                    JsonNode parameter = parameters.get(p);
                    String value = parameter.path("value").asText("");
                    if ("source".equals(parameter.path("name").asText()) && !value.isBlank() && !value.contains("{{")) {
                        source = value.strip();
                        at = pointer + "/templatedRoute/parameters/" + p + "/value";
                    }
                }
                routes.add(new Route(id, source != null ? source : sourceOfId(id), file + ":" + tree.lineOf(at)));
            } else if (route.isObject()) {
                String id = route.path("id").asText(null);
                routes.add(new Route(id, sourceOfId(id), file + ":" + tree.lineOf(pointer + "/route" + (id == null ? "" : "/id"))));
            }
        }
        return routes;
    }

    /** Targets the file's templated routes of {@code delivery-target} deliver to, with their adapter bean. */
    static Map<String, String> deliveryAdapters(String file, String text) {
        Map<String, String> adapters = new java.util.TreeMap<>();
        YamlTree tree;
        try {
            tree = YamlTree.parse(file, text);
        } catch (RuntimeException e) {
            return adapters;
        }
        for (JsonNode item : tree.root()) {
            JsonNode templated = item.path("templatedRoute");
            if (!"delivery-target".equals(templated.path("routeTemplateRef").asText())) {
                continue;
            }
            String target = null;
            String adapter = null;
            for (JsonNode parameter : templated.path("parameters")) {
                switch (parameter.path("name").asText()) {
                    case "target" -> target = parameter.path("value").asText(null);
                    case "adapter" -> adapter = parameter.path("value").asText(null);
                    default -> { }
                }
            }
            if (target != null && adapter != null) {
                adapters.put(target.strip(), adapter.strip());
            }
        }
        return adapters;
    }

    private static String sourceOfId(String id) {
        return id != null && id.startsWith(ROUTE_ID_PREFIX) && id.length() > ROUTE_ID_PREFIX.length() ? id.substring(ROUTE_ID_PREFIX.length()) : null;
    }
}
