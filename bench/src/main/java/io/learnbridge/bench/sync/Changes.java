package io.learnbridge.bench.sync;

import java.util.Locale;

/**
 * Changes of one drop by kind, as the generator intended them or as a pipeline found them. The
 * REST JSON LMS target gets one PUT of the worker's newest state per JOIN, MOVE, UPDATE and LEAVE
 * (a leaver is sent with {@code active: false}), none per NOOP.
 */
public record Changes(long joins, long moves, long updates, long leaves, long noops) {

    public static final Changes NONE = new Changes(0, 0, 0, 0, 0);

    /** The PUTs these changes make: every change but a NOOP. */
    public long puts() {
        return joins + moves + updates + leaves;
    }

    @Override
    public String toString() {
        return String.format(Locale.ROOT, "JOIN %,d, MOVE %,d, UPDATE %,d, LEAVE %,d, NOOP %,d", joins, moves, updates, leaves, noops);
    }
}
