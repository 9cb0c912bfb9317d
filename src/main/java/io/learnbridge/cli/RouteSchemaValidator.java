package io.learnbridge.cli;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.node.ObjectNode;
import com.networknt.schema.JsonMetaSchema;
import com.networknt.schema.JsonNodePath;
import com.networknt.schema.JsonSchema;
import com.networknt.schema.JsonSchemaFactory;
import com.networknt.schema.NonValidationKeyword;
import com.networknt.schema.PathType;
import com.networknt.schema.SchemaValidatorsConfig;
import com.networknt.schema.SpecVersion;
import com.networknt.schema.ValidationMessage;
import io.learnbridge.mapping.MappingException;
import io.learnbridge.mapping.YamlTree;
import java.io.IOException;
import java.io.InputStream;
import java.io.UncheckedIOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Comparator;
import java.util.Iterator;
import java.util.LinkedHashMap;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.Set;
import java.util.TreeSet;
import java.util.stream.Collectors;

/**
 * Checks a Camel YAML DSL route file against the JSON Schema shipped inside camel-yaml-dsl
 * ({@value #SCHEMA_RESOURCE}) and reports each problem as {@code file:line: where: message}.
 *
 * <p>The schema (about 800 KB, draft-04) is loaded and compiled once, in the constructor; share one
 * instance. {@link #validate(String, String)} is thread-safe.
 *
 * <p>Camel's schema expresses "a string or an object", "exactly one expression language" and "at
 * most one of these keys" with {@code oneOf}/{@code anyOf}/{@code not}, so the raw validator output
 * for a single mistake is often a dozen messages about schema branches. They are reduced here:
 *
 * <ul>
 *   <li>a concrete message (unknown key, bad enum value, missing key outside a branch, ...) at a
 *       location or below it suppresses the branch noise ({@code oneOf}, {@code anyOf}, {@code
 *       not}, and {@code type}/{@code required} inside a branch) at that location;
 *   <li>branch noise only remains at the deepest location, summarised as one line per location
 *       ("expected string or object, found integer", "only one of 'constant', 'simple' may be
 *       set", "needs one of ...");
 *   <li>an unknown key is reported on the key's own line, names the key, and suggests the closest
 *       allowed key (so {@code - lgo:} says {@code did you mean 'log'?});
 *   <li>duplicates are dropped and at most {@value #MAX_PROBLEMS_PER_FILE} lines are returned per
 *       file.
 * </ul>
 */
public final class RouteSchemaValidator {

    /** Classpath location of the schema inside the camel-yaml-dsl jar. */
    public static final String SCHEMA_RESOURCE = "schema/camelYamlDsl.json";

    /** At most this many lines per file; the last one says how many more were left out. */
    public static final int MAX_PROBLEMS_PER_FILE = 10;

    private static final Set<String> COMPOSITORS = Set.of("oneOf", "anyOf", "allOf", "not");
    private static final Set<String> BRANCH_TYPES = Set.of("type", "required");
    private static final int MAX_LISTED = 8;

    private final JsonNode schemaNode;
    private final JsonSchema schema;

    /** Loads and compiles the schema from the classpath. Expensive (about a second): do it once. */
    public RouteSchemaValidator() {
        ClassLoader loader = RouteSchemaValidator.class.getClassLoader();
        JsonNode node;
        try (InputStream in = loader.getResourceAsStream(SCHEMA_RESOURCE)) {
            if (in == null) {
                throw new IllegalStateException(
                        SCHEMA_RESOURCE + " not found on the classpath (is camel-yaml-dsl a dependency?)");
            }
            node = new ObjectMapper().readTree(in);
        } catch (IOException e) {
            throw new UncheckedIOException("cannot read " + SCHEMA_RESOURCE, e);
        }
        applyRefSiblings(node, node);
        this.schemaNode = node;

        SpecVersion.VersionFlag version = specVersion(node.path("$schema").asText(""));
        JsonMetaSchema base = switch (version) {
            case V6 -> JsonMetaSchema.getV6();
            case V7 -> JsonMetaSchema.getV7();
            case V201909 -> JsonMetaSchema.getV201909();
            case V202012 -> JsonMetaSchema.getV202012();
            default -> JsonMetaSchema.getV4();
        };
        // Camel marks deprecated options with "deprecated", which draft-04 does not define: declare it
        // as a non-validating keyword so the validator neither warns nor fails on it.
        JsonMetaSchema meta = JsonMetaSchema.builder(base).keyword(new NonValidationKeyword("deprecated")).build();
        JsonSchemaFactory factory = JsonSchemaFactory.getInstance(version, b -> b.metaSchema(meta));
        SchemaValidatorsConfig config = SchemaValidatorsConfig.builder()
                .pathType(PathType.JSON_POINTER)
                .locale(Locale.ENGLISH)
                .build();
        this.schema = factory.getSchema(node, config);
        this.schema.initializeValidators();
    }

