package io.learnbridge.worker;

import java.util.Map;

/**
 * A worker's change: its kind, why (e.g. "rehire", "absent from the full snapshot"), and the
 * field-by-field difference from the last known state ({@code field -> [before, after]}, nulls
 * for absent values). {@code after} is the state the change leads to.
 */
public record Change(String workerId, ChangeKind kind, String reason, Map<String, Diff> diff, CanonicalRecord after) {

    /** One field's values before and after. */
    public record Diff(String before, String after) {
    }

    public boolean isNoop() {
        return kind == ChangeKind.NOOP;
    }
}
