package io.learnbridge.delivery.moodle;

import static org.assertj.core.api.Assertions.assertThat;

import io.learnbridge.store.EnrolmentOutbox;
import java.time.Duration;
import java.time.Instant;
import java.util.List;
import java.util.Map;
import java.util.concurrent.atomic.AtomicLong;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;

/** Enrolment changes against the Moodle stand-in: courses found by idnumber, manual enrolments made and undone. */
class MoodleEnrolmentsTest {

    private static final String TOKEN = "enrol-token";
    private final AtomicLong ids = new AtomicLong();
    private MoodleStandIn moodle;
    private MoodleClient client;
    private long ada;

    @BeforeEach
    void start() {
        moodle = MoodleStandIn.start(TOKEN);
        client = new MoodleClient(new MoodleClient.Config(moodle.site(), TOKEN, Duration.ofSeconds(10)));
        ada = moodle.addUser(Map.of("username", "ada", "firstname", "Ada", "lastname", "L", "email", "ada@example.com", "idnumber", "E1"));
    }

    @AfterEach
    void stop() throws Exception {
        client.close();
        moodle.close();
    }

    @Test
    void enrolsAsStudentByCourseIdnumberThenUnenrolsAndLooksEachCourseUpOnce() {
        long sec = moodle.addCourse("SEC-101", "Secure coding", true);
        moodle.addCourse("FIRE-LDN", "Fire safety London", true);
        MoodleEnrolments enrolments = new MoodleEnrolments(client);

        List<MoodleEnrolments.Outcome> enrolled = enrolments.apply(ada, List.of(enrol("SEC-101"), enrol("FIRE-LDN")));
        assertThat(enrolled).allMatch(MoodleEnrolments.Outcome::done);
        assertThat(moodle.enrolled("SEC-101")).containsExactly(Map.entry(ada, MoodleEnrolments.DEFAULT_ROLE_ID));
        assertThat(moodle.enrolled("FIRE-LDN")).containsOnlyKeys(ada);
        assertThat(moodle.calls(MoodleEnrolments.ENROL)).as("one call for the batch").isEqualTo(1);
        assertThat(moodle.calls().stream().filter(c -> c.function().equals(MoodleEnrolments.ENROL)).findFirst().orElseThrow().params())
                .containsEntry("enrolments[0][courseid]", String.valueOf(sec)).containsEntry("enrolments[0][roleid]", "5")
                .containsEntry("enrolments[0][userid]", String.valueOf(ada));

        List<MoodleEnrolments.Outcome> unenrolled = enrolments.apply(ada, List.of(unenrol("FIRE-LDN")));
        assertThat(unenrolled).singleElement().satisfies(o -> assertThat(o.done()).isTrue());
        assertThat(moodle.enrolled("FIRE-LDN")).isEmpty();
        assertThat(moodle.enrolled("SEC-101")).containsOnlyKeys(ada);
        assertThat(moodle.calls(MoodleEnrolments.GET_COURSES)).as("courses found are cached").isEqualTo(2);

        assertThat(enrolments.apply(ada, List.of(unenrol("FIRE-LDN")))).as("unenrolling again is no error").allMatch(MoodleEnrolments.Outcome::done);
        assertThat(enrolments.apply(ada, List.of(enrol("SEC-101")))).as("enrolling again is no error").allMatch(MoodleEnrolments.Outcome::done);
    }

    @Test
    void theRoleIsConfigurable() {
        moodle.addCourse("SEC-101", "Secure coding", true);
        assertThat(new MoodleEnrolments(client, 4).apply(ada, List.of(enrol("SEC-101")))).allMatch(MoodleEnrolments.Outcome::done);
        assertThat(moodle.enrolled("SEC-101")).containsExactly(Map.entry(ada, 4));
    }

    @Test
    void anUnknownCourseIdnumberIsAPermanentFailureNamingTheCurriculumAndTheOthersGoThrough() {
        moodle.addCourse("SEC-101", "Secure coding", true);
        List<MoodleEnrolments.Outcome> outcomes = new MoodleEnrolments(client).apply(ada, List.of(enrol("NO-SUCH"), enrol("SEC-101")));
        assertThat(outcomes.get(0).done()).isFalse();
        assertThat(outcomes.get(0).failure().severity()).isEqualTo(MoodleResponses.Severity.RECORD);
        assertThat(outcomes.get(0).failure().reason()).contains("NO-SUCH");
        assertThat(outcomes.get(0).failure().severity().retryable()).isFalse();
        assertThat(outcomes.get(1).done()).isTrue();
        assertThat(moodle.enrolled("SEC-101")).containsOnlyKeys(ada);
    }

    @Test
    void aBatchMoodleRefusesForOneCourseIsNarrowedDownToThatCourse() {
        moodle.addCourse("SEC-101", "Secure coding", true);
        moodle.addCourse("SELF-ONLY", "Self enrolment only", false);
        List<MoodleEnrolments.Outcome> outcomes = new MoodleEnrolments(client).apply(ada, List.of(enrol("SELF-ONLY"), enrol("SEC-101")));
        assertThat(outcomes.get(0).failure()).satisfies(f -> {
            assertThat(f.errorcode()).isEqualTo("wsnoinstance");
            assertThat(f.severity()).isEqualTo(MoodleResponses.Severity.RECORD);
            assertThat(f.reason()).contains("SELF-ONLY");
            assertThat(f.httpStatus()).isEqualTo(200);
        });
        assertThat(outcomes.get(1).done()).isTrue();
        assertThat(moodle.enrolled("SEC-101")).containsOnlyKeys(ada);
        assertThat(moodle.enrolled("SELF-ONLY")).isEmpty();
    }

    @Test
    void anInvalidTokenAnsweredWith200FailsTheWholeBatchAsConfigurationAfterOneCall() throws Exception {
        moodle.addCourse("SEC-101", "Secure coding", true);
        moodle.addCourse("FIRE-LDN", "Fire safety London", true);
        try (MoodleClient wrong = new MoodleClient(new MoodleClient.Config(moodle.site(), "not-the-token", Duration.ofSeconds(10)))) {
            List<MoodleEnrolments.Outcome> outcomes = new MoodleEnrolments(wrong).apply(ada, List.of(enrol("SEC-101"), unenrol("FIRE-LDN")));
            assertThat(outcomes).hasSize(2).allSatisfy(o -> {
                assertThat(o.done()).isFalse();
                assertThat(o.failure().errorcode()).isEqualTo("invalidtoken");
                assertThat(o.failure().severity()).isEqualTo(MoodleResponses.Severity.CONFIGURATION);
                assertThat(o.failure().httpStatus()).isEqualTo(200);
            });
            assertThat(wrong.calls()).as("a site-wide refusal stops the batch").isEqualTo(1);
        }
        assertThat(moodle.enrolled("SEC-101")).isEmpty();
    }

    private EnrolmentOutbox.Change enrol(String curriculum) {
        return change(EnrolmentOutbox.Action.ENROL, curriculum);
    }

    private EnrolmentOutbox.Change unenrol(String curriculum) {
        return change(EnrolmentOutbox.Action.UNENROL, curriculum);
    }

    private EnrolmentOutbox.Change change(EnrolmentOutbox.Action action, String curriculum) {
        return new EnrolmentOutbox.Change(ids.incrementAndGet(), "E1", "moodle", curriculum, action, "JOIN", "JOIN", "SENDING", 1, Instant.now());
    }
}
