package io.learnbridge.delivery.scim;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.node.ArrayNode;
import com.fasterxml.jackson.databind.node.JsonNodeFactory;
import com.fasterxml.jackson.databind.node.ObjectNode;
import java.time.Duration;
import java.util.ArrayList;
import java.util.IllegalFormatException;
import java.util.List;
import java.util.Objects;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.ConcurrentMap;

/**
 * Keeps a worker's membership of their org unit's SCIM Group in step (RFC 7643 §4.2, RFC 7644): one
 * group per org unit, found by {@code externalId eq "<orgUnit>"} (falling back to {@code displayName},
 * for a group an administrator made), created when missing with that {@code externalId} and a
 * {@code displayName} from a pattern ({@code "org-%s"}), members added and removed with PATCH (§3.5.2).
 *
 * <p>{@link #sync} writes only what is missing: it asks whether the user is a member
 * ({@code id eq "<group>" and members[value eq "<user>"]}) before an {@code add}, and before a
 * {@code remove}, so repeating a sync writes nothing. That check matters beyond saving requests:
 * RFC 7644 §3.5.2.1 says an {@code add} of a value already there SHOULD change nothing and SHALL NOT
 * change the modify timestamp, but not every service provider honours it. The scimmy 1.3.5 test
 * server ({@code ScimServer}) appends a second {@code {"value": id}} to {@code members} and bumps
 * {@code meta.version} and {@code meta.lastModified}; a {@code remove} whose filter matches no member
 * answers 204 yet bumps them too (RFC 7644 §3.5.2 lists 400 {@code noTarget} for "a filter that yields
 * no match"; that answer is taken as done here). Two bridges adding the same member in the same
 * instant can still race past the check; a removal removes every copy.
 *
 * <p>On a move the member is added to the new group before being removed from the old one, so a
 * worker is never in neither. Group ids are cached per org unit in memory; a 404 from a cached group
 * drops it from the cache and the step is tried once more. A failure stops the sync and is classified
 * as {@link ScimClient.Reply} does; what was done before it is in the {@link Result}, and a retry of
 * the whole sync is safe. Thread-safe; two bridges creating the same group meet the service's
 * {@code externalId} uniqueness (409), after which the other's group is used.
 */
public final class ScimGroups {

    static final String GROUP_SCHEMA = "urn:ietf:params:scim:schemas:core:2.0:Group";
    static final String PATCH_OP = "urn:ietf:params:scim:api:messages:2.0:PatchOp";
    private static final JsonNodeFactory NODES = JsonNodeFactory.instance;

    /** One write that {@link #sync} made. */
    public enum Change { GROUP_CREATED, MEMBER_ADDED, MEMBER_REMOVED }

    /**
     * Why a sync stopped: the step ({@code "add member to the group of org unit ENG"}), the service's
     * reply (null when the answer was usable but wrong, e.g. two groups for one org unit) and one line
     * saying what happened.
     */
    public record Failure(String step, ScimClient.Reply reply, String detail) {
    }

    /** The writes made, in order, and the failure that stopped the sync (null when it finished). */
    public record Result(List<Change> changes, Failure failure) {

        public Result {
            changes = List.copyOf(changes);
        }

        /** The membership is as asked (whether or not something had to be written). */
        public boolean ok() {
            return failure == null;
        }

        /** Worth another attempt later: no answer, 408, 429 or 5xx ({@link ScimClient.Reply#isTransient()}). */
        public boolean isTransient() {
            return failure != null && failure.reply() != null && failure.reply().isTransient();
        }

        /** The service as a whole is unavailable ({@link ScimClient.Reply#serviceUnavailable()}). */
        public boolean serviceUnavailable() {
            return failure != null && failure.reply() != null && failure.reply().serviceUnavailable();
        }

        /** 401 or 403 ({@link ScimClient.Reply#refusedCredentials()}). */
        public boolean refusedCredentials() {
            return failure != null && failure.reply() != null && failure.reply().refusedCredentials();
        }

        /** The service's {@code Retry-After}, or null. */
        public Duration retryAfter() {
            return failure == null || failure.reply() == null ? null : failure.reply().retryAfter();
        }

