package io.learnbridge.enrolment;

import io.learnbridge.worker.CanonicalRecord;
import io.learnbridge.worker.ChangeKind;
import java.util.ArrayList;
import java.util.List;
import java.util.SortedMap;
import java.util.SortedSet;
import java.util.TreeMap;

/**
 * "If the rules file changed from this to that, who gains and who loses which curricula": every
 * worker's curricula under both rule sets, compared. Losses follow the rules' {@code onMove}
 * policy (a rule change changes what a role needs, like a move): with {@code keep} nobody is
 * unenrolled and the losses are reported as kept. Pure: sends and writes nothing.
 */
public final class RuleChangeSimulation {

    /** One worker's gains and losses per target. */
    public record WorkerOutcome(String workerId, SortedMap<String, SortedSet<String>> gains, SortedMap<String, SortedSet<String>> losses) {
    }

    /** Every worker with a gain or a loss, and the totals per target and curriculum. */
    public record Result(List<WorkerOutcome> workers, SortedMap<String, SortedMap<String, int[]>> totals) {

        /** "+gained/-lost" per target and curriculum, e.g. {@code lms COURSE-1 +3/-1}. */
        public List<String> summary() {
            List<String> lines = new ArrayList<>();
            totals.forEach((target, byCurriculum) -> byCurriculum.forEach((curriculum, counts) ->
                    lines.add(target + " " + curriculum + " +" + counts[0] + "/-" + counts[1])));
            return lines;
        }
    }

    private RuleChangeSimulation() {
    }

    public static Result run(EnrolmentRules current, EnrolmentRules proposed, Iterable<CanonicalRecord> workers) {
        List<WorkerOutcome> outcomes = new ArrayList<>();
        SortedMap<String, SortedMap<String, int[]>> totals = new TreeMap<>();
        for (CanonicalRecord worker : workers) {
            SortedMap<String, SortedSet<String>> held = current.curricula(worker);
            EnrolmentRules.Changes changes = proposed.changes(held, worker, ChangeKind.MOVE);
            if (changes.isEmpty()) {
                continue;
            }
            outcomes.add(new WorkerOutcome(worker.workerId(), changes.enrol(), changes.unenrol()));
            changes.enrol().forEach((t, ids) -> ids.forEach(id -> totals.computeIfAbsent(t, k -> new TreeMap<>()).computeIfAbsent(id, k -> new int[2])[0]++));
            changes.unenrol().forEach((t, ids) -> ids.forEach(id -> totals.computeIfAbsent(t, k -> new TreeMap<>()).computeIfAbsent(id, k -> new int[2])[1]++));
        }
        return new Result(outcomes, totals);
    }
}
