package io.learnbridge.testing;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.node.ObjectNode;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardOpenOption;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.TreeMap;
import org.junit.jupiter.api.extension.AfterEachCallback;
import org.junit.jupiter.api.extension.BeforeEachCallback;
import org.junit.jupiter.api.extension.ExtensionContext;
import org.junit.jupiter.api.extension.TestWatcher;

/**
 * The reliability scorecard: every test marked {@link ReliabilityScenario} adds a line to
 * {@code target/reliability-scorecard/results.jsonl} (its scenarios, outcome and the measures it
 * reported with {@link #measure}), and {@code target/reliability-scorecard.md} is written again
 * from all lines after each such test, unit and packaged-jar runs alike. {@code .ci/run} prints it.
 * Registered for every test class by JUnit's extension auto-detection.
 */
public final class Scorecard implements BeforeEachCallback, AfterEachCallback, TestWatcher {

    /** The 24 scenarios of RELIABILITY.md, in its words, shortened. */
    static final String[] SCENARIOS = {
        "Target 503 with Retry-After during a drop", "Outage longer than the retry budget", "Target commits, then the connection resets",
        "kill -9 mid-drop", "kill -9 while consuming Kafka", "Broker killed and restarted; bridge started while it is down",
        "Consumer-group rebalance mid-batch", "Poison Kafka records", "Exception store unavailable when a record fails",
        "File still being uploaded", "Truncated, empty, header-only files; snapshot missing 40%", "Gate thresholds at the edges",
        "Same file twice, new name, failed move", "SFTP host key changed, unknown host, wrong key", "SFTP disconnect mid-download",
        "Two instances on one store", "Webhook signature matrix", "Every HTTP path without credentials", "Webhook flood and oversized bodies",
        "Privileged fields never reach a target", "Fuzzed and property-tested parsers", "xAPI replayed batch; one bad statement in 50",
        "SIGTERM under load", "Secrets lint and PII canaries"};

    /** Measures summed over the whole run, in the order the report shows them. */
    static final List<String> TOTALS = List.of("records in", "delivered", "queued", "lost", "duplicate effects", "re-sends", "faults survived",
            "bad inputs tried", "security cases", "security cases rejected", "unauthenticated accepted", "PII canaries leaked");

    private static final ObjectMapper JSON = new ObjectMapper();
    private static final Path DIR = Path.of("target", "reliability-scorecard");
    private static final ThreadLocal<Map<String, Long>> MEASURES = new ThreadLocal<>();

    /** Adds to a measure of the running scenario test (e.g. "lost", 0; "re-sends", 12; "faults survived: kill -9", 1). */
    public static void measure(String name, long value) {
        Map<String, Long> measures = MEASURES.get();
        if (measures != null) {
            measures.merge(name, value, Long::sum);
        }
    }

    /**
     * The counts of a run read from the target's own journal: records in, delivered (workers with a 2xx), lost (records
     * in less delivered), duplicate effects (workers sent two different states) and re-sends (identical upserts sent
     * again). Returns the re-sends, for the test's own bound.
     */
    public static LmsJournal.Resends measureJournal(long recordsIn, LmsJournal journal) {
        long delivered = journal.countByWorker(200).size();
        LmsJournal.Resends resends = journal.resends();
        measure("records in", recordsIn);
        measure("delivered", delivered);
        measure("lost", recordsIn - delivered);
        measure("duplicate effects", resends.conflicting().size());
        measure("re-sends", resends.identical());
        return resends;
    }

    @Override
    public void beforeEach(ExtensionContext context) {
        if (scenarios(context).isPresent()) {
            MEASURES.set(new LinkedHashMap<>());
        }
    }

    @Override
    public void afterEach(ExtensionContext context) {
        // the outcome is recorded by the TestWatcher callbacks, which run after this
    }

    @Override
    public void testSuccessful(ExtensionContext context) {
        record(context, "pass", null);
    }

    @Override
    public void testFailed(ExtensionContext context, Throwable cause) {
        record(context, "FAIL", cause);
    }

    @Override
    public void testAborted(ExtensionContext context, Throwable cause) {
        record(context, "not run", cause);
    }

    private static Optional<int[]> scenarios(ExtensionContext context) {
        return context.getTestMethod().map(m -> m.getAnnotation(ReliabilityScenario.class)).map(ReliabilityScenario::value);
    }

