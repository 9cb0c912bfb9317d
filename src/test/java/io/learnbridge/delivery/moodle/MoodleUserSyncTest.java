package io.learnbridge.delivery.moodle;

import static org.assertj.core.api.Assertions.assertThat;

import com.fasterxml.jackson.databind.node.JsonNodeFactory;
import com.fasterxml.jackson.databind.node.ObjectNode;
import io.learnbridge.delivery.moodle.MoodleResponses.Severity;
import io.learnbridge.delivery.moodle.MoodleUserSync.Change;
import io.learnbridge.delivery.moodle.MoodleUserSync.Done;
import io.learnbridge.delivery.moodle.MoodleUserSync.Failed;
import io.learnbridge.delivery.moodle.MoodleUserSync.Outcome;
import io.learnbridge.worker.ChangeKind;
import java.time.Duration;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;

/**
 * {@link MoodleUserSync} against the Moodle stand-in, without the bridge: which functions are
 * called with what, and what becomes of each worker of a batch.
 */
class MoodleUserSyncTest {

    private static final String TOKEN = "ws-token";

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
    void joinersAreCreatedWithTheAuthMethodAndAGeneratedPasswordInOneRequestAndJoinTheirOrgUnitCohort() {
        MoodleUserSync sync = new MoodleUserSync(client, "oauth2");

        Map<String, Outcome> outcomes = sync.apply(List.of(join("E1", "Engineering"), join("E2", "Engineering")));

        assertThat(outcomes.values()).containsOnly(new Done("created"));
        assertThat(moodle.calls("core_user_create_users")).as("one request for the batch").isEqualTo(1);
        MoodleStandIn.Call create = moodle.calls().stream().filter(c -> c.function().equals("core_user_create_users")).findFirst().orElseThrow();
        assertThat(create.params()).containsEntry("users[0][username]", "e1@example.com").containsEntry("users[0][idnumber]", "E1")
                .containsEntry("users[0][auth]", "oauth2").containsEntry("users[0][createpassword]", "1")
                .containsEntry("users[1][department]", "Engineering")
                .doesNotContainKey("users[0][suspended]");
        assertThat(moodle.user("E1")).hasValueSatisfying(u -> assertThat(u).containsEntry("auth", "oauth2").containsEntry("suspended", "0"));
        assertThat(moodle.members("org-Engineering")).containsExactly("E1", "E2");
        assertThat(moodle.calls("core_cohort_create_cohorts")).as("the cohort is created once, then known").isEqualTo(1);
        assertThat(moodle.cohort("org-Engineering")).hasValueSatisfying(c -> assertThat(c.name()).isEqualTo("Engineering"));
    }

    @Test
    void aMoverLeavesTheCohortOfTheDepartmentMoodleShowsAndJoinsTheNewOneWhileTheUsernameIsKept() {
        MoodleUserSync sync = new MoodleUserSync(client, "manual");
        sync.apply(List.of(join("E1", "Engineering")));
        ObjectNode moved = fields("E1", "Sales", 0);
        moved.put("email", "e1.new@example.com");
        moved.put("username", "e1.new@example.com");

        Map<String, Outcome> outcomes = sync.apply(List.of(new Change("E1", ChangeKind.MOVE, moved)));

        assertThat(outcomes).containsEntry("E1", new Done("updated, active"));
        assertThat(moodle.user("E1")).hasValueSatisfying(u -> assertThat(u).containsEntry("department", "Sales")
                .containsEntry("email", "e1.new@example.com").containsEntry("username", "e1@example.com"));
        assertThat(moodle.members("org-Engineering")).isEmpty();
        assertThat(moodle.members("org-Sales")).containsExactly("E1");
    }

