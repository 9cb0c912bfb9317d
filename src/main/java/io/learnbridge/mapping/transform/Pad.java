package io.learnbridge.mapping.transform;

/**
 * {@code pad: {length, with, side}} — fills a shorter value up to {@code length} characters with
 * {@code with} (one character) on the {@code left} (the default: ids that lost their leading
 * zeros) or the {@code right}. A value of that length or longer is kept as it is; an empty one
 * stays empty.
 */
public final class Pad implements Transform {

    public enum Side { LEFT, RIGHT }

    private final int length;
    private final char with;
    private final Side side;

    public Pad(int length, char with, Side side) {
        if (length < 1) {
            throw new IllegalArgumentException("length must be at least 1");
        }
        this.length = length;
        this.with = with;
        this.side = side;
    }

    @Override
    public Object apply(Object value) {
        if (Transform.isEmpty(value)) {
            return null;
        }
        String s = value.toString();
        if (s.length() >= length) {
            return s;
        }
        String fill = String.valueOf(with).repeat(length - s.length());
        return side == Side.LEFT ? fill + s : s + fill;
    }
}
