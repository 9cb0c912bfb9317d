package io.learnbridge.delivery.moodle;

import com.fasterxml.jackson.core.JsonProcessingException;
import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.node.NullNode;
import java.util.ArrayList;
import java.util.List;
import java.util.Locale;
import java.util.Optional;
import java.util.Set;

/**
 * The one place that decides what a Moodle web-service answer means (Debezium's
 * {@code ErrorHandler} idea). Moodle's REST server answers almost everything with HTTP 200: a
 * failure is a body {@code {"exception","errorcode","message"[,"debuginfo"]}}, a partial failure
 * a result with {@code "warnings":[{"item","itemid","warningcode","message"}]}, and a function
 * with nothing to return (enrolments, cohort member removal, updates on older sites) answers
 * {@code null}. The HTTP status alone says nothing, so it is never used alone.
 *
 * <table>
 *   <caption>Moodle answers and what they mean</caption>
 *   <tr><th>Answer</th><th>{@link Severity}</th></tr>
 *   <tr><td>no answer (I/O error, timeout), HTTP 5xx, 408, 429, errorcode {@code sitemaintenance}</td><td>UNAVAILABLE</td></tr>
 *   <tr><td>errorcode {@code invalidtoken}, {@code accessexception}, {@code servicerequireslogin}, {@code nopermissions}, ...
 *       ({@link #CONFIGURATION_CODES}); {@code invalidrecord} for table {@code external_functions} (the function is not on
 *       the site); other HTTP 4xx (403: REST protocol disabled, 404: wrong URL); a 200 that is not JSON</td><td>CONFIGURATION</td></tr>
 *   <tr><td>errorcode {@code dmlwriteexception}, {@code dmlreadexception}, ... ({@link #TRANSIENT_CODES})</td><td>TRANSIENT</td></tr>
 *   <tr><td>any other errorcode: {@code invalidparameter} (username or email taken, blank name, bad auth),
 *       {@code invalidrecord}, ...</td><td>RECORD</td></tr>
 *   <tr><td>a warning (see {@link #failure(Warning)}): the warned item only; "record already exists" of a
 *       cohort membership is a repeat, not a failure</td><td>RECORD</td></tr>
 *   <tr><td>{@code null}, a list, any other object</td><td>{@link Result}</td></tr>
 * </table>
 */
public final class MoodleResponses {

    /** What a failure means for the deliveries it concerns. */
    public enum Severity {
        /** Moodle cannot be reached or is in maintenance: the whole batch tries again later. */
        UNAVAILABLE,
        /** The site refuses LearnBridge itself (token, service, capability, URL): no retry helps, every delivery of the batch is queued. */
        CONFIGURATION,
        /** Moodle failed this call (a database write or read): the deliveries in it try again later. */
        TRANSIENT,
        /** Moodle refused this record: it goes to the exception queue, the others go on. */
        RECORD;

        public boolean retryable() {
            return this == UNAVAILABLE || this == TRANSIENT;
        }

        /** True when the failure says nothing about one record and concerns every call to the site. */
        public boolean siteWide() {
            return this == UNAVAILABLE || this == CONFIGURATION;
        }
    }

    /** Moodle's answer to one call. */
    public sealed interface Answer permits Result, Failure {
    }

    /** The function ran: its result ({@link NullNode} for {@code null}) and its warnings, if any. */
    public record Result(JsonNode value, List<Warning> warnings) implements Answer {
        public Result {
            warnings = List.copyOf(warnings);
        }
    }

    /**
     * The function did not run (or the call never arrived). {@code errorcode} is Moodle's, or
     * {@code http<status>} / {@code io} / {@code notjson} / {@code warning:<code>} when Moodle gave none;
     * {@code reason} is what an operator reads; {@code excerpt} is the start of the answer.
     */
    public record Failure(Severity severity, String errorcode, String reason, Integer httpStatus, String excerpt) implements Answer {

        /** The same failure, its reason prefixed with what was being done. */
        public Failure during(String what) {
            return new Failure(severity, errorcode, what + ": " + reason, httpStatus, excerpt);
        }
    }

    /** One item of Moodle's {@code external_warnings}. */
    public record Warning(String item, String itemId, String warningcode, String message) {
    }

    /** Errors of the site's web-service set-up or of the token's user: nothing a retry or another record changes. */
    public static final Set<String> CONFIGURATION_CODES = Set.of(
            "invalidtoken", "invalidtimedtoken", "invalidiptoken", "accessexception", "servicerequireslogin",
            "webservicesdisabled", "servicenotavailable", "nopermissions", "requireloginerror",
            "wsaccessuserdeleted", "wsaccessusersuspended", "wsaccessusernologin", "wsaccessuserexpired",
            "usernotfullysetup", "sitepolicynotagreed", "invalidsesskey");

