package io.learnbridge.delivery.moodle;

import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.node.ArrayNode;
import com.fasterxml.jackson.databind.node.JsonNodeFactory;
import com.fasterxml.jackson.databind.node.NullNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import com.sun.net.httpserver.HttpExchange;
import com.sun.net.httpserver.HttpServer;
import java.io.IOException;
import java.io.OutputStream;
import java.net.InetSocketAddress;
import java.net.URI;
import java.net.URLDecoder;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.Optional;
import java.util.Set;
import java.util.TreeMap;
import java.util.concurrent.Executors;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

/**
 * A stand-in for a Moodle site's web services, REST protocol, on loopback (JDK HttpServer; the
 * surefire JVM runs with {@code -Dsun.net.httpserver.nodelay=true}). It keeps state (users,
 * cohorts, members) and answers as Moodle does, checked against {@code user/externallib.php} and
 * {@code cohort/externallib.php}: always HTTP 200; a wrong token or a function the site does not
 * have as {@code {"exception","errorcode","message"}}; {@code invalid_parameter_exception} for a
 * taken username or email, a blank name, a missing password, unexpected keys (the cause in
 * {@code debuginfo} only when {@link #debugging(boolean)} is on: off by default, as on a production
 * site, where every one reads "Invalid parameter value detected"); updates whose email another user has as
 * {@code {"warnings":[{"item":"user","itemid",...}]}}; cohort membership warnings 1/2/3
 * ({@code warningcode} and {@code message} only); {@code null} for member removal. Create requests
 * are transactions: one refused user creates nobody. Courses and manual enrolments as
 * {@code course/externallib.php} and {@code enrol/manual/externallib.php} answer:
 * {@code core_course_get_courses_by_field} gives {@code {"courses":[...],"warnings":[]}} (no
 * course: an empty list); {@code enrol_manual_enrol_users} and {@code enrol_manual_unenrol_users}
 * answer {@code null}, run as one transaction, and refuse a course without an enabled manual
 * enrolment instance ({@code wsnoinstance}), a role the token's user cannot assign
 * ({@code wsusercannotassign}) and a course that does not exist ("Context does not exist").
 *
 * <p>As checked against a real Moodle 4.4 (see {@code ../shared/moodle/}): the site has a guest
 * (id 1), an admin (id 2) and the token's user {@code lbws} (id 3); {@code core_webservice_get_site_info}
 * lists the service's functions, and a function left out of the service answers
 * {@code accessexception}. Without {@code moodle/user:viewalldetails} ({@link #lacks(String)}) a
 * look-up by idnumber or username answers {@code []} and one by id or email answers users without
 * username, idnumber and profile fields; without {@code moodle/course:update} courses come without
 * {@code idnumber}. {@code core_cohort_search_cohorts} sorts by name and reads {@code limitfrom}
 * as a page number ({@code limitnum} 0: everything).
 */
final class MoodleStandIn implements AutoCloseable {

    static final String PATH = "/webservice/rest/server.php";

    /** One request as received: the function and its parameters (without the token). */
    record Call(String function, Map<String, String> params) {
    }

    /** A course: id, idnumber, shortname, whether its manual enrolment instance is enabled, enrolled users (user id to role id). */
    record Course(long id, String idnumber, String shortname, boolean manualEnrol, Map<Long, Integer> enrolled) {
    }

    /** Roles the web-service user may assign in a course (manager, editing teacher, teacher, student). */
    private static final Set<Integer> ASSIGNABLE_ROLES = Set.of(1, 3, 4, 5);

    /** A cohort: id, idnumber, name, members (user ids). */
    record Cohort(long id, String idnumber, String name, String description, Set<Long> members) {
    }

