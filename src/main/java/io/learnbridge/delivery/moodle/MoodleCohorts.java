package io.learnbridge.delivery.moodle;

import com.fasterxml.jackson.databind.JsonNode;
import io.learnbridge.delivery.moodle.MoodleResponses.Answer;
import io.learnbridge.delivery.moodle.MoodleResponses.Failure;
import io.learnbridge.delivery.moodle.MoodleResponses.Result;
import io.learnbridge.delivery.moodle.MoodleResponses.Severity;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.concurrent.ConcurrentHashMap;

/**
 * One Moodle cohort per org unit, idnumber {@code org-<unit>}, created at system level the first
 * time a worker joins the unit; a worker is added to their unit's cohort when they join or move,
 * and taken out of the cohort of the unit Moodle still shows for them. Every step is safe to
 * repeat: adding a member again is Moodle's warning 3 ("record already exists"), taken as done;
 * removing a member that is not there does nothing. Cohort ids are cached per site.
 */
final class MoodleCohorts {

    static final String PREFIX = "org-";
    private static final int SEARCH_PAGE = 200;
    /** 20,000 cohorts matching a unit's idnumber: beyond, a site is not one to search this way. */
    private static final int MAX_PAGES = 100;

    private final MoodleClient client;
    private final Map<String, Long> ids = new ConcurrentHashMap<>();

    MoodleCohorts(MoodleClient client) {
        this.client = client;
    }

    static String idnumber(String unit) {
        return PREFIX + unit;
    }

    /**
     * One user's cohort step: into {@code newUnit}'s cohort when joining or when the unit changed,
     * out of {@code oldUnit}'s when it differs. Blank units have no cohort.
     */
    record Move(long userId, String oldUnit, String newUnit, boolean joining) {

        boolean adds() {
            return !newUnit.isEmpty() && (joining || !oldUnit.equals(newUnit));
        }

        boolean removes() {
            return !oldUnit.isEmpty() && !oldUnit.equals(newUnit);
        }
    }

    /** Members per request: four parameters each, well below PHP's max_input_vars. */
    static final int MEMBERS_PER_REQUEST = 200;

