package io.learnbridge.mapping.transform;

/** {@code trim: true} — strips leading and trailing white space; blank becomes empty. */
public final class Trim implements Transform {

    @Override
    public Object apply(Object value) {
        if (value instanceof String s) {
            String t = s.strip();
            return t.isEmpty() ? null : t;
        }
        return value;
    }
}
