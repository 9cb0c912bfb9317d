package io.learnbridge.mapping.transform;

/** {@code required: true} — an empty value rejects the record. */
public final class Required implements Transform {

    @Override
    public Object apply(Object value) {
        if (Transform.isEmpty(value)) {
            throw new FieldRejected("required value is missing");
        }
        return value;
    }
}
