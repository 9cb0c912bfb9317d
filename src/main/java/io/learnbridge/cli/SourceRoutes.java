package io.learnbridge.cli;

import com.fasterxml.jackson.databind.JsonNode;
import io.learnbridge.mapping.YamlTree;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;

/**
 * The sources a route file binds, read from its YAML for {@code validate}: a source is served by
 * the route whose id is {@code source-<name>} (what the bridge's startup check looks for). A route
 * reading a source does so through a LearnBridge source Kamelet ({@code from: kamelet:<kamelet>/source-<name>}
 * with parameter {@code source}), which creates that route. Webhook sources need no route.
 */
final class SourceRoutes {

    static final String ROUTE_ID_PREFIX = "source-";
    private static final String KAMELET = "kamelet:";
    private static final String DELIVERIES = "learnbridge-due-deliveries-source";

    /**
     * One route of a file: its id and the source it reads (from its Kamelet's {@code source} parameter, else
     * from an id {@code source-<name>}; null when it reads none), with {@code file:line} of where it says so.
     */
    record Route(String id, String source, String location) {
    }

    private SourceRoutes() {
    }

    /**
     * The routes of one route file, with the routes its Kamelets create (named in the {@code kamelet:} URI);
     * a file that is not YAML has none here (the schema check reports it).
     */
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
            String pointer = "/" + i + "/route";
            JsonNode route = items.get(i).path("route");
            if (!route.isObject()) {
                continue;
            }
            String id = route.path("id").asText(null);
            routes.add(new Route(id, sourceOfId(id), file + ":" + tree.lineOf(pointer + (id == null ? "" : "/id"))));
            JsonNode from = route.path("from");
            String kameletRoute = kameletRouteId(from.path("uri").asText(""));
            if (kameletRoute != null) {
                String source = literal(from.path("parameters").path("source"));
                String at = source != null ? pointer + "/from/parameters/source" : pointer + "/from/uri";
                routes.add(new Route(kameletRoute, source != null ? source : sourceOfId(kameletRoute), file + ":" + tree.lineOf(at)));
            }
        }
        return routes;
    }

    /** Targets the file's routes deliver to (Kamelet learnbridge-due-deliveries-source), with their adapter bean. */
    static Map<String, String> deliveryAdapters(String file, String text) {
        Map<String, String> adapters = new java.util.TreeMap<>();
        YamlTree tree;
        try {
            tree = YamlTree.parse(file, text);
        } catch (RuntimeException e) {
            return adapters;
        }
        for (JsonNode item : tree.root()) {
            JsonNode from = item.path("route").path("from");
            if (!from.path("uri").asText("").startsWith(KAMELET + DELIVERIES)) {
                continue;
            }
            String target = literal(from.path("parameters").path("target"));
            String adapter = literal(from.path("parameters").path("adapter"));
            if (target != null && adapter != null) {
                adapters.put(target, adapter);
            }
        }
        return adapters;
    }

    /** The id of the route a {@code kamelet:<name>/<route id>} consumer creates; null for another URI or without an id. */
    private static String kameletRouteId(String uri) {
        if (!uri.startsWith(KAMELET)) {
            return null;
        }
        String path = uri.substring(KAMELET.length());
        int query = path.indexOf('?');
        path = query < 0 ? path : path.substring(0, query);
        int slash = path.indexOf('/');
        return slash < 0 || slash == path.length() - 1 ? null : path.substring(slash + 1);
    }

    /** A parameter's value when it is written out (not a placeholder); else null. */
    private static String literal(JsonNode value) {
        String text = value.asText("").strip();
        return text.isEmpty() || text.contains("{{") ? null : text;
    }

    private static String sourceOfId(String id) {
        return id != null && id.startsWith(ROUTE_ID_PREFIX) && id.length() > ROUTE_ID_PREFIX.length() ? id.substring(ROUTE_ID_PREFIX.length()) : null;
    }
}
