package io.learnbridge.mapping;

import com.fasterxml.jackson.databind.JsonNode;
import io.learnbridge.mapping.transform.Capture;
import io.learnbridge.mapping.transform.ChangeCase;
import io.learnbridge.mapping.transform.DateConversion;
import io.learnbridge.mapping.transform.DefaultValue;
import io.learnbridge.mapping.transform.Pad;
import io.learnbridge.mapping.transform.PatternCheck;
import io.learnbridge.mapping.transform.Required;
import io.learnbridge.mapping.transform.Split;
import io.learnbridge.mapping.transform.Strip;
import io.learnbridge.mapping.transform.Transform;
import io.learnbridge.mapping.transform.Trim;
import io.learnbridge.mapping.transform.ValueTable;
import io.learnbridge.worker.CanonicalField;
import java.nio.charset.Charset;
import java.time.Clock;
import java.time.DateTimeException;
import java.nio.charset.IllegalCharsetNameException;
import java.nio.charset.UnsupportedCharsetException;
import java.util.ArrayList;
import java.util.Iterator;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.Set;
import java.util.regex.Pattern;
import java.util.regex.PatternSyntaxException;

/**
 * Compiles one mapping file. Every problem is a {@link MappingException} naming the file, the
 * line and the field, so that a broken mapping stops startup with a message an integration
 * engineer can act on.
 */
public final class MappingLoader {

    static final Set<String> TOP_LEVEL_SOURCE = Set.of("description", "format", "csv", "patterns", "fields");
    static final Set<String> TOP_LEVEL_TARGET = Set.of("description", "patterns", "fields");
    /** Rule keys in the order their steps run. */
    static final List<String> RULE_KEYS = List.of("description", "from", "combine", "trim", "capture", "split", "strip", "pad", "case", "lookup",
            "date", "default", "required", "pattern");
    static final Set<String> DATE_KEYS = Set.of("from", "to", "pivotYear", "yearsAhead", "notBefore", "notAfter");
    private static final Pattern OUTPUT_NAME = Pattern.compile("[A-Za-z_$@][A-Za-z0-9_$@-]*(\\.[A-Za-z_$@][A-Za-z0-9_$@-]*)*");

    private final Map<String, Map<String, Object>> lookupTables;
    private final Clock clock;

    /** @param lookupTables value tables of {@code mappings/lookups/}, by name */
    public MappingLoader(Map<String, Map<String, Object>> lookupTables) {
        this(lookupTables, Clock.systemDefaultZone());
    }

    /** @param clock today, for dates' {@code notBefore}/{@code notAfter} and a sliding two-digit-year window */
    public MappingLoader(Map<String, Map<String, Object>> lookupTables, Clock clock) {
        this.lookupTables = Map.copyOf(lookupTables);
        this.clock = clock;
    }

    public MappingFile load(String name, MappingFile.Kind kind, YamlTree yaml) {
        String file = yaml.file();
        JsonNode root = yaml.root();
        if (!root.isObject()) {
            throw new MappingException(file, 1, null, "a mapping file must be a YAML mapping with 'fields'");
        }
        Set<String> allowed = kind == MappingFile.Kind.SOURCE ? TOP_LEVEL_SOURCE : TOP_LEVEL_TARGET;
        for (Iterator<String> it = root.fieldNames(); it.hasNext(); ) {
            String key = it.next();
            if (!allowed.contains(key)) {
                throw new MappingException(file, yaml.lineOf(YamlTree.child("", key)), null,
                        "unknown key '" + key + "' (a " + kind.name().toLowerCase(Locale.ROOT) + " mapping has " + String.join(", ", sorted(allowed)) + ")");
            }
        }
        MappingFile.Format format = MappingFile.Format.CSV;
        MappingFile.CsvOptions csv = MappingFile.CsvOptions.DEFAULT;
        if (kind == MappingFile.Kind.SOURCE) {
            format = parseFormat(yaml);
            csv = parseCsv(yaml);
        }
        JsonNode fields = root.get("fields");
        if (fields == null || !fields.isObject() || fields.isEmpty()) {
            throw new MappingException(file, yaml.lineOf("/fields"), null, "'fields' must map at least one field");
        }
        Map<String, Pattern> patterns = patterns(yaml);
        List<FieldRule> rules = new ArrayList<>();
        for (Iterator<Map.Entry<String, JsonNode>> it = fields.fields(); it.hasNext(); ) {
            Map.Entry<String, JsonNode> e = it.next();
            rules.add(rule(yaml, kind, format, patterns, e.getKey(), e.getValue()));
        }
        if (kind == MappingFile.Kind.SOURCE && rules.stream().noneMatch(r -> r.field().equals(CanonicalField.WORKER_ID.fieldName()))) {
            throw new MappingException(file, yaml.lineOf("/fields"), CanonicalField.WORKER_ID.fieldName(),
                    "a source mapping must map workerId (the stable key of every worker)");
        }
        String description = root.path("description").asText(null);
        return new MappingFile(name, file, kind, description, format, csv, rules);
    }

