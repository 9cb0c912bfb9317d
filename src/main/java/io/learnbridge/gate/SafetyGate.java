package io.learnbridge.gate;

import java.util.ArrayList;
import java.util.List;

/**
 * Decides whether a drop's plan may be applied unattended. Every threshold that is crossed is a
 * reason; any reason quarantines the whole drop (all or nothing) until an operator approves it.
 * Limits are inclusive: 500 deactivations at a limit of 500 pass, 501 do not.
 */
public final class SafetyGate {

    private SafetyGate() {
    }

    public static List<String> reasons(PlanCounts plan, GatePolicy policy) {
        List<String> reasons = new ArrayList<>();
        if (plan.leaves() > policy.maxDeactivations()) {
            reasons.add(plan.leaves() + " deactivations exceed the limit of " + policy.maxDeactivations());
        }
        boolean percentages = plan.population() >= policy.minPopulation() && plan.population() > 0;
        if (percentages && plan.leaves() * 100L > (long) policy.maxDeactivationPercent() * plan.population()) {
            reasons.add(plan.leaves() + " deactivations are " + percent(plan.leaves(), plan.population()) + " of " + plan.population()
                    + " active workers, over the limit of " + policy.maxDeactivationPercent() + "%");
        }
        if (policy.maxChanges() > 0 && plan.changes() > policy.maxChanges()) {
            reasons.add(plan.changes() + " changes exceed the limit of " + policy.maxChanges());
        }
        if (percentages && plan.changes() * 100L > (long) policy.maxChangePercent() * plan.population()) {
            reasons.add(plan.changes() + " changes are " + percent(plan.changes(), plan.population()) + " of " + plan.population()
                    + " active workers, over the limit of " + policy.maxChangePercent() + "%");
        }
        if (plan.fullSnapshot() && plan.rows() == 0 && plan.population() > 0) {
            reasons.add("the full snapshot has no rows (empty or header only) while " + plan.population() + " workers are active");
        }
        if (plan.fullSnapshot() && plan.rows() > 0 && plan.previousRows() != null && plan.previousRows() > 0
                && plan.rows() * 100L < (long) (100 - policy.maxShrinkPercent()) * plan.previousRows()) {
            reasons.add("the full snapshot has " + plan.rows() + " rows, " + percent(plan.previousRows() - plan.rows(), plan.previousRows())
                    + " fewer than the last one (" + plan.previousRows() + "), over the limit of " + policy.maxShrinkPercent() + "%");
        }
        if (policy.requireApproval() && reasons.isEmpty()) {
            reasons.add("the source requires approval of every plan");
        }
        return reasons;
    }

    private static String percent(long part, long whole) {
        return String.format(java.util.Locale.ROOT, "%.1f%%", part * 100.0 / whole);
    }

    /**
     * Why the gate stops a plan of enrolment changes (a changed rules file applied to every stored worker), or null.
     * The thresholds are the drops' ({@code learnbridge.gate.*}, the strictest of the rules' targets): unenrolments
     * count as deactivations, workers losing an enrolment against {@code maxDeactivationPercent}, workers changing
     * against {@code maxChangePercent}.
     */
    public static String enrolmentReasons(int enrolments, int unenrolments, int losing, int changing, int population, GatePolicy gate) {
        List<String> reasons = new ArrayList<>();
        if (unenrolments > gate.maxDeactivations()) {
            reasons.add(unenrolments + " unenrolments exceed the limit of " + gate.maxDeactivations() + " (maxDeactivations)");
        }
        if (gate.maxChanges() > 0 && enrolments + unenrolments > gate.maxChanges()) {
            reasons.add((enrolments + unenrolments) + " enrolment changes exceed the limit of " + gate.maxChanges() + " (maxChanges)");
        }
        if (population >= gate.minPopulation() && population > 0) {
            if (losing * 100L > (long) gate.maxDeactivationPercent() * population) {
                reasons.add(losing + " of " + population + " active workers would lose enrolments, over " + gate.maxDeactivationPercent()
                        + "% (maxDeactivationPercent)");
            }
            if (changing * 100L > (long) gate.maxChangePercent() * population) {
                reasons.add(changing + " of " + population + " active workers would change, over " + gate.maxChangePercent()
                        + "% (maxChangePercent)");
            }
        }
        if (gate.requireApproval() && changing > 0) {
            reasons.add("every change waits for an operator (requireApproval)");
        }
        return reasons.isEmpty() ? null : String.join("; ", reasons);
    }
}