    @Test
    void aLeaverIsSuspendedNeverDeletedAndARehireIsReactivatedAndBackInItsCohort() {
        MoodleUserSync sync = new MoodleUserSync(client, "manual");
        sync.apply(List.of(join("E1", "Engineering")));

        assertThat(sync.apply(List.of(new Change("E1", ChangeKind.LEAVE, fields("E1", "Engineering", 1))))).containsEntry("E1", new Done("suspended"));
        assertThat(moodle.user("E1")).hasValueSatisfying(u -> assertThat(u).containsEntry("suspended", "1"));
        assertThat(moodle.userCount()).isEqualTo(1);

        assertThat(sync.apply(List.of(join("E1", "Engineering")))).containsEntry("E1", new Done("updated, active"));
        assertThat(moodle.user("E1")).hasValueSatisfying(u -> assertThat(u).containsEntry("suspended", "0"));
        assertThat(moodle.members("org-Engineering")).containsExactly("E1");
        assertThat(moodle.calls()).extracting(MoodleStandIn.Call::function).doesNotContain("core_user_delete_users");
    }

    @Test
    void withoutASuspendedFieldInTheMappingALeaveSuspendsAndAJoinReactivates() {
        MoodleUserSync sync = new MoodleUserSync(client, "manual");
        sync.apply(List.of(join("E1", "Engineering")));
        ObjectNode noStatus = fields("E1", "Engineering", 0);
        noStatus.remove("suspended");

        sync.apply(List.of(new Change("E1", ChangeKind.LEAVE, noStatus)));
        assertThat(moodle.user("E1")).hasValueSatisfying(u -> assertThat(u).containsEntry("suspended", "1"));
        sync.apply(List.of(new Change("E1", ChangeKind.JOIN, noStatus)));
        assertThat(moodle.user("E1")).hasValueSatisfying(u -> assertThat(u).containsEntry("suspended", "0"));
    }

    @Test
    void aMappingWithoutDepartmentLeavesCohortsAlone() {
        MoodleUserSync sync = new MoodleUserSync(client, "manual");
        sync.apply(List.of(join("E1", "Engineering")));
        ObjectNode noDepartment = fields("E1", "Engineering", 0);
        noDepartment.remove("department");
        long cohortCalls = moodle.calls().stream().filter(c -> c.function().startsWith("core_cohort_")).count();

        assertThat(sync.apply(List.of(new Change("E1", ChangeKind.MOVE, noDepartment)))).containsEntry("E1", new Done("updated, active"));
        assertThat(moodle.calls().stream().filter(c -> c.function().startsWith("core_cohort_")).count()).isEqualTo(cohortCalls);
        assertThat(moodle.members("org-Engineering")).containsExactly("E1");
    }

    @Test
    void aLeaverMoodleNeverHadIsNotCreated() {
        Map<String, Outcome> outcomes = new MoodleUserSync(client, "manual")
                .apply(List.of(new Change("E9", ChangeKind.LEAVE, fields("E9", "Engineering", 1))));

        assertThat(outcomes).containsEntry("E9", new Done("not in Moodle: nothing to suspend"));
        assertThat(moodle.userCount()).isZero();
    }

    @Test
    void aUsernameTakenByAnAccountWithoutTheWorkerIdGetsTheWorkersSuffixAndEveryoneIsCreatedInOneRequest() {
        moodle.addUser(Map.of("username", "e2@example.com", "email", "someone@example.com", "firstname", "Hand", "lastname", "Made"));

        Map<String, Outcome> outcomes = new MoodleUserSync(client, "manual")
                .apply(List.of(join("E1", "Engineering"), join("E2", "Engineering"), join("E3", "Engineering")));

        assertThat(outcomes.values()).containsOnly(new Done("created"));
        assertThat(moodle.user("E2")).hasValueSatisfying(u -> assertThat(u).containsEntry("username", "e2.e2@example.com"));
        assertThat(moodle.calls("core_user_create_users")).as("checked first, so Moodle refuses nothing").isEqualTo(1);
        assertThat(moodle.members("org-Engineering")).containsExactly("E1", "E2", "E3");
    }