    private static MappingFile.Format parseFormat(YamlTree yaml) {
        JsonNode format = yaml.root().get("format");
        if (format == null) {
            return MappingFile.Format.CSV;
        }
        try {
            return MappingFile.Format.valueOf(format.asText().toUpperCase(Locale.ROOT));
        } catch (IllegalArgumentException e) {
            throw new MappingException(yaml.file(), yaml.lineOf("/format"), null, "format must be csv or json, found '" + format.asText() + "'");
        }
    }

    private static MappingFile.CsvOptions parseCsv(YamlTree yaml) {
        JsonNode csv = yaml.root().get("csv");
        if (csv == null) {
            return MappingFile.CsvOptions.DEFAULT;
        }
        for (Iterator<String> it = csv.fieldNames(); it.hasNext(); ) {
            String key = it.next();
            if (!Set.of("delimiter", "quote", "encoding").contains(key)) {
                throw new MappingException(yaml.file(), yaml.lineOf("/csv/" + key), null, "unknown csv option '" + key + "' (known: delimiter, quote, encoding)");
            }
        }
        char delimiter = singleChar(yaml, "/csv/delimiter", csv.path("delimiter").asText(","), "delimiter");
        char quote = singleChar(yaml, "/csv/quote", csv.path("quote").asText("\""), "quote");
        String encodingName = csv.path("encoding").asText("UTF-8");
        Charset encoding;
        try {
            encoding = Charset.forName(encodingName);
        } catch (IllegalCharsetNameException | UnsupportedCharsetException e) {
            throw new MappingException(yaml.file(), yaml.lineOf("/csv/encoding"), null, "unknown encoding '" + encodingName + "' (use UTF-8 or ISO-8859-1)");
        }
        return new MappingFile.CsvOptions(delimiter, quote, encoding);
    }

    private static char singleChar(YamlTree yaml, String pointer, String value, String what) {
        String v = value.equals("\\t") ? "\t" : value;
        if (v.length() != 1) {
            throw new MappingException(yaml.file(), yaml.lineOf(pointer), null, what + " must be one character, found '" + value + "'");
        }
        return v.charAt(0);
    }

    /** The top-level {@code patterns:}: named regular expressions that several fields' {@code capture} steps use. */
    private static Map<String, Pattern> patterns(YamlTree yaml) {
        JsonNode node = yaml.root().get("patterns");
        Map<String, Pattern> patterns = new LinkedHashMap<>();
        if (node == null) {
            return patterns;
        }
        if (!node.isObject()) {
            throw new MappingException(yaml.file(), yaml.lineOf("/patterns"), null, "patterns must map names to regular expressions");
        }
        for (Iterator<Map.Entry<String, JsonNode>> it = node.fields(); it.hasNext(); ) {
            Map.Entry<String, JsonNode> e = it.next();
            int line = yaml.lineOf(YamlTree.child("/patterns", e.getKey()));
            if (!e.getValue().isTextual()) {
                throw new MappingException(yaml.file(), line, null, "pattern '" + e.getKey() + "' must be a regular expression (text)");
            }
            try {
                patterns.put(e.getKey(), Pattern.compile(e.getValue().asText()));
            } catch (PatternSyntaxException ex) {
                throw new MappingException(yaml.file(), line, null, "bad pattern '" + e.getKey() + "': " + ex.getDescription());
            }
        }
        return patterns;
    }

