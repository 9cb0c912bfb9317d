package io.learnbridge.delivery.moodle;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import io.learnbridge.delivery.moodle.MoodleResponses.Answer;
import io.learnbridge.delivery.moodle.MoodleResponses.Failure;
import io.learnbridge.delivery.moodle.MoodleResponses.Result;
import io.learnbridge.delivery.moodle.MoodleResponses.Severity;
import io.learnbridge.worker.ChangeKind;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.Iterator;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.Set;
import java.util.function.BiConsumer;
import java.util.function.Function;

/**
 * Brings a batch of workers in step with one Moodle site, each as the target mapping made them
 * (keys are Moodle user fields). Per batch: one {@code core_user_get_users_by_field} by
 * {@code idnumber} (the worker id); unknown workers are created with {@code core_user_create_users}
 * (the {@code auth} setting, {@code createpassword=1}: Moodle mails a password to manual
 * accounts, other auth methods ignore it), known ones updated with {@code core_user_update_users}
 * by their Moodle id. A leaver is suspended, never deleted; a rehire is reactivated. Cohorts follow
 * the org unit ({@link MoodleCohorts}); for a known user the cohort move happens before the update,
 * so that the department Moodle still shows names the cohort to leave, also on a retry.
 *
 * <p>A request that fails for a reason of its own (not the site's) is split into one request per
 * worker, so one refused record never holds back the others. A site-wide failure (wrong token,
 * site down) ends the batch: every worker not done yet gets it.
 */
final class MoodleUserSync {

    /** One worker to bring in step: the key its deliveries are settled by, the newest change, the mapped fields. */
    record Change(String key, ChangeKind kind, ObjectNode fields) {

        String idnumber() {
            return text(fields, "idnumber");
        }

        String department() {
            return text(fields, "department");
        }

        /** Cohorts follow the department: a mapping that does not list it leaves cohorts alone. */
        boolean keepsCohorts() {
            return fields.has("department");
        }

        /** 1 or 0 from the mapping (the worker's state); without it a leave suspends and a join reactivates. */
        Integer suspended() {
            JsonNode value = fields.get("suspended");
            if (value != null && !value.isNull() && !value.asText().isBlank()) {
                return value.isBoolean() ? (value.asBoolean() ? 1 : 0)
                        : value.asText().strip().equalsIgnoreCase("true") || value.asText().strip().equals("1") ? 1 : 0;
            }
            return kind == ChangeKind.LEAVE ? Integer.valueOf(1) : kind == ChangeKind.JOIN ? Integer.valueOf(0) : null;
        }
    }

    /** What became of one worker. */
    sealed interface Outcome permits Done, Failed {
    }

    /** In step; {@code action} says what was done (for the debug log). */
    record Done(String action) implements Outcome {
    }

    record Failed(Failure failure) implements Outcome {
    }

    /** Fields the adapter sets itself: a mapping that lists them is not followed for these. */
    static final Set<String> RESERVED = Set.of("id", "auth", "password", "createpassword", "suspended");
    /** Fields Moodle does not accept blank: an empty value leaves Moodle's as it is. */
    private static final Set<String> NEVER_BLANK = Set.of("username", "firstname", "lastname", "email", "lang", "calendartype",
            "theme", "timezone", "mailformat", "maildisplay");

    /**
     * How the site is run: {@code leaverCohort} says whether a suspended leaver is taken out of
     * their org-unit cohort (default: yes); {@code duplicateEmails} whether the site allows several
     * accounts with one email ({@code allowaccountssameemail}; Moodle's default: no).
     */
    record Options(boolean leaverCohort, boolean duplicateEmails) {
        static final Options DEFAULT = new Options(true, false);
    }

    private final MoodleClient client;
    private final MoodleCohorts cohorts;
    private final String auth;
    private final Options options;

    MoodleUserSync(MoodleClient client, String auth) {
        this(client, auth, Options.DEFAULT);
    }

    MoodleUserSync(MoodleClient client, String auth, Options options) {
        this.client = client;
        this.cohorts = new MoodleCohorts(client);
        this.auth = auth;
        this.options = options;
    }

    /** Brings the workers in step; returns an outcome per change key. */
    Map<String, Outcome> apply(List<Change> changes) {
        Run run = new Run();
        try {
            run.sync(changes);
        } catch (Halt halt) {
            for (Change change : changes) {
                run.outcomes.putIfAbsent(change.key(), new Failed(halt.failure));
            }
        }
        return run.outcomes;
    }