    @Test
    void anEmailChangeNeverMakesALaterHireCollideWithTheUsernameKept() {
        MoodleUserSync sync = new MoodleUserSync(client, "manual");
        sync.apply(List.of(join("E1", "Engineering")));
        ObjectNode married = fields("E1", "Engineering", 0);
        married.put("email", "e1.new@example.com");
        married.put("username", "e1.new@example.com");
        sync.apply(List.of(new Change("E1", ChangeKind.UPDATE, married)));
        // a new hire is given the address E1 had: its username is still E1's
        ObjectNode newcomer = fields("E7", "Sales", 0);
        newcomer.put("email", "e1@example.com");
        newcomer.put("username", "e1@example.com");

        assertThat(sync.apply(List.of(new Change("E7", ChangeKind.JOIN, newcomer)))).containsEntry("E7", new Done("created"));
        assertThat(moodle.user("E7")).hasValueSatisfying(u -> assertThat(u).containsEntry("username", "e1.e7@example.com")
                .containsEntry("email", "e1@example.com"));
        assertThat(moodle.user("E1")).hasValueSatisfying(u -> assertThat(u).containsEntry("username", "e1@example.com"));
    }

    @Test
    void usernamesAreNormalisedToMoodlesRuleBeforeMoodleCanRefuseThem() {
        ObjectNode sean = fields("E1", "Sales", 0);
        sean.put("username", " Sean+LMS@Example.com ");
        sean.put("email", "sean+lms@example.com");
        ObjectNode jurgen = fields("E2", "Sales", 0);
        jurgen.put("username", "Jürgen O'Brien-Straße");
        ObjectNode nothingLeft = fields("E3", "Sales", 0);
        nothingLeft.put("username", "+++");

        Map<String, Outcome> outcomes = new MoodleUserSync(client, "manual").apply(List.of(new Change("E1", ChangeKind.JOIN, sean),
                new Change("E2", ChangeKind.JOIN, jurgen), new Change("E3", ChangeKind.JOIN, nothingLeft)));

        assertThat(outcomes).containsEntry("E1", new Done("created")).containsEntry("E2", new Done("created"));
        assertThat(moodle.user("E1")).hasValueSatisfying(u -> assertThat(u).containsEntry("username", "seanlms@example.com")
                .containsEntry("email", "sean+lms@example.com"));
        assertThat(moodle.user("E2")).hasValueSatisfying(u -> assertThat(u).containsEntry("username", "jurgenobrien-strasse"));
        assertThat(outcomes.get("E3")).isInstanceOfSatisfying(Failed.class, f -> {
            assertThat(f.failure().errorcode()).isEqualTo("nousername");
            assertThat(f.failure().reason()).contains("empty under Moodle's username rule");
        });
    }

    @Test
    void aDuplicateEmailIsQueuedSayingSoWhereMoodleWouldOnlySayInvalidParameter() {
        long handMade = moodle.addUser(Map.of("username", "someone", "email", "e2@example.com", "firstname", "Hand", "lastname", "Made"));

        Map<String, Outcome> outcomes = new MoodleUserSync(client, "manual").apply(List.of(join("E1", "Engineering"), join("E2", "Engineering")));

        assertThat(outcomes).containsEntry("E1", new Done("created"));
        assertThat(outcomes.get("E2")).isInstanceOfSatisfying(Failed.class, f -> {
            assertThat(f.failure().severity()).isEqualTo(Severity.RECORD);
            assertThat(f.failure().errorcode()).isEqualTo("duplicateemail");
            assertThat(f.failure().reason()).isEqualTo("the email is already used by Moodle account id " + handMade
                    + " (no idnumber: if it is this worker's, set its idnumber to E2 and replay); Moodle refuses duplicate emails");
        });
        assertThat(moodle.calls("core_user_create_users")).isEqualTo(1);
    }