    private static SpecVersion.VersionFlag specVersion(String declared) {
        if (declared.contains("draft-06")) {
            return SpecVersion.VersionFlag.V6;
        }
        if (declared.contains("draft-07")) {
            return SpecVersion.VersionFlag.V7;
        }
        if (declared.contains("2019-09")) {
            return SpecVersion.VersionFlag.V201909;
        }
        if (declared.contains("2020-12")) {
            return SpecVersion.VersionFlag.V202012;
        }
        return SpecVersion.VersionFlag.V4; // what camel-yaml-dsl 4.x declares
    }

    /**
     * In draft-04..07 every keyword next to a {@code $ref} is ignored. Camel's schema has an object
     * ({@code RouteFromDefinitionDeserializer}, the top-level {@code - from:}) that lists its own
     * {@code properties} and {@code additionalProperties: false} beside a {@code $ref} to a schema
     * with the same properties but no {@code additionalProperties}, so unknown keys there would go
     * unreported although Camel rejects them at runtime. Where the siblings cover every property of
     * the referenced schema, drop the {@code $ref} so that the siblings apply.
     */
    private static void applyRefSiblings(JsonNode root, JsonNode node) {
        if (node.isObject()) {
            ObjectNode object = (ObjectNode) node;
            JsonNode ref = object.get("$ref");
            JsonNode props = object.get("properties");
            if (ref != null && ref.isTextual() && ref.asText().startsWith("#")
                    && props != null && props.isObject()
                    && object.path("additionalProperties").isBoolean()) {
                JsonNode target = root.at(ref.asText().substring(1));
                JsonNode targetProps = target.path("properties");
                boolean covered = !target.isMissingNode();
                for (Iterator<String> it = targetProps.fieldNames(); it.hasNext(); ) {
                    covered &= props.has(it.next());
                }
                if (covered) {
                    object.remove("$ref");
                }
            }
            object.elements().forEachRemaining(child -> applyRefSiblings(root, child));
        } else if (node.isArray()) {
            node.elements().forEachRemaining(child -> applyRefSiblings(root, child));
        }
    }

    /** Validates a route file on disk; a file that cannot be read is reported as a problem. */
    public List<String> validate(Path file) {
        String text;
        try {
            text = Files.readString(file, StandardCharsets.UTF_8);
        } catch (IOException e) {
            return List.of(file + ":1: cannot read file: " + e);
        }
        return validate(file.toString(), text);
    }