    /** A known Moodle user and the change for them. */
    private record Existing(Change change, long id, String department) {
    }

    /** A failure of the whole site: no point in another call for this batch. */
    private static final class Halt extends RuntimeException {
        private final transient Failure failure;

        Halt(Failure failure) {
            super(failure.reason(), null, false, false);
            this.failure = failure;
        }
    }

    private final class Run {
        private final Map<String, Outcome> outcomes = new LinkedHashMap<>();

        void sync(List<Change> changes) {
            Map<String, List<JsonNode>> known = lookup(changes);
            List<Change> creates = new ArrayList<>();
            List<Existing> existing = new ArrayList<>();
            for (Change change : changes) {
                if (outcomes.containsKey(change.key())) {
                    continue;
                }
                List<JsonNode> users = known.getOrDefault(change.idnumber(), List.of());
                if (users.size() > 1) {
                    fail(change, new Failure(Severity.RECORD, "duplicateidnumber", users.size() + " Moodle users have idnumber "
                            + change.idnumber() + " (ids " + users.stream().map(u -> u.path("id").asText()).toList()
                            + "): clear it on the accounts that are not this worker's", 200, null));
                } else if (users.size() == 1) {
                    JsonNode user = users.get(0);
                    existing.add(new Existing(change, user.path("id").asLong(), user.path("department").asText("").strip()));
                } else if (Integer.valueOf(1).equals(change.suspended())) {
                    outcomes.put(change.key(), new Done("not in Moodle: nothing to suspend"));
                } else {
                    creates.add(change);
                }
            }
            List<Existing> created = new ArrayList<>();
            create(checked(creates), created);
            // the new accounts join their cohorts, in as few requests as the cohorts allow
            Map<Long, Failure> joined = cohorts.syncAll(created.stream().filter(u -> u.change().keepsCohorts())
                    .map(u -> new MoodleCohorts.Move(u.id(), "", u.change().department(), true)).toList());
            for (Existing user : created) {
                Failure failure = joined.get(user.id());
                if (failure != null) {
                    fail(user.change(), failure);
                } else {
                    outcomes.put(user.change().key(), new Done("created"));
                }
            }
            // known accounts move cohorts before their update, so that the department Moodle still shows names the cohort
            // to leave, also on a retry; a suspended leaver leaves their org-unit cohort (unless kept by setting), a rehire joins again
            List<MoodleCohorts.Move> moves = new ArrayList<>();
            for (Existing user : existing) {
                Change change = user.change();
                if (change.keepsCohorts()) {
                    String unit = options.leaverCohort() && Integer.valueOf(1).equals(change.suspended()) ? "" : change.department();
                    moves.add(new MoodleCohorts.Move(user.id(), user.department(), unit, change.kind() == ChangeKind.JOIN));
                }
            }
            Map<Long, Failure> moved = cohorts.syncAll(moves);
            List<Existing> ready = new ArrayList<>();
            for (Existing user : existing) {
                Failure failure = moved.get(user.id());
                if (failure != null) {
                    fail(user.change(), failure);
                } else {
                    ready.add(user);
                }
            }
            update(ready);
        }