    private FieldRule rule(YamlTree yaml, MappingFile.Kind kind, MappingFile.Format format, Map<String, Pattern> patterns, String field, JsonNode spec) {
        String file = yaml.file();
        String pointer = YamlTree.child("/fields", field);
        int line = yaml.lineOf(pointer);
        if (kind == MappingFile.Kind.SOURCE && !CanonicalField.isKnown(field)) {
            throw new MappingException(file, line, field, "unknown canonical field (known: " + canonicalNames() + ", or attributes.<name>)");
        }
        if (kind == MappingFile.Kind.TARGET && !OUTPUT_NAME.matcher(field).matches()) {
            throw new MappingException(file, line, field, "not a valid payload field name (letters, digits, _ and -, nested with dots)");
        }
        if (spec.isTextual()) {
            List<String> inputs = List.of(checkInput(yaml, kind, format, pointer, field, spec.asText()));
            return new FieldRule(field, line, inputs, null, List.of());
        }
        if (!spec.isObject()) {
            throw new MappingException(file, line, field, "a field rule is a name to read from, or a mapping of transforms");
        }
        for (Iterator<String> it = spec.fieldNames(); it.hasNext(); ) {
            String key = it.next();
            if (!RULE_KEYS.contains(key)) {
                throw new MappingException(file, yaml.lineOf(YamlTree.child(pointer, key)), field,
                        "unknown transform '" + key + "' (known: " + String.join(", ", RULE_KEYS) + ")");
            }
        }
        List<String> inputs = new ArrayList<>();
        String separator = null;
        if (spec.has("from") && spec.has("combine")) {
            throw new MappingException(file, line, field, "use either 'from' or 'combine', not both");
        }
        if (spec.has("from")) {
            inputs.add(checkInput(yaml, kind, format, pointer + "/from", field, spec.get("from").asText()));
        } else if (spec.has("combine")) {
            JsonNode combine = spec.get("combine");
            JsonNode parts = combine.path("from");
            if (!parts.isArray() || parts.size() < 2) {
                throw new MappingException(file, yaml.lineOf(pointer + "/combine"), field, "combine needs 'from' with at least two fields");
            }
            for (int i = 0; i < parts.size(); i++) {
                inputs.add(checkInput(yaml, kind, format, pointer + "/combine/from/" + i, field, parts.get(i).asText()));
            }
            separator = combine.path("separator").asText(" ");
        } else if (!spec.has("default")) {
            throw new MappingException(file, line, field, "a field needs 'from', 'combine' or 'default'");
        }
        List<Transform> transforms = new ArrayList<>();
        if (spec.path("trim").asBoolean(false)) {
            transforms.add(new Trim());
        }
        if (spec.has("capture")) {
            transforms.add(capture(yaml, pointer + "/capture", field, spec.get("capture"), patterns));
        }
        if (spec.has("split")) {
            transforms.add(split(yaml, pointer + "/split", field, spec.get("split")));
        }
        if (spec.has("strip")) {
            JsonNode strip = options(yaml, pointer + "/strip", field, spec.get("strip"), Set.of("leading", "trailing"));
            if (!strip.has("leading") && !strip.has("trailing")) {
                throw new MappingException(file, yaml.lineOf(pointer + "/strip"), field, "strip needs 'leading' and/or 'trailing' characters");
            }
            transforms.add(new Strip(strip.path("leading").asText(""), strip.path("trailing").asText("")));
        }
        if (spec.has("pad")) {
            transforms.add(pad(yaml, pointer + "/pad", field, spec.get("pad")));
        }
        if (spec.has("case")) {
            String mode = spec.get("case").asText();
            try {
                transforms.add(new ChangeCase(ChangeCase.Mode.valueOf(mode.toUpperCase(Locale.ROOT))));
            } catch (IllegalArgumentException e) {
                throw new MappingException(file, yaml.lineOf(pointer + "/case"), field, "case must be lower or upper, found '" + mode + "'");
            }
        }
        if (spec.has("lookup")) {
            transforms.add(lookup(yaml, pointer + "/lookup", field, spec.get("lookup")));
        }
        if (spec.has("date")) {
            transforms.add(date(yaml, pointer + "/date", field, spec.get("date")));
        }
        if (spec.has("default")) {
            transforms.add(new DefaultValue(scalar(spec.get("default"))));
        }
        if (spec.path("required").asBoolean(false) || (kind == MappingFile.Kind.SOURCE && field.equals(CanonicalField.WORKER_ID.fieldName()))) {
            transforms.add(new Required());
        }
        if (spec.has("pattern")) {
            String regex = spec.get("pattern").asText();
            try {
                transforms.add(new PatternCheck(Pattern.compile(regex)));
            } catch (PatternSyntaxException e) {
                throw new MappingException(file, yaml.lineOf(pointer + "/pattern"), field, "bad pattern: " + e.getDescription());
            }
        }
        return new FieldRule(field, line, inputs, separator, transforms);
    }