    /**
     * Brings many users' cohort memberships in step at once: every addition in one {@code core_cohort_add_cohort_members}
     * request (per {@link #MEMBERS_PER_REQUEST}), every removal in one
     * {@code core_cohort_delete_cohort_members}, instead of a request per user. A request Moodle
     * refuses or warns about for some member is sent again one member at a time, so a failure stays
     * with its user. Returns the failures by user id (none: every user in step).
     */
    Map<Long, Failure> syncAll(List<Move> moves) {
        Map<Long, Failure> failed = new java.util.LinkedHashMap<>();
        Map<String, Long> cohortOf = new java.util.HashMap<>();
        List<Move> adds = new java.util.ArrayList<>();
        for (Move move : moves) {
            if (!move.adds()) {
                continue;
            }
            try {
                cohortOf.computeIfAbsent(move.newUnit(), this::ensure);
                adds.add(move);
            } catch (Refused refused) {
                failed.put(move.userId(), refused.failure);
            }
        }
        for (List<Move> chunk : chunks(adds)) {
            if (chunk.size() == 1) {
                one(chunk.get(0), failed, () -> add(chunk.get(0).userId(), chunk.get(0).newUnit(), true));
                continue;
            }
            MoodleClient.Params params = new MoodleClient.Params();
            for (int i = 0; i < chunk.size(); i++) {
                params.put("members[" + i + "][cohorttype][type]", "id")
                        .put("members[" + i + "][cohorttype][value]", cohortOf.get(chunk.get(i).newUnit()))
                        .put("members[" + i + "][usertype][type]", "id")
                        .put("members[" + i + "][usertype][value]", chunk.get(i).userId());
            }
            Answer answer = client.call("core_cohort_add_cohort_members", params);
            boolean allDone = answer instanceof Result result
                    && result.warnings().stream().allMatch(w -> MoodleResponses.failure(w).isEmpty());
            if (allDone) {
                continue;
            }
            if (answer instanceof Failure failure && failure.severity() != Severity.RECORD) {
                // the site, or this call, failed: every member of it is tried again later
                chunk.forEach(m -> failed.put(m.userId(), failure));
                continue;
            }
            // a refusal, or a warning naming no member (Moodle's carry only a code and a message): one member at a time finds whose it is
            for (Move move : chunk) {
                one(move, failed, () -> add(move.userId(), move.newUnit(), true));
            }
        }
        List<Move> removes = new java.util.ArrayList<>();
        Map<String, Long> oldCohortOf = new java.util.HashMap<>();
        for (Move move : moves) {
            if (!move.removes() || failed.containsKey(move.userId())) {
                continue;
            }
            try {
                Long cohortId = oldCohortOf.containsKey(move.oldUnit()) ? oldCohortOf.get(move.oldUnit())
                        : Optional.ofNullable(ids.get(idnumber(move.oldUnit()))).or(() -> find(idnumber(move.oldUnit()))).orElse(null);
                oldCohortOf.put(move.oldUnit(), cohortId);
                if (cohortId != null) {
                    removes.add(move);
                }
            } catch (Refused refused) {
                failed.put(move.userId(), refused.failure);
            }
        }
        for (List<Move> chunk : chunks(removes)) {
            if (chunk.size() == 1) {
                one(chunk.get(0), failed, () -> remove(chunk.get(0).userId(), chunk.get(0).oldUnit()));
                continue;
            }
            MoodleClient.Params params = new MoodleClient.Params();
            for (int i = 0; i < chunk.size(); i++) {
                params.put("members[" + i + "][cohortid]", oldCohortOf.get(chunk.get(i).oldUnit()))
                        .put("members[" + i + "][userid]", chunk.get(i).userId());
            }
            Answer answer = client.call("core_cohort_delete_cohort_members", params);
            if (answer instanceof Result) {
                continue;
            }
            Failure failure = (Failure) answer;
            if (failure.severity() != Severity.RECORD) {
                chunk.forEach(m -> failed.put(m.userId(), failure));
                continue;
            }
            // one transaction: nothing was removed; one member at a time (a vanished cohort or user is nothing left to remove)
            for (Move move : chunk) {
                one(move, failed, () -> remove(move.userId(), move.oldUnit()));
            }
        }
        return failed;
    }

    /** One member's step on its own request; its refusal is recorded as that member's failure. */
    private static void one(Move move, Map<Long, Failure> failed, Runnable step) {
        try {
            step.run();
        } catch (Refused refused) {
            failed.put(move.userId(), refused.failure);
        }
    }

    private static List<List<Move>> chunks(List<Move> moves) {
        List<List<Move>> chunks = new java.util.ArrayList<>();
        for (int from = 0; from < moves.size(); from += MEMBERS_PER_REQUEST) {
            chunks.add(moves.subList(from, Math.min(moves.size(), from + MEMBERS_PER_REQUEST)));
        }
        return chunks;
    }

    private void add(long userId, String unit, boolean retryIfVanished) {
        ensure(unit);
        String idnumber = idnumber(unit);
        Result result = expect(client.call("core_cohort_add_cohort_members", new MoodleClient.Params()
                .put("members[0][cohorttype][type]", "idnumber")
                .put("members[0][cohorttype][value]", idnumber)
                .put("members[0][usertype][type]", "id")
                .put("members[0][usertype][value]", userId)));
        for (MoodleResponses.Warning warning : result.warnings()) {
            Optional<Failure> failure = MoodleResponses.failure(warning);
            if (failure.isEmpty()) {
                continue;
            }
            if (retryIfVanished && "2".equals(warning.warningcode()) && warning.message().startsWith("cohort ")) {
                // the cached cohort was deleted in Moodle since: create it again, once
                ids.remove(idnumber);
                add(userId, unit, false);
                return;
            }
            throw new Refused(failure.get().during("core_cohort_add_cohort_members"));
        }
    }

