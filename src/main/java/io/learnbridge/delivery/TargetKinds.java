package io.learnbridge.delivery;

import io.learnbridge.support.SettingValues;
import java.util.Optional;
import java.util.Set;
import java.util.TreeSet;
import java.util.function.Function;

/**
 * The change kinds each target takes ({@code learnbridge.targets.<t>.changes = JOIN,MOVE,UPDATE,LEAVE};
 * absent: all of them): an LRS may record only joins and leaves, an LXP may skip updates. A change
 * a target does not take is never queued for it and is counted as "not taken" in reconciliation.
 * The kinds a value may name are declared with the setting ({@link io.learnbridge.support.SettingsTree}).
 */
public final class TargetKinds implements Function<String, Set<String>> {

    private final SettingValues values;

    public TargetKinds(SettingValues values) {
        this.values = values;
    }

    /** Each target's kinds once read (they are asked for every change queued); empty for all. */
    private final java.util.Map<String, Optional<Set<String>>> read = new java.util.concurrent.ConcurrentHashMap<>();

    /** The kinds the target takes, or null for all. */
    @Override
    public Set<String> apply(String target) {
        return read.computeIfAbsent(target, t -> Optional.of(values.target(t).list("changes")).filter(kinds -> !kinds.isEmpty())
                .map(kinds -> java.util.Collections.unmodifiableSet(new TreeSet<>(kinds)))).orElse(null);
    }
}
