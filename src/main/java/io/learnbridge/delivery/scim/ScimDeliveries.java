package io.learnbridge.delivery.scim;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import io.learnbridge.support.Metrics;
import io.learnbridge.mapping.Mappings;
import io.learnbridge.support.SettingsException;
import io.learnbridge.store.Delivery;
import io.learnbridge.store.DeliveryQueue;
import io.learnbridge.delivery.Sent;
import io.learnbridge.delivery.TargetBatch;
import io.learnbridge.worker.CanonicalRecord;
import java.io.IOException;
import java.net.URI;
import java.net.URISyntaxException;
import java.time.Duration;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Bean {@code scimDeliveries}: delivers one SCIM 2.0 target's pending deliveries (Kamelet
 * {@code learnbridge-target-send-action}). Each delivery sends the worker's newest state (deliver state, not events)
 * as the route's map step gave it: the user is found by {@code externalId} (the worker id); not found,
 * it is created (POST), found, it is replaced (PUT) with the state written over what the service
 * holds, so attributes the mapping does not list are kept, and nothing is sent when nothing
 * changed. A leaver is {@code active: false}, never deleted; a leaver the service never had is not
 * created. The manager's worker id is resolved to the manager's SCIM id; a manager not in the
 * service yet is linked on a later attempt.
 *
 * <p>Failures: 401/403 fail the delivery and the rest of its batch into the exception queue (the
 * credentials are wrong, nothing would get through); 400, 409 and other 4xx fail the delivery with
 * the service's SCIM error; no answer, 408, 429 and 5xx put it back with exponential backoff (or
 * the service's {@code Retry-After}) until {@code learnbridge.delivery.retryBudget} is spent, and
 * when the whole service is unavailable (no answer, 429, 502-504) the rest of the batch goes back
 * unsent.
 */
public final class ScimDeliveries extends io.learnbridge.delivery.TargetAdapterSupport<ScimDeliveries.Target> implements AutoCloseable {

    private static final Logger LOG = LoggerFactory.getLogger(ScimDeliveries.class);

    /** One target's settings ({@code learnbridge.targets.<t>.*}) and its client. */
    record Target(String name, ScimClient client, ScimGroups groups, String groupPattern, int batchSize) implements Configured {
    }

    /** What became of one delivery. */
    private sealed interface Outcome permits Written, Retry, Failed {
    }

    /** The service holds the state: {@code wrote} false when nothing had to be sent. */
    private record Written(int status, boolean wrote, String pendingManager) implements Outcome {
    }

    /** Try again later; {@code haltBatch}: the service is unavailable, the rest of the batch would fail alike. */
    private record Retry(Integer status, String reason, Duration retryAfter, boolean haltBatch) implements Outcome {
    }

    /** Permanent; {@code haltBatch}: the credentials were refused, the rest of the batch would be too. */
    private record Failed(String stage, Integer status, String reason, String errorClass, String excerpt, boolean haltBatch)
            implements Outcome {
    }

    public ScimDeliveries(DeliveryQueue queue, Mappings mappings, Metrics metrics, io.learnbridge.delivery.TargetSettings settings,
                          Duration initialBackoff, Duration maxBackoff) {
        this(queue, null, mappings, metrics, settings, initialBackoff, maxBackoff);
    }

    /** @param enrolments the enrolment outbox, or null when this bridge sends no enrolments */
    public ScimDeliveries(DeliveryQueue queue, io.learnbridge.store.EnrolmentOutbox enrolments, Mappings mappings, Metrics metrics,
                          io.learnbridge.delivery.TargetSettings settings, Duration initialBackoff, Duration maxBackoff) {
        super(queue, enrolments, mappings, metrics, settings, initialBackoff, maxBackoff, true);
    }

    /**
     * SCIM 2.0 has no enrolments: a rules file that names a SCIM target gets each change in the
     * exception queue, saying so, rather than a queue that never drains.
     */
    @Override
    public Sent sendOne(String targetName, io.learnbridge.store.EnrolmentOutbox.Change change) {
        return new Sent.Failed(null, null, targetName + " is a SCIM 2.0 target, which has no enrolments: take " + targetName
                + " out of mappings/enrolment/rules.yaml (org-unit Groups: learnbridge.targets." + targetName + ".groups)",
                "EnrolmentNotSupported", null);
    }

