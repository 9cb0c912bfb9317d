package io.learnbridge.delivery.lrs;

import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.node.ObjectNode;
import io.learnbridge.worker.CanonicalField;
import io.learnbridge.worker.CanonicalRecord;
import io.learnbridge.worker.ChangeKind;
import java.net.URLEncoder;
import java.nio.charset.StandardCharsets;
import java.util.Map;
import java.util.UUID;

/**
 * Builds the xAPI statement of one worker change for an LRS. The vocabulary is fixed and
 * documented (README, "xAPI statements"):
 * <ul>
 *   <li>actor: an {@code account} with the HR system's {@code homePage} and the worker id as
 *       {@code name}; never an email, which changes and may be shared;</li>
 *   <li>verb: Activity Streams {@code join}, {@code leave} and {@code update}, and LearnBridge's
 *       {@code moved} under the configured vocabulary base;</li>
 *   <li>object: the worker's org unit as an activity of type organization under the base (the
 *       organisation itself when the worker has no org unit);</li>
 *   <li>context extensions: the fields the target mapping names, each under
 *       {@code <base>/extensions/<name>};</li>
 *   <li>timestamp: the change's {@code effectiveAt} as HR sent it.</li>
 * </ul>
 * The statement id is a name-based UUID of the target and the change (source, worker, kind and
 * effective time), so a retried or replayed statement is the same statement, byte for byte, and
 * the LRS keeps one.
 */
public final class XapiStatements {

    private static final ObjectMapper JSON = new ObjectMapper();

    /** Verb IRIs by change kind. */
    public static final Map<ChangeKind, String> VERBS = Map.of(
            ChangeKind.JOIN, "http://activitystrea.ms/schema/1.0/join",
            ChangeKind.LEAVE, "http://activitystrea.ms/schema/1.0/leave",
            ChangeKind.UPDATE, "http://activitystrea.ms/schema/1.0/update");

    private static final Map<ChangeKind, String> DISPLAY = Map.of(
            ChangeKind.JOIN, "joined", ChangeKind.LEAVE, "left", ChangeKind.UPDATE, "updated", ChangeKind.MOVE, "moved");

    /**
     * @param homePage the HR system's home page: the namespace of worker ids in actor accounts
     * @param base the vocabulary base IRI for LearnBridge's verb, activity type, activities and extensions
     */
    public record Config(String homePage, String base) {

        public Config {
            if (!homePage.matches("https?://\\S+") || !base.matches("https?://\\S+")) {
                throw new IllegalArgumentException("homePage and base must be http(s) IRIs, found " + homePage + " and " + base);
            }
            base = base.endsWith("/") ? base.substring(0, base.length() - 1) : base;
        }

        public String verb(ChangeKind kind) {
            return kind == ChangeKind.MOVE ? base + "/verbs/moved" : VERBS.get(kind);
        }

        public String organizationType() {
            return base + "/activity-types/organization";
        }

        public String extension(String name) {
            return base + "/extensions/" + name;
        }
    }

    private final Config config;

    public XapiStatements(Config config) {
        this.config = config;
    }

    /** The deterministic statement id of a change for a target. */
    public static UUID statementId(String target, String changeKey, ChangeKind kind) {
        return UUID.nameUUIDFromBytes(("learnbridge/xapi/" + target + "/" + changeKey + "/" + kind).getBytes(StandardCharsets.UTF_8));
    }

    /**
     * The statement of one change.
     *
     * @param changeKey what identifies the change: {@code <source>/<workerId>/<effectiveAt>}
     * @param extensions the target mapping's output: extension name to value (nulls are left out)
     */
    public ObjectNode statement(String target, String changeKey, ChangeKind kind, CanonicalRecord worker, Map<String, String> extensions) {
        if (kind == ChangeKind.NOOP) {
            throw new IllegalArgumentException("a NOOP is never sent");
        }
        ObjectNode statement = JSON.createObjectNode();
        statement.put("id", statementId(target, changeKey, kind).toString());
        statement.set("actor", actor(worker.workerId()));
        ObjectNode verb = statement.putObject("verb");
        verb.put("id", config.verb(kind));
        verb.putObject("display").put("en-US", DISPLAY.get(kind));
        ObjectNode object = statement.putObject("object");
        object.put("objectType", "Activity");
        String orgUnit = worker.get(CanonicalField.ORG_UNIT.fieldName());
        object.put("id", config.base() + "/organizations/" + (orgUnit == null ? "organization" : URLEncoder.encode(orgUnit, StandardCharsets.UTF_8)));
        ObjectNode definition = object.putObject("definition");
        definition.put("type", config.organizationType());
        definition.putObject("name").put("en-US", orgUnit == null ? "Organization" : orgUnit);
        ObjectNode context = statement.putObject("context");
        ObjectNode ext = context.putObject("extensions");
        extensions.forEach((name, value) -> {
            if (value != null) {
                ext.put(config.extension(name), value);
            }
        });
        if (ext.isEmpty()) {
            statement.remove("context");
        }
        String effectiveAt = worker.get(CanonicalField.EFFECTIVE_AT.fieldName());
        if (effectiveAt != null) {
            statement.put("timestamp", effectiveAt);
        }
        return statement;
    }

