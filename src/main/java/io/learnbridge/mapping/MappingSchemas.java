package io.learnbridge.mapping;

import com.fasterxml.jackson.databind.ObjectMapper;
import com.networknt.schema.JsonSchema;
import com.networknt.schema.JsonSchemaFactory;
import com.networknt.schema.SpecVersion;
import com.networknt.schema.ValidationMessage;
import java.io.IOException;
import java.io.InputStream;
import java.io.UncheckedIOException;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.TreeSet;

/**
 * Checks mapping, value-table and example-case files against the JSON Schemas shipped in
 * {@code mappings/schema/} (the same schemas editors autocomplete from), reporting
 * {@code file:line: message}.
 */
public final class MappingSchemas {

    private static final ObjectMapper JSON = new ObjectMapper();

    private final JsonSchema mapping;
    private final JsonSchema lookup;
    private final JsonSchema cases;

    public MappingSchemas(MappingFiles files) {
        this.mapping = schema(files, "schema/mapping.schema.json");
        this.lookup = schema(files, "schema/lookup.schema.json");
        this.cases = schema(files, "schema/mapping-cases.schema.json");
    }

    private static JsonSchema schema(MappingFiles files, String path) {
        String text = files.files().get(path);
        if (text == null) {
            try (InputStream in = MappingSchemas.class.getClassLoader().getResourceAsStream("mappings/" + path)) {
                if (in == null) {
                    throw new IllegalStateException("schema " + path + " is missing");
                }
                text = new String(in.readAllBytes(), java.nio.charset.StandardCharsets.UTF_8);
            } catch (IOException e) {
                throw new UncheckedIOException(e);
            }
        }
        try {
            return JsonSchemaFactory.getInstance(SpecVersion.VersionFlag.V7).getSchema(JSON.readTree(text));
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
    }

    /** Problems of every mapping, value table and cases file in the folder. */
    public List<String> check(MappingFiles files) {
        List<String> problems = new ArrayList<>();
        for (Map.Entry<String, String> e : files.files().entrySet()) {
            String path = e.getKey();
            JsonSchema schema = path.endsWith(MappingCatalog.CASES_SUFFIX) ? cases
                    : path.endsWith(MappingCatalog.MAPPING_SUFFIX) ? mapping
                    : path.startsWith("lookups/") && path.matches(".*\\.ya?ml") ? lookup : null;
            if (schema == null) {
                continue;
            }
            YamlTree yaml;
            try {
                yaml = YamlTree.parse(files.displayPath(path), e.getValue());
            } catch (MappingException m) {
                problems.add(m.describe());
                continue;
            }
            problems.addAll(check(schema, yaml));
        }
        return problems;
    }

    private static List<String> check(JsonSchema schema, YamlTree yaml) {
        TreeSet<String> out = new TreeSet<>((a, b) -> {
            int la = lineOf(a);
            int lb = lineOf(b);
            return la != lb ? Integer.compare(la, lb) : a.compareTo(b);
        });
        for (ValidationMessage m : schema.validate(yaml.root())) {
            String pointer = toPointer(m.getInstanceLocation());
            String extra = m.getProperty() != null && m.getType().equals("additionalProperties") ? "/" + m.getProperty() : "";
            out.add(yaml.file() + ":" + yaml.lineOf(pointer + extra) + ": " + m.getMessage());
        }
        return new ArrayList<>(out);
    }

    private static int lineOf(String problem) {
        String[] parts = problem.split(":", 3);
        try {
            return Integer.parseInt(parts[1]);
        } catch (RuntimeException e) {
            return 0;
        }
    }

    private static String toPointer(com.networknt.schema.JsonNodePath path) {
        StringBuilder sb = new StringBuilder();
        for (int i = 0; i < path.getNameCount(); i++) {
            Object element = path.getElement(i);
            sb.append('/').append(String.valueOf(element).replace("~", "~0").replace("/", "~1"));
        }
        return sb.toString();
    }

}
