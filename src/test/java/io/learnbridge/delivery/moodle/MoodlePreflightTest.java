package io.learnbridge.delivery.moodle;

import static org.assertj.core.api.Assertions.assertThat;

import java.time.Duration;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;

/** The preflight names what a token lacks, from the answers Moodle gives without it (the stand-in answers as Moodle 4.4 does). */
class MoodlePreflightTest {

    private static final String TOKEN = "preflight-token";

    private MoodleStandIn moodle;
    private MoodleClient client;

    @BeforeEach
    void start() {
        moodle = MoodleStandIn.start(TOKEN);
        client = new MoodleClient(new MoodleClient.Config(moodle.site(), TOKEN, Duration.ofSeconds(10)));
    }

    @AfterEach
    void stop() throws Exception {
        client.close();
        moodle.close();
    }

    @Test
    void aTokenWithTheMinimumRolePasses() {
        MoodlePreflight.Report report = MoodlePreflight.check(client, "site", true);
        assertThat(report.passed()).as(report.describe()).isTrue();
        assertThat(report.describe()).isEqualTo("Moodle site as lbws: the token has every function and capability LearnBridge needs");
    }

    @Test
    void withoutViewAllDetailsTheCapabilityIsNamed() {
        moodle.lacks("moodle/user:viewalldetails");
        MoodlePreflight.Report report = MoodlePreflight.check(client, "site", false);
        assertThat(report.problems()).singleElement().asString()
                .startsWith("user lbws lacks capability moodle/user:viewalldetails (system context)");
    }

    @Test
    void withoutCourseUpdateTheCapabilityIsNamedWhenEnrolmentsAreSent() {
        moodle.lacks("moodle/course:update");
        assertThat(MoodlePreflight.check(client, "site", true).problems()).singleElement().asString()
                .startsWith("user lbws lacks capability moodle/course:update (system context)");
        assertThat(MoodlePreflight.check(client, "site", false).passed()).as("not needed without enrolments").isTrue();
    }

    @Test
    void functionsMissingFromTheServiceAreNamed() {
        moodle.withoutFunction("core_cohort_delete_cohort_members").withoutFunction("enrol_manual_unenrol_users");
        assertThat(MoodlePreflight.check(client, "site", true).problems()).singleElement().asString()
                .startsWith("the token's external service lacks functions core_cohort_delete_cohort_members, enrol_manual_unenrol_users");
    }

    @Test
    void aRefusedTokenIsNotCheckedAndSaysWhy() throws Exception {
        try (MoodleClient wrong = new MoodleClient(new MoodleClient.Config(moodle.site(), "wrong", Duration.ofSeconds(10)))) {
            MoodlePreflight.Report report = MoodlePreflight.check(wrong, "site", true);
            assertThat(report.passed()).isFalse();
            assertThat(report.unchecked()).contains("invalidtoken");
        }
    }
}
