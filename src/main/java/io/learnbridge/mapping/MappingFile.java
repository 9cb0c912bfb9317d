package io.learnbridge.mapping;

import java.nio.charset.Charset;
import java.util.List;

/**
 * A compiled mapping file: a source mapping (input fields to canonical fields) or a target
 * mapping (canonical fields to a payload). Compiled once at startup by {@link MappingLoader}.
 */
public record MappingFile(
        String name,
        String file,
        Kind kind,
        String description,
        Format format,
        CsvOptions csv,
        List<FieldRule> rules) {

    public enum Kind { SOURCE, TARGET }

    /** How a source's records arrive: CSV rows (columns by header name) or JSON documents (paths). */
    public enum Format { CSV, JSON }

    /** CSV settings of a source mapping. */
    public record CsvOptions(char delimiter, char quote, Charset encoding) {
        public static final CsvOptions DEFAULT = new CsvOptions(',', '"', java.nio.charset.StandardCharsets.UTF_8);
    }

    public MappingFile {
        rules = List.copyOf(rules);
    }

    /** Every input field the rules read, in rule order, without repeats. */
    public List<String> inputs() {
        return rules.stream().flatMap(r -> r.inputs().stream()).distinct().toList();
    }

    public FieldRule rule(String field) {
        return rules.stream().filter(r -> r.field().equals(field)).findFirst().orElse(null);
    }
}
