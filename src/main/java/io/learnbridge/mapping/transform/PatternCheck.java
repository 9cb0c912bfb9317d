package io.learnbridge.mapping.transform;

import java.util.regex.Pattern;

/**
 * {@code pattern: <regex>} — the whole value must match. The rejection names the pattern and
 * the value's length, never the value itself (it may be personal data).
 */
public final class PatternCheck implements Transform {

    private final Pattern pattern;

    public PatternCheck(Pattern pattern) {
        this.pattern = pattern;
    }

    @Override
    public Object apply(Object value) {
        if (Transform.isEmpty(value)) {
            return value;
        }
        String s = value.toString();
        if (!pattern.matcher(s).matches()) {
            throw new FieldRejected("value (" + s.length() + " characters) does not match pattern " + pattern.pattern());
        }
        return value;
    }
}
