package io.learnbridge.delivery.moodle;

import com.fasterxml.jackson.databind.JsonNode;
import io.learnbridge.delivery.moodle.MoodleResponses.Answer;
import io.learnbridge.delivery.moodle.MoodleResponses.Failure;
import io.learnbridge.delivery.moodle.MoodleResponses.Result;
import java.util.ArrayList;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Set;

/**
 * Checks, before anything is sent, that a Moodle token can do what the adapter needs, naming
 * exactly what is missing. Two capabilities are checked by their effect, because without them
 * Moodle does not refuse anything, it answers less (checked against Moodle 4.4 with debugging off):
 * without {@code moodle/user:viewalldetails} a look-up by idnumber answers {@code []} for an
 * existing learner (the adapter would try to create them again, and Moodle would refuse) and a
 * look-up by id answers users without their username; without {@code moodle/course:update}
 * {@code core_course_get_courses_by_field} answers courses without {@code idnumber} (no enrolment
 * would find its course). The functions are checked against {@code core_webservice_get_site_info}.
 */
final class MoodlePreflight {

    /** What the adapter calls for users and org-unit cohorts. */
    static final List<String> USER_FUNCTIONS = List.of("core_webservice_get_site_info", "core_user_get_users_by_field",
            "core_user_create_users", "core_user_update_users", "core_cohort_search_cohorts", "core_cohort_create_cohorts",
            "core_cohort_add_cohort_members", "core_cohort_delete_cohort_members");
    /** What it calls for enrolments (when this bridge sends any). */
    static final List<String> ENROLMENT_FUNCTIONS = List.of("core_course_get_courses_by_field", MoodleEnrolments.ENROL, MoodleEnrolments.UNENROL);

    /** Moodle's guest and first admin accounts, which every site has: a look-up by id shows what the token may see of others. */
    private static final List<String> EVERY_SITE_HAS = List.of("1", "2");
    /** The site's front page is course 1 on every site. */
    private static final String SITE_COURSE = "1";

    /**
     * The outcome: {@code problems} names each missing function or capability; {@code unchecked}
     * says why nothing could be checked (the site did not answer, or refused the token: the
     * deliveries themselves report that), else null.
     */
    record Report(String site, String user, List<String> problems, String unchecked) {

        boolean passed() {
            return problems.isEmpty() && unchecked == null;
        }

        String describe() {
            if (unchecked != null) {
                return "Moodle " + site + ": not checked: " + unchecked;
            }
            return "Moodle " + site + " as " + user + ": " + (problems.isEmpty() ? "the token has every function and capability LearnBridge needs"
                    : String.join("; ", problems));
        }
    }

    private MoodlePreflight() {
    }

    static Report check(MoodleClient client, String site, boolean enrolments) {
        Answer info = client.call("core_webservice_get_site_info", new MoodleClient.Params());
        if (info instanceof Failure failure) {
            return new Report(site, null, List.of(), failure.reason());
        }
        JsonNode siteInfo = ((Result) info).value();
        String user = siteInfo.path("username").asText("?");
        List<String> problems = new ArrayList<>();
        Set<String> available = new LinkedHashSet<>();
        siteInfo.path("functions").forEach(f -> available.add(f.path("name").asText()));
        List<String> needed = new ArrayList<>(USER_FUNCTIONS);
        if (enrolments) {
            needed.addAll(ENROLMENT_FUNCTIONS);
        }
        List<String> missing = needed.stream().filter(f -> !available.contains(f)).toList();
        if (!missing.isEmpty()) {
            problems.add("the token's external service lacks function" + (missing.size() == 1 ? " " : "s ") + String.join(", ", missing)
                    + " (Site administration > Server > Web services > External services > Functions)");
        }
        if (available.contains("core_user_get_users_by_field")) {
            MoodleClient.Params params = new MoodleClient.Params().put("field", "id");
            for (int i = 0; i < EVERY_SITE_HAS.size(); i++) {
                params.put("values[" + i + "]", EVERY_SITE_HAS.get(i));
            }
            Answer users = client.call("core_user_get_users_by_field", params);
            if (users instanceof Result result) {
                for (JsonNode u : result.value()) {
                    if (!u.has("username")) {
                        problems.add("user " + user + " lacks capability moodle/user:viewalldetails (system context): Moodle answers "
                                + "look-ups by idnumber with nothing, so existing learners would be created again and refused");
                        break;
                    }
                }
            } else {
                problems.add("core_user_get_users_by_field failed: " + ((Failure) users).reason());
            }
        }
        if (enrolments && available.contains("core_course_get_courses_by_field")) {
            Answer courses = client.call("core_course_get_courses_by_field", new MoodleClient.Params().put("field", "id").put("value", SITE_COURSE));
            if (courses instanceof Result result) {
                for (JsonNode course : result.value().path("courses")) {
                    if (!course.has("idnumber")) {
                        problems.add("user " + user + " lacks capability moodle/course:update (system context): Moodle answers courses "
                                + "without their idnumber, so no enrolment would find its course");
                        break;
                    }
                }
            } else {
                problems.add("core_course_get_courses_by_field failed: " + ((Failure) courses).reason());
            }
        }
        return new Report(site, user, problems, null);
    }
}
