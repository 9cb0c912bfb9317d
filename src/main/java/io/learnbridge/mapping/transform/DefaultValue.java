package io.learnbridge.mapping.transform;

/** {@code default: <value>} — used when the value is empty at this point. */
public final class DefaultValue implements Transform {

    private final Object defaultValue;

    public DefaultValue(Object defaultValue) {
        this.defaultValue = defaultValue;
    }

    @Override
    public Object apply(Object value) {
        return Transform.isEmpty(value) ? defaultValue : value;
    }
}
