package io.learnbridge.delivery.lrs;

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
import io.learnbridge.worker.ChangeKind;
import java.net.URI;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Base64;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.function.Function;

/**
 * Bean {@code lrsDeliveries}: delivers one xAPI target's pending changes (Kamelet
 * {@code learnbridge-target-send-action}). Each change becomes its statement (the change's own state, not the
 * worker's latest: statements are events) with the fields the route's map step gave as context
 * extensions; a batch's statements go out in one POST; a statement the LRS refuses or holds with other
 * content (drift) goes to the exception queue with the LRS's answer, the others are delivered; a
 * transient failure puts the batch back with exponential backoff until the retry budget is spent
 * ({@link io.learnbridge.delivery.TargetOutcomes}).
 */
public final class LrsDeliveries extends io.learnbridge.delivery.TargetAdapterSupport<LrsDeliveries.Target> {

    /** One target's settings ({@code learnbridge.targets.<t>.*}) and its client. */
    record Target(String name, XapiStatements statements, XapiClient client, int batchSize) implements Configured {
    }

    /** @param enrolments the enrolment outbox, or null when this bridge sends no enrolments */
    public LrsDeliveries(DeliveryQueue queue, io.learnbridge.store.EnrolmentOutbox enrolments, Mappings mappings, Metrics metrics,
                         io.learnbridge.delivery.TargetSettings settings, Duration initialBackoff, Duration maxBackoff) {
        // the change's own state, not the worker's newest: statements are events
        super(queue, enrolments, mappings, metrics, settings, initialBackoff, maxBackoff, false);
    }

    /** The delivery's statement, POSTed on its own. */
    @Override
    public Sent sendOne(String targetName, TargetBatch.Mapped delivery) {
        Target target = target(targetName);
        return post(target, List.of(delivery), m -> statement(target, m)).get(delivery);
    }

    /** The enrolment change's statement ({@link XapiStatements#enrolment}), POSTed on its own. */
    @Override
    public Sent sendOne(String targetName, io.learnbridge.store.EnrolmentOutbox.Change change) {
        Target target = target(targetName);
        return post(target, List.of(change), c -> enrolment(target, c)).get(change);
    }

    /** The batch's deliveries as statements in one POST, then its enrolment changes' statements in another. */
    @Override
    public void send(String targetName, TargetBatch batch) {
        Target target = target(targetName);
        post(target, batch.toSend(), m -> statement(target, m)).forEach((m, sent) -> batch.sent(m.delivery(), sent));
        if (batch.unavailable()) {
            return; // the enrolment changes go back to the store untried
        }
        post(target, batch.enrolments(), c -> enrolment(target, c)).forEach(batch::sent);
    }

    private ObjectNode enrolment(Target target, io.learnbridge.store.EnrolmentOutbox.Change change) {
        return target.statements().enrolment(target.name(), change.workerId(), change.curriculum(),
                change.action() == io.learnbridge.store.EnrolmentOutbox.Action.ENROL, change.createdAt(), change.reason());
    }

    /**
     * Each item as its statement, the statements in one POST, and what the LRS's answer to each statement means for
     * its item. An item whose statement cannot be made (a vocabulary that does not fit it) fails at stage map.
     */
    private <I> Map<I, Sent> post(Target target, List<I> items, Function<I, ObjectNode> statement) {
        Map<I, Sent> outcomes = new LinkedHashMap<>();
        Map<String, I> byStatement = new LinkedHashMap<>();
        List<ObjectNode> statements = new ArrayList<>();
        for (I item : items) {
            try {
                ObjectNode made = statement.apply(item);
                byStatement.put(made.path("id").asText(), item);
                statements.add(made);
            } catch (IllegalArgumentException e) {
                outcomes.put(item, new Sent.Failed("map", null, e.getMessage(), null, null));
            }
        }
        if (!statements.isEmpty()) {
            target.client().send(statements).forEach((id, outcome) -> outcomes.put(byStatement.get(id), sent(outcome)));
        }
        return outcomes;
    }