        /**
         * The creates Moodle will take, checked here because with debugging off Moodle hides why it
         * refuses one ("Invalid parameter value detected"): each username normalised to Moodle's rule
         * and, when another account holds it (an earlier worker keeps the username made from an email
         * they no longer have), given the worker's suffix; an email another account has (refused
         * unless the site allows it) or that is not an address, and a username left empty, fail their
         * worker naming the cause.
         */
        private List<Change> checked(List<Change> creates) {
            List<Change> ok = new ArrayList<>();
            Map<String, Change> byUsername = new LinkedHashMap<>();
            Map<String, Change> byEmail = new LinkedHashMap<>();
            for (Change change : creates) {
                String username = MoodleUsernames.normalise(text(change.fields(), "username"));
                String email = text(change.fields(), "email");
                if (username.isEmpty()) {
                    fail(change, new Failure(Severity.RECORD, "nousername", "the target mapping's username '" + text(change.fields(), "username")
                            + "' is empty under Moodle's username rule (lower-case a-z, 0-9, - . _ @)", null, null));
                } else if (!MoodleUsernames.plausibleEmail(email)) {
                    fail(change, new Failure(Severity.RECORD, "bademail", "the email (" + email.length() + " characters) is not an address "
                            + "Moodle accepts", null, null));
                } else if (!options.duplicateEmails() && byEmail.putIfAbsent(email.toLowerCase(java.util.Locale.ROOT), change) != null) {
                    fail(change, new Failure(Severity.RECORD, "duplicateemail", "another worker of this batch ("
                            + byEmail.get(email.toLowerCase(java.util.Locale.ROOT)).idnumber() + ") has the same email; Moodle refuses "
                            + "duplicate emails", null, null));
                } else {
                    if (byUsername.containsKey(username)) {
                        username = MoodleUsernames.withSuffix(username, change.idnumber());
                    }
                    byUsername.put(username, change);
                    change.fields().put("username", username);
                    ok.add(change);
                }
            }
            if (ok.isEmpty()) {
                return ok;
            }
            Map<String, JsonNode> taken = usersBy("username", byUsername.keySet(), ok);
            List<Change> suffixed = new ArrayList<>();
            for (Change change : ok) {
                String username = text(change.fields(), "username");
                if (taken.containsKey(username) && !outcomes.containsKey(change.key())) {
                    change.fields().put("username", MoodleUsernames.withSuffix(username, change.idnumber()));
                    suffixed.add(change);
                }
            }
            if (!suffixed.isEmpty()) {
                Map<String, JsonNode> alsoTaken = usersBy("username", suffixed.stream().map(c -> text(c.fields(), "username")).toList(), suffixed);
                for (Change change : suffixed) {
                    JsonNode holder = alsoTaken.get(text(change.fields(), "username"));
                    if (holder != null) {
                        fail(change, new Failure(Severity.RECORD, "usernametaken", "the username and its suffixed form "
                                + text(change.fields(), "username") + " are both held by other Moodle accounts (id " + holder.path("id").asText()
                                + "): change the target mapping's username", null, null));
                    }
                }
            }
            if (!options.duplicateEmails()) {
                List<Change> remaining = ok.stream().filter(c -> !outcomes.containsKey(c.key())).toList();
                Map<String, JsonNode> emails = usersBy("email", remaining.stream().map(c -> text(c.fields(), "email")).toList(), remaining);
                for (Change change : remaining) {
                    JsonNode holder = emails.get(text(change.fields(), "email").toLowerCase(java.util.Locale.ROOT));
                    if (holder != null) {
                        String idnumber = holder.path("idnumber").asText("");
                        fail(change, new Failure(Severity.RECORD, "duplicateemail", "the email is already used by Moodle account id "
                                + holder.path("id").asText() + " (" + (idnumber.isEmpty() ? "no idnumber: if it is this worker's, set its idnumber to "
                                + change.idnumber() + " and replay" : "idnumber " + idnumber) + "); Moodle refuses duplicate emails", null, null));
                    }
                }
            }
            return ok.stream().filter(c -> !outcomes.containsKey(c.key())).toList();
        }

        /** Moodle users whose {@code field} (username or email, compared in lower case) is one of {@code values}; a failed look-up fails {@code changes}. */
        private Map<String, JsonNode> usersBy(String field, java.util.Collection<String> values, List<Change> changes) {
            Map<String, JsonNode> found = new HashMap<>();
            List<String> distinct = values.stream().distinct().toList();
            requests(distinct, v -> 1, chunk -> {
                MoodleClient.Params params = new MoodleClient.Params().put("field", field);
                for (int i = 0; i < chunk.size(); i++) {
                    params.put("values[" + i + "]", chunk.get(i));
                }
                return client.call("core_user_get_users_by_field", params);
            }, (chunk, result) -> {
                for (JsonNode user : result.value()) {
                    found.put(user.path(field).asText().toLowerCase(java.util.Locale.ROOT), user);
                }
            }, (value, failure) -> {
                for (Change c : changes) {
                    if (value.equalsIgnoreCase(text(c.fields(), field)) && !outcomes.containsKey(c.key())) {
                        fail(c, failure);
                    }
                }
            });
            return found;
        }

