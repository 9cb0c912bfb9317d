package io.learnbridge.mapping;

import io.learnbridge.mapping.transform.FieldRejected;
import io.learnbridge.mapping.transform.Transform;
import java.util.List;

/**
 * The compiled rule for one output field: where its value is read from ({@code from} or
 * {@code combine}) and the transforms applied in their fixed order.
 */
public final class FieldRule {

    private final String field;
    private final int line;
    private final List<String> inputs;
    private final String separator;
    private final List<Transform> transforms;

    FieldRule(String field, int line, List<String> inputs, String separator, List<Transform> transforms) {
        this.field = field;
        this.line = line;
        this.inputs = List.copyOf(inputs);
        this.separator = separator;
        this.transforms = List.copyOf(transforms);
    }

    public String field() {
        return field;
    }

    public int line() {
        return line;
    }

    /** Input field names: one for {@code from}, several for {@code combine}, none for a constant. */
    public List<String> inputs() {
        return inputs;
    }

    /**
     * Applies the rule to a row whose input slots were bound in {@code slots} (same order as
     * {@link #inputs()}).
     */
    Object apply(InputRow row, int[] slots) {
        Object value = read(row, slots);
        for (Transform t : transforms) {
            value = t.apply(value);
        }
        return Transform.isEmpty(value) ? null : value;
    }

    private Object read(InputRow row, int[] slots) {
        if (slots.length == 0) {
            return null;
        }
        if (separator == null) {
            return row.value(slots[0]);
        }
        StringBuilder sb = new StringBuilder();
        for (int slot : slots) {
            String part = row.value(slot);
            if (part == null || part.isBlank()) {
                continue;
            }
            if (sb.length() > 0) {
                sb.append(separator);
            }
            sb.append(part.strip());
        }
        return sb.length() == 0 ? null : sb.toString();
    }

    Rejection reject(FieldRejected e) {
        return new Rejection(field, inputs, e.getMessage());
    }
}
