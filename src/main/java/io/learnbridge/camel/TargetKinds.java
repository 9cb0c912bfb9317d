package io.learnbridge.camel;

import io.learnbridge.ops.SettingsException;
import java.util.Arrays;
import java.util.Collections;
import java.util.Optional;
import java.util.Set;
import java.util.TreeSet;
import java.util.function.Function;

/**
 * The change kinds each target takes ({@code learnbridge.targets.<t>.changes = JOIN,MOVE,UPDATE,LEAVE};
 * absent: all of them): an LRS may record only joins and leaves, an LXP may skip updates. A change
 * a target does not take is never queued for it and is counted as "not taken" in reconciliation.
 */
public final class TargetKinds implements Function<String, Set<String>> {

    private static final Set<String> KINDS = Set.of("JOIN", "MOVE", "UPDATE", "LEAVE");

    private final Function<String, Optional<String>> properties;

    public TargetKinds(Function<String, Optional<String>> properties) {
        this.properties = properties;
    }

    /** Each target's kinds once read (they are asked for every change queued); empty for all. */
    private final java.util.Map<String, Optional<Set<String>>> read = new java.util.concurrent.ConcurrentHashMap<>();

    /** The kinds the target takes, or null for all. */
    @Override
    public Set<String> apply(String target) {
        return read.computeIfAbsent(target, t -> Optional.ofNullable(kinds(t))).orElse(null);
    }

    private Set<String> kinds(String target) {
        String key = "learnbridge.targets." + target + ".changes";
        Optional<String> value = properties.apply(key).map(String::strip).filter(s -> !s.isEmpty());
        if (value.isEmpty()) {
            return null;
        }
        Set<String> kinds = new TreeSet<>();
        for (String kind : Arrays.stream(value.get().split(",")).map(String::strip).filter(s -> !s.isEmpty()).toList()) {
            if (!KINDS.contains(kind)) {
                throw new SettingsException(key, "'" + kind + "' is not a change kind: name some of JOIN, MOVE, UPDATE, LEAVE");
            }
            kinds.add(kind);
        }
        return Collections.unmodifiableSet(kinds);
    }
}
