package io.learnbridge.cli;

import io.learnbridge.support.Home;
import io.learnbridge.support.KnownSettings;
import io.learnbridge.support.SettingValues;
import io.learnbridge.support.Settings;
import io.learnbridge.support.SettingsException;
import io.learnbridge.support.SettingsTree;
import io.learnbridge.camel.LearnBridgeConfiguration;
import io.learnbridge.mapping.MappingCases;
import io.learnbridge.mapping.MappingCatalog;
import io.learnbridge.mapping.MappingException;
import io.learnbridge.mapping.MappingFiles;
import io.learnbridge.mapping.MappingSchemas;
import java.io.PrintStream;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.Properties;
import java.util.concurrent.Callable;
import org.apache.camel.main.Main;
import picocli.CommandLine.Command;
import picocli.CommandLine.Option;

/**
 * {@code validate}: checks every route file (against the Camel YAML DSL schema, then by loading
 * it), every mapping (schema, compilation, example cases) and the settings. Prints one
 * {@code file:line: message} per problem; exit 0 when everything is valid, 1 otherwise.
 */
@Command(name = "validate", mixinStandardHelpOptions = true,
        description = "Check routes, mappings and their example cases, and settings; print file:line: message per problem.")
final class ValidateCommand implements Callable<Integer> {

    @Option(names = "--settings", description = "A properties file that overrides application.properties.")
    Path settings;

    @Option(names = "--no-load", description = "Skip loading the routes into Camel (schema checks only).")
    boolean noLoad;

    @Option(names = "--targets", description = "Also call every Moodle target and check that its token has the functions and capabilities "
            + "LearnBridge needs (the preflight the bridge runs before sending).")
    boolean targets;

    PrintStream out = System.out;

    @Override
    public Integer call() {
        List<String> problems = problems();
        problems.forEach(out::println);
        out.println(problems.isEmpty() ? "valid: routes, mappings, example cases and settings" : problems.size() + " problem(s)");
        return problems.isEmpty() ? 0 : 1;
    }

