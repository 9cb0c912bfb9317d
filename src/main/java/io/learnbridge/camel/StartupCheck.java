package io.learnbridge.camel;

import io.learnbridge.mapping.MappingCatalog;
import java.util.ArrayList;
import java.util.List;
import java.util.Optional;
import java.util.Set;
import java.util.TreeSet;
import java.util.function.Function;
import org.apache.camel.CamelContext;
import org.apache.camel.StartupListener;
import org.apache.camel.model.ModelCamelContext;
import org.apache.camel.model.RouteDefinition;

/**
 * Refuses to start a bridge that would silently do nothing (CAMEL-23984: an unsupported YAML
 * top-level key is ignored and the app starts with zero routes): the core routes must be loaded,
 * and every configured source and target must have its route and its mapping.
 */
final class StartupCheck implements StartupListener {

    static final List<String> CORE_ROUTES = List.of("ingest-drop", "process-events");

    private final MappingCatalog catalog;
    private final Function<String, Optional<String>> properties;

    StartupCheck(MappingCatalog catalog, Function<String, Optional<String>> properties) {
        this.catalog = catalog;
        this.properties = properties;
    }

    @Override
    public void onCamelContextStarted(CamelContext context, boolean alreadyStarted) {
        if (alreadyStarted) {
            return;
        }
        Set<String> ids = new TreeSet<>();
        for (RouteDefinition route : ((ModelCamelContext) context).getRouteDefinitions()) {
            ids.add(route.getRouteId());
        }
        context.getRoutes().forEach(r -> ids.add(r.getRouteId()));
        List<String> problems = new ArrayList<>();
        if (ids.isEmpty()) {
            problems.add("no routes were loaded from " + properties.apply("camel.main.routesIncludePattern").orElse("(routesIncludePattern not set)")
                    + " (check the file names, *.camel.yaml, and run 'validate')");
        } else {
            for (String core : CORE_ROUTES) {
                if (!ids.contains(core)) {
                    problems.add("route '" + core + "' is missing (routes/README.md lists the core routes)");
                }
            }
            for (String source : names(context, "learnbridge.sources.")) {
                boolean webhook = properties.apply("learnbridge.sources." + source + ".webhook.verifier").filter(v -> !v.isBlank()).isPresent();
                if (webhook && !ids.contains("webhook-receive")) {
                    problems.add("source '" + source + "' takes webhooks (learnbridge.sources." + source + ".webhook.*) but route 'webhook-receive' is not loaded");
                }
                if (!webhook && !ids.contains("source-" + source)) {
                    problems.add("source '" + source + "' is configured (learnbridge.sources." + source + ".*) but route 'source-" + source + "' is not loaded");
                }
                if (!catalog.sources().containsKey(source)) {
                    problems.add("source '" + source + "' has no mapping mappings/sources/" + source + ".mapping.yaml");
                }
            }
            for (String target : names(context, "learnbridge.targets.")) {
                if (!ids.contains("deliver-" + target)) {
                    problems.add("target '" + target + "' is configured (learnbridge.targets." + target + ".*) but route 'deliver-" + target + "' is not loaded");
                }
                if (!catalog.targets().containsKey(target)) {
                    problems.add("target '" + target + "' has no mapping mappings/targets/" + target + ".mapping.yaml");
                }
            }
        }
        if (!problems.isEmpty()) {
            throw new IllegalStateException("LearnBridge refuses to start: " + String.join("; ", problems));
        }
    }

    private static Set<String> names(CamelContext context, String prefix) {
        Set<String> names = new TreeSet<>();
        context.getPropertiesComponent().loadProperties(k -> k.startsWith(prefix)).stringPropertyNames().forEach(k -> {
            String rest = k.substring(prefix.length());
            int dot = rest.indexOf('.');
            if (dot > 0) {
                names.add(rest.substring(0, dot));
            }
        });
        return names;
    }
}