        /** Moodle users by idnumber, for the changes whose lookup succeeded. */
        private Map<String, List<JsonNode>> lookup(List<Change> changes) {
            Map<String, List<JsonNode>> known = new HashMap<>();
            List<Change> unique = new ArrayList<>();
            Map<String, Change> seen = new LinkedHashMap<>();
            for (Change change : changes) {
                if (change.idnumber().isEmpty()) {
                    fail(change, new Failure(Severity.RECORD, "noidnumber", "the target mapping gave no idnumber: Moodle users are matched by it",
                            null, null));
                } else if (seen.putIfAbsent(change.idnumber(), change) == null) {
                    unique.add(change);
                }
            }
            requests(unique, c -> 1, chunk -> {
                MoodleClient.Params params = new MoodleClient.Params().put("field", "idnumber");
                for (int i = 0; i < chunk.size(); i++) {
                    params.put("values[" + i + "]", chunk.get(i).idnumber());
                }
                return client.call("core_user_get_users_by_field", params);
            }, (chunk, result) -> {
                for (JsonNode user : result.value()) {
                    known.computeIfAbsent(user.path("idnumber").asText(), k -> new ArrayList<>()).add(user);
                }
            }, (change, failure) -> {
                for (Change c : changes) {
                    if (c.idnumber().equals(change.idnumber())) {
                        fail(c, failure);
                    }
                }
            });
            return known;
        }

        /** Creates the accounts; each created one is added to {@code created} with its new Moodle id. */
        private void create(List<Change> creates, List<Existing> created) {
            requests(creates, c -> createParams(new MoodleClient.Params(), 0, c).size(), chunk -> {
                MoodleClient.Params params = new MoodleClient.Params();
                for (int i = 0; i < chunk.size(); i++) {
                    createParams(params, i, chunk.get(i));
                }
                return client.call("core_user_create_users", params);
            }, (chunk, result) -> {
                Map<String, Long> ids = new HashMap<>();
                for (JsonNode user : result.value()) {
                    ids.put(user.path("username").asText(), user.path("id").asLong());
                }
                for (Change change : chunk) {
                    Long id = ids.get(text(change.fields(), "username"));
                    if (id == null) {
                        fail(change, new Failure(Severity.RECORD, "unexpected", "core_user_create_users answered without user "
                                + text(change.fields(), "username"), 200, result.value().toString()));
                        continue;
                    }
                    created.add(new Existing(change, id, ""));
                }
            }, this::fail);
        }

        private void update(List<Existing> users) {
            requests(users, u -> updateParams(new MoodleClient.Params(), 0, u).size(), chunk -> {
                MoodleClient.Params params = new MoodleClient.Params();
                for (int i = 0; i < chunk.size(); i++) {
                    updateParams(params, i, chunk.get(i));
                }
                return client.call("core_user_update_users", params);
            }, (chunk, result) -> {
                Map<String, Failure> warned = new HashMap<>();
                for (MoodleResponses.Warning warning : result.warnings()) {
                    Optional<Failure> failure = MoodleResponses.failure(warning).map(f -> f.during("core_user_update_users"));
                    if (failure.isEmpty()) {
                        continue;
                    }
                    String itemId = warning.itemId();
                    if (itemId == null && chunk.size() == 1) {
                        itemId = String.valueOf(chunk.get(0).id());
                    }
                    if (itemId == null) {
                        // a warning naming no user in a request for several: send them one by one to find whose it is
                        chunk.forEach(u -> update(List.of(u)));
                        return;
                    }
                    warned.put(itemId, failure.get());
                }
                for (Existing user : chunk) {
                    Failure failure = warned.get(String.valueOf(user.id()));
                    if (failure != null) {
                        fail(user.change(), failure);
                    } else {
                        Integer suspended = user.change().suspended();
                        outcomes.put(user.change().key(), new Done(suspended == null ? "updated" : suspended == 1 ? "suspended" : "updated, active"));
                    }
                }
            }, (user, failure) -> fail(user.change(), failure));
        }

        /** users[i][...] of core_user_create_users: the mapped fields, the auth method, a generated password. */
        private MoodleClient.Params createParams(MoodleClient.Params params, int i, Change change) {
            String prefix = "users[" + i + "]";
            fields(params, prefix, change.fields(), true);
            params.put(prefix + "[auth]", auth);
            params.put(prefix + "[createpassword]", 1);
            return params;
        }