    /**
     * Validates the text of a route file. Returns {@code file:line: where: message} lines sorted by
     * line, empty when the file is valid; a YAML syntax error is the single {@link
     * MappingException#describe()} line.
     */
    public List<String> validate(String file, String text) {
        YamlTree tree;
        try {
            tree = YamlTree.parse(file, text);
        } catch (MappingException e) {
            return List.of(e.describe());
        }
        JsonNode root = tree.root();
        if (root.isNull() || root.isMissingNode()) {
            return List.of(file + ":1: the file is empty; expected a YAML list of entries such as '- route:'");
        }

        List<Raw> raws = new ArrayList<>();
        for (ValidationMessage m : schema.validate(root)) {
            raws.add(new Raw(m, pointer(m.getInstanceLocation()), kind(m)));
        }

        List<Problem> problems = new ArrayList<>();
        // 0. The schema gives top-level entries no "type", so a bare "- route" (a string) passes it,
        //    yet Camel cannot load it.
        if (root.isArray()) {
            for (int i = 0; i < root.size(); i++) {
                if (!root.get(i).isObject()) {
                    problems.add(new Problem(tree.lineOf("/" + i),
                            "top level: each entry must be a mapping such as '- route:', found " + jsonType(root.get(i))));
                }
            }
        }
        // 1. Concrete messages, each on its own.
        List<String> concreteAt = new ArrayList<>();
        for (Raw r : raws) {
            if (r.kind == Kind.CONCRETE) {
                Problem p = concrete(tree, r);
                if (p != null) {
                    problems.add(p);
                    concreteAt.add(r.pointer);
                }
            }
        }
        // 2. Branch noise: drop where a concrete message sits at the same place or below, then keep
        //    only the deepest locations, then summarise each location in one line.
        Map<String, List<Raw>> noise = new LinkedHashMap<>();
        for (Raw r : raws) {
            if (r.kind != Kind.CONCRETE && concreteAt.stream().noneMatch(c -> isSelfOrBelow(c, r.pointer))) {
                noise.computeIfAbsent(r.pointer, k -> new ArrayList<>()).add(r);
            }
        }
        for (Map.Entry<String, List<Raw>> e : noise.entrySet()) {
            String at = e.getKey();
            boolean deeper = noise.keySet().stream().anyMatch(other -> !other.equals(at) && isSelfOrBelow(other, at));
            if (!deeper) {
                Problem p = summarise(tree, at, e.getValue());
                if (p != null) {
                    problems.add(p);
                }
            }
        }

        List<String> lines = problems.stream()
                .sorted(Comparator.comparingInt(Problem::line).thenComparing(Problem::text))
                .map(p -> file + ":" + p.line + ": " + p.text)
                .distinct()
                .collect(Collectors.toCollection(ArrayList::new));
        if (lines.size() > MAX_PROBLEMS_PER_FILE) {
            int hidden = lines.size() - (MAX_PROBLEMS_PER_FILE - 1);
            String next = lines.get(MAX_PROBLEMS_PER_FILE - 1);
            String nextLine = next.substring(file.length() + 1, next.indexOf(':', file.length() + 1));
            lines = new ArrayList<>(lines.subList(0, MAX_PROBLEMS_PER_FILE - 1));
            lines.add(file + ":" + nextLine + ": ... and " + hidden + " more problem(s) not shown; fix the ones above first");
        }
        return List.copyOf(lines);
    }

    // ---------------------------------------------------------------- classification

    private enum Kind { CONCRETE, BRANCH, COMPOSITOR }

    private record Raw(ValidationMessage message, String pointer, Kind kind) {
        String type() {
            return message.getType();
        }
    }

    private record Problem(int line, String text) {}

    private static Kind kind(ValidationMessage m) {
        if (COMPOSITORS.contains(m.getType())) {
            return Kind.COMPOSITOR;
        }
        if (BRANCH_TYPES.contains(m.getType()) && insideBranch(m.getEvaluationPath())) {
            return Kind.BRANCH;
        }
        return Kind.CONCRETE;
    }

    private static boolean insideBranch(JsonNodePath evaluationPath) {
        for (int i = 0; i < evaluationPath.getNameCount(); i++) {
            String name = evaluationPath.getName(i);
            if ("oneOf".equals(name) || "anyOf".equals(name) || "not".equals(name)) {
                return true;
            }
        }
        return false;
    }

    /**
     * RFC 6901 pointer of an instance location, built from its elements rather than from its
     * rendering (which is {@code $[0].route} or {@code /0/route} depending on the configured path
     * type).
     */
    static String pointer(JsonNodePath path) {
        StringBuilder sb = new StringBuilder();
        for (int i = 0; i < path.getNameCount(); i++) {
            Object element = path.getElement(i);
            sb.append('/');
            sb.append(element instanceof Integer ? element.toString() : escape(String.valueOf(element)));
        }
        return sb.toString();
    }

    private static String escape(String key) {
        return key.replace("~", "~0").replace("/", "~1");
    }

    private static String unescape(String segment) {
        return segment.replace("~1", "/").replace("~0", "~");
    }

    private static boolean isSelfOrBelow(String candidate, String ancestor) {
        return candidate.equals(ancestor) || candidate.startsWith(ancestor + "/");
    }

    // ---------------------------------------------------------------- concrete messages

