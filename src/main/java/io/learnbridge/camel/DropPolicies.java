package io.learnbridge.camel;

import io.learnbridge.gate.GatePolicy;
import io.learnbridge.ops.SettingsException;
import io.learnbridge.store.DropLedger;
import io.learnbridge.worker.ChangeDetector;
import java.util.List;
import java.util.Optional;
import java.util.function.Function;

/**
 * How each source's drops are planned and gated, from the settings: whether its drops are full
 * snapshots ({@code learnbridge.sources.<s>.snapshot = full|delta}), what a leave of absence means
 * ({@code .leaveOfAbsence = active|deactivate}), and the safety gate's thresholds: defaults in
 * {@code learnbridge.gate.*}, overridden per source ({@code learnbridge.sources.<s>.gate.*}) and
 * per target ({@code learnbridge.targets.<t>.gate.*}); the strictest applies.
 */
public final class DropPolicies {

    private final Function<String, Optional<String>> properties;

    public DropPolicies(Function<String, Optional<String>> properties) {
        this.properties = properties;
    }

    public DropLedger.Policy of(String source, List<String> targets) {
        String prefix = "learnbridge.sources." + source + ".";
        String snapshot = text(prefix + "snapshot").orElse("delta");
        if (!snapshot.equals("full") && !snapshot.equals("delta")) {
            throw new SettingsException(prefix + "snapshot", "must be full or delta, found '" + snapshot + "'");
        }
        String leave = text(prefix + "leaveOfAbsence").orElse("active");
        if (!leave.equals("active") && !leave.equals("deactivate")) {
            throw new SettingsException(prefix + "leaveOfAbsence", "must be active or deactivate, found '" + leave + "'");
        }
        GatePolicy gate = gate("learnbridge.gate.", GatePolicy.DEFAULT);
        gate = gate(prefix + "gate.", gate);
        for (String target : targets) {
            gate = gate.strictest(gate("learnbridge.targets." + target + ".gate.", gate));
        }
        return new DropLedger.Policy(snapshot.equals("full"), gate, new ChangeDetector(leave.equals("deactivate")));
    }

    /** The gate for a change of the enrolment rules: learnbridge.gate.*, the strictest of every target's the rules name. */
    public GatePolicy rulesGate(java.util.Collection<String> targets) {
        GatePolicy gate = gate("learnbridge.gate.", GatePolicy.DEFAULT);
        for (String target : targets) {
            gate = gate.strictest(gate("learnbridge.targets." + target + ".gate.", gate));
        }
        return gate;
    }

    private GatePolicy gate(String prefix, GatePolicy fallback) {
        return new GatePolicy(
                integer(prefix + "maxDeactivations", fallback.maxDeactivations()),
                percent(prefix + "maxDeactivationPercent", fallback.maxDeactivationPercent()),
                integer(prefix + "maxChanges", fallback.maxChanges()),
                percent(prefix + "maxChangePercent", fallback.maxChangePercent()),
                percent(prefix + "maxShrinkPercent", fallback.maxShrinkPercent()),
                integer(prefix + "minPopulation", fallback.minPopulation()),
                text(prefix + "requireApproval").map(v -> bool(prefix + "requireApproval", v)).orElse(fallback.requireApproval()));
    }

    private Optional<String> text(String key) {
        return properties.apply(key).map(String::strip).filter(s -> !s.isEmpty());
    }

    private int integer(String key, int fallback) {
        Optional<String> value = text(key);
        try {
            int n = value.map(Integer::parseInt).orElse(fallback);
            if (n < 0) {
                throw new SettingsException(key, "must not be negative, found " + n);
            }
            return n;
        } catch (NumberFormatException e) {
            throw new SettingsException(key, "must be a whole number, found '" + value.orElse("") + "'");
        }
    }

    private int percent(String key, int fallback) {
        int n = integer(key, fallback);
        if (n > 100) {
            throw new SettingsException(key, "must be a percentage from 0 to 100, found " + n);
        }
        return n;
    }

    private static boolean bool(String key, String value) {
        if (!value.equals("true") && !value.equals("false")) {
            throw new SettingsException(key, "must be true or false, found '" + value + "'");
        }
        return Boolean.parseBoolean(value);
    }
}