    private static final ObjectMapper JSON = new ObjectMapper();
    private static final Pattern ITEM = Pattern.compile("^([a-z]+)\\[(\\d+)](.*)$");
    private static final Set<String> CREATE_KEYS = Set.of("createpassword", "username", "auth", "password", "firstname", "lastname",
            "email", "maildisplay", "city", "country", "timezone", "description", "firstnamephonetic", "lastnamephonetic", "middlename",
            "alternatename", "interests", "idnumber", "institution", "department", "phone1", "phone2", "address", "lang", "calendartype",
            "theme", "mailformat", "customfields", "preferences");
    private static final Set<String> UPDATE_KEYS;
    private static final Set<String> AUTH_PLUGINS = Set.of("manual", "email", "nologin", "oauth2", "ldap", "saml2", "shibboleth", "cas", "lti");
    private static final Set<String> INTERNAL_AUTH = Set.of("manual", "email", "nologin");

    static {
        Set<String> keys = new LinkedHashSet<>(CREATE_KEYS);
        keys.remove("createpassword");
        keys.add("id");
        keys.add("suspended");
        keys.add("userpicture");
        UPDATE_KEYS = Set.copyOf(keys);
    }

    private final HttpServer server;
    private final String token;
    private final Map<Long, Map<String, String>> users = new LinkedHashMap<>();
    private final Map<Long, Cohort> cohorts = new LinkedHashMap<>();
    private final Map<Long, Course> courses = new LinkedHashMap<>();
    private final List<Call> calls = new ArrayList<>();
    private long nextId = 100;
    /** The accounts every site has: guest, the first admin, and the token's web-service user. */
    private final Map<Long, Map<String, String>> siteAccounts = new LinkedHashMap<>();
    private final Set<String> lacking = new java.util.HashSet<>();
    private final Set<String> withoutFunctions = new java.util.HashSet<>();
    private boolean debugging;

    static final List<String> FUNCTIONS = List.of("core_webservice_get_site_info", "core_user_get_users_by_field", "core_user_create_users",
            "core_user_update_users", "core_cohort_search_cohorts", "core_cohort_create_cohorts", "core_cohort_add_cohort_members",
            "core_cohort_delete_cohort_members", "core_cohort_get_cohort_members", "core_enrol_get_enrolled_users", "core_enrol_get_users_courses",
            "core_course_get_courses_by_field", "enrol_manual_enrol_users", "enrol_manual_unenrol_users",
            "core_completion_get_course_completion_status", "core_completion_get_activities_completion_status");

    private MoodleStandIn(String token) throws IOException {
        this.token = token;
        siteAccounts.put(1L, new TreeMap<>(Map.of("username", "guest", "email", "root@localhost", "firstname", "Guest user", "lastname", " ",
                "auth", "manual", "suspended", "0")));
        siteAccounts.put(2L, new TreeMap<>(Map.of("username", "admin", "email", "admin@example.com", "firstname", "Admin", "lastname", "User",
                "auth", "manual", "suspended", "0")));
        siteAccounts.put(3L, new TreeMap<>(Map.of("username", "lbws", "email", "lbws@example.com", "firstname", "LB", "lastname", "WS",
                "auth", "manual", "suspended", "0")));
        // the site's front page is course 1 on every site
        courses.put(1L, new Course(1, "", "Site", false, new TreeMap<>()));
        this.server = HttpServer.create(new InetSocketAddress("127.0.0.1", 0), 0);
        server.createContext(PATH, this::handle);
        server.setExecutor(Executors.newFixedThreadPool(4));
        server.start();
    }

    static MoodleStandIn start(String token) {
        try {
            return new MoodleStandIn(token);
        } catch (IOException e) {
            throw new IllegalStateException("cannot start the Moodle stand-in", e);
        }
    }

    /** The site's root URL (the web services are under {@link #PATH}). */
    URI site() {
        return URI.create("http://127.0.0.1:" + server.getAddress().getPort());
    }

    /** Turns debugging on (Moodle then explains an invalidparameter in {@code debuginfo}) or off (the default). */
    synchronized MoodleStandIn debugging(boolean on) {
        debugging = on;
        return this;
    }

    /** The token's user lacks this capability (moodle/user:viewalldetails, moodle/course:update). */
    synchronized MoodleStandIn lacks(String capability) {
        lacking.add(capability);
        return this;
    }

    /** The token's user has this capability again. */
    synchronized MoodleStandIn grants(String capability) {
        lacking.remove(capability);
        return this;
    }

    /** The token's service does not have this function. */
    synchronized MoodleStandIn withoutFunction(String function) {
        withoutFunctions.add(function);
        return this;
    }