    /** Verb of an enrolment (ADL's "registered": officially enrolled in an activity). */
    public static final String REGISTERED = "http://adlnet.gov/expapi/verbs/registered";
    /** Activity type of a curriculum or learning path (ADL's course). */
    public static final String COURSE = "http://adlnet.gov/expapi/activities/course";

    /**
     * The statement of one enrolment change: actor as for changes, verb ADL {@code registered} (an
     * enrolment) or {@code <base>/verbs/unregistered} (an unenrolment), object the curriculum as
     * {@code <base>/curricula/<id>} of type ADL course, timestamp when the rules made the change;
     * the id is a name-based UUID of the target, worker, curriculum, action and that time.
     */
    public ObjectNode enrolment(String target, String workerId, String curriculum, boolean enrol, java.time.Instant at, String reason) {
        ObjectNode statement = JSON.createObjectNode();
        String key = "learnbridge/xapi/" + target + "/enrolment/" + workerId + "/" + curriculum + "/" + (enrol ? "ENROL" : "UNENROL") + "/" + at;
        statement.put("id", UUID.nameUUIDFromBytes(key.getBytes(StandardCharsets.UTF_8)).toString());
        statement.set("actor", actor(workerId));
        ObjectNode verb = statement.putObject("verb");
        verb.put("id", enrol ? REGISTERED : config.base() + "/verbs/unregistered");
        verb.putObject("display").put("en-US", enrol ? "registered" : "unregistered");
        ObjectNode object = statement.putObject("object");
        object.put("objectType", "Activity");
        object.put("id", config.base() + "/curricula/" + URLEncoder.encode(curriculum, StandardCharsets.UTF_8));
        ObjectNode definition = object.putObject("definition");
        definition.put("type", COURSE);
        definition.putObject("name").put("en-US", curriculum);
        if (reason != null && !reason.isBlank()) {
            statement.putObject("context").putObject("extensions").put(config.extension("reason"), reason);
        }
        statement.put("timestamp", at.toString());
        return statement;
    }

    /** ADL's verb of a voiding statement. */
    public static final String VOIDED = "http://adlnet.gov/expapi/verbs/voided";

    /**
     * The voiding statement of a rescinded change (xAPI 1.0.3 §2.3.2): verb ADL {@code voided},
     * object a {@code StatementRef} to the change's statement (its id derived as when it was sent),
     * actor the same account; its own id is a name-based UUID of the statement it voids.
     */
    public ObjectNode voiding(String target, String changeKey, ChangeKind voidedKind, String workerId, java.time.Instant at) {
        String voided = statementId(target, changeKey, voidedKind).toString();
        ObjectNode statement = JSON.createObjectNode();
        statement.put("id", UUID.nameUUIDFromBytes(("learnbridge/xapi/" + target + "/void/" + voided).getBytes(StandardCharsets.UTF_8)).toString());
        statement.set("actor", actor(workerId));
        ObjectNode verb = statement.putObject("verb");
        verb.put("id", VOIDED);
        verb.putObject("display").put("en-US", "voided");
        ObjectNode object = statement.putObject("object");
        object.put("objectType", "StatementRef");
        object.put("id", voided);
        statement.put("timestamp", at.toString());
        return statement;
    }

    /** The worker as an xAPI actor: an account of the HR system's home page, never an email. */
    private ObjectNode actor(String workerId) {
        ObjectNode actor = JSON.createObjectNode();
        actor.put("objectType", "Agent");
        actor.putObject("account").put("homePage", config.homePage()).put("name", workerId);
        return actor;
    }
}