        /** "add member to the group of org unit ENG: HTTP 503 ...", or null when ok. */
        public String detail() {
            return failure == null ? null : failure.step() + ": " + failure.detail();
        }
    }

    private final ScimClient client;
    private final String displayNamePattern;
    private final ConcurrentMap<String, String> groupIds = new ConcurrentHashMap<>();

    /**
     * @param displayNamePattern the {@code displayName} of a new group, with one {@code %s} for the org
     *                           unit, e.g. {@code "org-%s"}
     */
    public ScimGroups(ScimClient client, String displayNamePattern) {
        this.client = Objects.requireNonNull(client, "client");
        if (!namesTheOrgUnit(displayNamePattern)) {
            throw new IllegalArgumentException("SCIM group displayName pattern must contain %s for the org unit, found '"
                    + displayNamePattern + "'");
        }
        this.displayNamePattern = displayNamePattern;
    }

    /**
     * Puts the user in the group of {@code newOrgUnit} and takes them out of the group of
     * {@code oldOrgUnit}.
     *
     * @param userScimId the user's SCIM {@code id} (not their externalId)
     * @param oldOrgUnit the org unit the user was in, or null (a joiner)
     * @param newOrgUnit the org unit the user is in now, or null (a leaver, or no org unit)
     */
    public Result sync(String userScimId, String oldOrgUnit, String newOrgUnit) {
        if (userScimId == null || userScimId.isBlank()) {
            throw new IllegalArgumentException("SCIM user id is blank");
        }
        String next = blankToNull(newOrgUnit);
        String previous = blankToNull(oldOrgUnit);
        List<Change> changes = new ArrayList<>();
        try {
            if (next != null) {
                join(userScimId, next, changes);
            }
            if (previous != null && !previous.equals(next)) {
                leave(userScimId, previous, changes);
            }
            return new Result(changes, null);
        } catch (Stopped stopped) {
            return new Result(changes, stopped.failure);
        }
    }

    /** The {@code displayName} a new group for {@code orgUnit} gets. */
    public String displayName(String orgUnit) {
        return displayNamePattern.formatted(orgUnit);
    }

    private void join(String user, String orgUnit, List<Change> changes) {
        for (int attempt = 1; ; attempt++) {
            int before = changes.size();
            String groupId = groupId(orgUnit, true, changes);
            boolean created = changes.size() > before;
            if (!created && isMember(groupId, user, orgUnit)) {
                return;
            }
            ScimClient.Reply added = client.patchGroup(groupId, members("add", "members", user));
            if (added.ok()) {
                changes.add(Change.MEMBER_ADDED);
                return;
            }
            if (gone(added, orgUnit, groupId) && attempt == 1) {
                continue;
            }
            throw stop("add member to the group of org unit " + orgUnit, added);
        }
    }

    private void leave(String user, String orgUnit, List<Change> changes) {
        for (int attempt = 1; ; attempt++) {
            String groupId = groupId(orgUnit, false, changes);
            if (groupId == null || !isMember(groupId, user, orgUnit)) {
                return;
            }
            ScimClient.Reply removed = client.patchGroup(groupId,
                    members("remove", "members[value eq " + ScimClient.literal(user) + "]", null));
            if (removed.ok()) {
                changes.add(Change.MEMBER_REMOVED);
                return;
            }
            if (removed.status() != null && removed.status() == 400 && "noTarget".equals(scimType(removed))) {
                return; // gone between the check and the PATCH: RFC 7644 §3.5.2 "a filter that yields no match"
            }
            if (gone(removed, orgUnit, groupId)) {
                if (attempt == 1) {
                    continue;
                }
                return;
            }
            throw stop("remove member from the group of org unit " + orgUnit, removed);
        }
    }

    /** A 404 from a group: forget its id, so that the next look-up asks the service again. */
    private boolean gone(ScimClient.Reply reply, String orgUnit, String groupId) {
        if (reply.status() != null && reply.status() == 404) {
            groupIds.remove(orgUnit, groupId);
            return true;
        }
        return false;
    }