    /** An option block: a mapping with only the given keys. */
    private static JsonNode options(YamlTree yaml, String pointer, String field, JsonNode node, Set<String> keys) {
        String step = pointer.substring(pointer.lastIndexOf('/') + 1);
        if (!node.isObject()) {
            throw new MappingException(yaml.file(), yaml.lineOf(pointer), field, step + " takes options: " + String.join(", ", sorted(keys)));
        }
        for (Iterator<String> it = node.fieldNames(); it.hasNext(); ) {
            String key = it.next();
            if (!keys.contains(key)) {
                throw new MappingException(yaml.file(), yaml.lineOf(pointer + "/" + key), field,
                        "unknown " + step + " option '" + key + "' (known: " + String.join(", ", sorted(keys)) + ")");
            }
        }
        return node;
    }

    private static Transform capture(YamlTree yaml, String pointer, String field, JsonNode node, Map<String, Pattern> patterns) {
        JsonNode capture = options(yaml, pointer, field, node, Set.of("pattern", "use", "group", "unmatched"));
        int line = yaml.lineOf(pointer);
        if (capture.has("pattern") == capture.has("use")) {
            throw new MappingException(yaml.file(), line, field, "capture needs exactly one of 'pattern' (a regular expression) or 'use' (a name in patterns:)");
        }
        if (!capture.has("group")) {
            throw new MappingException(yaml.file(), line, field, "capture needs 'group': the named group (?<name>...) this field takes");
        }
        String name;
        Pattern pattern;
        if (capture.has("use")) {
            name = capture.get("use").asText();
            pattern = patterns.get(name);
            if (pattern == null) {
                throw new MappingException(yaml.file(), yaml.lineOf(pointer + "/use"), field,
                        "no pattern '" + name + "' in patterns: (known: " + (patterns.isEmpty() ? "none" : String.join(", ", patterns.keySet())) + ")");
            }
        } else {
            name = capture.get("pattern").asText();
            try {
                pattern = Pattern.compile(name);
            } catch (PatternSyntaxException e) {
                throw new MappingException(yaml.file(), yaml.lineOf(pointer + "/pattern"), field, "bad capture pattern: " + e.getDescription());
            }
        }
        Capture.Unmatched unmatched;
        String policy = capture.path("unmatched").asText("reject");
        try {
            unmatched = Capture.Unmatched.valueOf(policy.toUpperCase(Locale.ROOT));
        } catch (IllegalArgumentException e) {
            throw new MappingException(yaml.file(), yaml.lineOf(pointer + "/unmatched"), field, "unmatched must be reject, keep or empty, found '" + policy + "'");
        }
        try {
            return new Capture(name, pattern, capture.get("group").asText(), unmatched);
        } catch (IllegalArgumentException e) {
            throw new MappingException(yaml.file(), yaml.lineOf(pointer + "/group"), field, e.getMessage());
        }
    }