    /** Adds an account as an administrator would (e.g. one created by hand, without idnumber). */
    synchronized long addUser(Map<String, String> fields) {
        long id = nextId++;
        Map<String, String> user = new TreeMap<>(fields);
        user.putIfAbsent("auth", "manual");
        user.putIfAbsent("suspended", "0");
        users.put(id, user);
        return id;
    }

    synchronized Optional<Map<String, String>> user(String idnumber) {
        return users.entrySet().stream().filter(e -> idnumber.equals(e.getValue().get("idnumber")))
                .map(e -> {
                    Map<String, String> copy = new TreeMap<>(e.getValue());
                    copy.put("id", String.valueOf(e.getKey()));
                    return (Map<String, String>) copy;
                }).findFirst();
    }

    synchronized int userCount() {
        return users.size();
    }

    /** The idnumbers of the members of the cohort with this idnumber (empty when there is no such cohort). */
    synchronized Set<String> members(String cohortIdnumber) {
        Set<String> members = new java.util.TreeSet<>();
        cohorts.values().stream().filter(c -> c.idnumber().equals(cohortIdnumber)).forEach(c -> c.members()
                .forEach(id -> members.add(users.get(id).getOrDefault("idnumber", "#" + id))));
        return members;
    }

    synchronized Optional<Cohort> cohort(String idnumber) {
        return cohorts.values().stream().filter(c -> c.idnumber().equals(idnumber)).findFirst();
    }

    /** Adds a cohort as an administrator would (system context). */
    synchronized long addCohort(String idnumber, String name) {
        long id = nextId++;
        cohorts.put(id, new Cohort(id, idnumber, name, "", new LinkedHashSet<>()));
        return id;
    }

    /** Adds a course as an administrator would, with an enabled manual enrolment instance unless {@code manualEnrol} is false. */
    synchronized long addCourse(String idnumber, String shortname, boolean manualEnrol) {
        long id = nextId++;
        courses.put(id, new Course(id, idnumber, shortname, manualEnrol, new TreeMap<>()));
        return id;
    }

    /** Who is enrolled in the course with this idnumber: user id to role id (empty when there is no such course). */
    synchronized Map<Long, Integer> enrolled(String courseIdnumber) {
        return courses.values().stream().filter(c -> c.idnumber().equals(courseIdnumber)).findFirst()
                .map(c -> (Map<Long, Integer>) new TreeMap<>(c.enrolled())).orElse(Map.of());
    }

    synchronized List<Call> calls() {
        return List.copyOf(calls);
    }

    synchronized long calls(String function) {
        return calls.stream().filter(c -> c.function().equals(function)).count();
    }

    @Override
    public void close() {
        server.stop(0);
        ((java.util.concurrent.ExecutorService) server.getExecutor()).shutdownNow();
    }

    // ---- the web service -------------------------------------------------------------------

    /** An exception Moodle's REST server turns into {@code {"exception","errorcode","message","debuginfo"}}. */
    private static final class MoodleError extends RuntimeException {
        final String exception;
        final String errorcode;
        final String debuginfo;

        MoodleError(String exception, String errorcode, String message, String debuginfo) {
            super(message);
            this.exception = exception;
            this.errorcode = errorcode;
            this.debuginfo = debuginfo;
        }

        static MoodleError invalidParameter(String debuginfo) {
            return new MoodleError("invalid_parameter_exception", "invalidparameter", "Invalid parameter value detected", debuginfo);
        }

        static MoodleError missingRecord(String table) {
            return new MoodleError("dml_missing_record_exception", "invalidrecord", "Can't find data record in database table " + table + ".", null);
        }
    }