    @Override
    public Sent sendOne(String targetName, TargetBatch.Mapped delivery) {
        Target target = target(targetName);
        return sent(target, delivery.delivery(), deliver(target, delivery, new HashMap<>()));
    }

    /**
     * The batch's deliveries one after another, managers looked up once per batch. Credentials refused fail the rest
     * of the batch alike; the service unavailable parks the rest of the batch unsent.
     */
    @Override
    public void send(String targetName, TargetBatch batch) {
        Target target = target(targetName);
        // worker id -> SCIM id of users seen in this batch: managers are looked up once
        Map<String, String> scimIds = new HashMap<>();
        List<TargetBatch.Mapped> deliveries = batch.toSend();
        for (int i = 0; i < deliveries.size(); i++) {
            Delivery delivery = deliveries.get(i).delivery();
            Outcome outcome = deliver(target, deliveries.get(i), scimIds);
            batch.sent(delivery, sent(target, delivery, outcome));
            if (outcome instanceof Failed failed && failed.haltBatch()) {
                for (TargetBatch.Mapped rest : deliveries.subList(i + 1, deliveries.size())) {
                    batch.sent(rest.delivery(), sent(target, rest.delivery(), new Failed(failed.stage(), failed.status(), failed.reason()
                            + " (not sent: the credentials were refused for an earlier record of the batch)", failed.errorClass(), failed.excerpt(), false)));
                }
                break;
            }
            if (outcome instanceof Retry retry && retry.haltBatch()) {
                deliveries.subList(i + 1, deliveries.size()).forEach(rest -> batch.sent(rest.delivery(), sent(target, rest.delivery(), retry)));
                break;
            }
        }
        if (!batch.unavailable()) {
            batch.enrolments().forEach(change -> batch.sent(change, sendOne(targetName, change)));
        }
    }

    private Outcome deliver(Target target, TargetBatch.Mapped mapped, Map<String, String> scimIds) {
        try {
            return deliverOne(target, mapped, scimIds);
        } catch (IllegalArgumentException e) {
            return new Failed("map", null, e.getMessage(), "TargetMappingRejected", null, false);
        }
    }

    private Outcome deliverOne(Target target, TargetBatch.Mapped mapped, Map<String, String> scimIds) {
        CanonicalRecord worker = CanonicalRecord.fromJson(mapped.delivery().canonical());
        ScimUser user = ScimUser.fromMapping(mapped.payload());
        String externalId = user.externalId();
        if (externalId == null) {
            return new Failed("map", null, "the target mapping gives no externalId: the SCIM user cannot be found again",
                    "TargetMappingRejected", null, false);
        }
        ScimClient client = target.client();

        String managerId = null;
        String pendingManager = null;
        if (user.managerByWorkerId() && user.managerWorkerId() != null) {
            managerId = scimIds.get(user.managerWorkerId());
            if (managerId == null) {
                ScimClient.Reply manager = client.findByExternalId(user.managerWorkerId());
                if (!manager.ok()) {
                    return failure(target, manager, "look up the manager of");
                }
                List<JsonNode> found = resources(manager);
                if (found.size() == 1) {
                    managerId = found.get(0).path("id").asText();
                    scimIds.put(user.managerWorkerId(), managerId);
                } else {
                    pendingManager = found.isEmpty() ? "manager " + user.managerWorkerId() + " is not a user in " + target.name()
                            : found.size() + " users of " + target.name() + " have the manager's externalId " + user.managerWorkerId();
                }
            }
        }

        ScimClient.Reply lookup = client.findByExternalId(externalId);
        if (!lookup.ok()) {
            return failure(target, lookup, "look up");
        }
        List<JsonNode> existing = resources(lookup);
        if (existing.size() > 1) {
            return new Failed("deliver", lookup.status(), existing.size() + " users of " + target.name() + " have externalId " + externalId
                    + ": merge or delete the extra ones in the service, then replay", "ScimAmbiguousUser", null, false);
        }
        if (existing.isEmpty()) {
            if (user.inactive()) {
                // a leaver the service never had: there is nothing to deactivate, and nothing to provision
                return new Written(lookup.status(), false, null);
            }
            ScimClient.Reply created = client.create(user.forCreate(managerId));
            if (!created.ok()) {
                return failure(target, created, "create");
            }
            String createdId = created.body() == null ? null : created.body().path("id").asText(null);
            if (createdId != null) {
                scimIds.put(externalId, createdId);
            }
            return inOrgUnitGroup(target, new Written(created.status(), true, pendingManager), createdId, null, worker, false);
        }
        ObjectNode current = (ObjectNode) existing.get(0);
        String id = current.path("id").asText("");
        if (id.isBlank()) {
            return new Failed("deliver", lookup.status(), target.name() + " listed the user with externalId " + externalId
                    + " without an id: it cannot be replaced", "ScimRefused", null, false);
        }
        scimIds.put(externalId, id);
        ObjectNode merged = user.mergedInto(current, managerId);
        if (merged.equals(ScimUser.writable(current))) {
            return inOrgUnitGroup(target, new Written(lookup.status(), false, pendingManager), id, current, worker, user.inactive());
        }
        ScimClient.Reply replaced = client.replace(id, merged);
        if (replaced.status() != null && replaced.status() == 404) {
            return new Retry(404, "user " + id + " was deleted from " + target.name() + " between the lookup and the replace", null, false);
        }
        if (!replaced.ok()) {
            return failure(target, replaced, "replace");
        }
        return inOrgUnitGroup(target, new Written(replaced.status(), true, pendingManager), id, current, worker, user.inactive());
    }