    @Test
    void aSiteThatAllowsDuplicateEmailsIsNotCheckedForThem() {
        moodle.addUser(Map.of("username", "someone", "email", "e2@example.com", "firstname", "Hand", "lastname", "Made"));
        MoodleUserSync sync = new MoodleUserSync(client, "manual", new MoodleUserSync.Options(true, true));

        // the stand-in refuses duplicates as Moodle's default does: the refusal now comes from Moodle, with debugging off
        Map<String, Outcome> outcomes = sync.apply(List.of(join("E2", "Engineering")));

        assertThat(outcomes.get("E2")).isInstanceOfSatisfying(Failed.class, f -> assertThat(f.failure().reason())
                .isEqualTo("core_user_create_users: Moodle refused (invalidparameter): Invalid parameter value detected"));
        assertThat(moodle.calls()).extracting(MoodleStandIn.Call::function).doesNotContain("core_cohort_add_cohort_members")
                .filteredOn(f -> f.equals("core_user_get_users_by_field")).hasSize(2);
    }

    @Test
    void aCohortBehind250SimilarlyNamedOnesIsFoundPageByPageAndALeaverLeavesIt() {
        for (int i = 0; i < 250; i++) {
            moodle.addCohort("org-Sales " + i, "Sales " + i);
        }
        moodle.addCohort("org-Sales", "Sales team"); // sorted after all of them by name: on the search's second page

        MoodleUserSync sync = new MoodleUserSync(client, "manual");
        assertThat(sync.apply(List.of(join("E1", "Sales")))).containsEntry("E1", new Done("created"));

        assertThat(moodle.members("org-Sales")).containsExactly("E1");
        assertThat(moodle.calls("core_cohort_create_cohorts")).as("found, not created again").isZero();
        assertThat(moodle.calls("core_cohort_search_cohorts")).as("two pages of 200").isEqualTo(2);

        assertThat(sync.apply(List.of(new Change("E1", ChangeKind.LEAVE, fields("E1", "Sales", 1))))).containsEntry("E1", new Done("suspended"));
        assertThat(moodle.members("org-Sales")).as("a leaver is in no org-unit cohort").isEmpty();
    }

    @Test
    void membershipsAreAddedAndRemovedInOneRequestForTheWholeBatch() {
        MoodleUserSync sync = new MoodleUserSync(client, "manual");
        sync.apply(List.of(join("E1", "Engineering"), join("E2", "Engineering"), join("E3", "Engineering")));
        assertThat(moodle.calls("core_cohort_add_cohort_members")).as("three joiners, one request").isEqualTo(1);

        sync.apply(List.of(new Change("E1", ChangeKind.MOVE, fields("E1", "Sales", 0)), new Change("E2", ChangeKind.MOVE, fields("E2", "Sales", 0)),
                new Change("E3", ChangeKind.MOVE, fields("E3", "Sales", 0))));

        assertThat(moodle.members("org-Sales")).containsExactly("E1", "E2", "E3");
        assertThat(moodle.members("org-Engineering")).isEmpty();
        assertThat(moodle.calls("core_cohort_add_cohort_members")).as("three movers, one more request").isEqualTo(2);
        assertThat(moodle.calls("core_cohort_delete_cohort_members")).isEqualTo(1);
    }

    @Test
    void aLeaverKeepsTheCohortWhenTheSiteSaysSo() {
        MoodleUserSync sync = new MoodleUserSync(client, "manual", new MoodleUserSync.Options(false, false));
        sync.apply(List.of(join("E1", "Sales")));
        sync.apply(List.of(new Change("E1", ChangeKind.LEAVE, fields("E1", "Sales", 1))));
        assertThat(moodle.members("org-Sales")).containsExactly("E1");
    }

