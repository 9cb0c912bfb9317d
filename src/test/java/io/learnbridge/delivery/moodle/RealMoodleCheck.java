package io.learnbridge.delivery.moodle;

import static org.assertj.core.api.Assertions.assertThat;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.node.JsonNodeFactory;
import com.fasterxml.jackson.databind.node.ObjectNode;
import io.learnbridge.store.EnrolmentOutbox;
import io.learnbridge.delivery.moodle.MoodleUserSync.Change;
import io.learnbridge.delivery.moodle.MoodleUserSync.Done;
import io.learnbridge.delivery.moodle.MoodleUserSync.Failed;
import io.learnbridge.worker.ChangeKind;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.Set;
import java.util.TreeSet;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.condition.EnabledIfEnvironmentVariable;

/**
 * The Moodle adapter against a real Moodle with the least-privilege token: not part of the suite
 * (its name matches no test pattern); run it with {@code mvn -Preal-moodle test} after
 * {@code ../shared/moodle/setup.sh} and {@code set -a; . /tmp/real-moodle/env; set +a}
 * (MOODLE_URL, MOODLE_WS_TOKEN, and courses SEC-101 and FIRE-LDN). Every run uses fresh worker ids.
 */
@EnabledIfEnvironmentVariable(named = "MOODLE_URL", matches = ".+")
@EnabledIfEnvironmentVariable(named = "MOODLE_WS_TOKEN", matches = ".+")
class RealMoodleCheck {

    private static final String RUN = Long.toString(System.currentTimeMillis() % 2_000_000_000L, 36);
    private static MoodleClient client;

    @BeforeAll
    static void connect() {
        client = new MoodleClient(new MoodleClient.Config(java.net.URI.create(System.getenv("MOODLE_URL")), System.getenv("MOODLE_WS_TOKEN"),
                Duration.ofSeconds(60)));
    }

    @AfterAll
    static void close() throws Exception {
        client.close();
    }

    @Test
    void theLeastPrivilegeTokenPassesThePreflight() {
        MoodlePreflight.Report report = MoodlePreflight.check(client, System.getenv("MOODLE_URL"), true);
        System.out.println(report.describe());
        assertThat(report.passed()).as(report.describe()).isTrue();
    }

    @Test
    void createUpdateSuspendReactivateCohortsAndEnrolmentsWithTheLeastPrivilegeToken() {
        MoodleUserSync sync = new MoodleUserSync(client, "manual");
        String a = "R" + RUN + "A";
        String b = "R" + RUN + "B";
        String unitOne = "Eng" + RUN;
        String unitTwo = "Ops" + RUN;
        ObjectNode sean = fields(a, "Sean+LMS." + RUN + "@example.com", unitOne, 0);
        ObjectNode other = fields(b, "b." + RUN + "@example.com", unitOne, 0);
        Map<String, MoodleUserSync.Outcome> created = sync.apply(List.of(new Change(a, ChangeKind.JOIN, sean), new Change(b, ChangeKind.JOIN, other)));
        System.out.println("create: " + created);
        assertThat(created.values()).containsOnly(new Done("created"));
        JsonNode seanInMoodle = user(a);
        assertThat(seanInMoodle.path("username").asText()).isEqualTo("seanlms." + RUN + "@example.com");
        assertThat(seanInMoodle.path("email").asText()).isEqualTo("sean+lms." + RUN + "@example.com");
        assertThat(members(MoodleCohorts.idnumber(unitOne))).contains(seanInMoodle.path("id").asLong());

        // a mover: updated, out of the old cohort, into the new one
        ObjectNode moved = fields(a, "Sean+LMS." + RUN + "@example.com", unitTwo, 0);
        assertThat(sync.apply(List.of(new Change(a, ChangeKind.MOVE, moved)))).containsEntry(a, new Done("updated, active"));
        assertThat(user(a).path("department").asText()).isEqualTo(unitTwo);
        assertThat(members(MoodleCohorts.idnumber(unitOne))).doesNotContain(seanInMoodle.path("id").asLong());
        assertThat(members(MoodleCohorts.idnumber(unitTwo))).contains(seanInMoodle.path("id").asLong());

        // a leaver: suspended, in no org-unit cohort; a rehire: active and back
        assertThat(sync.apply(List.of(new Change(a, ChangeKind.LEAVE, fields(a, "Sean+LMS." + RUN + "@example.com", unitTwo, 1)))))
                .containsEntry(a, new Done("suspended"));
        assertThat(user(a).path("suspended").asBoolean()).isTrue();
        assertThat(members(MoodleCohorts.idnumber(unitTwo))).doesNotContain(seanInMoodle.path("id").asLong());
        assertThat(sync.apply(List.of(new Change(a, ChangeKind.JOIN, moved)))).containsEntry(a, new Done("updated, active"));
        assertThat(user(a).path("suspended").asBoolean()).isFalse();
        assertThat(members(MoodleCohorts.idnumber(unitTwo))).contains(seanInMoodle.path("id").asLong());

        // a duplicate email is queued saying so (Moodle itself, debugging off, says only "Invalid parameter value detected")
        String c = "R" + RUN + "C";
        Map<String, MoodleUserSync.Outcome> duplicate = sync.apply(List.of(new Change(c, ChangeKind.JOIN, fields(c, "b." + RUN + "@example.com", unitOne, 0))));
        System.out.println("duplicate email: " + duplicate);
        assertThat(duplicate.get(c)).isInstanceOfSatisfying(Failed.class, f -> assertThat(f.failure().reason())
                .startsWith("the email is already used by Moodle account id " + user(b).path("id").asText() + " (idnumber " + b + ")"));

        // enrolments in SEC-101 and out of it
        MoodleEnrolments enrolments = new MoodleEnrolments(client);
        long id = seanInMoodle.path("id").asLong();
        List<MoodleEnrolments.Outcome> enrolled = enrolments.apply(id, List.of(enrolment(1, a, "SEC-101", EnrolmentOutbox.Action.ENROL)));
        System.out.println("enrol: " + enrolled);
        assertThat(enrolled).allMatch(MoodleEnrolments.Outcome::done);
        assertThat(enrolments.apply(id, List.of(enrolment(2, a, "SEC-101", EnrolmentOutbox.Action.UNENROL)))).allMatch(MoodleEnrolments.Outcome::done);
    }