    private Problem concrete(YamlTree tree, Raw r) {
        ValidationMessage m = r.message;
        String at = r.pointer;
        JsonNode instance = tree.root().at(at);
        switch (r.type()) {
            case "additionalProperties": {
                String key = m.getProperty() != null ? m.getProperty() : String.valueOf(m.getArguments()[0]);
                String keyPointer = YamlTree.child(at, key);
                return new Problem(tree.lineOf(keyPointer), where(at) + ": unknown key '" + key + "'" + hint(m, key));
            }
            case "required": {
                String key = m.getProperty() != null ? m.getProperty() : String.valueOf(m.getArguments()[0]);
                return new Problem(tree.lineOf(at), where(at) + ": missing required key '" + key + "'");
            }
            case "enum": {
                String allowed = m.getSchemaNode() != null && m.getSchemaNode().isArray()
                        ? join(m.getSchemaNode(), Integer.MAX_VALUE)
                        : String.valueOf(m.getArguments()[0]);
                return new Problem(tree.lineOf(at),
                        where(at) + ": invalid value " + show(instance) + "; expected one of " + allowed);
            }
            case "type": {
                Object[] args = m.getArguments();
                String expected = args.length > 1 ? String.valueOf(args[1]) : "?";
                if (acceptedByCamel(instance, Set.of(expected))) {
                    return null;
                }
                if (at.isEmpty()) {
                    return new Problem(1, "the file must be a YAML list of entries such as '- route:', found "
                            + jsonType(instance));
                }
                return new Problem(tree.lineOf(at), where(at) + ": expected " + expected + ", found " + jsonType(instance));
            }
            case "maxProperties": {
                if (instance.isObject() && "1".equals(String.valueOf(m.getArguments()[0]))) {
                    List<String> keys = new ArrayList<>();
                    instance.fieldNames().forEachRemaining(keys::add);
                    String subject = at.matches("/\\d+") ? "each top-level entry" : "each step";
                    return new Problem(tree.lineOf(at), where(at) + ": " + subject + " must have exactly one key, found "
                            + keys.size() + " (" + quoteAll(keys, MAX_LISTED)
                            + "); start each with its own '- ' list item");
                }
                return new Problem(tree.lineOf(at), where(at) + ": " + m.getError());
            }
            default:
                return new Problem(tree.lineOf(at), where(at) + ": " + m.getError());
        }
    }

    /** "did you mean", or the allowed keys when there are few, or where endpoint options go. */
    private String hint(ValidationMessage m, String key) {
        JsonNode owner = owningSchema(m);
        List<String> allowed = new ArrayList<>();
        owner.path("properties").fieldNames().forEachRemaining(allowed::add);
        if (allowed.isEmpty()) {
            return "";
        }
        String camel = dashToCamel(key);
        if (!camel.equals(key) && allowed.contains(camel)) {
            return " (use camelCase '" + camel + "')";
        }
        List<String> close = closest(key, allowed);
        if (!close.isEmpty()) {
            return " (did you mean " + quoteAll(close, 3).replace(", ", " or ") + "?)";
        }
        if (allowed.contains("uri") && allowed.contains("parameters")) {
            return "; endpoint options belong under 'parameters:' or in the uri query string"
                    + " (allowed here: " + quoteAll(allowed, MAX_LISTED + 4) + ")";
        }
        if (allowed.size() <= MAX_LISTED + 4) {
            return " (allowed here: " + quoteAll(allowed, MAX_LISTED + 4) + ")";
        }
        return "";
    }

    /** The schema object that holds the failing keyword (e.g. the parent of additionalProperties). */
    private JsonNode owningSchema(ValidationMessage m) {
        if (m.getSchemaLocation() == null) {
            return schemaNode.path("__none__");
        }
        JsonNodePath fragment = m.getSchemaLocation().getFragment();
        StringBuilder sb = new StringBuilder();
        for (int i = 0; i < fragment.getNameCount() - 1; i++) {
            Object element = fragment.getElement(i);
            sb.append('/').append(element instanceof Integer ? element.toString() : escape(String.valueOf(element)));
        }
        return schemaNode.at(sb.toString());
    }

