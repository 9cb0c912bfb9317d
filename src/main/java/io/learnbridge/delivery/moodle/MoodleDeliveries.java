package io.learnbridge.delivery.moodle;

import io.learnbridge.support.Metrics;
import io.learnbridge.mapping.Mappings;
import io.learnbridge.support.SettingsException;
import io.learnbridge.store.Delivery;
import io.learnbridge.store.DeliveryQueue;
import io.learnbridge.delivery.Sent;
import io.learnbridge.delivery.TargetBatch;
import io.learnbridge.delivery.moodle.MoodleResponses.Failure;
import io.learnbridge.worker.ChangeKind;
import java.net.URI;
import java.time.Duration;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.function.Function;
import java.util.regex.Pattern;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Bean {@code moodleDeliveries}: delivers one Moodle target's pending changes (Kamelet
 * {@code learnbridge-target-send-action}) through Moodle's web services. State, not events: each delivery is
 * claimed with the worker's newest canonical state, mapped through
 * {@code mappings/targets/<target>.mapping.yaml} by the route's map step, and the worker's Moodle account is made to match
 * it ({@link MoodleUserSync}). Outcomes follow {@link MoodleResponses}: a refused record goes to the
 * exception queue with Moodle's answer while the others are delivered; a configuration error
 * (wrong token, missing capability) sends the batch there at once, with no retry; a transient
 * failure puts the delivery back with exponential backoff until
 * {@code learnbridge.delivery.retryBudget} is spent.
 */
public final class MoodleDeliveries extends io.learnbridge.delivery.TargetAdapterSupport<MoodleDeliveries.Target> {

    private static final Logger LOG = LoggerFactory.getLogger(MoodleDeliveries.class);
    private static final Pattern AUTH_PLUGIN = Pattern.compile("[a-z0-9_]+");

    /** A target's preflight found the token lacking: its deliveries wait (pending) until it is checked again. */
    static final class PreflightRefused extends RuntimeException {
        PreflightRefused(String message) {
            super(message, null, false, false);
        }
    }

    /** Targets whose preflight failed, and when to check them again. */
    private final Map<String, java.time.Instant> refused = new java.util.concurrent.ConcurrentHashMap<>();

    /** One target's settings ({@code learnbridge.targets.<t>.*}) and its connection. */
    record Target(String name, MoodleClient client, MoodleUserSync sync, MoodleEnrolments enrolments, int batchSize) implements Configured {
    }

    public MoodleDeliveries(DeliveryQueue queue, Mappings mappings, Metrics metrics, io.learnbridge.delivery.TargetSettings settings,
                            Duration initialBackoff, Duration maxBackoff) {
        this(queue, null, mappings, metrics, settings, initialBackoff, maxBackoff);
    }

    /** @param enrolments the enrolment outbox, or null when this bridge sends no enrolments */
    public MoodleDeliveries(DeliveryQueue queue, io.learnbridge.store.EnrolmentOutbox enrolments, Mappings mappings, Metrics metrics,
                            io.learnbridge.delivery.TargetSettings settings, Duration initialBackoff, Duration maxBackoff) {
        super(queue, enrolments, mappings, metrics, settings, initialBackoff, maxBackoff, true);
    }

    /**
     * Claims nothing for a target whose preflight ({@link MoodlePreflight}, run when the target is
     * first configured) found a function or capability missing: its deliveries and enrolments wait
     * in the store, the log says what is missing once a minute, and the check runs again then, so
     * a fixed token needs no restart.
     */
    @Override
    protected boolean ready(String target) {
        java.time.Instant again = refused.get(target);
        if (again != null && java.time.Instant.now().isBefore(again)) {
            return false;
        }
        try {
            target(target);
        } catch (PreflightRefused e) {
            Duration wait = settings.duration("learnbridge.targets." + target + ".preflightAgain");
            refused.put(target, java.time.Instant.now().plus(wait));
            LOG.error("{}; its deliveries wait in the store, checked again in {} s", e.getMessage(), wait.toSeconds());
            return false;
        }
        refused.remove(target);
        return true;
    }

    /** What a preflight found: whether the token passed, and its report in words. */
    public record Preflight(boolean passed, String description) {
    }