    private void handle(HttpExchange exchange) throws IOException {
        String body = new String(exchange.getRequestBody().readAllBytes(), StandardCharsets.UTF_8);
        Map<String, String> params = new LinkedHashMap<>();
        for (String pair : body.split("&")) {
            if (pair.isEmpty()) {
                continue;
            }
            int eq = pair.indexOf('=');
            String name = URLDecoder.decode(eq < 0 ? pair : pair.substring(0, eq), StandardCharsets.UTF_8);
            String value = eq < 0 ? "" : URLDecoder.decode(pair.substring(eq + 1), StandardCharsets.UTF_8);
            params.put(name, value);
        }
        String answer;
        synchronized (this) {
            String function = params.remove("wsfunction");
            String wstoken = params.remove("wstoken");
            params.remove("moodlewsrestformat");
            calls.add(new Call(function, Map.copyOf(params)));
            try {
                if (!token.equals(wstoken)) {
                    throw new MoodleError("moodle_exception", "invalidtoken", "Invalid token - token not found", null);
                }
                answer = JSON.writeValueAsString(call(function == null ? "" : function, params));
            } catch (MoodleError e) {
                ObjectNode error = JsonNodeFactory.instance.objectNode();
                error.put("exception", e.exception);
                error.put("errorcode", e.errorcode);
                error.put("message", e.getMessage());
                if (e.debuginfo != null && debugging) {
                    error.put("debuginfo", e.debuginfo);
                }
                answer = error.toString();
            }
        }
        byte[] bytes = answer.getBytes(StandardCharsets.UTF_8);
        exchange.getResponseHeaders().set("Content-Type", "application/json; charset=utf-8");
        exchange.sendResponseHeaders(200, bytes.length);
        try (OutputStream out = exchange.getResponseBody()) {
            out.write(bytes);
        }
    }

    private Object call(String function, Map<String, String> params) {
        if (withoutFunctions.contains(function)) {
            throw new MoodleError("webservice_access_exception", "accessexception", "Access control exception", null);
        }
        return switch (function) {
            case "core_webservice_get_site_info" -> siteInfo();
            case "core_user_get_users_by_field" -> getUsersByField(params);
            case "core_user_create_users" -> createUsers(params);
            case "core_user_update_users" -> updateUsers(params);
            case "core_cohort_search_cohorts" -> searchCohorts(params);
            case "core_cohort_create_cohorts" -> createCohorts(params);
            case "core_cohort_add_cohort_members" -> addCohortMembers(params);
            case "core_cohort_delete_cohort_members" -> deleteCohortMembers(params);
            case "core_course_get_courses_by_field" -> getCoursesByField(params);
            case "enrol_manual_enrol_users" -> enrolUsers(params);
            case "enrol_manual_unenrol_users" -> unenrolUsers(params);
            default -> throw MoodleError.missingRecord("external_functions");
        };
    }

    private ObjectNode siteInfo() {
        ObjectNode info = JsonNodeFactory.instance.objectNode();
        info.put("sitename", "Moodle stand-in").put("username", "lbws").put("firstname", "LB").put("lastname", "WS").put("fullname", "LB WS")
                .put("lang", "en").put("userid", 3).put("siteurl", site().toString()).put("release", "4.4dev (Build: 20231124)")
                .put("version", "2023112400").put("userissiteadmin", false).put("siteid", 1);
        ArrayNode functions = info.putArray("functions");
        FUNCTIONS.stream().filter(f -> !withoutFunctions.contains(f)).forEach(f -> functions.addObject().put("name", f).put("version", "2023112400"));
        return info;
    }

    private ArrayNode getUsersByField(Map<String, String> params) {
        String field = params.getOrDefault("field", "");
        if (!Set.of("id", "idnumber", "username", "email").contains(field)) {
            throw MoodleError.invalidParameter("field => Invalid parameter value detected: field must be id, idnumber, username or email");
        }
        Set<String> values = new LinkedHashSet<>();
        params.forEach((k, v) -> {
            if (k.startsWith("values[")) {
                values.add(v);
            }
        });
        ArrayNode result = JsonNodeFactory.instance.arrayNode();
        boolean allDetails = !lacking.contains("moodle/user:viewalldetails");
        if (!allDetails && (field.equals("idnumber") || field.equals("username"))) {
            return result; // Moodle looks these up among the users whose details the caller may see: none
        }
        Map<Long, Map<String, String>> everyone = new LinkedHashMap<>(siteAccounts);
        everyone.putAll(users);
        everyone.forEach((id, user) -> {
            String value = field.equals("id") ? String.valueOf(id) : user.get(field);
            if (value != null && !value.isEmpty() && values.contains(value)) {
                ObjectNode details = details(id, user);
                if (!allDetails && id != 3) {
                    details.remove(List.of("username", "idnumber", "department", "institution", "city", "auth"));
                }
                result.add(details);
            }
        });
        return result;
    }