    /** The delivery's statement: its void when HR rescinded the change, else the change with the mapped fields as extensions. */
    private ObjectNode statement(Target target, TargetBatch.Mapped mapped) {
        Delivery delivery = mapped.delivery();
        CanonicalRecord worker = CanonicalRecord.fromJson(delivery.canonical());
        // the change as HR sent it, not where this store keeps it: another installation (or a rebuilt
        // store) sending the same change makes the same statement, never a colliding one
        String changeKey = delivery.source() + "/" + worker.workerId() + "/" + worker.get(io.learnbridge.worker.CanonicalField.EFFECTIVE_AT.fieldName());
        if (delivery.isVoid()) {
            // HR rescinded the change: its statement is voided (the change's key and kind give the statement's id)
            return target.statements().voiding(target.name(), changeKey, ChangeKind.valueOf(delivery.voidedKind()), worker.workerId(),
                    delivery.createdAt());
        }
        ChangeKind kind = ChangeKind.valueOf(delivery.changeKind() == null ? "UPDATE" : delivery.changeKind());
        Map<String, String> extensions = new LinkedHashMap<>();
        mapped.payload().fields().forEachRemaining(e -> {
            JsonNode value = e.getValue();
            extensions.put(e.getKey(), value == null || value.isNull() ? null : value.isTextual() ? value.asText() : value.toString());
        });
        return target.statements().statement(target.name(), changeKey, kind, worker, extensions);
    }

    /** 401 and 403 are the bridge's credentials refused ({@link io.learnbridge.delivery.TargetFailure}), anything else the statement. */
    private static String refusedType(XapiClient.Refused refused) {
        return io.learnbridge.delivery.TargetFailure.credentials(refused.status()) ? "LrsCredentialsRefused" : "StatementRefused";
    }

    /** What the LRS's answer to a statement means for its item. */
    private static Sent sent(XapiClient.Outcome outcome) {
        if (outcome instanceof XapiClient.Stored stored) {
            return new Sent.Delivered(stored.status());
        } else if (outcome instanceof XapiClient.Refused refused) {
            return new Sent.Failed(null, refused.status(), refused.reason(), refusedType(refused), null);
        } else if (outcome instanceof XapiClient.Drift drift) {
            return new Sent.Failed(null, 409, drift.reason(), "StatementDrift", null);
        }
        XapiClient.Transient transientFailure = (XapiClient.Transient) outcome;
        return new Sent.Retry(transientFailure.status(), transientFailure.retryAfter(), transientFailure.reason(), "LrsUnavailable", null,
                transientFailure.reason());
    }

    @Override
    protected Target configure(String name) {
        String prefix = "learnbridge.targets." + name + ".";
        String url = settings.required(prefix + "url");
        String homePage = settings.required(prefix + "homePage");
        String vocabulary = settings.declaredText(prefix + "vocabulary");
        String version = settings.choice(prefix + "xapiVersion");
        String authorization = settings.text(prefix + "username").map(user -> "Basic " + Base64.getEncoder().encodeToString(
                (user + ":" + settings.text(prefix + "password").orElse("")).getBytes(StandardCharsets.UTF_8))).orElse(null);
        int batchSize = settings.integer(prefix + "batchSize", 50, 1, 1000);
        XapiStatements statements;
        try {
            statements = new XapiStatements(new XapiStatements.Config(homePage, vocabulary));
        } catch (IllegalArgumentException e) {
            throw new SettingsException(prefix + "homePage", e.getMessage());
        }
        URI statementsUrl = URI.create((url.endsWith("/") ? url : url + "/") + "statements");
        return new Target(name, statements, new XapiClient(new XapiClient.Config(statementsUrl, version, authorization, Duration.ofSeconds(30)),
                settings.rateLimit(name), breaker(name)),
                batchSize);
    }

}