        /** users[i][...] of core_user_update_users: the Moodle id, the mapped fields but the username (kept from creation), suspended. */
        private MoodleClient.Params updateParams(MoodleClient.Params params, int i, Existing user) {
            String prefix = "users[" + i + "]";
            params.put(prefix + "[id]", user.id());
            ObjectNode fields = user.change().fields().deepCopy();
            fields.remove("username");
            fields(params, prefix, fields, false);
            params.put(prefix + "[suspended]", user.change().suspended());
            return params;
        }

        private void fail(Change change, Failure failure) {
            outcomes.put(change.key(), new Failed(failure));
            if (failure.severity().siteWide()) {
                throw new Halt(failure);
            }
        }

        /**
         * Sends {@code items} in requests below PHP's parameter limit. A request that fails for a
         * reason of its own is sent again one item per request; a site-wide failure halts the batch.
         */
        private <T> void requests(List<T> items, Function<T, Integer> weight, Function<List<T>, Answer> call,
                                  BiConsumer<List<T>, Result> onResult, BiConsumer<T, Failure> onFailure) {
            for (List<T> chunk : chunks(items, weight)) {
                send(chunk, call, onResult, onFailure);
            }
        }

        private <T> void send(List<T> chunk, Function<List<T>, Answer> call, BiConsumer<List<T>, Result> onResult,
                              BiConsumer<T, Failure> onFailure) {
            Answer answer = call.apply(chunk);
            if (answer instanceof Result result) {
                onResult.accept(chunk, result);
                return;
            }
            Failure failure = (Failure) answer;
            if (failure.severity().siteWide()) {
                throw new Halt(failure);
            }
            if (chunk.size() > 1) {
                // Moodle ran the request in one transaction and rolled it back: find whose record it was
                for (T item : chunk) {
                    send(List.of(item), call, onResult, onFailure);
                }
                return;
            }
            onFailure.accept(chunk.get(0), failure);
        }
    }

    /** The mapped fields as Moodle parameters; {@code customfields.<shortname>} become Moodle's custom profile fields. */
    private static void fields(MoodleClient.Params params, String prefix, ObjectNode fields, boolean creating) {
        int custom = 0;
        for (Iterator<Map.Entry<String, JsonNode>> it = fields.fields(); it.hasNext(); ) {
            Map.Entry<String, JsonNode> field = it.next();
            String name = field.getKey();
            JsonNode value = field.getValue();
            if (RESERVED.contains(name)) {
                continue;
            }
            if (name.equals("customfields") && value.isObject()) {
                for (Iterator<Map.Entry<String, JsonNode>> cf = value.fields(); cf.hasNext(); ) {
                    Map.Entry<String, JsonNode> customField = cf.next();
                    String text = scalar(customField.getValue());
                    if (text == null && creating) {
                        continue;
                    }
                    params.put(prefix + "[customfields][" + custom + "][type]", customField.getKey());
                    params.put(prefix + "[customfields][" + custom + "][value]", text == null ? "" : text);
                    custom++;
                }
                continue;
            }
            String text = scalar(value);
            if (text == null && (creating || NEVER_BLANK.contains(name))) {
                continue; // creating: Moodle's default; updating: a blank would clear a field Moodle requires
            }
            params.put(prefix + "[" + name + "]", text == null ? "" : text);
        }
    }

    private static String scalar(JsonNode value) {
        if (value == null || value.isNull() || value.isContainerNode()) {
            return null;
        }
        if (value.isBoolean()) {
            return value.asBoolean() ? "1" : "0";
        }
        String text = value.asText();
        return text.isEmpty() ? null : text;
    }

    private static String text(ObjectNode fields, String name) {
        JsonNode value = fields.get(name);
        return value == null || value.isNull() ? "" : value.asText().strip();
    }

    /** Splits items into requests whose parameters stay below PHP's max_input_vars. */
    private static <T> List<List<T>> chunks(List<T> items, Function<T, Integer> weight) {
        List<List<T>> chunks = new ArrayList<>();
        List<T> current = new ArrayList<>();
        int size = 0;
        int budget = MoodleClient.MAX_PARAMETERS - 10;
        for (T item : items) {
            int w = weight.apply(item);
            if (!current.isEmpty() && size + w > budget) {
                chunks.add(current);
                current = new ArrayList<>();
                size = 0;
            }
            current.add(item);
            size += w;
        }
        if (!current.isEmpty()) {
            chunks.add(current);
        }
        return chunks;
    }
}