    /**
     * With {@code learnbridge.targets.<t>.groups} set: the user is a member of the group of their
     * org unit and of no other org-unit group (the ones they were in are read from the user's
     * {@code groups} attribute, by the display name pattern); a leaver is in none.
     */
    private Outcome inOrgUnitGroup(Target target, Written written, String userId, JsonNode current, CanonicalRecord worker, boolean leaver) {
        if (target.groups() == null || userId == null) {
            return written;
        }
        String orgUnit = leaver ? null : worker.get(io.learnbridge.worker.CanonicalField.ORG_UNIT.fieldName());
        List<String> previous = new java.util.ArrayList<>(orgUnitsOf(current, target.groupPattern()));
        previous.remove(orgUnit);
        if (previous.isEmpty()) {
            previous.add(null);
        }
        for (String old : previous) {
            ScimGroups.Result result = target.groups().sync(userId, old, orgUnit);
            if (result.ok()) {
                continue;
            }
            ScimClient.Reply reply = result.failure().reply();
            if (result.refusedCredentials()) {
                return new Failed("deliver", reply.status(), target.name() + " refused LearnBridge's credentials to " + result.detail(),
                        "ScimCredentialsRefused", null, true);
            }
            if (result.isTransient()) {
                return new Retry(reply.status(), result.detail(), result.retryAfter(), result.serviceUnavailable());
            }
            return new Failed("deliver", reply == null ? null : reply.status(), target.name() + " refused the org-unit group membership ("
                    + result.detail() + ")", "ScimGroupRefused", null, false);
        }
        return written;
    }

    /** The org units whose groups a SCIM user is in, from its {@code groups} attribute and the display name pattern. */
    static List<String> orgUnitsOf(JsonNode user, String pattern) {
        if (user == null || pattern == null || !user.path("groups").isArray()) {
            return List.of();
        }
        int at = pattern.indexOf("%s");
        String prefix = pattern.substring(0, at);
        String suffix = pattern.substring(at + 2);
        List<String> units = new java.util.ArrayList<>();
        for (JsonNode group : user.path("groups")) {
            String display = group.path("display").asText("");
            if (display.length() > prefix.length() + suffix.length() && display.startsWith(prefix) && display.endsWith(suffix)) {
                units.add(display.substring(prefix.length(), display.length() - suffix.length()));
            }
        }
        return units;
    }

    /** The users of a ListResponse (RFC 7644 §3.4.2). */
    private static List<JsonNode> resources(ScimClient.Reply reply) {
        JsonNode resources = reply.body() == null ? null : reply.body().get("Resources");
        if (resources == null || !resources.isArray()) {
            return List.of();
        }
        java.util.ArrayList<JsonNode> users = new java.util.ArrayList<>();
        resources.forEach(r -> {
            if (r.isObject()) {
                users.add(r);
            }
        });
        return users;
    }

