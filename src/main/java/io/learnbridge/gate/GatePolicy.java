package io.learnbridge.gate;

/**
 * The safety gate's thresholds for one source and target. A drop is quarantined, before any of
 * its changes is delivered, when it would exceed any of them.
 *
 * @param maxDeactivations most deactivations (LEAVEs) a drop may apply on its own
 * @param maxDeactivationPercent most deactivations as a share of the active population
 * @param maxChanges most changes of any kind (0: no limit)
 * @param maxChangePercent most changes of any kind as a share of the active population
 * @param maxShrinkPercent a full snapshot with this much fewer rows than the last one is suspect
 * @param minPopulation percentages apply from this active population up (a first load is all JOINs)
 * @param requireApproval every plan waits for an operator, whatever its size
 */
public record GatePolicy(int maxDeactivations, int maxDeactivationPercent, int maxChanges, int maxChangePercent,
                         int maxShrinkPercent, int minPopulation, boolean requireApproval) {

    /**
     * The gate as {@code learnbridge.gate.*} set it, each limit unset at its declared default
     * ({@link io.learnbridge.support.SettingsTree}).
     */
    public static GatePolicy of(io.learnbridge.support.SettingValues values) {
        return new GatePolicy(values.integer("learnbridge.gate.maxDeactivations"), values.integer("learnbridge.gate.maxDeactivationPercent"),
                values.integer("learnbridge.gate.maxChanges"), values.integer("learnbridge.gate.maxChangePercent"),
                values.integer("learnbridge.gate.maxShrinkPercent"), values.integer("learnbridge.gate.minPopulation"),
                values.bool("learnbridge.gate.requireApproval"));
    }

    /**
     * The declared defaults of {@code learnbridge.gate.*}, nothing set: Entra stops at 500 deletes, Okta pauses
     * imports unassigning more than 20%, at least as safe.
     */
    public static final GatePolicy DEFAULT = of(io.learnbridge.support.SettingValues.of(key -> java.util.Optional.empty()));

    /** Why this gate quarantines a drop's plan ({@link SafetyGate#reasons}); none: it may be applied unattended. */
    public java.util.List<String> reasons(PlanCounts plan) {
        return SafetyGate.reasons(plan, this);
    }

    /** Why this gate stops a plan of enrolment changes ({@link SafetyGate#enrolmentReasons}), or null. */
    public String enrolmentReasons(int enrolments, int unenrolments, int losing, int changing, int population) {
        return SafetyGate.enrolmentReasons(enrolments, unenrolments, losing, changing, population, this);
    }

    /** The stricter of two policies, field by field (a drop goes to every target of its source). */
    public GatePolicy strictest(GatePolicy other) {
        return new GatePolicy(Math.min(maxDeactivations, other.maxDeactivations),
                Math.min(maxDeactivationPercent, other.maxDeactivationPercent),
                maxChanges == 0 ? other.maxChanges : other.maxChanges == 0 ? maxChanges : Math.min(maxChanges, other.maxChanges),
                Math.min(maxChangePercent, other.maxChangePercent),
                Math.min(maxShrinkPercent, other.maxShrinkPercent),
                Math.min(minPopulation, other.minPopulation),
                requireApproval || other.requireApproval);
    }
}