    private static Transform split(YamlTree yaml, String pointer, String field, JsonNode node) {
        JsonNode split = options(yaml, pointer, field, node, Set.of("separator", "index"));
        if (!split.has("separator") || split.get("separator").asText().isEmpty()) {
            throw new MappingException(yaml.file(), yaml.lineOf(pointer), field, "split needs a 'separator' (text, not a pattern)");
        }
        JsonNode index = split.get("index");
        if (index == null || !index.canConvertToInt()) {
            throw new MappingException(yaml.file(), yaml.lineOf(index == null ? pointer : pointer + "/index"), field,
                    "split needs an 'index': 0 for the first part, 1 for the second, -1 for the last");
        }
        return new Split(split.get("separator").asText(), index.intValue());
    }

    private static Transform pad(YamlTree yaml, String pointer, String field, JsonNode node) {
        JsonNode pad = options(yaml, pointer, field, node, Set.of("length", "with", "side"));
        JsonNode length = pad.get("length");
        if (length == null || !length.canConvertToInt() || length.intValue() < 1) {
            throw new MappingException(yaml.file(), yaml.lineOf(length == null ? pointer : pointer + "/length"), field, "pad needs a 'length' of at least 1");
        }
        String with = pad.path("with").asText("0");
        if (with.length() != 1) {
            throw new MappingException(yaml.file(), yaml.lineOf(pointer + "/with"), field, "pad 'with' must be one character, found '" + with + "'");
        }
        String side = pad.path("side").asText("left");
        try {
            return new Pad(length.intValue(), with.charAt(0), Pad.Side.valueOf(side.toUpperCase(Locale.ROOT)));
        } catch (IllegalArgumentException e) {
            throw new MappingException(yaml.file(), yaml.lineOf(pointer + "/side"), field, "pad side must be left or right, found '" + side + "'");
        }
    }

    private Transform date(YamlTree yaml, String pointer, String field, JsonNode node) {
        JsonNode date = options(yaml, pointer, field, node, DATE_KEYS);
        String file = yaml.file();
        String from = date.path("from").asText(DateConversion.ISO);
        String to = date.path("to").asText(DateConversion.ISO);
        if (date.has("pivotYear") && date.has("yearsAhead")) {
            throw new MappingException(file, yaml.lineOf(pointer + "/yearsAhead"), field, "use either pivotYear or yearsAhead, not both");
        }
        DateConversion.Century century = null;
        if (date.has("pivotYear")) {
            JsonNode pivot = date.get("pivotYear");
            if (!pivot.canConvertToInt() || pivot.intValue() < 1000 || pivot.intValue() > 9900) {
                throw new MappingException(file, yaml.lineOf(pointer + "/pivotYear"), field, "pivotYear must be a four-digit year, e.g. 1950");
            }
            century = new DateConversion.Pivot(pivot.intValue());
        } else if (date.has("yearsAhead")) {
            JsonNode ahead = date.get("yearsAhead");
            if (!ahead.canConvertToInt() || ahead.intValue() < 0 || ahead.intValue() > 99) {
                throw new MappingException(file, yaml.lineOf(pointer + "/yearsAhead"), field, "yearsAhead must be a number of years from 0 to 99");
            }
            century = new DateConversion.Sliding(ahead.intValue());
        }
        DateConversion.Bound notBefore = bound(yaml, pointer + "/notBefore", field, date.get("notBefore"));
        DateConversion.Bound notAfter = bound(yaml, pointer + "/notAfter", field, date.get("notAfter"));
        try {
            return new DateConversion(from, to, century, notBefore, notAfter, clock);
        } catch (IllegalArgumentException e) {
            throw new MappingException(file, yaml.lineOf(date.has("from") ? pointer + "/from" : pointer), field, "bad date pattern: " + e.getMessage());
        }
    }

    private static DateConversion.Bound bound(YamlTree yaml, String pointer, String field, JsonNode node) {
        if (node == null) {
            return null;
        }
        try {
            return DateConversion.Bound.parse(node.asText());
        } catch (DateTimeException e) {
            throw new MappingException(yaml.file(), yaml.lineOf(pointer), field, pointer.substring(pointer.lastIndexOf('/') + 1)
                    + " must be a period from today (P1Y, -P100Y, P30D) or a date (1900-01-01), found '" + node.asText() + "'");
        }
    }