    /** A user as core_user_get_users_by_field describes one: empty profile fields are left out. */
    private static ObjectNode details(long id, Map<String, String> user) {
        ObjectNode node = JsonNodeFactory.instance.objectNode();
        node.put("id", id);
        for (String field : List.of("username", "firstname", "lastname", "email", "department", "institution", "idnumber", "city", "auth")) {
            String value = user.get(field);
            if (value != null && !value.isEmpty()) {
                node.put(field, value);
            }
        }
        node.put("fullname", user.getOrDefault("firstname", "") + " " + user.getOrDefault("lastname", ""));
        node.put("suspended", "1".equals(user.get("suspended")));
        node.put("confirmed", true);
        return node;
    }

    private ArrayNode createUsers(Map<String, String> params) {
        List<Map<String, String>> requested = items(params, "users", CREATE_KEYS);
        Set<String> usernames = new java.util.HashSet<>();
        Set<String> emails = new java.util.HashSet<>();
        for (Map<String, String> user : requested) {
            String username = user.getOrDefault("username", "");
            for (String name : List.of("username", "firstname", "lastname")) {
                if (user.getOrDefault(name, "").isBlank()) {
                    throw MoodleError.invalidParameter("The field " + name + " cannot be blank");
                }
            }
            if (!username.equals(username.toLowerCase(Locale.ROOT).strip()) || !username.matches("[a-z0-9_.@-]+")) {
                throw MoodleError.invalidParameter("users => Invalid parameter value detected: username => Invalid parameter value detected");
            }
            if (!usernames.add(username) || users.values().stream().anyMatch(u -> username.equals(u.get("username")))
                    || siteAccounts.values().stream().anyMatch(u -> username.equals(u.get("username")))) {
                throw MoodleError.invalidParameter("Username already exists: " + username);
            }
            String auth = user.getOrDefault("auth", "manual");
            if (!AUTH_PLUGINS.contains(auth)) {
                throw MoodleError.invalidParameter("Invalid authentication type: " + auth);
            }
            if (INTERNAL_AUTH.contains(auth) && user.getOrDefault("password", "").isEmpty() && !"1".equals(user.get("createpassword"))) {
                throw MoodleError.invalidParameter("Invalid password: you must provide a password, or set createpassword.");
            }
            String email = user.getOrDefault("email", "");
            if (!email.matches("[^@\\s]+@[^@\\s]+")) {
                throw MoodleError.invalidParameter("Email address is invalid: " + email);
            }
            if (!emails.add(email.toLowerCase(Locale.ROOT)) || emailTaken(email, null)) {
                throw MoodleError.invalidParameter("Email address already exists: " + email);
            }
        }
        // validated as a whole, as Moodle's transaction: now create them all
        ArrayNode result = JsonNodeFactory.instance.arrayNode();
        for (Map<String, String> user : requested) {
            Map<String, String> stored = new TreeMap<>(user);
            stored.remove("createpassword");
            stored.remove("password");
            stored.putIfAbsent("auth", "manual");
            stored.put("suspended", "0");
            long id = nextId++;
            users.put(id, stored);
            result.addObject().put("id", id).put("username", stored.get("username"));
        }
        return result;
    }

    private ObjectNode updateUsers(Map<String, String> params) {
        List<Map<String, String>> requested = items(params, "users", UPDATE_KEYS);
        ObjectNode result = JsonNodeFactory.instance.objectNode();
        ArrayNode warnings = result.putArray("warnings");
        for (Map<String, String> update : requested) {
            long id = Long.parseLong(update.getOrDefault("id", "0"));
            Map<String, String> user = users.get(id);
            if (user == null) {
                continue; // Moodle skips a user it does not have
            }
            String email = update.get("email");
            if (email != null && !email.equalsIgnoreCase(user.get("email")) && emailTaken(email, id)) {
                warnings.addObject().put("item", "user").put("itemid", id).put("warningcode", "useremailduplicate")
                        .put("message", "Duplicate email address: " + email);
                continue;
            }
            update.forEach((k, v) -> {
                if (!k.equals("id")) {
                    user.put(k, k.equals("suspended") ? (v.equals("1") || v.equalsIgnoreCase("true") ? "1" : "0") : v);
                }
            });
        }
        return result;
    }