    private static List<String> closest(String key, List<String> allowed) {
        String lower = key.toLowerCase(Locale.ROOT);
        int limit = key.length() <= 3 ? 1 : key.length() <= 6 ? 2 : 3;
        int best = Integer.MAX_VALUE;
        List<String> result = new ArrayList<>();
        for (String candidate : allowed) {
            String c = candidate.toLowerCase(Locale.ROOT);
            int d = c.equals(lower) ? 0 : distance(lower, c);
            if (d > limit) {
                continue;
            }
            if (d < best) {
                best = d;
                result.clear();
            }
            if (d == best) {
                result.add(candidate);
            }
        }
        return result;
    }

    /** Optimal-string-alignment edit distance: insert, delete, substitute, swap two neighbours. */
    private static int distance(String a, String b) {
        int[][] d = new int[a.length() + 1][b.length() + 1];
        for (int i = 0; i <= a.length(); i++) {
            d[i][0] = i;
        }
        for (int j = 0; j <= b.length(); j++) {
            d[0][j] = j;
        }
        for (int i = 1; i <= a.length(); i++) {
            for (int j = 1; j <= b.length(); j++) {
                int cost = a.charAt(i - 1) == b.charAt(j - 1) ? 0 : 1;
                d[i][j] = Math.min(Math.min(d[i - 1][j] + 1, d[i][j - 1] + 1), d[i - 1][j - 1] + cost);
                if (i > 1 && j > 1 && a.charAt(i - 1) == b.charAt(j - 2) && a.charAt(i - 2) == b.charAt(j - 1)) {
                    d[i][j] = Math.min(d[i][j], d[i - 2][j - 2] + 1);
                }
            }
        }
        return d[a.length()][b.length()];
    }

    private static String dashToCamel(String key) {
        StringBuilder sb = new StringBuilder();
        boolean upper = false;
        for (char c : key.toCharArray()) {
            if (c == '-') {
                upper = true;
            } else {
                sb.append(upper ? Character.toUpperCase(c) : c);
                upper = false;
            }
        }
        return sb.toString();
    }

    // ---------------------------------------------------------------- branch summaries

    private Problem summarise(YamlTree tree, String at, List<Raw> group) {
        JsonNode instance = tree.root().at(at);
        int line = tree.lineOf(at);
        String where = where(at);

        // More than one alternative matched, or a "not" (Camel's "none of these keys") failed: the
        // object sets keys that exclude each other, typically two expression languages.
        boolean ambiguous = group.stream().anyMatch(r -> "not".equals(r.type())
                || ("oneOf".equals(r.type()) && atLeastTwo(r.message.getArguments())));
        if (ambiguous) {
            Set<String> alternatives = new TreeSet<>();
            for (Raw r : group) {
                collectRequired(r.message.getSchemaNode(), alternatives);
                if ("required".equals(r.type()) && r.message.getProperty() != null) {
                    alternatives.add(r.message.getProperty());
                }
            }
            List<String> present = new ArrayList<>();
            instance.fieldNames().forEachRemaining(k -> {
                if (alternatives.contains(k)) {
                    present.add(k);
                }
            });
            if (present.size() >= 2) {
                return new Problem(line, where + ": only one of " + quoteAll(present, MAX_LISTED)
                        + " may be set here; they are alternatives");
            }
            return new Problem(line, where + ": matches more than one allowed form; remove the keys that conflict");
        }

        Set<String> expected = new LinkedHashSet<>();
        for (Raw r : group) {
            if ("type".equals(r.type())) {
                Object[] args = r.message.getArguments();
                if (args.length > 1) {
                    expected.add(String.valueOf(args[1]));
                }
            }
        }
        if (!expected.isEmpty()) {
            if (acceptedByCamel(instance, expected)) {
                return null;
            }
            return new Problem(line, where + ": expected " + String.join(" or ", expected) + ", found " + jsonType(instance));
        }

        List<String> missing = new ArrayList<>();
        for (Raw r : group) {
            if ("required".equals(r.type()) && r.message.getProperty() != null && !missing.contains(r.message.getProperty())) {
                missing.add(r.message.getProperty());
            }
        }
        if (!missing.isEmpty()) {
            return new Problem(line, where + ": needs one of " + quoteAll(missing, MAX_LISTED));
        }
        return new Problem(line, where + ": does not match any allowed form (" + group.get(0).message.getError() + ")");
    }

