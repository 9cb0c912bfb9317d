package io.learnbridge.worker;

import java.util.LinkedHashMap;
import java.util.Map;
import java.util.Objects;
import java.util.Set;
import java.util.TreeSet;

/**
 * Change detection, the one piece of code every channel uses (drops, webhooks, Kafka): a
 * canonical record compared with the worker's last known state gives JOIN, MOVE (manager, org
 * unit, job or location changed), UPDATE, LEAVE or NOOP. Rules a user expects:
 * <ul>
 *   <li>a terminated worker who comes back is a JOIN (rehire: the same learner is reactivated);</li>
 *   <li>a leave of absence stays active (an UPDATE) unless the policy deactivates it, and the
 *       return from leave is then a JOIN;</li>
 *   <li>an email change for the same worker id is an UPDATE, never a second learner;</li>
 *   <li>a worker seen for the first time already terminated is a NOOP (nothing to deprovision).</li>
 * </ul>
 * {@code effectiveAt} is not compared: the same state at a later time is a NOOP.
 */
public final class ChangeDetector {

    /** Fields whose change makes a MOVE. */
    public static final Set<String> MOVE_FIELDS = Set.of("managerId", "orgUnit", "jobCode", "jobTitle", "jobFamily", "location");

    private final boolean leaveOfAbsenceDeactivates;

    /** @param leaveOfAbsenceDeactivates whether a leave of absence deactivates the learner (default: stays active) */
    public ChangeDetector(boolean leaveOfAbsenceDeactivates) {
        this.leaveOfAbsenceDeactivates = leaveOfAbsenceDeactivates;
    }

    public boolean leaveOfAbsenceDeactivates() {
        return leaveOfAbsenceDeactivates;
    }

    /** @param before the last known state, or null for a worker never seen */
    public Change detect(CanonicalRecord before, CanonicalRecord after) {
        Map<String, Change.Diff> diff = diff(before, after);
        boolean wasActive = before != null && active(before);
        boolean isActive = active(after);
        String id = after.workerId();
        if (before == null) {
            return isActive ? new Change(id, ChangeKind.JOIN, "new worker", diff, after)
                    : new Change(id, ChangeKind.NOOP, "first seen " + status(after) + ": nothing to provision", diff, after);
        }
        if (!wasActive && isActive) {
            String reason = status(before) == EmploymentStatus.TERMINATED ? "rehire" : "return from leave";
            return new Change(id, ChangeKind.JOIN, reason, diff, after);
        }
        if (wasActive && !isActive) {
            String reason = status(after) == EmploymentStatus.TERMINATED ? "terminated" : "leave of absence";
            return new Change(id, ChangeKind.LEAVE, reason, diff, after);
        }
        if (diff.isEmpty()) {
            return new Change(id, ChangeKind.NOOP, "unchanged", diff, after);
        }
        if (!wasActive) {
            // still inactive: the learning systems are told, but nothing is provisioned
            return new Change(id, ChangeKind.UPDATE, "changed while inactive", diff, after);
        }
        Set<String> moved = new TreeSet<>(diff.keySet());
        moved.retainAll(MOVE_FIELDS);
        if (!moved.isEmpty()) {
            return new Change(id, ChangeKind.MOVE, String.join(", ", moved) + " changed", diff, after);
        }
        if (diff.containsKey("employmentStatus")) {
            return new Change(id, ChangeKind.UPDATE, status(after) == EmploymentStatus.LEAVE_OF_ABSENCE ? "leave of absence" : "return from leave",
                    diff, after);
        }
        return new Change(id, ChangeKind.UPDATE, String.join(", ", new TreeSet<>(diff.keySet())) + " changed", diff, after);
    }

    /** A worker absent from a full snapshot leaves: the last known state, terminated. */
    public Change absent(CanonicalRecord before) {
        CanonicalRecord after = before.with(CanonicalField.EMPLOYMENT_STATUS.fieldName(), EmploymentStatus.TERMINATED.name());
        return new Change(before.workerId(), ChangeKind.LEAVE, "absent from the full snapshot", diff(before, after), after);
    }

    private boolean active(CanonicalRecord record) {
        EmploymentStatus status = status(record);
        return status == EmploymentStatus.ACTIVE || (status == EmploymentStatus.LEAVE_OF_ABSENCE && !leaveOfAbsenceDeactivates);
    }

    private static EmploymentStatus status(CanonicalRecord record) {
        String value = record.get(CanonicalField.EMPLOYMENT_STATUS.fieldName());
        return value == null ? EmploymentStatus.ACTIVE : EmploymentStatus.valueOf(value);
    }

    private static Map<String, Change.Diff> diff(CanonicalRecord before, CanonicalRecord after) {
        Map<String, Change.Diff> diff = new LinkedHashMap<>();
        Set<String> fields = new java.util.LinkedHashSet<>(after.values().keySet());
        if (before != null) {
            fields.addAll(before.values().keySet());
        }
        fields.remove(CanonicalField.EFFECTIVE_AT.fieldName());
        for (String field : fields) {
            String was = before == null ? null : before.get(field);
            String now = after.get(field);
            if (!Objects.equals(was, now)) {
                diff.put(field, new Change.Diff(was, now));
            }
        }
        return diff;
    }
}