    @Test
    void aCohortBehind300SimilarlyNamedOnesIsFound() {
        String unit = "Sales" + RUN;
        // 300 cohorts (3 calls of 100) whose idnumber contains the unit's, all sorted by name before the unit's own
        for (int from = 0; from < 300; from += 100) {
            MoodleClient.Params params = new MoodleClient.Params();
            for (int i = 0; i < 100; i++) {
                String p = "cohorts[" + i + "]";
                params.put(p + "[categorytype][type]", "system").put(p + "[categorytype][value]", "")
                        .put(p + "[name]", "A " + unit + " " + (from + i)).put(p + "[idnumber]", MoodleCohorts.idnumber(unit) + "-" + (from + i));
            }
            assertThat(client.call("core_cohort_create_cohorts", params)).isInstanceOf(MoodleResponses.Result.class);
        }
        assertThat(client.call("core_cohort_create_cohorts", new MoodleClient.Params().put("cohorts[0][categorytype][type]", "system")
                .put("cohorts[0][categorytype][value]", "").put("cohorts[0][name]", "Z " + unit).put("cohorts[0][idnumber]", MoodleCohorts.idnumber(unit))))
                .isInstanceOf(MoodleResponses.Result.class);
        String d = "R" + RUN + "D";
        Map<String, MoodleUserSync.Outcome> outcome = new MoodleUserSync(client, "manual")
                .apply(List.of(new Change(d, ChangeKind.JOIN, fields(d, "d." + RUN + "@example.com", unit, 0))));
        System.out.println("300 similar cohorts: " + outcome);
        assertThat(outcome).containsEntry(d, new Done("created"));
        assertThat(members(MoodleCohorts.idnumber(unit))).contains(user(d).path("id").asLong());
    }

    private static ObjectNode fields(String id, String email, String department, int suspended) {
        ObjectNode fields = JsonNodeFactory.instance.objectNode();
        fields.put("idnumber", id);
        fields.put("username", email); // as the shipped mapping gives it; the adapter normalises it to Moodle's rule
        fields.put("email", email.toLowerCase(Locale.ROOT));
        fields.put("firstname", "Given " + id);
        fields.put("lastname", "Family " + id);
        fields.put("department", department);
        fields.put("suspended", suspended);
        return fields;
    }

    private static JsonNode user(String idnumber) {
        MoodleResponses.Answer answer = client.call("core_user_get_users_by_field", new MoodleClient.Params().put("field", "idnumber")
                .put("values[0]", idnumber));
        JsonNode users = ((MoodleResponses.Result) answer).value();
        assertThat(users).as("one Moodle user with idnumber " + idnumber).hasSize(1);
        return users.get(0);
    }

    /** Moodle user ids in the cohort with this idnumber (read with the least-privilege token). */
    private static Set<Long> members(String cohortIdnumber) {
        List<Long> ids = new ArrayList<>();
        for (int page = 0; ids.isEmpty() && page < 10; page++) {
            MoodleResponses.Answer answer = client.call("core_cohort_search_cohorts", new MoodleClient.Params().put("query", cohortIdnumber)
                    .put("context[contextlevel]", "system").put("context[instanceid]", 0).put("includes", "all").put("limitfrom", page)
                    .put("limitnum", 200));
            for (JsonNode cohort : ((MoodleResponses.Result) answer).value().path("cohorts")) {
                if (cohort.path("idnumber").asText().equals(cohortIdnumber)) {
                    ids.add(cohort.path("id").asLong());
                }
            }
        }
        assertThat(ids).as("cohort " + cohortIdnumber).hasSize(1);
        MoodleResponses.Answer answer = client.call("core_cohort_get_cohort_members", new MoodleClient.Params().put("cohortids[0]", ids.get(0)));
        Set<Long> members = new TreeSet<>();
        for (JsonNode cohort : ((MoodleResponses.Result) answer).value()) {
            cohort.path("userids").forEach(u -> members.add(u.asLong()));
        }
        return members;
    }

    private static EnrolmentOutbox.Change enrolment(long id, String workerId, String course, EnrolmentOutbox.Action action) {
        return new EnrolmentOutbox.Change(id, workerId, "moodle", course, action, "JOIN", "JOIN", "SENDING", 1, Instant.now());
    }
}