    List<String> problems() {
        CliSettings lookup = new CliSettings(settings);
        List<String> problems = new ArrayList<>();
        SettingValues values = SettingValues.of(lookup);
        try {
            values = SettingValues.read(lookup, lookup.raw().keySet());
            Settings.read(values);
        } catch (SettingsException e) {
            problems.add(settingsLocation() + ": " + e.getMessage());
        }
        KnownSettings known = KnownSettings.of(KnownSettings.routeTexts(
                lookup.apply("camel.main.routesIncludePattern").orElse("classpath:routes/*.camel.yaml")));
        known.problems(lookup.raw(), System::getenv).forEach(p -> problems.add(settingsLocation() + ": " + p));
        String mappingsLocation = values.text("learnbridge.mappings.location");
        MappingCatalog catalog = null;
        io.learnbridge.enrolment.EnrolmentRules rules = null;
        try {
            MappingFiles files = MappingFiles.load(mappingsLocation);
            problems.addAll(new MappingSchemas(files).check(files));
            catalog = MappingCatalog.compile(files);
            catalog.problems().stream().map(MappingException::describe).forEach(problems::add);
            MappingCases.runAll(catalog).stream().filter(r -> !r.passed()).map(MappingCases.Result::describe).forEach(problems::add);
            try {
                rules = SimulateCommand.deployed(mappingsLocation);
            } catch (MappingException e) {
                problems.add(e.describe());
            }
        } catch (RuntimeException e) {
            problems.add(mappingsLocation + ":1: " + e.getMessage());
        }
        java.util.Set<String> sources = new java.util.TreeSet<>();
        lookup.keys("learnbridge.sources.").forEach(key -> sources.add(key.substring("learnbridge.sources.".length()).split("\\.")[0]));
        if (catalog != null) {
            MappingCatalog compiled = catalog;
            for (String source : sources) {
                if (!compiled.sources().containsKey(source)) {
                    problems.add(settingsLocation() + ": learnbridge.sources." + source + ".*: source '" + source + "' has no valid mapping sources/" + source + ".mapping.yaml");
                }
                try {
                    Settings.targetsOf(values, source).stream().filter(t -> !compiled.targets().containsKey(t)).forEach(t ->
                            problems.add(settingsLocation() + ": learnbridge.sources." + source + ".targets: target '" + t + "' has no mapping targets/" + t + ".mapping.yaml"));
                } catch (SettingsException e) {
                    problems.add(settingsLocation() + ": " + e.getMessage());
                }
            }
            if (rules != null && enrolmentsEnabled(values)) {
                // an enrolment for a target no source delivers to would wait in the outbox forever
                java.util.Set<String> delivered = new java.util.TreeSet<>();
                for (String source : sources) {
                    try {
                        delivered.addAll(Settings.targetsOf(values, source));
                    } catch (SettingsException e) {
                        // reported above
                    }
                }
                for (io.learnbridge.enrolment.EnrolmentRules.Rule rule : rules.rules()) {
                    for (String target : rule.enrol().keySet()) {
                        if (!delivered.contains(target)) {
                            problems.add(rules.file() + ":" + rule.line() + ": rule '" + rule.name() + "': target '" + target
                                    + "' is not a target of any source (learnbridge.sources.<source>.targets): its enrolments would never be sent");
                        }
                    }
                }
            }
        }
        String routesPattern = lookup.apply("camel.main.routesIncludePattern").orElse("classpath:routes/*.camel.yaml");
        RouteSchemaValidator validator = new RouteSchemaValidator();
        int routeFiles = 0;
        List<SourceRoutes.Route> routes = new ArrayList<>();
        Map<String, String> adapters = new java.util.TreeMap<>();
        for (String pattern : routesPattern.split(",")) {
            String folder = pattern.strip().replaceFirst("/[^/]*\\*[^/]*$", "").replaceFirst("^file:", "");
            try {
                MappingFiles files = MappingFiles.load(folder);
                for (Map.Entry<String, String> e : files.files().entrySet()) {
                    if (e.getKey().endsWith(".camel.yaml") && !e.getKey().contains("/")) {
                        routeFiles++;
                        problems.addAll(validator.validate(files.displayPath(e.getKey()), e.getValue()));
                        routes.addAll(SourceRoutes.read(files.displayPath(e.getKey()), e.getValue()));
                        adapters.putAll(SourceRoutes.deliveryAdapters(files.displayPath(e.getKey()), e.getValue()));
                    }
                }
            } catch (RuntimeException e) {
                problems.add(folder + ":1: " + e.getMessage());
            }
        }
        if (routeFiles == 0) {
            problems.add(routesPattern + ":1: no route files (*.camel.yaml) found");
        } else {
            problems.addAll(unboundSources(lookup, sources, routes));
        }
        if (targets) {
            problems.addAll(preflights(lookup, enrolmentsEnabled(values), adapters, rules));
        }
        if (problems.isEmpty() && !noLoad) {
            String loadProblem = load();
            if (loadProblem != null) {
                problems.add(routesPattern + ":1: routes do not load: " + loadProblem);
            }
        }
        return problems;
    }

    /** learnbridge.enrolments.enabled; a malformed value is reported with the settings and read as the default here. */
    private static boolean enrolmentsEnabled(SettingValues values) {
        try {
            return values.bool("learnbridge.enrolments.enabled");
        } catch (SettingsException e) {
            return SettingsTree.definition("learnbridge.enrolments.enabled").map(s -> Boolean.parseBoolean(s.defaultValue())).orElseThrow();
        }
    }

