package io.learnbridge.mapping.transform;

import java.util.Locale;

/** {@code case: lower | upper} — locale-independent case change. */
public final class ChangeCase implements Transform {

    public enum Mode { LOWER, UPPER }

    private final Mode mode;

    public ChangeCase(Mode mode) {
        this.mode = mode;
    }

    @Override
    public Object apply(Object value) {
        if (value instanceof String s) {
            return mode == Mode.LOWER ? s.toLowerCase(Locale.ROOT) : s.toUpperCase(Locale.ROOT);
        }
        return value;
    }
}
