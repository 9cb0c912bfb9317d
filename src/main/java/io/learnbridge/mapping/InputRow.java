package io.learnbridge.mapping;

/**
 * One input record as the mapping engine sees it: values by slot, where slots were resolved from
 * field names once (column index of a CSV header, a JSON pointer, a canonical field).
 */
@FunctionalInterface
public interface InputRow {

    /** The raw value in this slot, or {@code null} when absent. */
    String value(int slot);
}
