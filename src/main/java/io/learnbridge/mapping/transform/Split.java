package io.learnbridge.mapping.transform;

/**
 * {@code split: {separator, index}} — takes one part of a value cut at every occurrence of a
 * separator (plain text, not a pattern). Index 0 is the first part, -1 the last. Parts are stripped
 * of white space; a part the value does not have is empty (then {@code default} and
 * {@code required} decide).
 */
public final class Split implements Transform {

    private final String separator;
    private final int index;

    public Split(String separator, int index) {
        if (separator.isEmpty()) {
            throw new IllegalArgumentException("separator must not be empty");
        }
        this.separator = separator;
        this.index = index;
    }

    @Override
    public Object apply(Object value) {
        if (Transform.isEmpty(value)) {
            return null;
        }
        String s = value.toString();
        // count the parts, then walk to the one wanted: no array of every part
        int parts = 1;
        for (int at = s.indexOf(separator); at >= 0; at = s.indexOf(separator, at + separator.length())) {
            parts++;
        }
        int wanted = index >= 0 ? index : parts + index;
        if (wanted < 0 || wanted >= parts) {
            return null;
        }
        int start = 0;
        for (int i = 0; i < wanted; i++) {
            start = s.indexOf(separator, start) + separator.length();
        }
        int end = s.indexOf(separator, start);
        String part = s.substring(start, end < 0 ? s.length() : end).strip();
        return part.isEmpty() ? null : part;
    }
}
