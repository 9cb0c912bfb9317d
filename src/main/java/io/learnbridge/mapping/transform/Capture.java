package io.learnbridge.mapping.transform;

import java.util.LinkedHashSet;
import java.util.Set;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

/**
 * {@code capture: {pattern | use, group, unmatched}} — the whole value must match a regular
 * expression; the field takes one of its named groups. Several fields read the same input with the
 * same pattern (a top-level {@code patterns:} entry) and different groups, so "Last, First M" gives
 * familyName, givenName and a middle initial, each field still with its one source. A group that
 * took no part in the match is empty. A value that does not match is handled by {@code unmatched}:
 * the rejection names the pattern and the value's length, never the value (it may be personal data).
 */
public final class Capture implements Transform {

    /** What to do with a value the pattern does not match. */
    public enum Unmatched { REJECT, KEEP, EMPTY }

    private static final Pattern GROUP_NAME = Pattern.compile("\\(\\?<([a-zA-Z][a-zA-Z0-9]*)>");

    private final String patternName;
    private final Pattern pattern;
    private final String group;
    private final Unmatched unmatched;

    /**
     * @param patternName how the rejection names the pattern (its name in {@code patterns:}, or the expression)
     * @throws IllegalArgumentException when the pattern has no group of that name
     */
    public Capture(String patternName, Pattern pattern, String group, Unmatched unmatched) {
        if (!hasGroup(pattern, group)) {
            Set<String> groups = groupNames(pattern);
            throw new IllegalArgumentException("pattern " + patternName + " has no group named '" + group + "'"
                    + (groups.isEmpty() ? " (name groups with (?<name>...))" : " (its groups: " + String.join(", ", groups) + ")"));
        }
        this.patternName = patternName;
        this.pattern = pattern;
        this.group = group;
        this.unmatched = unmatched;
    }

    /** The named groups of a pattern, in the order they open. */
    public static Set<String> groupNames(Pattern pattern) {
        Set<String> names = new LinkedHashSet<>();
        Matcher m = GROUP_NAME.matcher(pattern.pattern());
        while (m.find()) {
            // what looks like a group may be text ("\\(?<x>", "[(]?<x>"): the pattern itself decides
            if (hasGroup(pattern, m.group(1))) {
                names.add(m.group(1));
            }
        }
        return names;
    }

    /** Whether the pattern has a group of that name: asked of the pattern made optional, which matches "". */
    static boolean hasGroup(Pattern pattern, String name) {
        Matcher m = Pattern.compile("(?:" + pattern.pattern() + ")?", pattern.flags()).matcher("");
        m.matches();
        try {
            m.group(name);
            return true;
        } catch (IllegalArgumentException e) {
            return false;
        }
    }

    @Override
    public Object apply(Object value) {
        if (Transform.isEmpty(value)) {
            return null;
        }
        String s = value.toString();
        Matcher m = pattern.matcher(s);
        if (m.matches()) {
            String part = m.group(group);
            return part == null || part.isEmpty() ? null : part;
        }
        return switch (unmatched) {
            case REJECT -> throw new FieldRejected("value (" + s.length() + " characters) does not match capture pattern " + patternName);
            case KEEP -> value;
            case EMPTY -> null;
        };
    }
}
