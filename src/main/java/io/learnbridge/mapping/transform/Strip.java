package io.learnbridge.mapping.transform;

/**
 * {@code strip: {leading, trailing}} — removes any of the given characters from the start and/or
 * the end of a value (e.g. leading zeros: {@code leading: "0"}). A value made only of them becomes
 * empty.
 */
public final class Strip implements Transform {

    private final String leading;
    private final String trailing;

    public Strip(String leading, String trailing) {
        this.leading = leading == null ? "" : leading;
        this.trailing = trailing == null ? "" : trailing;
    }

    @Override
    public Object apply(Object value) {
        if (Transform.isEmpty(value)) {
            return null;
        }
        String s = value.toString();
        int from = 0;
        int to = s.length();
        while (from < to && leading.indexOf(s.charAt(from)) >= 0) {
            from++;
        }
        while (to > from && trailing.indexOf(s.charAt(to - 1)) >= 0) {
            to--;
        }
        return from == to ? null : s.substring(from, to);
    }
}
