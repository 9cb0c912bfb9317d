package io.learnbridge.worker;

import static org.assertj.core.api.Assertions.assertThat;

import java.util.LinkedHashMap;
import java.util.Map;
import org.junit.jupiter.api.Test;

class ChangeDetectorTest {

    private final ChangeDetector detector = new ChangeDetector(false);

    @Test
    void aWorkerSeenForTheFirstTimeJoins() {
        Change change = detector.detect(null, worker("ACTIVE"));
        assertThat(change.kind()).isEqualTo(ChangeKind.JOIN);
        assertThat(change.diff()).containsKey("email");
    }

    @Test
    void theSameStateLaterIsANoop() {
        Change change = detector.detect(worker("ACTIVE"), worker("ACTIVE").with("effectiveAt", "2026-12-01T00:00:00Z"));
        assertThat(change.kind()).isEqualTo(ChangeKind.NOOP);
        assertThat(change.diff()).isEmpty();
    }

    @Test
    void aManagerSwitchOrDepartmentMoveIsAMove() {
        assertThat(detector.detect(worker("ACTIVE"), worker("ACTIVE").with("managerId", "M9")).kind()).isEqualTo(ChangeKind.MOVE);
        Change move = detector.detect(worker("ACTIVE"), worker("ACTIVE").with("orgUnit", "Sales"));
        assertThat(move.kind()).isEqualTo(ChangeKind.MOVE);
        assertThat(move.reason()).isEqualTo("orgUnit changed");
        assertThat(move.diff()).containsExactly(Map.entry("orgUnit", new Change.Diff("Engineering", "Sales")));
    }

    @Test
    void anEmailChangeIsAnUpdateOfTheSameWorker() {
        Change change = detector.detect(worker("ACTIVE"), worker("ACTIVE").with("email", "new@example.com"));
        assertThat(change.kind()).isEqualTo(ChangeKind.UPDATE);
        assertThat(change.workerId()).isEqualTo("E1");
    }

    @Test
    void terminationIsALeaveAndRehireIsAJoin() {
        assertThat(detector.detect(worker("ACTIVE"), worker("TERMINATED")).kind()).isEqualTo(ChangeKind.LEAVE);
        Change rehire = detector.detect(worker("TERMINATED"), worker("ACTIVE"));
        assertThat(rehire.kind()).isEqualTo(ChangeKind.JOIN);
        assertThat(rehire.reason()).isEqualTo("rehire");
        assertThat(detector.detect(worker("TERMINATED"), worker("TERMINATED")).kind()).isEqualTo(ChangeKind.NOOP);
    }

    @Test
    void aLeaveOfAbsenceStaysActiveUnlessThePolicyDeactivates() {
        Change leave = detector.detect(worker("ACTIVE"), worker("LEAVE_OF_ABSENCE"));
        assertThat(leave.kind()).isEqualTo(ChangeKind.UPDATE);
        assertThat(leave.reason()).isEqualTo("leave of absence");
        assertThat(detector.detect(worker("LEAVE_OF_ABSENCE"), worker("ACTIVE")).reason()).isEqualTo("return from leave");

        ChangeDetector deactivating = new ChangeDetector(true);
        assertThat(deactivating.detect(worker("ACTIVE"), worker("LEAVE_OF_ABSENCE")).kind()).isEqualTo(ChangeKind.LEAVE);
        Change back = deactivating.detect(worker("LEAVE_OF_ABSENCE"), worker("ACTIVE"));
        assertThat(back.kind()).isEqualTo(ChangeKind.JOIN);
        assertThat(back.reason()).isEqualTo("return from leave");
    }

    @Test
    void aTerminatedWorkerNeverSeenBeforeIsNotProvisioned() {
        assertThat(detector.detect(null, worker("TERMINATED")).kind()).isEqualTo(ChangeKind.NOOP);
    }

    @Test
    void aWorkerAbsentFromAFullSnapshotLeavesWithTheirLastStateTerminated() {
        Change change = detector.absent(worker("ACTIVE"));
        assertThat(change.kind()).isEqualTo(ChangeKind.LEAVE);
        assertThat(change.reason()).isEqualTo("absent from the full snapshot");
        assertThat(change.after().get("employmentStatus")).isEqualTo("TERMINATED");
        assertThat(change.after().get("email")).isEqualTo("e1@example.com");
    }

    private static CanonicalRecord worker(String status) {
        Map<String, String> values = new LinkedHashMap<>();
        values.put("workerId", "E1");
        values.put("email", "e1@example.com");
        values.put("givenName", "Ada");
        values.put("familyName", "Lovelace");
        values.put("managerId", "M1");
        values.put("orgUnit", "Engineering");
        values.put("employmentStatus", status);
        values.put("effectiveAt", "2026-11-01T00:00:00Z");
        return new CanonicalRecord(values);
    }
}