    private boolean isMember(String groupId, String user, String orgUnit) {
        ScimClient.Reply reply = client.findGroupMember(groupId, user);
        if (!reply.ok()) {
            throw stop("check membership of the group of org unit " + orgUnit, reply);
        }
        return !resources(reply).isEmpty() || (reply.body() != null && reply.body().path("totalResults").asInt() > 0);
    }

    /** The cached or looked-up group id; a missing group is created when {@code create}, else null. */
    private String groupId(String orgUnit, boolean create, List<Change> changes) {
        String cached = groupIds.get(orgUnit);
        if (cached != null) {
            return cached;
        }
        String id = lookUp(orgUnit);
        if (id == null && create) {
            id = create(orgUnit, changes);
        }
        if (id != null) {
            groupIds.put(orgUnit, id);
        }
        return id;
    }

    private String lookUp(String orgUnit) {
        String step = "find the group of org unit " + orgUnit;
        ScimClient.Reply byExternalId = client.findGroupByExternalId(orgUnit);
        if (!byExternalId.ok()) {
            throw stop(step, byExternalId);
        }
        String id = onlyId(step, "externalId", resources(byExternalId));
        if (id != null) {
            return id;
        }
        ScimClient.Reply byDisplayName = client.findGroupByDisplayName(displayName(orgUnit));
        if (!byDisplayName.ok()) {
            throw stop(step, byDisplayName);
        }
        return onlyId(step, "displayName", resources(byDisplayName));
    }

    private static String onlyId(String step, String attribute, List<JsonNode> groups) {
        if (groups.size() > 1) {
            throw new Stopped(new Failure(step, null, groups.size() + " groups have this " + attribute + "; expected one"));
        }
        return groups.isEmpty() ? null : groups.get(0).path("id").asText(null);
    }

    private String create(String orgUnit, List<Change> changes) {
        ObjectNode group = NODES.objectNode();
        group.putArray("schemas").add(GROUP_SCHEMA);
        group.put("displayName", displayName(orgUnit));
        group.put("externalId", orgUnit);
        ScimClient.Reply created = client.createGroup(group);
        String step = "create the group of org unit " + orgUnit;
        if (created.ok()) {
            String id = created.body() == null ? null : created.body().path("id").asText(null);
            if (id == null) {
                throw new Stopped(new Failure(step, null, created.detail() + " without the new group's id"));
            }
            changes.add(Change.GROUP_CREATED);
            return id;
        }
        if (created.status() != null && created.status() == 409) {
            String id = lookUp(orgUnit); // created by another bridge since our look-up
            if (id != null) {
                return id;
            }
        }
        throw stop(step, created);
    }

    /** A PatchOp message with one operation; {@code member} null for a remove (the path names it). */
    private static ObjectNode members(String op, String path, String member) {
        ObjectNode patch = NODES.objectNode();
        patch.putArray("schemas").add(PATCH_OP);
        ObjectNode operation = patch.putArray("Operations").addObject().put("op", op).put("path", path);
        if (member != null) {
            ArrayNode value = operation.putArray("value");
            value.addObject().put("value", member);
        }
        return patch;
    }

    private static List<JsonNode> resources(ScimClient.Reply reply) {
        List<JsonNode> list = new ArrayList<>();
        if (reply.body() != null) {
            reply.body().path("Resources").forEach(list::add);
        }
        return list;
    }

    private static String scimType(ScimClient.Reply reply) {
        return reply.body() == null ? null : reply.body().path("scimType").asText(null);
    }

    private static boolean namesTheOrgUnit(String pattern) {
        try {
            return pattern != null && !pattern.formatted("a").equals(pattern.formatted("b"));
        } catch (IllegalFormatException e) {
            return false;
        }
    }

    private static String blankToNull(String text) {
        return text == null || text.isBlank() ? null : text;
    }

    private static Stopped stop(String step, ScimClient.Reply reply) {
        return new Stopped(new Failure(step, reply, reply.detail()));
    }

    /** Ends a sync early with its failure; never leaves this class. */
    private static final class Stopped extends RuntimeException {

        private final transient Failure failure;

        Stopped(Failure failure) {
            super(failure.detail(), null, false, false);
            this.failure = failure;
        }
    }
}