    @Test
    void aWarningOnOneUpdateFailsThatWorkerOnly() {
        MoodleUserSync sync = new MoodleUserSync(client, "manual");
        sync.apply(List.of(join("E1", "Engineering"), join("E2", "Engineering")));
        ObjectNode clash = fields("E2", "Engineering", 0);
        clash.put("email", "e1@example.com");

        Map<String, Outcome> outcomes = sync.apply(List.of(new Change("E1", ChangeKind.UPDATE, fields("E1", "Engineering", 0)),
                new Change("E2", ChangeKind.UPDATE, clash)));

        assertThat(outcomes).containsEntry("E1", new Done("updated, active"));
        assertThat(outcomes.get("E2")).isInstanceOfSatisfying(Failed.class, f -> {
            assertThat(f.failure().severity()).isEqualTo(Severity.RECORD);
            assertThat(f.failure().errorcode()).isEqualTo("warning:useremailduplicate");
            assertThat(f.failure().reason()).contains("Duplicate email address: e1@example.com");
        });
        assertThat(moodle.calls("core_user_update_users")).as("one request; the warning names its user").isEqualTo(1);
    }

    @Test
    void twoMoodleAccountsWithTheWorkersIdnumberAreReportedNotGuessed() {
        moodle.addUser(Map.of("username", "a", "email", "a@example.com", "firstname", "A", "lastname", "A", "idnumber", "E1"));
        moodle.addUser(Map.of("username", "b", "email", "b@example.com", "firstname", "B", "lastname", "B", "idnumber", "E1"));

        Map<String, Outcome> outcomes = new MoodleUserSync(client, "manual").apply(List.of(join("E1", "Engineering")));

        assertThat(outcomes.get("E1")).isInstanceOfSatisfying(Failed.class, f -> {
            assertThat(f.failure().errorcode()).isEqualTo("duplicateidnumber");
            assertThat(f.failure().reason()).startsWith("2 Moodle users have idnumber E1");
        });
        assertThat(moodle.calls("core_user_update_users")).isZero();
    }

    @Test
    void aWrongTokenFailsEveryWorkerOfTheBatchAfterOneCall() {
        MoodleClient wrong = new MoodleClient(new MoodleClient.Config(moodle.site(), "not-the-token", Duration.ofSeconds(10)));

        Map<String, Outcome> outcomes = new MoodleUserSync(wrong, "manual").apply(List.of(join("E1", "Sales"), join("E2", "Sales")));

        assertThat(outcomes).hasSize(2).allSatisfy((key, outcome) -> assertThat(outcome).isInstanceOfSatisfying(Failed.class, f -> {
            assertThat(f.failure().severity()).isEqualTo(Severity.CONFIGURATION);
            assertThat(f.failure().errorcode()).isEqualTo("invalidtoken");
        }));
        assertThat(moodle.calls()).hasSize(1);
    }

    @Test
    void anUnreachableSiteFailsTheBatchAsUnavailableWithoutFurtherCalls() throws Exception {
        java.net.URI site = moodle.site();
        moodle.close();
        MoodleClient down = new MoodleClient(new MoodleClient.Config(site, TOKEN, Duration.ofSeconds(2)));

        Map<String, Outcome> outcomes = new MoodleUserSync(down, "manual").apply(List.of(join("E1", "Sales"), join("E2", "Sales")));

        assertThat(outcomes.values()).allSatisfy(o -> assertThat(((Failed) o).failure().severity()).isEqualTo(Severity.UNAVAILABLE));
        assertThat(down.calls()).isEqualTo(1);
        moodle = MoodleStandIn.start(TOKEN); // for stop()
    }

    private static Change join(String id, String department) {
        return new Change(id, ChangeKind.JOIN, fields(id, department, 0));
    }

    private static ObjectNode fields(String id, String department, int suspended) {
        ObjectNode fields = JsonNodeFactory.instance.objectNode();
        fields.put("idnumber", id);
        fields.put("username", id.toLowerCase() + "@example.com");
        fields.put("email", id.toLowerCase() + "@example.com");
        fields.put("firstname", "Given" + id);
        fields.put("lastname", "Family" + id);
        fields.put("department", department);
        fields.putNull("institution");
        fields.put("city", "London");
        fields.put("suspended", suspended);
        return fields;
    }
}
