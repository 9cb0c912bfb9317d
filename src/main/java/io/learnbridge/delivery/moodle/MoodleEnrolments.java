package io.learnbridge.delivery.moodle;

import com.fasterxml.jackson.databind.JsonNode;
import io.learnbridge.store.EnrolmentOutbox;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.concurrent.ConcurrentHashMap;

/**
 * Brings one Moodle user's course enrolments in step with a batch of enrolment changes from the
 * enrolment outbox ({@link EnrolmentOutbox}): a curriculum is a Moodle course idnumber. Courses
 * are found with {@code core_course_get_courses_by_field} (field {@code idnumber}; found courses
 * are cached, an unknown idnumber is looked up again next time, so a course created later is
 * found), then enrolled with {@code enrol_manual_enrol_users} (role {@code roleId}, default 5:
 * student) and unenrolled with {@code enrol_manual_unenrol_users}, each one call per batch.
 *
 * <p>Every answer is classified by {@link MoodleResponses}. Moodle answers a done enrolment with
 * {@code null} and refuses with HTTP 200 and {@code {"exception","errorcode","message"}}; the
 * enrol and unenrol functions run as one transaction, so a batch refused for one record (e.g.
 * {@code wsnoinstance}: no manual enrolment on that course) is tried again change by change to
 * find which one, and the others go through. An unknown course idnumber is a permanent failure
 * (RECORD) naming the curriculum. A site-wide failure (unreachable, invalid token) stops the
 * batch: every change not yet done gets it. This class settles nothing: the caller settles each
 * {@link Outcome} in the outbox (delivered, retry later, or failed into the exception queue).
 */
public final class MoodleEnrolments {

    /** Moodle's student role (archetype student on a standard site). */
    public static final int DEFAULT_ROLE_ID = 5;

    /** Three parameters an enrolment: well under PHP's max_input_vars per call. */
    static final int CHUNK = 300;

    static final String GET_COURSES = "core_course_get_courses_by_field";
    static final String ENROL = "enrol_manual_enrol_users";
    static final String UNENROL = "enrol_manual_unenrol_users";

    /** What became of one change: done when {@code failure} is null. */
    public record Outcome(EnrolmentOutbox.Change change, MoodleResponses.Failure failure) {

        public boolean done() {
            return failure == null;
        }
    }

    private final MoodleClient client;
    private final int roleId;
    private final Map<String, Long> courseIds = new ConcurrentHashMap<>();

    public MoodleEnrolments(MoodleClient client) {
        this(client, DEFAULT_ROLE_ID);
    }

    /** @param roleId the role enrolments are made with (Moodle role id) */
    public MoodleEnrolments(MoodleClient client, int roleId) {
        this.client = client;
        this.roleId = roleId;
    }

    /** Applies a batch of changes for one Moodle user; one outcome per change, in the batch's order. */
    public List<Outcome> apply(long moodleUserId, List<EnrolmentOutbox.Change> changes) {
        Map<Long, Outcome> outcomes = new LinkedHashMap<>();
        Map<EnrolmentOutbox.Change, Long> resolved = new LinkedHashMap<>();
        MoodleResponses.Failure siteWide = null;
        Map<String, Object> lookups = new LinkedHashMap<>(); // curriculum -> course id (Long) or Failure
        for (EnrolmentOutbox.Change change : changes) {
            if (siteWide != null) {
                outcomes.put(change.id(), new Outcome(change, siteWide));
                continue;
            }
            Object course = lookups.computeIfAbsent(change.curriculum(), this::course);
            if (course instanceof MoodleResponses.Failure failure) {
                outcomes.put(change.id(), new Outcome(change, failure));
                if (failure.severity().siteWide()) {
                    siteWide = failure;
                }
            } else {
                resolved.put(change, (Long) course);
            }
        }
        for (EnrolmentOutbox.Action action : EnrolmentOutbox.Action.values()) {
            List<EnrolmentOutbox.Change> batch = new ArrayList<>();
            resolved.forEach((change, courseId) -> {
                if (change.action() == action) {
                    batch.add(change);
                }
            });
            for (int from = 0; from < batch.size(); from += CHUNK) {
                List<EnrolmentOutbox.Change> chunk = batch.subList(from, Math.min(batch.size(), from + CHUNK));
                if (siteWide != null) {
                    for (EnrolmentOutbox.Change change : chunk) {
                        outcomes.put(change.id(), new Outcome(change, siteWide));
                    }
                    continue;
                }
                siteWide = send(moodleUserId, action, chunk, resolved, outcomes);
            }
        }
        List<Outcome> ordered = new ArrayList<>(changes.size());
        for (EnrolmentOutbox.Change change : changes) {
            ordered.add(outcomes.get(change.id()));
        }
        return ordered;
    }