    private ObjectNode searchCohorts(Map<String, String> params) {
        if (!params.containsKey("query") || (!params.containsKey("context[contextid]") && !params.containsKey("context[contextlevel]"))) {
            throw MoodleError.invalidParameter("Missing required key in single structure: query or context");
        }
        String includes = params.getOrDefault("includes", "parents");
        if (!Set.of("all", "parents", "self").contains(includes)) {
            throw new MoodleError("coding_exception", "codingerror", "Coding error detected, it must be fixed by a programmer: Invalid parameter value for 'includes'.", null);
        }
        String query = params.get("query").toLowerCase(Locale.ROOT);
        // as cohort_get_all_cohorts($page, $perpage, $search): limitfrom is a page, limitnum its size (0: all), by name
        int page = Integer.parseInt(params.getOrDefault("limitfrom", "0"));
        int limit = Integer.parseInt(params.getOrDefault("limitnum", "25"));
        ObjectNode result = JsonNodeFactory.instance.objectNode();
        ArrayNode found = result.putArray("cohorts");
        cohorts.values().stream()
                .filter(c -> (c.name() + "\n" + c.idnumber() + "\n" + c.description()).toLowerCase(Locale.ROOT).contains(query))
                .sorted(java.util.Comparator.comparing(Cohort::name))
                .skip(limit == 0 ? 0 : (long) page * limit)
                .limit(limit == 0 ? Long.MAX_VALUE : limit)
                .forEach(c -> found.addObject().put("id", c.id()).put("name", c.name()).put("idnumber", c.idnumber())
                        .put("description", c.description()).put("descriptionformat", 1).put("visible", true));
        return result;
    }

    private ArrayNode createCohorts(Map<String, String> params) {
        List<Map<String, String>> requested = items(params, "cohorts",
                Set.of("categorytype", "name", "idnumber", "description", "descriptionformat", "visible", "theme", "customfields"));
        for (Map<String, String> cohort : requested) {
            String type = cohort.getOrDefault("categorytype.type", "");
            if (!type.equals("system")) {
                throw MoodleError.invalidParameter("category not exists: category " + type + " = " + cohort.get("categorytype.value"));
            }
            String idnumber = cohort.getOrDefault("idnumber", "");
            if (cohorts.values().stream().anyMatch(c -> c.idnumber().equals(idnumber))) {
                throw MoodleError.invalidParameter("record already exists: idnumber=" + idnumber);
            }
        }
        ArrayNode result = JsonNodeFactory.instance.arrayNode();
        for (Map<String, String> cohort : requested) {
            long id = nextId++;
            Cohort created = new Cohort(id, cohort.get("idnumber"), cohort.getOrDefault("name", ""), cohort.getOrDefault("description", ""),
                    new LinkedHashSet<>());
            cohorts.put(id, created);
            result.addObject().put("id", id).put("name", created.name()).put("idnumber", created.idnumber())
                    .put("description", created.description()).put("descriptionformat", 1).put("visible", true);
        }
        return result;
    }

