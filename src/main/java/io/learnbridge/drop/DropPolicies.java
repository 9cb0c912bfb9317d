package io.learnbridge.drop;

import io.learnbridge.gate.GatePolicy;
import io.learnbridge.support.SettingValues;
import io.learnbridge.store.DropLedger;
import io.learnbridge.worker.ChangeDetector;
import java.util.List;

/**
 * How each source's drops are planned and gated, from the settings: whether its drops are full
 * snapshots ({@code learnbridge.sources.<s>.snapshot = full|delta}), what a leave of absence means
 * ({@code .leaveOfAbsence = active|deactivate}), and the safety gate's thresholds: defaults in
 * {@code learnbridge.gate.*}, overridden per source ({@code learnbridge.sources.<s>.gate.*}) and
 * per target ({@code learnbridge.targets.<t>.gate.*}); the strictest applies. Types, limits and
 * defaults are the declared ones ({@link io.learnbridge.support.SettingsTree}).
 */
public final class DropPolicies {

    private final SettingValues values;

    public DropPolicies(SettingValues values) {
        this.values = values;
    }

    public DropLedger.Policy of(String source, List<String> targets) {
        SettingValues.Named settings = values.source(source);
        GatePolicy gate = override(settings, global());
        for (String target : targets) {
            gate = gate.strictest(override(values.target(target), gate));
        }
        return new DropLedger.Policy(settings.choice("snapshot").equals("full"), gate,
                new ChangeDetector(settings.choice("leaveOfAbsence").equals("deactivate")));
    }

    /** The gate for a change of the enrolment rules: learnbridge.gate.*, the strictest of every target's the rules name. */
    public GatePolicy rulesGate(java.util.Collection<String> targets) {
        GatePolicy gate = global();
        for (String target : targets) {
            gate = gate.strictest(override(values.target(target), gate));
        }
        return gate;
    }

    private GatePolicy global() {
        return GatePolicy.of(values);
    }

    /** A source's or target's own gate limits ({@code gate.*}), each in place of {@code fallback}'s where set. */
    private static GatePolicy override(SettingValues.Named settings, GatePolicy fallback) {
        return new GatePolicy(
                settings.optionalInteger("gate.maxDeactivations").orElse(fallback.maxDeactivations()),
                settings.optionalInteger("gate.maxDeactivationPercent").orElse(fallback.maxDeactivationPercent()),
                settings.optionalInteger("gate.maxChanges").orElse(fallback.maxChanges()),
                settings.optionalInteger("gate.maxChangePercent").orElse(fallback.maxChangePercent()),
                settings.optionalInteger("gate.maxShrinkPercent").orElse(fallback.maxShrinkPercent()),
                settings.optionalInteger("gate.minPopulation").orElse(fallback.minPopulation()),
                settings.optionalBool("gate.requireApproval").orElse(fallback.requireApproval()));
    }
}