    /** Sends one chunk; a record failure of several is narrowed down change by change. Returns a site-wide failure, if any. */
    private MoodleResponses.Failure send(long userId, EnrolmentOutbox.Action action, List<EnrolmentOutbox.Change> chunk,
                                         Map<EnrolmentOutbox.Change, Long> courses, Map<Long, Outcome> outcomes) {
        MoodleResponses.Answer answer = client.call(action == EnrolmentOutbox.Action.ENROL ? ENROL : UNENROL, params(userId, action, chunk, courses));
        if (answer instanceof MoodleResponses.Result result) {
            for (EnrolmentOutbox.Change change : chunk) {
                outcomes.put(change.id(), new Outcome(change, warningFor(result, change, courses.get(change))));
            }
            return null;
        }
        MoodleResponses.Failure failure = (MoodleResponses.Failure) answer;
        if (failure.severity() == MoodleResponses.Severity.RECORD && chunk.size() > 1) {
            // one transaction: nothing was done; find the change Moodle refuses, let the others through
            for (EnrolmentOutbox.Change change : chunk) {
                MoodleResponses.Failure siteWide = send(userId, action, List.of(change), courses, outcomes);
                if (siteWide != null) {
                    chunk.stream().filter(c -> !outcomes.containsKey(c.id())).forEach(c -> outcomes.put(c.id(), new Outcome(c, siteWide)));
                    return siteWide;
                }
            }
            return null;
        }
        MoodleResponses.Failure named = chunk.size() == 1 ? failure.during(action + " " + chunk.get(0).curriculum()) : failure;
        for (EnrolmentOutbox.Change change : chunk) {
            outcomes.put(change.id(), new Outcome(change, named));
        }
        return failure.severity().siteWide() ? failure : null;
    }

    private MoodleClient.Params params(long userId, EnrolmentOutbox.Action action, List<EnrolmentOutbox.Change> chunk,
                                       Map<EnrolmentOutbox.Change, Long> courses) {
        MoodleClient.Params params = new MoodleClient.Params();
        for (int i = 0; i < chunk.size(); i++) {
            String item = "enrolments[" + i + "]";
            if (action == EnrolmentOutbox.Action.ENROL) {
                params.put(item + "[roleid]", roleId);
            }
            params.put(item + "[userid]", userId);
            params.put(item + "[courseid]", courses.get(chunk.get(i)));
        }
        return params;
    }

    /** A warning naming this course (or no item at all) fails the change; null when none does. */
    private static MoodleResponses.Failure warningFor(MoodleResponses.Result result, EnrolmentOutbox.Change change, long courseId) {
        for (MoodleResponses.Warning warning : result.warnings()) {
            if (warning.itemId() == null || warning.itemId().equals(String.valueOf(courseId))) {
                Optional<MoodleResponses.Failure> failure = MoodleResponses.failure(warning);
                if (failure.isPresent()) {
                    return failure.get().during(change.action() + " " + change.curriculum());
                }
            }
        }
        return null;
    }

    /** The course id of a curriculum (a course idnumber), or why there is none. */
    private Object course(String curriculum) {
        Long cached = courseIds.get(curriculum);
        if (cached != null) {
            return cached;
        }
        MoodleResponses.Answer answer = client.call(GET_COURSES, new MoodleClient.Params().put("field", "idnumber").put("value", curriculum));
        if (answer instanceof MoodleResponses.Failure failure) {
            return failure;
        }
        MoodleResponses.Result result = (MoodleResponses.Result) answer;
        for (MoodleResponses.Warning warning : result.warnings()) {
            Optional<MoodleResponses.Failure> failure = MoodleResponses.failure(warning);
            if (failure.isPresent()) {
                return failure.get().during(GET_COURSES + " idnumber " + curriculum);
            }
        }
        for (JsonNode course : result.value().path("courses")) {
            if (curriculum.equals(course.path("idnumber").asText(null)) && course.path("id").canConvertToLong()) {
                long id = course.path("id").asLong();
                courseIds.put(curriculum, id);
                return id;
            }
        }
        return new MoodleResponses.Failure(MoodleResponses.Severity.RECORD, "nocourse",
                "no Moodle course has idnumber '" + curriculum + "' (curriculum " + curriculum + " of the enrolment rules): "
                        + "create the course with that idnumber, or correct mappings/enrolment/rules.yaml", 200, null);
    }
}
