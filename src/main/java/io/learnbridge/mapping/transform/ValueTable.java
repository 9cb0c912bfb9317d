package io.learnbridge.mapping.transform;

import java.util.Map;

/**
 * {@code lookup:} — translates a value through a table (inline {@code values:} or a file in
 * {@code mappings/lookups/}). A value not in the table is handled by the declared
 * {@code unmapped} policy; there is no implicit default.
 */
public final class ValueTable implements Transform {

    /** What to do with a value the table does not list. */
    public enum Unmapped {
        /** Reject the record, naming the table (the value is a code, so it is shown). */
        REJECT,
        /** Pass the value through unchanged. */
        KEEP,
        /** Treat it as empty, so that {@code default} and {@code required} decide. */
        EMPTY
    }

    private final String tableName;
    private final Map<String, Object> values;
    private final Unmapped unmapped;

    public ValueTable(String tableName, Map<String, Object> values, Unmapped unmapped) {
        this.tableName = tableName;
        this.values = Map.copyOf(values);
        this.unmapped = unmapped;
    }

    @Override
    public Object apply(Object value) {
        if (Transform.isEmpty(value)) {
            return null;
        }
        Object mapped = values.get(value.toString());
        if (mapped != null) {
            return mapped;
        }
        return switch (unmapped) {
            case REJECT -> throw new FieldRejected("value '" + abbreviate(value.toString()) + "' is not in value table " + tableName);
            case KEEP -> value;
            case EMPTY -> null;
        };
    }

    private static String abbreviate(String s) {
        return s.length() <= 40 ? s : s.substring(0, 40) + "…";
    }
}