    private static boolean atLeastTwo(Object[] args) {
        try {
            return args.length > 0 && Integer.parseInt(String.valueOf(args[0]).trim()) >= 2;
        } catch (NumberFormatException e) {
            return false;
        }
    }

    private static void collectRequired(JsonNode schema, Set<String> into) {
        if (schema == null) {
            return;
        }
        if (schema.isObject()) {
            JsonNode required = schema.get("required");
            if (required != null && required.isArray()) {
                required.forEach(n -> into.add(n.asText()));
            }
            for (String k : List.of("oneOf", "anyOf", "not", "allOf")) {
                collectRequired(schema.get(k), into);
            }
        } else if (schema.isArray()) {
            schema.forEach(n -> collectRequired(n, into));
        }
    }

    // ---------------------------------------------------------------- rendering

    /** {@code /0/route/from/steps/1} becomes {@code route.from.steps[1]}; {@code /0} is "top level". */
    static String where(String pointer) {
        if (pointer.isEmpty()) {
            return "file";
        }
        String[] segments = pointer.substring(1).split("/", -1);
        StringBuilder sb = new StringBuilder();
        for (int i = 0; i < segments.length; i++) {
            String s = unescape(segments[i]);
            if (i == 0 && s.matches("\\d+")) {
                continue; // the entry index: the line number already says which entry
            }
            if (s.matches("\\d+")) {
                sb.append('[').append(s).append(']');
            } else {
                if (sb.length() > 0) {
                    sb.append('.');
                }
                sb.append(s);
            }
        }
        return sb.length() == 0 ? "top level" : sb.toString();
    }

    /**
     * Type mismatches that Camel's YAML loader accepts, so reporting them would only be noise: a
     * {@code {{property}}} placeholder anywhere (resolved at runtime), a number or boolean where a
     * string is expected (Camel reads scalars as text, e.g. {@code constant: true}), and a quoted
     * {@code "true"}/{@code "1000"} where a boolean or number is expected.
     */
    private static boolean acceptedByCamel(JsonNode instance, Set<String> expected) {
        if (!instance.isValueNode() || instance.isNull()) {
            return false;
        }
        String text = instance.asText();
        if (instance.isTextual() && text.contains("{{") && text.contains("}}")) {
            return true;
        }
        if (!instance.isTextual() && expected.contains("string")) {
            return true;
        }
        if (instance.isTextual() && expected.contains("boolean")
                && ("true".equalsIgnoreCase(text.trim()) || "false".equalsIgnoreCase(text.trim()))) {
            return true;
        }
        if (instance.isTextual() && (expected.contains("number") || expected.contains("integer"))) {
            try {
                new java.math.BigDecimal(text.trim());
                return true;
            } catch (NumberFormatException e) {
                return false;
            }
        }
        return false;
    }

    private static String jsonType(JsonNode node) {
        if (node.isObject()) {
            return "a mapping";
        }
        if (node.isArray()) {
            return "a list";
        }
        if (node.isNull()) {
            return "nothing (null)";
        }
        if (node.isTextual()) {
            return "string " + show(node);
        }
        if (node.isIntegralNumber()) {
            return "integer " + node.asText();
        }
        if (node.isNumber()) {
            return "number " + node.asText();
        }
        if (node.isBoolean()) {
            return "boolean " + node.asText();
        }
        return node.getNodeType().toString().toLowerCase(Locale.ROOT);
    }

    private static String show(JsonNode node) {
        String text = node.isTextual() ? "'" + node.asText() + "'" : node.toString();
        return text.length() > 60 ? text.substring(0, 57) + "...'" : text;
    }

    private static String join(JsonNode array, int max) {
        List<String> items = new ArrayList<>();
        array.forEach(n -> items.add(n.asText()));
        return items.size() > max ? String.join(", ", items.subList(0, max)) + ", ..." : String.join(", ", items);
    }

    private static String quoteAll(List<String> keys, int max) {
        String shown = keys.stream().limit(max).map(k -> "'" + k + "'").collect(Collectors.joining(", "));
        return keys.size() > max ? shown + " (+" + (keys.size() - max) + " more)" : shown;
    }
}