    /** core_cohort_add_cohort_members: per member, added or a warning (code and message, no item). */
    private ObjectNode addCohortMembers(Map<String, String> params) {
        ObjectNode result = JsonNodeFactory.instance.objectNode();
        ArrayNode warnings = result.putArray("warnings");
        for (Map<String, String> member : items(params, "members", Set.of("cohorttype", "usertype"))) {
            String cohortType = member.getOrDefault("cohorttype.type", "");
            String cohortValue = member.getOrDefault("cohorttype.value", "");
            String userType = member.getOrDefault("usertype.type", "");
            String userValue = member.getOrDefault("usertype.value", "");
            if (!cohortType.equals("id") && !cohortType.equals("idnumber")) {
                warnings.addObject().put("warningcode", "1").put("message", "invalid parameter: cohortype=" + cohortType);
                continue;
            }
            if (!userType.equals("id") && !userType.equals("username")) {
                warnings.addObject().put("warningcode", "1").put("message", "invalid parameter: usertype=" + userType);
                continue;
            }
            Optional<Cohort> cohort = cohorts.values().stream()
                    .filter(c -> cohortType.equals("id") ? String.valueOf(c.id()).equals(cohortValue) : c.idnumber().equals(cohortValue)).findFirst();
            if (cohort.isEmpty()) {
                warnings.addObject().put("warningcode", "2").put("message", "cohort " + cohortType + "=" + cohortValue + " not exists");
                continue;
            }
            Optional<Long> user = users.entrySet().stream()
                    .filter(e -> userType.equals("id") ? String.valueOf(e.getKey()).equals(userValue) : userValue.equals(e.getValue().get("username")))
                    .map(Map.Entry::getKey).findFirst();
            if (user.isEmpty()) {
                warnings.addObject().put("warningcode", "2").put("message", "user " + userType + "=" + userValue + " not exists");
                continue;
            }
            if (!cohort.get().members().add(user.get())) {
                warnings.addObject().put("warningcode", "3").put("message", "record already exists: cohort(" + cohortType + "=" + cohortValue
                        + " " + userType + "=" + userValue + ")");
            }
        }
        return result;
    }

    private NullNode deleteCohortMembers(Map<String, String> params) {
        List<Map<String, String>> members = items(params, "members", Set.of("cohortid", "userid"));
        for (Map<String, String> member : members) {
            Cohort cohort = cohorts.get(Long.parseLong(member.getOrDefault("cohortid", "0")));
            if (cohort == null) {
                throw MoodleError.missingRecord("cohort");
            }
            if (!users.containsKey(Long.parseLong(member.getOrDefault("userid", "0")))) {
                throw MoodleError.missingRecord("user");
            }
        }
        members.forEach(m -> cohorts.get(Long.parseLong(m.get("cohortid"))).members().remove(Long.parseLong(m.get("userid"))));
        return NullNode.instance;
    }

    private ObjectNode getCoursesByField(Map<String, String> params) {
        String field = params.getOrDefault("field", "");
        String value = params.getOrDefault("value", "");
        if (!Set.of("", "id", "ids", "shortname", "idnumber", "category", "sectionid").contains(field)) {
            throw MoodleError.invalidParameter("field => Invalid parameter value detected (field must be id, ids, shortname, idnumber, category or sectionid)");
        }
        ObjectNode result = JsonNodeFactory.instance.objectNode();
        ArrayNode list = result.putArray("courses");
        for (Course course : courses.values()) {
            boolean match = switch (field) {
                case "" -> true;
                case "id" -> value.equals(String.valueOf(course.id()));
                case "ids" -> Set.of(value.split(",")).contains(String.valueOf(course.id()));
                case "shortname" -> value.equals(course.shortname());
                case "idnumber" -> value.equals(course.idnumber());
                default -> false;
            };
            if (match) {
                ObjectNode c = list.addObject();
                c.put("id", course.id());
                c.put("fullname", course.shortname());
                c.put("displayname", course.shortname());
                c.put("shortname", course.shortname());
                c.put("categoryid", 1);
                c.put("categoryname", "Category 1");
                c.put("sortorder", 10000 + course.id());
                c.put("summary", "");
                c.put("summaryformat", 1);
                c.putArray("summaryfiles");
                c.putArray("overviewfiles");
                c.putArray("contacts");
                c.putArray("enrollmentmethods").add(course.manualEnrol() ? "manual" : "self");
                if (!lacking.contains("moodle/course:update")) {
                    c.put("idnumber", course.idnumber());
                }
                c.put("format", "topics");
                c.put("visible", 1);
                c.put("startdate", 1700000000);
                c.put("enddate", 0);
            }
        }
        result.putArray("warnings");
        return result;
    }