    private void remove(long userId, String unit) {
        String idnumber = idnumber(unit);
        Long cohortId = ids.get(idnumber);
        if (cohortId == null) {
            Optional<Long> found = find(idnumber);
            if (found.isEmpty()) {
                return; // no such cohort: the user is in no cohort of that unit
            }
            cohortId = found.get();
        }
        Answer answer = client.call("core_cohort_delete_cohort_members", new MoodleClient.Params()
                .put("members[0][cohortid]", cohortId)
                .put("members[0][userid]", userId));
        if (answer instanceof Failure failure && failure.severity() == Severity.RECORD && "invalidrecord".equals(failure.errorcode())) {
            ids.remove(idnumber); // the cohort (or the user) is gone: nothing left to remove
            return;
        }
        expect(answer);
    }

    private long ensure(String unit) {
        String idnumber = idnumber(unit);
        Long cached = ids.get(idnumber);
        if (cached != null) {
            return cached;
        }
        long id = find(idnumber).orElseGet(() -> create(unit));
        ids.put(idnumber, id);
        return id;
    }

    /**
     * The cohort with exactly this idnumber. Moodle's search matches name, idnumber and description
     * with LIKE and sorts by name; its {@code limitfrom} is a page number (not an offset), so the
     * search is read page by page until the cohort is found or a page is short: many cohorts with
     * similar names never hide the one wanted.
     */
    private Optional<Long> find(String idnumber) {
        for (int page = 0; ; page++) {
            Result result = expect(client.call("core_cohort_search_cohorts", new MoodleClient.Params()
                    .put("query", idnumber)
                    .put("context[contextlevel]", "system")
                    .put("context[instanceid]", 0)
                    .put("includes", "all")
                    .put("limitfrom", page)
                    .put("limitnum", SEARCH_PAGE)));
            JsonNode found = result.value().path("cohorts");
            for (JsonNode cohort : found) {
                if (idnumber.equals(cohort.path("idnumber").asText())) {
                    long id = cohort.path("id").asLong();
                    ids.put(idnumber, id);
                    return Optional.of(id);
                }
            }
            if (found.size() < SEARCH_PAGE || page >= MAX_PAGES) {
                return Optional.empty();
            }
        }
    }

    private long create(String unit) {
        String idnumber = idnumber(unit);
        Answer answer = client.call("core_cohort_create_cohorts", new MoodleClient.Params()
                .put("cohorts[0][categorytype][type]", "system")
                .put("cohorts[0][categorytype][value]", "")
                .put("cohorts[0][name]", unit)
                .put("cohorts[0][idnumber]", idnumber)
                .put("cohorts[0][description]", "Workers of org unit " + unit + ", kept in step with HR by LearnBridge"));
        if (answer instanceof Failure failure && failure.severity() == Severity.RECORD) {
            // created meanwhile (another instance), or another refusal: with debugging off Moodle says only
            // "Invalid parameter value detected" either way, so look again before giving up
            return find(idnumber).orElseThrow(() -> new Refused(failure));
        }
        JsonNode created = expect(answer).value();
        if (!created.isArray() || created.isEmpty() || !created.get(0).has("id")) {
            throw new Refused(new Failure(Severity.RECORD, "unexpected", "core_cohort_create_cohorts answered without the new cohort's id",
                    200, created.toString()));
        }
        return created.get(0).get("id").asLong();
    }

    private static Result expect(Answer answer) {
        if (answer instanceof Failure failure) {
            throw new Refused(failure);
        }
        return (Result) answer;
    }

    /** A step Moodle refused; carries its failure out of the nested calls. */
    private static final class Refused extends RuntimeException {
        private final transient Failure failure;

        Refused(Failure failure) {
            super(failure.reason(), null, false, false);
            this.failure = failure;
        }
    }
}