    /**
     * Runs a target's preflight now, from its settings (command {@code validate --targets}).
     *
     * @param enrols whether enrolment rules send enrolments to it (then {@code moodle/course:update} is needed)
     */
    public static Preflight preflight(Function<String, Optional<String>> properties, String target, boolean enrols) {
        io.learnbridge.delivery.TargetSettings settings = new io.learnbridge.delivery.TargetSettings(properties);
        String prefix = "learnbridge.targets." + target + ".";
        URI site = site(settings, prefix);
        try (MoodleClient client = new MoodleClient(new MoodleClient.Config(site, token(settings, prefix), Duration.ofSeconds(30)))) {
            MoodlePreflight.Report report = MoodlePreflight.check(client, site.toString(), enrols);
            return new Preflight(report.passed(), report.describe());
        } catch (java.io.IOException e) {
            throw new java.io.UncheckedIOException(e);
        }
    }

    /** The targets enrolment rules send enrolments to (the deployed rules): only their preflight asks for moodle/course:update. */
    public void enrolmentTargets(java.util.Set<String> targets) {
        this.enrolmentTargets = java.util.Set.copyOf(targets);
    }

    private volatile java.util.Set<String> enrolmentTargets;

    private boolean enrols(String target) {
        java.util.Set<String> named = enrolmentTargets;
        return enrolments != null && (named == null || named.contains(target));
    }

    /**
     * Enrolments in the courses whose idnumber is the curriculum id ({@link MoodleEnrolments}), for
     * the Moodle account whose idnumber is the worker id. A worker without an account yet (their
     * own delivery has not created it) is tried again later, within the retry budget.
     */
    @Override
    public Sent sendOne(String targetName, io.learnbridge.store.EnrolmentOutbox.Change change) {
        return enrol(target(targetName), List.of(change)).get(change);
    }

    @Override
    public Sent sendOne(String targetName, TargetBatch.Mapped delivery) {
        return deliver(target(targetName), List.of(delivery)).get(delivery.delivery());
    }

    /**
     * The batch's workers made to match their deliveries in a few calls for all of them ({@link MoodleUserSync}),
     * then its enrolment changes, also together; when Moodle was unavailable for the users, the enrolment changes
     * go back to the store untried.
     */
    @Override
    public void send(String targetName, TargetBatch batch) {
        Target target = target(targetName);
        List<TargetBatch.Mapped> deliveries = batch.toSend();
        if (!deliveries.isEmpty()) {
            deliver(target, deliveries).forEach(batch::sent);
        }
        if (!batch.enrolments().isEmpty() && !batch.unavailable()) {
            enrol(target, batch.enrolments()).forEach(batch::sent);
        }
    }

    private Map<io.learnbridge.store.EnrolmentOutbox.Change, Sent> enrol(Target target, List<io.learnbridge.store.EnrolmentOutbox.Change> batch) {
        Map<io.learnbridge.store.EnrolmentOutbox.Change, Sent> sent = new LinkedHashMap<>();
        Map<String, List<io.learnbridge.store.EnrolmentOutbox.Change>> byWorker = new LinkedHashMap<>();
        batch.forEach(c -> byWorker.computeIfAbsent(c.workerId(), k -> new ArrayList<>()).add(c));
        MoodleClient.Params params = new MoodleClient.Params().put("field", "idnumber");
        int i = 0;
        for (String workerId : byWorker.keySet()) {
            params.put("values[" + i++ + "]", workerId);
        }
        MoodleResponses.Answer answer = target.client().call("core_user_get_users_by_field", params);
        if (answer instanceof Failure failure) {
            batch.forEach(change -> sent.put(change, sent(failure)));
            return sent;
        }
        Map<String, Long> accounts = new HashMap<>();
        for (com.fasterxml.jackson.databind.JsonNode user : ((MoodleResponses.Result) answer).value()) {
            accounts.put(user.path("idnumber").asText(), user.path("id").asLong());
        }
        for (Map.Entry<String, List<io.learnbridge.store.EnrolmentOutbox.Change>> worker : byWorker.entrySet()) {
            Long account = accounts.get(worker.getKey());
            if (account == null) {
                // only this worker waits: not the target unavailable
                worker.getValue().forEach(change -> sent.put(change, new Sent.Retry(null, null, "worker " + change.workerId()
                        + " has no Moodle account (idnumber) in " + target.name() + " yet", "MoodleUserMissing", null, null)));
                continue;
            }
            for (MoodleEnrolments.Outcome outcome : target.enrolments().apply(account, worker.getValue())) {
                sent.put(outcome.change(), sent(outcome.failure()));
            }
        }
        return sent;
    }

    /**
     * What Moodle's answer means for an item: delivered without a failure; a retryable failure waits (Moodle sends no
     * Retry-After, its errors come as HTTP 200: exponential backoff within the retry budget), the others fail at once.
     * The log gets the error code, the exception queue the message (Moodle's messages quote names and emails).
     */
    private static Sent sent(Failure failure) {
        if (failure == null) {
            return new Sent.Delivered(200);
        }
        return failure.severity().retryable()
                ? new Sent.Retry(failure.httpStatus(), null, failure.reason(), failure.errorcode(), failure.excerpt(), failure.errorcode())
                : new Sent.Failed(null, failure.httpStatus(), failure.reason(), failure.errorcode(), failure.excerpt());
    }

