package io.learnbridge.mapping.transform;

/**
 * One step of a field rule. Takes the value produced so far ({@code null} when empty) and
 * returns the next one, or throws {@link FieldRejected} when the record must be rejected.
 * Steps run in a fixed order documented in {@code mappings/schema/mapping.schema.json}.
 */
@FunctionalInterface
public interface Transform {

    Object apply(Object value);

    /** Empty means absent: {@code null} or a string of length zero. */
    static boolean isEmpty(Object value) {
        return value == null || (value instanceof String s && s.isEmpty());
    }
}