    private Transform lookup(YamlTree yaml, String pointer, String field, JsonNode lookup) {
        String file = yaml.file();
        int line = yaml.lineOf(pointer);
        if (!lookup.isObject()) {
            throw new MappingException(file, line, field, "lookup needs 'table' or 'values', and 'unmapped'");
        }
        for (Iterator<String> it = lookup.fieldNames(); it.hasNext(); ) {
            String key = it.next();
            if (!Set.of("table", "values", "unmapped").contains(key)) {
                throw new MappingException(file, yaml.lineOf(pointer + "/" + key), field, "unknown lookup option '" + key + "' (known: table, values, unmapped)");
            }
        }
        JsonNode unmappedNode = lookup.get("unmapped");
        if (unmappedNode == null) {
            throw new MappingException(file, line, field, "lookup needs an explicit 'unmapped' policy: reject, keep or empty");
        }
        ValueTable.Unmapped unmapped;
        try {
            unmapped = ValueTable.Unmapped.valueOf(unmappedNode.asText().toUpperCase(Locale.ROOT));
        } catch (IllegalArgumentException e) {
            throw new MappingException(file, yaml.lineOf(pointer + "/unmapped"), field, "unmapped must be reject, keep or empty, found '" + unmappedNode.asText() + "'");
        }
        if (lookup.has("table") == lookup.has("values")) {
            throw new MappingException(file, line, field, "lookup needs exactly one of 'table' (a file in mappings/lookups/) or 'values' (inline)");
        }
        if (lookup.has("table")) {
            String table = lookup.get("table").asText();
            Map<String, Object> values = lookupTables.get(table);
            if (values == null) {
                throw new MappingException(file, yaml.lineOf(pointer + "/table"), field,
                        "unknown value table '" + table + "' (expected mappings/lookups/" + table + ".yaml; known: " + String.join(", ", sorted(lookupTables.keySet())) + ")");
            }
            return new ValueTable(table, values, unmapped);
        }
        JsonNode values = lookup.get("values");
        if (!values.isObject() || values.isEmpty()) {
            throw new MappingException(file, yaml.lineOf(pointer + "/values"), field, "values must map at least one input value to an output value");
        }
        return new ValueTable("(inline, line " + line + ")", tableValues(values), unmapped);
    }

    /** Reads a value table body: input value to a scalar output value. */
    public static Map<String, Object> tableValues(JsonNode values) {
        Map<String, Object> map = new LinkedHashMap<>();
        values.fields().forEachRemaining(v -> map.put(v.getKey(), scalar(v.getValue())));
        return map;
    }

    private static Object scalar(JsonNode node) {
        if (node.isBoolean()) {
            return node.booleanValue();
        }
        if (node.isNumber()) {
            return node.numberValue();
        }
        return node.isNull() ? null : node.asText();
    }

    private static String checkInput(YamlTree yaml, MappingFile.Kind kind, MappingFile.Format format, String pointer, String field, String input) {
        if (input == null || input.isBlank()) {
            throw new MappingException(yaml.file(), yaml.lineOf(pointer), field, "empty input field name");
        }
        if (kind == MappingFile.Kind.TARGET && !CanonicalField.isKnown(input)) {
            throw new MappingException(yaml.file(), yaml.lineOf(pointer), field,
                    "reads unknown canonical field '" + input + "' (known: " + canonicalNames() + ", or attributes.<name>)");
        }
        if (kind == MappingFile.Kind.SOURCE && format == MappingFile.Format.JSON) {
            try {
                JsonPaths.toPointer(input);
            } catch (IllegalArgumentException e) {
                throw new MappingException(yaml.file(), yaml.lineOf(pointer), field, e.getMessage());
            }
        }
        return input;
    }

    private static String canonicalNames() {
        return String.join(", ", java.util.Arrays.stream(CanonicalField.values()).map(CanonicalField::fieldName).toList());
    }

    private static List<String> sorted(java.util.Collection<String> names) {
        return names.stream().sorted().toList();
    }
}
