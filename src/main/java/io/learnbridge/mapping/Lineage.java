package io.learnbridge.mapping;

import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

/**
 * Where each value a target receives comes from: the target's payload field, the canonical
 * field(s) it is built from, and for each of those the source field and the mapping file and line
 * that define it (one source of truth per field), as the mapping files stand now.
 */
public final class Lineage {

    private Lineage() {
    }

    /** payload field of {@code target} to a description such as {@code email <- email <- 'Work Email' (sources/hris.mapping.yaml:16)}. */
    public static Map<String, String> of(MappingCatalog catalog, String source, String target) {
        MappingFile sourceMapping = catalog.sources().get(source);
        MappingFile targetMapping = catalog.targets().get(target);
        Map<String, String> lineage = new LinkedHashMap<>();
        if (targetMapping == null) {
            return lineage;
        }
        for (FieldRule rule : targetMapping.rules()) {
            List<String> parts = new ArrayList<>();
            for (String canonical : rule.inputs()) {
                FieldRule from = sourceMapping == null ? null : sourceMapping.rules().stream()
                        .filter(r -> r.field().equals(canonical)).findFirst().orElse(null);
                parts.add(from == null ? canonical + " <- (not mapped by source " + source + ")"
                        : canonical + " <- " + describe(from.inputs()) + " (" + sourceMapping.file() + ":" + from.line() + ")");
            }
            lineage.put(rule.field(), (parts.isEmpty() ? "constant or default" : String.join(" + ", parts))
                    + " [" + targetMapping.file() + ":" + rule.line() + "]");
        }
        return lineage;
    }

    private static String describe(List<String> inputs) {
        if (inputs.isEmpty()) {
            return "a constant or default";
        }
        return inputs.stream().map(i -> "'" + i + "'").reduce((a, b) -> a + " + " + b).orElse("");
    }
}
