package io.learnbridge.gate;

/**
 * What a drop's plan would do, as the gate sees it.
 *
 * @param population active workers of the source before the drop
 * @param rows data rows in the file (accepted or not)
 * @param previousRows data rows of the source's last full snapshot, or null for the first one
 */
public record PlanCounts(boolean fullSnapshot, int population, int rows, Integer previousRows,
                         int joins, int moves, int updates, int leaves, int unchanged) {

    public int changes() {
        return joins + moves + updates + leaves;
    }
}