    /** As enrol_manual_external::enrol_users: every enrolment checked first (one transaction), then all made; {@code null}. */
    private NullNode enrolUsers(Map<String, String> params) {
        List<Map<String, String>> enrolments = items(params, "enrolments", Set.of("roleid", "userid", "courseid", "timestart", "timeend", "suspend"));
        for (Map<String, String> e : enrolments) {
            Course course = manualCourse(e);
            int roleId = Integer.parseInt(e.getOrDefault("roleid", "0"));
            long userId = Long.parseLong(e.getOrDefault("userid", "0"));
            if (!ASSIGNABLE_ROLES.contains(roleId)) {
                throw new MoodleError("moodle_exception", "wsusercannotassign", "You don't have the permission to assign this role (" + roleId
                        + ") to this user (" + userId + ") in this course(" + course.id() + ").", null);
            }
            if (!users.containsKey(userId)) {
                throw MoodleError.missingRecord("user");
            }
        }
        for (Map<String, String> e : enrolments) {
            courses.get(Long.parseLong(e.get("courseid"))).enrolled().put(Long.parseLong(e.get("userid")), Integer.parseInt(e.get("roleid")));
        }
        return NullNode.instance;
    }

    /** As enrol_manual_external::unenrol_users: a user who is not enrolled is no error; {@code null}. */
    private NullNode unenrolUsers(Map<String, String> params) {
        List<Map<String, String>> enrolments = items(params, "enrolments", Set.of("userid", "courseid", "roleid"));
        for (Map<String, String> e : enrolments) {
            manualCourse(e);
            String userId = e.getOrDefault("userid", "0");
            if (!users.containsKey(Long.parseLong(userId))) {
                throw MoodleError.invalidParameter("User id not exist: " + userId);
            }
        }
        for (Map<String, String> e : enrolments) {
            courses.get(Long.parseLong(e.get("courseid"))).enrolled().remove(Long.parseLong(e.get("userid")));
        }
        return NullNode.instance;
    }

    private Course manualCourse(Map<String, String> enrolment) {
        String courseId = enrolment.getOrDefault("courseid", "0");
        Course course = courses.get(Long.parseLong(courseId));
        if (course == null) {
            throw new MoodleError("invalid_parameter_exception", "invalidparameter", "Invalid parameter value detected (Context does not exist)",
                    "Context does not exist");
        }
        if (!course.manualEnrol()) {
            throw new MoodleError("moodle_exception", "wsnoinstance", "Manual enrolment plugin instance doesn't exist or is disabled for the course (id = "
                    + courseId + ")", null);
        }
        return course;
    }

    private boolean emailTaken(String email, Long except) {
        return users.entrySet().stream().anyMatch(e -> !e.getKey().equals(except) && email.equalsIgnoreCase(e.getValue().get("email")));
    }

    /**
     * The items of a list parameter in Moodle's array syntax: {@code users[0][username]} is item 0's
     * {@code username}, {@code members[0][cohorttype][type]} item 0's {@code cohorttype.type}. Keys
     * outside {@code allowed} are refused as Moodle's validate_parameters does.
     */
    private static List<Map<String, String>> items(Map<String, String> params, String list, Set<String> allowed) {
        TreeMap<Integer, Map<String, String>> items = new TreeMap<>();
        for (Map.Entry<String, String> e : params.entrySet()) {
            Matcher m = ITEM.matcher(e.getKey());
            if (!m.matches() || !m.group(1).equals(list)) {
                throw MoodleError.invalidParameter("Unexpected keys (" + e.getKey() + ") detected in parameter array.");
            }
            String key = m.group(3).replaceAll("^\\[|]$", "").replace("][", ".");
            String top = key.contains(".") ? key.substring(0, key.indexOf('.')) : key;
            if (!allowed.contains(top)) {
                throw MoodleError.invalidParameter(list + " => Invalid parameter value detected: Unexpected keys (" + top
                        + ") detected in parameter array.");
            }
            items.computeIfAbsent(Integer.parseInt(m.group(2)), i -> new LinkedHashMap<>()).put(key, e.getValue());
        }
        if (items.isEmpty()) {
            throw MoodleError.invalidParameter("Missing required key in single structure: " + list);
        }
        return new ArrayList<>(items.values());
    }
}