    /** Errors of Moodle's database or state that pass: the same call may succeed later. */
    public static final Set<String> TRANSIENT_CODES = Set.of(
            "dmlwriteexception", "dmlreadexception", "dmltransactionexception", "dbconnectionfailed",
            "dbsessionlocktimeout", "sessionwaiterr");

    /** Errors meaning the site cannot serve anything right now. */
    public static final Set<String> UNAVAILABLE_CODES = Set.of("sitemaintenance");

    private static final ObjectMapper JSON = new ObjectMapper();
    private static final int EXCERPT = 500;

    private MoodleResponses() {
    }

    /** Classifies an HTTP answer: its status and body. */
    public static Answer classify(int status, String body) {
        String text = body == null ? "" : body.strip();
        if (io.learnbridge.delivery.TargetFailure.retryable(status)) {
            return new Failure(Severity.UNAVAILABLE, "http" + status, "Moodle answered HTTP " + status, status, excerpt(text));
        }
        if (status < 200 || status >= 300) {
            return new Failure(Severity.CONFIGURATION, "http" + status, "Moodle answered HTTP " + status
                    + (status == 403 ? " (is the REST protocol enabled?)" : status == 404 ? " (check the site URL)" : ""), status, excerpt(text));
        }
        if (text.isEmpty()) {
            return new Failure(Severity.UNAVAILABLE, "empty", "Moodle answered HTTP " + status + " with an empty body", status, "");
        }
        JsonNode node;
        try {
            node = JSON.readTree(text);
        } catch (JsonProcessingException e) {
            return new Failure(Severity.CONFIGURATION, "notjson", "the answer is not a Moodle web-service answer (JSON): check the site URL"
                    + " and that moodlewsrestformat=json is honoured", status, excerpt(text));
        }
        if (node == null || node.isMissingNode()) {
            return new Failure(Severity.UNAVAILABLE, "empty", "Moodle answered HTTP " + status + " with an empty body", status, "");
        }
        if (node.isObject() && (node.has("exception") || node.has("errorcode"))) {
            return exception(node, status, text);
        }
        List<Warning> warnings = new ArrayList<>();
        if (node.isObject() && node.path("warnings").isArray()) {
            for (JsonNode w : node.path("warnings")) {
                warnings.add(new Warning(textOrNull(w.get("item")), textOrNull(w.get("itemid")), textOrNull(w.get("warningcode")),
                        w.path("message").asText("")));
            }
        }
        return new Result(node, warnings);
    }

    /** No answer at all: the site is unreachable, or it did not answer in time. */
    public static Failure unreachable(Exception e) {
        return new Failure(Severity.UNAVAILABLE, "io", "Moodle did not answer: " + e.getClass().getSimpleName()
                + (e.getMessage() == null ? "" : ": " + e.getMessage()), null, null);
    }

    /**
     * What one warning means for its item: a record failure with Moodle's message, or empty when it
     * only says the work was done before (warningcode 3 of {@code core_cohort_add_cohort_members}:
     * "record already exists", the worker is a member already), which a retry must treat as done.
     */
    public static Optional<Failure> failure(Warning warning) {
        String message = warning.message() == null ? "" : warning.message();
        if ("3".equals(warning.warningcode()) && message.toLowerCase(Locale.ROOT).startsWith("record already exists")) {
            return Optional.empty();
        }
        String code = warning.warningcode() == null ? "?" : warning.warningcode();
        return Optional.of(new Failure(Severity.RECORD, "warning:" + code, "Moodle warned (" + code + "): " + message, 200, null));
    }

    private static Failure exception(JsonNode node, int status, String text) {
        String errorcode = node.hasNonNull("errorcode") ? node.get("errorcode").asText() : node.path("exception").asText("unknown");
        String message = node.path("message").asText("");
        String debuginfo = node.hasNonNull("debuginfo") ? node.get("debuginfo").asText().strip() : "";
        String reason = "Moodle refused (" + errorcode + "): " + message + (debuginfo.isEmpty() ? "" : " (" + debuginfo + ")");
        String code = errorcode.toLowerCase(Locale.ROOT);
        Severity severity;
        if (UNAVAILABLE_CODES.contains(code)) {
            severity = Severity.UNAVAILABLE;
        } else if (CONFIGURATION_CODES.contains(code)) {
            severity = Severity.CONFIGURATION;
        } else if (TRANSIENT_CODES.contains(code)) {
            severity = Severity.TRANSIENT;
        } else if (code.equals("invalidrecord") && (message + " " + debuginfo).contains("external_functions")) {
            // the function itself is missing from the site (a plugin not installed, an older Moodle)
            severity = Severity.CONFIGURATION;
        } else {
            severity = Severity.RECORD;
        }
        return new Failure(severity, errorcode, reason, status, excerpt(text));
    }

    private static String textOrNull(JsonNode node) {
        return node == null || node.isNull() ? null : node.asText();
    }

    private static String excerpt(String text) {
        return text.length() <= EXCERPT ? text : text.substring(0, EXCERPT);
    }
}
