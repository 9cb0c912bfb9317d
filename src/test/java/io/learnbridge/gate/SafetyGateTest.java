package io.learnbridge.gate;

import static org.assertj.core.api.Assertions.assertThat;

import org.junit.jupiter.api.Test;

class SafetyGateTest {

    private static final GatePolicy POLICY = new GatePolicy(500, 20, 0, 100, 30, 50, false);

    @Test
    void deactivationCountsAtTheEdgesOfTheLimit() {
        assertThat(SafetyGate.reasons(leaves(499, 10_000), POLICY)).isEmpty();
        assertThat(SafetyGate.reasons(leaves(500, 10_000), POLICY)).isEmpty();
        assertThat(SafetyGate.reasons(leaves(501, 10_000), POLICY)).singleElement().asString()
                .isEqualTo("501 deactivations exceed the limit of 500");
    }

    @Test
    void deactivationSharesAtTheEdgesOfTheLimit() {
        assertThat(SafetyGate.reasons(leaves(19, 100), POLICY)).isEmpty();
        assertThat(SafetyGate.reasons(leaves(20, 100), POLICY)).isEmpty();
        assertThat(SafetyGate.reasons(leaves(21, 100), POLICY)).singleElement().asString()
                .isEqualTo("21 deactivations are 21.0% of 100 active workers, over the limit of 20%");
    }

    @Test
    void sharesDoNotApplyBelowTheMinimumPopulationOrToAFirstLoad() {
        assertThat(SafetyGate.reasons(new PlanCounts(true, 7, 7, 7, 0, 0, 0, 3, 4), POLICY)).isEmpty();
        assertThat(SafetyGate.reasons(new PlanCounts(true, 0, 1000, null, 1000, 0, 0, 0, 0), POLICY)).isEmpty();
    }

    @Test
    void allChangesHaveTheirOwnLimits() {
        GatePolicy policy = new GatePolicy(500, 20, 100, 50, 30, 50, false);
        assertThat(SafetyGate.reasons(new PlanCounts(false, 1000, 101, null, 0, 101, 0, 0, 0), policy))
                .containsExactly("101 changes exceed the limit of 100");
        assertThat(SafetyGate.reasons(new PlanCounts(false, 100, 60, null, 0, 60, 0, 0, 0), new GatePolicy(500, 20, 0, 50, 30, 50, false)))
                .containsExactly("60 changes are 60.0% of 100 active workers, over the limit of 50%");
    }

    @Test
    void anEmptyOrMuchShorterFullSnapshotIsCaught() {
        assertThat(SafetyGate.reasons(new PlanCounts(true, 10, 0, 10, 0, 0, 0, 0, 0), POLICY)).singleElement().asString()
                .startsWith("the full snapshot has no rows");
        assertThat(SafetyGate.reasons(new PlanCounts(true, 100, 40, 100, 0, 0, 0, 0, 40), new GatePolicy(500, 100, 0, 100, 30, 50, false)))
                .containsExactly("the full snapshot has 40 rows, 60.0% fewer than the last one (100), over the limit of 30%");
        assertThat(SafetyGate.reasons(new PlanCounts(true, 100, 71, 100, 0, 0, 0, 0, 71), POLICY)).isEmpty();
        assertThat(SafetyGate.reasons(new PlanCounts(false, 10, 0, 10, 0, 0, 0, 0, 0), POLICY)).as("an empty delta is nothing to do").isEmpty();
    }

    @Test
    void aSourceCanRequireApprovalOfEveryPlan() {
        assertThat(SafetyGate.reasons(leaves(0, 100), new GatePolicy(500, 20, 0, 100, 30, 50, true)))
                .containsExactly("the source requires approval of every plan");
    }

    @Test
    void theStrictestPolicyOfTheTargetsApplies() {
        GatePolicy strict = POLICY.strictest(new GatePolicy(100, 50, 10, 100, 30, 50, false));
        assertThat(strict.maxDeactivations()).isEqualTo(100);
        assertThat(strict.maxDeactivationPercent()).isEqualTo(20);
        assertThat(strict.maxChanges()).isEqualTo(10);
    }

    private static PlanCounts leaves(int leaves, int population) {
        return new PlanCounts(true, population, population - leaves, population, 0, 0, 0, leaves, population - leaves);
    }
}