    /**
     * The preflight of every Moodle target with settings (its route's adapter is moodleDeliveries):
     * what it found is printed; what is missing, or a site that cannot be checked, is a problem.
     */
    private List<String> preflights(CliSettings lookup, boolean enrolments, Map<String, String> adapters,
                                    io.learnbridge.enrolment.EnrolmentRules rules) {
        List<String> problems = new ArrayList<>();
        adapters.forEach((target, adapter) -> {
            if (!adapter.equals("moodleDeliveries") || lookup.apply("learnbridge.targets." + target + ".url").isEmpty()) {
                return;
            }
            boolean enrols = enrolments && rules != null && rules.rules().stream().anyMatch(r -> r.enrol().containsKey(target));
            try {
                io.learnbridge.delivery.moodle.MoodleDeliveries.Preflight preflight =
                        io.learnbridge.delivery.moodle.MoodleDeliveries.preflight(lookup, target, enrols);
                if (preflight.passed()) {
                    out.println("target " + target + ": " + preflight.description());
                } else {
                    problems.add(settingsLocation() + ": learnbridge.targets." + target + ".token: " + preflight.description());
                }
            } catch (SettingsException e) {
                problems.add(settingsLocation() + ": " + e.getMessage());
            }
        });
        return problems;
    }

    /**
     * Sources and routes that do not meet: a source with settings but no route {@code source-<name>}
     * (unless it takes webhooks, which need none), and a route that reads a source without settings.
     */
    private List<String> unboundSources(CliSettings lookup, java.util.Set<String> sources, List<SourceRoutes.Route> routes) {
        List<String> problems = new ArrayList<>();
        java.util.Set<String> routeIds = new java.util.HashSet<>();
        routes.forEach(r -> routeIds.add(r.id()));
        for (String source : sources) {
            String prefix = "learnbridge.sources." + source + ".";
            boolean webhook = lookup.apply(prefix + "webhook.verifier").filter(v -> !v.isBlank()).isPresent();
            if (!webhook && !routeIds.contains(SourceRoutes.ROUTE_ID_PREFIX + source)) {
                problems.add(settingsLocation() + ": " + prefix + "*: source '" + source + "' has settings but no route 'source-" + source
                        + "' reads it: add routes/source-" + source + ".camel.yaml (a route from kamelet:learnbridge-drop-folder-source/source-"
                        + source + ", learnbridge-drop-sftp-source or learnbridge-kafka-source, as routes/source-hris.camel.yaml), or set "
                        + prefix + "webhook.verifier for a webhook source");
            }
        }
        for (SourceRoutes.Route route : routes) {
            if (route.source() == null || sources.contains(route.source())) {
                continue;
            }
            String prefix = "learnbridge.sources." + route.source() + ".";
            // sources holds the keys of the settings files; a source set only in the environment has at least its targets there
            if (lookup.apply(prefix + "targets").isEmpty()) {
                problems.add(route.location() + ": route '" + route.id() + "' reads source '" + route.source() + "', which has no settings ("
                        + prefix + "*, at least " + prefix + "targets, in " + settingsLocation() + ")");
            }
        }
        return problems;
    }

    /** Builds the CamelContext with the routes, without starting them or any server. */
    private String load() {
        Main main = new Main();
        main.configure().addConfiguration(LearnBridgeConfiguration.class);
        Properties override = Home.current().overrides(settings);
        override.put("camel.main.autoStartup", "false");
        override.put("camel.server.enabled", "false");
        override.put("camel.management.enabled", "false");
        override.put("camel.metrics.enabled", "false");
        main.setOverrideProperties(override);
        try {
            main.start();
            return null;
        } catch (Exception e) {
            StringBuilder sb = new StringBuilder();
            for (Throwable t = e; t != null && sb.length() < 2000; t = t.getCause()) {
                if (t.getMessage() != null && (sb.length() == 0 || !sb.toString().contains(t.getMessage()))) {
                    sb.append(sb.length() == 0 ? "" : " <- ").append(t.getMessage());
                }
            }
            return sb.toString();
        } finally {
            try {
                main.stop();
            } catch (RuntimeException ignored) {
                // stopping a context that failed to start
            }
        }
    }

    private String settingsLocation() {
        return Home.current().settingsFile(settings).map(Path::toString).orElse("application.properties");
    }
}
