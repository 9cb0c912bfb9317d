package io.learnbridge.mapping;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import io.learnbridge.worker.CanonicalRecord;
import java.util.ArrayList;
import java.util.Iterator;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

/**
 * Runs the example cases kept beside each mapping ({@code <name>.mapping.test.yaml}): each case
 * gives an {@code input} and either the {@code expect}ed output or {@code expectRejected} with the
 * field and a part of the reason. A mapping without a cases file is itself a failure.
 */
public final class MappingCases {

    /** One case's outcome, located at its line in the cases file. */
    public record Result(String file, int line, String name, boolean passed, String message) {
        public String describe() {
            return file + ":" + line + ": case '" + name + "': " + message;
        }
    }

    private MappingCases() {
    }

    public static List<Result> runAll(MappingCatalog catalog) {
        List<Result> results = new ArrayList<>();
        catalog.sources().values().forEach(m -> results.addAll(run(catalog, m)));
        catalog.targets().values().forEach(m -> results.addAll(run(catalog, m)));
        return results;
    }

    public static List<Result> run(MappingCatalog catalog, MappingFile mapping) {
        String folder = mapping.kind() == MappingFile.Kind.SOURCE ? "sources/" : "targets/";
        String path = folder + mapping.name() + MappingCatalog.CASES_SUFFIX;
        String text = catalog.files().files().get(path);
        String displayPath = catalog.files().displayPath(path);
        if (text == null) {
            return List.of(new Result(mapping.file(), 1, "(none)", false, "no example cases: add " + displayPath));
        }
        YamlTree yaml;
        try {
            yaml = YamlTree.parse(displayPath, text);
        } catch (MappingException e) {
            return List.of(new Result(e.file(), e.line(), "(file)", false, e.getMessage()));
        }
        JsonNode cases = yaml.root().path("cases");
        if (!cases.isArray() || cases.isEmpty()) {
            return List.of(new Result(displayPath, yaml.lineOf("/cases"), "(file)", false, "'cases' must list at least one case"));
        }
        List<Result> results = new ArrayList<>();
        for (int i = 0; i < cases.size(); i++) {
            JsonNode c = cases.get(i);
            String pointer = "/cases/" + i;
            int line = yaml.lineOf(pointer);
            String name = c.path("name").asText("case " + (i + 1));
            try {
                results.add(runCase(mapping, displayPath, line, name, c));
            } catch (RuntimeException e) {
                results.add(new Result(displayPath, line, name, false, "error: " + e.getMessage()));
            }
        }
        return results;
    }

    private static Result runCase(MappingFile mapping, String file, int line, String name, JsonNode c) {
        JsonNode input = c.get("input");
        if (input == null || !input.isObject()) {
            return new Result(file, line, name, false, "a case needs an 'input' mapping");
        }
        if (c.has("expect") == c.has("expectRejected")) {
            return new Result(file, line, name, false, "a case needs exactly one of 'expect' or 'expectRejected'");
        }
        MappingResult<?> result;
        Object actual;
        if (mapping.kind() == MappingFile.Kind.SOURCE) {
            result = mapSource(mapping, input);
            actual = result instanceof MappingResult.Accepted<?> a ? ((CanonicalRecord) a.value()).toJsonNode() : null;
        } else {
            result = new TargetMapper(mapping).map(CanonicalRecord.fromJson(input.toString()));
            actual = result instanceof MappingResult.Accepted<?> a ? a.value() : null;
        }
        if (c.has("expectRejected")) {
            JsonNode expected = c.get("expectRejected");
            if (!(result instanceof MappingResult.Rejected<?> rejected)) {
                return new Result(file, line, name, false, "expected a rejection, but the record was accepted as " + actual);
            }
            Rejection r = rejected.rejection();
            String field = expected.path("field").asText(null);
            String reason = expected.path("reason").asText(null);
            if (field != null && !field.equals(r.field())) {
                return new Result(file, line, name, false, "expected rejection of field '" + field + "', got: " + r.describe());
            }
            if (reason != null && !r.reason().contains(reason)) {
                return new Result(file, line, name, false, "expected a reason containing '" + reason + "', got: " + r.describe());
            }
            return new Result(file, line, name, true, "rejected as expected: " + r.describe());
        }
        if (result instanceof MappingResult.Rejected<?> rejected) {
            return new Result(file, line, name, false, "expected acceptance, but rejected: " + rejected.rejection().describe());
        }
        JsonNode expected = c.get("expect");
        String difference = difference(expected, (JsonNode) actual, "");
        return difference == null
                ? new Result(file, line, name, true, "output as expected")
                : new Result(file, line, name, false, difference);
    }

    private static MappingResult<CanonicalRecord> mapSource(MappingFile mapping, JsonNode input) {
        if (mapping.format() == MappingFile.Format.JSON) {
            return JsonSourceRow.bind(mapping).map(JsonSourceRow.row(mapping, input));
        }
        List<String> inputs = mapping.inputs();
        Map<String, String> values = new LinkedHashMap<>();
        input.fields().forEachRemaining(e -> values.put(e.getKey(), e.getValue().isNull() ? null : e.getValue().asText()));
        SourceMapper mapper = SourceMapper.bind(mapping, inputs::indexOf, "the case input");
        return mapper.map(slot -> values.get(inputs.get(slot)));
    }

    /**
     * Compares expected with actual: every expected member must be equal; an actual member the
     * case does not mention must be null. Returns a description of the first difference.
     */
    static String difference(JsonNode expected, JsonNode actual, String path) {
        if (expected.isObject() && actual != null && actual.isObject()) {
            for (Iterator<Map.Entry<String, JsonNode>> it = expected.fields(); it.hasNext(); ) {
                Map.Entry<String, JsonNode> e = it.next();
                String d = difference(e.getValue(), actual.get(e.getKey()), path + "." + e.getKey());
                if (d != null) {
                    return d;
                }
            }
            for (Iterator<Map.Entry<String, JsonNode>> it = ((ObjectNode) actual).fields(); it.hasNext(); ) {
                Map.Entry<String, JsonNode> e = it.next();
                if (!expected.has(e.getKey()) && !e.getValue().isNull()) {
                    return "unexpected field " + path.substring(Math.min(1, path.length())) + (path.isEmpty() ? "" : ".") + e.getKey() + " = " + e.getValue();
                }
            }
            return null;
        }
        JsonNode a = actual == null ? com.fasterxml.jackson.databind.node.NullNode.instance : actual;
        boolean same = expected.isValueNode() && a.isValueNode() && !expected.isNull() && !a.isNull()
                ? expected.asText().equals(a.asText()) && expected.isBoolean() == a.isBoolean()
                : expected.equals(a);
        return same ? null : "field " + path.substring(1) + ": expected " + expected + ", got " + a;
    }
}