    private static void record(ExtensionContext context, String outcome, Throwable cause) {
        Optional<int[]> scenarios = scenarios(context);
        Map<String, Long> measures = MEASURES.get();
        MEASURES.remove();
        if (scenarios.isEmpty()) {
            return;
        }
        record(context.getRequiredTestClass().getSimpleName() + "." + context.getRequiredTestMethod().getName()
                + context.getDisplayName().replaceFirst("^[^\\[]*", ""), scenarios.get(), outcome, cause, measures);
    }

    /** Adds a test's line and writes the report again (also called for jqwik properties, by {@link ScorecardPropertyHook}). */
    static synchronized void record(String test, int[] scenarios, String outcome, Throwable cause, Map<String, Long> measures) {
        ObjectNode line = JSON.createObjectNode();
        line.put("test", test);
        var array = line.putArray("scenarios");
        for (int s : scenarios) {
            array.add(s);
        }
        line.put("outcome", outcome);
        if (cause != null) {
            line.put("why", String.valueOf(cause.getMessage()).lines().findFirst().orElse(""));
        }
        line.putPOJO("measures", measures == null ? Map.of() : measures);
        try {
            Files.createDirectories(DIR);
            Files.writeString(DIR.resolve("results.jsonl"), JSON.writeValueAsString(line) + "\n", StandardCharsets.UTF_8,
                    StandardOpenOption.CREATE, StandardOpenOption.APPEND);
            Files.writeString(DIR.resolveSibling("reliability-scorecard.md"), render(Files.readAllLines(DIR.resolve("results.jsonl"))),
                    StandardCharsets.UTF_8);
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
    }

    /** The report, from the result lines (a test run twice counts once: its last line). */
    static String render(List<String> lines) throws IOException {
        Map<String, JsonNode> byTest = new LinkedHashMap<>();
        for (String l : lines) {
            if (!l.isBlank()) {
                JsonNode node = JSON.readTree(l);
                byTest.put(node.path("test").asText(), node);
            }
        }
        Map<Integer, List<JsonNode>> byScenario = new TreeMap<>();
        Map<String, Long> totals = new LinkedHashMap<>();
        for (JsonNode test : byTest.values()) {
            for (JsonNode s : test.path("scenarios")) {
                byScenario.computeIfAbsent(s.asInt(), k -> new ArrayList<>()).add(test);
            }
            test.path("measures").fields().forEachRemaining(m -> {
                totals.merge(m.getKey(), m.getValue().asLong(), Long::sum);
                if (m.getKey().startsWith("faults survived: ")) {
                    totals.merge("faults survived", m.getValue().asLong(), Long::sum);
                }
            });
        }
        StringBuilder md = new StringBuilder("# Reliability scorecard\n\n");
        md.append("Written by the test run from the tests marked with the RELIABILITY.md scenario they assert.\n\n");
        md.append("| # | Scenario | Result | Tests | Measures |\n|---|---|---|---|---|\n");
        int passed = 0;
        for (int n = 1; n <= SCENARIOS.length; n++) {
            List<JsonNode> tests = byScenario.getOrDefault(n, List.of());
            String result;
            if (tests.isEmpty()) {
                result = "no test in this run";
            } else if (tests.stream().anyMatch(t -> t.path("outcome").asText().equals("FAIL"))) {
                result = "**FAIL**";
            } else if (tests.stream().allMatch(t -> t.path("outcome").asText().equals("not run"))) {
                result = "not run: " + tests.get(0).path("why").asText();
            } else {
                result = "pass";
                passed++;
            }
            Map<String, Long> measures = new TreeMap<>();
            tests.forEach(t -> t.path("measures").fields().forEachRemaining(m -> measures.merge(m.getKey(), m.getValue().asLong(), Long::sum)));
            md.append("| ").append(n).append(" | ").append(SCENARIOS[n - 1]).append(" | ").append(result).append(" | ")
                    .append(tests.size()).append(" | ")
                    .append(measures.isEmpty() ? "" : String.join(", ", measures.entrySet().stream().map(e -> e.getKey() + " " + e.getValue()).toList()))
                    .append(" |\n");
        }
        md.append("\n**").append(passed).append(" of ").append(SCENARIOS.length).append(" scenarios pass.** Totals over the run, as the tests"
                + " measured them:\n\n");
        for (String total : TOTALS) {
            md.append("- ").append(total).append(": ").append(totals.containsKey(total) ? String.valueOf(totals.remove(total)) : "not measured in this run")
                    .append('\n');
        }
        totals.forEach((k, v) -> md.append("- ").append(k).append(": ").append(v).append('\n'));
        return md.toString();
    }
}
