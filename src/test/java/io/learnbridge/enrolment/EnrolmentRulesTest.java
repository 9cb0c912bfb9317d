package io.learnbridge.enrolment;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import io.learnbridge.mapping.MappingException;
import io.learnbridge.worker.CanonicalRecord;
import io.learnbridge.worker.ChangeKind;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.SortedMap;
import java.util.SortedSet;
import java.util.TreeMap;
import java.util.TreeSet;
import org.junit.jupiter.api.Test;

class EnrolmentRulesTest {

    private static final String RULES = """
            policy:
              onMove: unenrol
              onLeave: unenrol
            rules:
              - name: engineers take secure coding
                when:
                  jobFamily: [Engineering]
                enrol:
                  lms: [SEC-101]
                  lxp: [PATH-ENG]
              - name: London fire safety
                when: {location: London}
                enrol: {lms: [FIRE-LDN]}
              - name: managers
                when: {jobCode: [MGR-1, MGR-2], employmentStatus: [ACTIVE]}
                enrol: {lms: [LEAD-1]}
            """;

    private final EnrolmentRules rules = EnrolmentRules.parse("rules.yaml", RULES);

    @Test
    void aJoinerIsEnrolledInEverythingTheirRoleNeeds() {
        EnrolmentRules.Changes join = rules.changes(new TreeMap<>(), worker("Engineering", "London", "ENG-1", "ACTIVE"), ChangeKind.JOIN);
        assertThat(join.enrol()).isEqualTo(map("lms", "FIRE-LDN", "SEC-101").with("lxp", "PATH-ENG").build());
        assertThat(join.unenrol()).isEmpty();
    }

    @Test
    void aMoverGainsWhatTheNewRoleNeedsAndLosesWhatOnlyTheOldOneNeeded() {
        CanonicalRecord before = worker("Engineering", "London", "ENG-1", "ACTIVE");
        SortedMap<String, SortedSet<String>> held = rules.curricula(before);
        EnrolmentRules.Changes move = rules.changes(held, worker("Engineering", "Paris", "MGR-1", "ACTIVE"), ChangeKind.MOVE);
        assertThat(move.enrol()).isEqualTo(map("lms", "LEAD-1").build());
        assertThat(move.unenrol()).isEqualTo(map("lms", "FIRE-LDN").build());

        EnrolmentRules keep = EnrolmentRules.parse("keep.yaml", RULES.replace("onMove: unenrol", "onMove: keep"));
        assertThat(keep.changes(held, worker("Engineering", "Paris", "MGR-1", "ACTIVE"), ChangeKind.MOVE).unenrol()).isEmpty();
    }

    @Test
    void aLeaverIsUnenrolledPerPolicy() {
        CanonicalRecord before = worker("Engineering", "London", "ENG-1", "ACTIVE");
        SortedMap<String, SortedSet<String>> held = rules.curricula(before);
        EnrolmentRules.Changes leave = rules.changes(held, worker("Engineering", "London", "ENG-1", "TERMINATED"), ChangeKind.LEAVE);
        assertThat(leave.unenrol()).isEqualTo(held);
        assertThat(EnrolmentRules.apply(held, leave)).isEmpty();
        EnrolmentRules keep = EnrolmentRules.parse("keep.yaml", RULES.replace("onLeave: unenrol", "onLeave: keep"));
        assertThat(keep.changes(held, worker("Engineering", "London", "ENG-1", "TERMINATED"), ChangeKind.LEAVE).isEmpty()).isTrue();
    }

    @Test
    void aRuleChangeIsSimulatedAsGainsAndLossesPerWorker() {
        EnrolmentRules proposed = EnrolmentRules.parse("new.yaml", RULES.replace("lms: [SEC-101]", "lms: [SEC-201]"));
        RuleChangeSimulation.Result result = RuleChangeSimulation.run(rules, proposed, List.of(
                worker("Engineering", "London", "ENG-1", "ACTIVE"), worker("Sales", "London", "SAL-1", "ACTIVE"),
                worker("Engineering", "Paris", "ENG-2", "TERMINATED")));
        assertThat(result.workers()).singleElement().satisfies(w -> {
            assertThat(w.gains()).isEqualTo(map("lms", "SEC-201").build());
            assertThat(w.losses()).isEqualTo(map("lms", "SEC-101").build());
        });
        assertThat(result.summary()).containsExactly("lms SEC-101 +0/-1", "lms SEC-201 +1/-0");
    }

    @Test
    void anUnknownFieldOrAnEmptyEnrolmentNamesFileLineAndField() {
        assertThatThrownBy(() -> EnrolmentRules.parse("bad.yaml", "rules:\n  - name: x\n    when: {grade: [A]}\n    enrol: {lms: [C]}\n"))
                .isInstanceOfSatisfying(MappingException.class, e -> assertThat(e.describe()).contains("bad.yaml:3")
                        .contains("'grade' is not a canonical field"));
        assertThatThrownBy(() -> EnrolmentRules.parse("bad.yaml", "rules:\n  - name: x\n    when: {jobCode: [A]}\n"))
                .isInstanceOf(MappingException.class).hasMessageContaining("has no 'enrol'");
        assertThatThrownBy(() -> EnrolmentRules.parse("bad.yaml", "policy: {onMove: sometimes}\nrules: []\n"))
                .isInstanceOf(MappingException.class).hasMessageContaining("must be unenrol or keep");
    }

    private static CanonicalRecord worker(String jobFamily, String location, String jobCode, String status) {
        Map<String, String> values = new LinkedHashMap<>();
        values.put("workerId", "E1");
        values.put("jobFamily", jobFamily);
        values.put("location", location);
        values.put("jobCode", jobCode);
        values.put("employmentStatus", status);
        return new CanonicalRecord(values);
    }

    private static Builder map(String target, String... ids) {
        return new Builder().with(target, ids);
    }

    private static final class Builder {
        private final SortedMap<String, SortedSet<String>> map = new TreeMap<>();

        Builder with(String target, String... ids) {
            map.put(target, new TreeSet<>(List.of(ids)));
            return this;
        }

        SortedMap<String, SortedSet<String>> build() {
            return map;
        }
    }
}