    /** Deliveries of one worker carry the same (newest) state: one change per worker, the newest kind, for all of them at once. */
    private Map<Delivery, Sent> deliver(Target target, List<TargetBatch.Mapped> batch) {
        Map<String, List<Delivery>> byWorker = new LinkedHashMap<>();
        Map<String, MoodleUserSync.Change> changes = new LinkedHashMap<>();
        for (TargetBatch.Mapped mapped : batch) {
            Delivery delivery = mapped.delivery();
            ChangeKind kind = delivery.kindOrUpdate();
            byWorker.computeIfAbsent(delivery.workerId(), k -> new ArrayList<>()).add(delivery);
            changes.put(delivery.workerId(), new MoodleUserSync.Change(delivery.workerId(), kind, mapped.payload()));
        }
        Map<String, MoodleUserSync.Outcome> results = changes.isEmpty() ? Map.of() : target.sync().apply(new ArrayList<>(changes.values()));
        Map<Delivery, Sent> sent = new LinkedHashMap<>();
        for (Map.Entry<String, List<Delivery>> worker : byWorker.entrySet()) {
            MoodleUserSync.Outcome outcome = results.get(worker.getKey());
            Sent answer = sent(outcome instanceof MoodleUserSync.Failed failed ? failed.failure()
                    : outcome instanceof MoodleUserSync.Done ? null
                    : new Failure(MoodleResponses.Severity.RECORD, "nooutcome", "no outcome for this worker (a bug)", null, null));
            for (Delivery delivery : worker.getValue()) {
                sent.put(delivery, answer);
                if (outcome instanceof MoodleUserSync.Done done) {
                    LOG.debug("Delivery {} of worker {} to {}: {}", delivery.id(), delivery.workerId(), target.name(), done.action());
                }
            }
        }
        return sent;
    }

    @Override
    protected Target configure(String name) {
        String prefix = "learnbridge.targets." + name + ".";
        URI site = site(settings, prefix);
        String token = token(settings, prefix);
        String auth = settings.declaredText(prefix + "auth");
        if (!AUTH_PLUGIN.matcher(auth).matches()) {
            throw new SettingsException(prefix + "auth", "must name a Moodle authentication plugin such as manual or oauth2, found '" + auth + "'");
        }
        int batchSize = settings.integer(prefix + "batchSize", 50, 1, 500);
        MoodleClient client = new MoodleClient(new MoodleClient.Config(site, token, Duration.ofSeconds(30)), settings.rateLimit(name), breaker(name));
        int roleId = settings.integer(prefix + "enrolRoleId");
        if (settings.bool(prefix + "preflight")) {
            MoodlePreflight.Report report = MoodlePreflight.check(client, site.toString(), enrols(name));
            if (report.unchecked() != null) {
                LOG.warn("Target {}: {}", name, report.describe());
            } else if (!report.passed()) {
                try {
                    client.close();
                } catch (java.io.IOException e) {
                    LOG.debug("closing the client of target {}", name, e);
                }
                throw new PreflightRefused("Target " + name + " refused by its preflight: " + report.describe());
            } else {
                LOG.info("Target {}: {}", name, report.describe());
            }
        }
        MoodleUserSync.Options options = new MoodleUserSync.Options(settings.choice(prefix + "leaverCohort").equals("remove"),
                settings.bool(prefix + "duplicateEmails"));
        return new Target(name, client, new MoodleUserSync(client, auth, options), new MoodleEnrolments(client, roleId), batchSize);
    }

    private static URI site(io.learnbridge.delivery.TargetSettings settings, String prefix) {
        String url = settings.required(prefix + "url");
        try {
            URI site = URI.create(url);
            if (site.getScheme() == null || !site.getScheme().startsWith("http") || site.getHost() == null) {
                throw new IllegalArgumentException("not an http(s) URL");
            }
            return site;
        } catch (IllegalArgumentException e) {
            throw new SettingsException(prefix + "url", "must be the Moodle site's URL, such as https://moodle.example.com: " + e.getMessage());
        }
    }

    private static String token(io.learnbridge.delivery.TargetSettings settings, String prefix) {
        return settings.text(prefix + "token").orElseThrow(() -> new SettingsException(prefix + "token",
                "missing: the Moodle web-service token (wstoken), from the environment"));
    }

}