    /** The one place that says what a SCIM answer means for the delivery. */
    private static Outcome failure(Target target, ScimClient.Reply reply, String action) {
        String excerpt = reply.body() == null ? reply.detail() : oneLine(reply.body().toString());
        if (reply.refusedCredentials()) {
            return new Failed("deliver", reply.status(), target.name() + " refused LearnBridge's credentials to " + action + " the user ("
                    + reply.detail() + "): check learnbridge.targets." + target.name() + ".token and its permissions, then replay",
                    "ScimCredentialsRefused", excerpt, true);
        }
        if (reply.isTransient()) {
            return new Retry(reply.status(), "could not " + action + " the user in " + target.name() + " (" + reply.detail() + ")",
                    reply.retryAfter(), reply.serviceUnavailable());
        }
        String errorClass = reply.status() == 409 ? "ScimConflict" : "ScimRefused";
        return new Failed("deliver", reply.status(), target.name() + " refused to " + action + " the user (" + reply.detail() + ")",
                errorClass, excerpt, false);
    }

    /**
     * What a delivery's outcome means; a retry that halted the batch (the service is unavailable) counts as the
     * target unavailable. The reason of a failure may quote personal data (a taken userName): it goes to the exception
     * queue, not the log.
     */
    private static Sent sent(Target target, Delivery delivery, Outcome outcome) {
        if (outcome instanceof Written written && written.pendingManager() == null) {
            LOG.debug("Delivery {} of worker {} to {}: {}", delivery.id(), delivery.workerId(), target.name(),
                    written.wrote() ? "written (HTTP " + written.status() + ")" : "already up to date");
            return new Sent.Delivered(written.status());
        } else if (outcome instanceof Written written) {
            return new Sent.Retry(written.status(), null, "the user is written without its manager link: "
                    + written.pendingManager(), "ScimManagerMissing", null, null);
        } else if (outcome instanceof Retry retry) {
            return new Sent.Retry(retry.status(), retry.retryAfter(), retry.reason(), "ScimUnavailable", null,
                    retry.haltBatch() ? retry.reason() : null);
        }
        Failed failed = (Failed) outcome;
        return new Sent.Failed(failed.stage(), failed.status(), failed.reason(), failed.errorClass(), failed.excerpt());
    }

    @Override
    protected Target configure(String name) {
        String prefix = "learnbridge.targets." + name + ".";
        String url = settings.required(prefix + "url");
        URI baseUrl;
        try {
            baseUrl = new URI(url);
        } catch (URISyntaxException e) {
            throw new SettingsException(prefix + "url", "is not a URL: " + e.getMessage());
        }
        if (!"https".equalsIgnoreCase(baseUrl.getScheme()) && !"http".equalsIgnoreCase(baseUrl.getScheme()) || baseUrl.getHost() == null) {
            throw new SettingsException(prefix + "url", "must be the SCIM service's http(s) base URL, e.g. https://lxp.example.com/scim/v2");
        }
        io.learnbridge.delivery.OAuth2ClientCredentials oauth2 = settings.text(prefix + "oauth2.clientId").isPresent()
                ? settings.oauth2(prefix + "oauth2.") : null;
        String token = settings.text(prefix + "token").orElse(null);
        if (token == null && oauth2 == null) {
            throw new SettingsException(prefix + "token", "missing: the SCIM service's bearer token (from the environment), or OAuth 2.0 client "
                    + "credentials in " + prefix + "oauth2.clientId, .clientSecret and .tokenEndpoint");
        }
        int batchSize = settings.integer(prefix + "batchSize", 50, 1, Integer.MAX_VALUE);
        ScimClient client = new ScimClient(new ScimClient.Config(baseUrl, token == null ? null : "Bearer " + token, settings.connectTimeout(),
                settings.responseTimeout()), settings.rateLimit(name), oauth2, breaker(name));
        String groupPattern = settings.text(prefix + "groups").orElse(null);
        ScimGroups groups;
        try {
            groups = groupPattern == null ? null : new ScimGroups(client, groupPattern);
        } catch (IllegalArgumentException e) {
            throw new SettingsException(prefix + "groups", e.getMessage());
        }
        LOG.info("SCIM target {}: {} (batches of {})", name, baseUrl, batchSize);
        return new Target(name, client, groups, groupPattern, batchSize);
    }


    private static String oneLine(String text) {
        String line = text.replaceAll("\\s+", " ").strip();
        return line.length() <= 500 ? line : line.substring(0, 500) + "…";
    }

    @Override
    public void close() throws IOException {
        for (Target target : configured()) {
            target.client().close();
        }
        forget();
    }
}
