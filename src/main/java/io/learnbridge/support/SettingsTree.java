package io.learnbridge.support;

import static io.learnbridge.support.Setting.SOURCE;
import static io.learnbridge.support.Setting.TARGET;
import static io.learnbridge.support.Setting.bool;
import static io.learnbridge.support.Setting.choice;
import static io.learnbridge.support.Setting.duration;
import static io.learnbridge.support.Setting.integer;
import static io.learnbridge.support.Setting.list;
import static io.learnbridge.support.Setting.secret;
import static io.learnbridge.support.Setting.text;
import static io.learnbridge.support.Setting.url;
import static java.time.temporal.ChronoUnit.MILLIS;
import static java.time.temporal.ChronoUnit.SECONDS;

import java.util.List;
import java.util.Optional;

/**
 * Every {@code learnbridge.*} setting, declared once: key, type, default, limits and the line of
 * the README's settings table that documents it (issue #13 item 7: settings were read in seven
 * places with their defaults repeated in code). Readers take their types and defaults from here
 * ({@link SettingValues}), {@link KnownSettings} refuses a key not declared here, and the README
 * table is generated from it ({@link SettingsTable}). Rows are in the README's order; a row of
 * several keys is one line of the table.
 *
 * <p>application.properties keeps the embedded run's values, which route placeholders
 * ({@code {{learnbridge.drops.pollDelay}}}) resolve; a test holds its defaults equal to these.
 */
public final class SettingsTree {

    /** One line of the README table: its settings and what they mean. */
    public record Row(List<Setting> settings, String doc) {
    }

    public static final List<Row> ROWS = List.of(
            // Store, logs, instance, mappings
            row(text("learnbridge.store.url").def("jdbc:h2:file:./data/learnbridge;WRITE_DELAY=0"),
                    "JDBC URL of the store: embedded H2 (`WRITE_DELAY=0`: a commit is on disk before anything is acknowledged; `QUERY_CACHE_SIZE=64`, `OPTIMIZE_REUSE_RESULTS=0`, `TRACE_LEVEL_FILE=0` and `DB_CLOSE_ON_EXIT=FALSE` are added unless the URL sets them; the file is open in the bridge only, with no network listener: while the bridge runs, the store commands (`drops`, `exceptions`, `plan`, `workers`, `rules`, `simulate`) are run by it, reached through a Unix socket beside the file, `./data/learnbridge.control.sock`, which only its owner may open; the store's files are made readable by their owner only) or `jdbc:postgresql://host:5432/db` (its sessions run with `jit=off`). Adding `;AUTO_SERVER=TRUE` brings back H2's own loopback TCP server instead of the socket"),
            row(text("learnbridge.store.user").def("sa"),
                    "Store user"),
            row(secret("learnbridge.store.password").def(""),
                    "Store password (from the environment)"),
            row(integer("learnbridge.store.poolSize", 2, 200).def("10"),
                    "Connection pool size, at least 2 (the schema migration at startup holds two connections)"),
            row(choice("learnbridge.log.format", "text", "json").def("text"),
                    "`json` writes one JSON object per log line (logback's JSON encoder); secret values and e-mail addresses are masked in both formats; a `logback.xml` beside the settings file (or in the home folder) replaces the packaged logging configuration"),
            row(text("learnbridge.instanceId").def("").shown("host name"),
                    "This instance's stable id: its own unfinished claims are taken back at once after a restart; every log line names it (text: after the time; JSON: `context.properties.instance`) and every metric carries it as label `instance_id`"),
            row(choice("learnbridge.cluster.service", "none", "store", "kubernetes").def("none"),
                    "Who elects the one instance that polls each drop folder when several share a store: `none` (one instance, or every instance polls); `store`: the store's PostgreSQL (an advisory lock per drop folder, `io.learnbridge.cluster.StoreClusterService`); `kubernetes`: a Kubernetes Lease per drop folder (camel-kubernetes' `KubernetesClusterService`; the instance id must be the pod's name, and the pods' service account needs `get`, `create` and `update` on `leases` and `list` on `pods`). `store` and `kubernetes` need a PostgreSQL store"),
            row(text("learnbridge.cluster.kubernetes.namespace").def("").shown("the pod's"),
                    "`kubernetes`: the Kubernetes namespace of the Leases and of the pods that are members; empty: `POD_NAMESPACE` (downward API), else the Kubernetes client's own (`KUBERNETES_NAMESPACE`, the kubeconfig context, or in a pod the service account's namespace file)"),
            row(duration("learnbridge.cluster.kubernetes.leaseDuration").def("PT15S"),
                    "`kubernetes`: how long an instance that took over a Lease waits before it polls, so that the old leader has stopped (whole seconds, at least 1s); also how long a follower counts on the leader it last read"),
            row(duration("learnbridge.cluster.kubernetes.renewDeadline").def("PT10S"),
                    "`kubernetes`: a leader that could not read its Lease for this long stops polling; shorter than the lease duration and longer than 1.2 retry periods"),
            row(duration("learnbridge.cluster.kubernetes.retryPeriod").def("PT2S"),
                    "`kubernetes`: time between two reads of the Lease and the pod list (times a random 1 to 1.2)"),
            row(duration("learnbridge.cluster.heartbeat").def("5s").forCamel(),
                    "How often each instance records in the store that it is running (route `instance-heartbeat`), and looks for instances that stopped beating"),
            row(duration("learnbridge.cluster.departedAfter").def("PT30S"),
                    "An instance not seen for this long (by the database's clock) is marked departed by another instance, which puts what it held claimed (deliveries, enrolment changes, events) back to waiting and lets its drops be claimed again, instead of waiting for their leases; at least three heartbeats. Logged at WARN with the instance's id"),
            row(text("learnbridge.mappings.location").def("classpath:mappings"),
                    "Folder of mapping files (`classpath:` for the copy in the jar)"),
            // Drops and store maintenance
            row(integer("learnbridge.drops.batchSize", 1, 100_000).def("500"),
                    "Rows per staged batch (memory stays flat in file size)"),
            row(integer("learnbridge.store.compactBelowFillRate", 1, 100).def("80"),
                    "Route `store-maintenance` gives the store's free space back when less than this percentage of it is live data. H2: the embedded file's chunks are rewritten (on to 90% live), then chunks are moved from the file's end into its free space (at most 64 MB a round) and the file is truncated; each round of moves holds the store's transactions (they wait; 0.1–0.35 s a round at 20,000 workers, up to 0.65 s at a million), and waits at most 1 s for those in flight; after a run that gave nothing back (or a rewrite that freed nothing) the next are skipped for 2 minutes, doubling up to 30. PostgreSQL: a table of at least 1 MB less than this share of which is live rows (estimated from `reltuples` and `pg_stats`, so after autovacuum has seen it) is rewritten with `VACUUM FULL`, which locks it while it copies (0.1–0.2 s a table at 20,000 workers; at most 1 s waiting for the lock, else a later run)"),
            row(duration("learnbridge.store.compactBudget").def("PT5S"),
                    "At most this long per maintenance run"),
            row(duration("learnbridge.store.compactPeriod").def("30s").bareNumberIn(MILLIS).forCamel(),
                    "Time between maintenance runs"),
            row(duration("learnbridge.drops.claimLease").def("PT10M"),
                    "How long another instance's unfinished claim on a drop is respected"),
            row(integer("learnbridge.drops.applyPage", 10, 1_000_000).def("5000"),
                    "Stored rows of a drop (its changes; unchanged workers are only counted) applied per transaction; a drop stopped half-way resumes with the next page"),
            row(duration("learnbridge.drops.retention").def("P7D"),
                    "How long a settled drop keeps its rows' source and canonical records and its deliveries in the outbox; then each row keeps only its change, reason and diff (a JOIN its record), packed on the row, and each delivered delivery its target, attempts, HTTP status and times (`delivered_change`), for the audit trail. A row whose delivery failed keeps its record whole until it is replayed"),
            row(duration("learnbridge.drops.pollDelay").def("2s").bareNumberIn(MILLIS).forCamel(),
                    "Time between polls of a drop folder"),
            row(duration("learnbridge.drops.readLockCheckInterval").def("1s").bareNumberIn(MILLIS).forCamel(),
                    "Time between checks that a file stopped changing"),
            row(duration("learnbridge.drops.readLockMinAge").def("2s").bareNumberIn(MILLIS).forCamel(),
                    "A file must be unchanged this long before it is read"),
            row(duration("learnbridge.drops.unreadAfter").def("PT15M"),
                    "A file in a local drop folder that is never read — a name starting with a dot (an upload in progress, e.g. `.workers.csv.part`, renamed when complete) or a name not ending in `.csv` — and is still there after this long is logged once (WARN, with its name, size, age and how to have it read) and counted by `learnbridge_drops_unread_files{route}`"),
            row(duration("learnbridge.drops.readLockTimeout").def("1m").bareNumberIn(MILLIS).forCamel(),
                    "How long to wait for the read lock before trying again at the next poll"),
            // Sources (drop folders, SFTP)
            row(text(SOURCE + "directory"),
                    "Drop folder (local) or remote folder (SFTP)"),
            row(list(SOURCE + "targets"),
                    "Targets this source's records go to (comma separated)"),
            row("SFTP sources (`deploy/routes/source-hris.camel.yaml`): key authentication only, the host key must be in the known-hosts file, drops are downloaded to the local work directory before they are read",
                    text(SOURCE + "host"),
                    integer(SOURCE + "port", 1, 65_535),
                    text(SOURCE + "username"),
                    text(SOURCE + "privateKeyFile"),
                    text(SOURCE + "knownHostsFile"),
                    text(SOURCE + "localWorkDirectory")),
            row(choice(SOURCE + "snapshot", "full", "delta").def("delta"),
                    "`full`: each drop lists every worker, and an active worker absent from it leaves (behind the safety gate); `delta`: a drop lists changed workers only"),
            row(choice(SOURCE + "leaveOfAbsence", "active", "deactivate").def("active"),
                    "`active`: a leave of absence is an UPDATE and the learner stays active; `deactivate`: it is a LEAVE and the return a JOIN (map `LEAVE_OF_ABSENCE` to inactive in the target mapping too)"),
            row(text(SOURCE + "rescindPointer"),
                    "A webhook source: JSON pointer to the id of the event an event rescinds (e.g. `/rescinds`); such an event voids that event's change in the targets"),
            // The safety gate and held changes
            row(integer("learnbridge.gate.maxDeactivations", 0, Integer.MAX_VALUE).def("500").perSourceAndTarget(),
                    "Most deactivations (LEAVEs) a drop may apply unattended; over it the drop is quarantined"),
            row(integer("learnbridge.gate.maxDeactivationPercent", 0, 100).def("20").perSourceAndTarget(),
                    "Most deactivations as a share of the source's active workers"),
            row(integer("learnbridge.gate.maxChanges", 0, Integer.MAX_VALUE).def("0").perSourceAndTarget(),
                    "Most changes of any kind (0: no limit)"),
            row(integer("learnbridge.gate.maxChangePercent", 0, 100).def("50").perSourceAndTarget(),
                    "Most changes of any kind as a share of the source's active workers"),
            row(integer("learnbridge.gate.maxShrinkPercent", 0, 100).def("30").perSourceAndTarget(),
                    "A full snapshot this much shorter than the last one is quarantined (an empty or header-only one always is)"),
            row(integer("learnbridge.gate.minPopulation", 0, Integer.MAX_VALUE).def("50").perSourceAndTarget(),
                    "The percentages apply from this many active workers (a first load is all JOINs)"),
            row(bool("learnbridge.gate.requireApproval").def("false").perSourceAndTarget(),
                    "Every plan waits for an operator's approval"),
            overrides("The same limits for one source or one target; the strictest of the defaults, the source's and its targets' applies"),
            row(duration("learnbridge.changes.releasePeriod").def("10s").bareNumberIn(MILLIS).forCamel(),
                    "Time between checks for held (future-dated) changes that are due"),
            row(duration("learnbridge.changes.maxHold").def("P90D"),
                    "A change dated further ahead than this is rejected into the exception queue instead of being held for its date"),
            row(url("learnbridge.alerts.webhookUrl").def(""),
                    "URL that receives a JSON POST when a drop is quarantined (the log line and the `quarantined-drop` metric are always there)"),
            // Webhook and Kafka sources, stored events
            row(text(SOURCE + "webhook.verifier"),
                    "Makes the source a webhook source (`POST /webhooks/<source>`): `standard-webhooks`, `bamboohr`, `hibob` or `bearer`"),
            row(secret(SOURCE + "webhook.secrets"),
                    "Signing secrets or tokens, comma separated while a secret is rotated (from the environment); Standard Webhooks secrets as `whsec_<base64>`"),
            row(duration(SOURCE + "webhook.tolerance").def("PT5M"),
                    "Signature timestamps further than this from now are refused"),
            row(integer(SOURCE + "webhook.maxBodyBytes", 1, 64 * 1024 * 1024).def("262144"),
                    "Larger bodies are answered 413 (the HTTP server's own cap is `camel.server.maxBodySize`)"),
            row(integer(SOURCE + "webhook.rateLimit", 1, 1_000_000).def("200"),
                    "Requests per second; over it, 429 with `Retry-After`"),
            row(text(SOURCE + "webhook.eventIdPointer"),
                    "JSON pointer (e.g. `/id`) of the event id, for senders whose signature carries none; without one, the body's checksum de-duplicates"),
            row("Kafka sources (Kamelet `learnbridge-kafka-source`; the route example is in `routes/ingest-kafka.camel.yaml`)",
                    text(SOURCE + "kafka.topic"),
                    text(SOURCE + "kafka.brokers"),
                    text(SOURCE + "kafka.groupId")),
            row(integer("learnbridge.events.batchSize", 1, 100_000).def("100"),
                    "Stored webhook and Kafka events processed per poll"),
            row(duration("learnbridge.events.pollPeriod").def("200ms").bareNumberIn(MILLIS).forCamel(),
                    "Time between polls of stored events"),
            row(duration("learnbridge.events.lease").def("PT1M"),
                    "How long a claimed event is held before another poll (or instance) may process it again"),
            row(integer("learnbridge.kafka.maxRecordBytes", 1, Integer.MAX_VALUE).def("262144"),
                    "Larger Kafka records go to the exception queue with topic, partition and offset"),
            // Enrolment rules
            row(bool("learnbridge.enrolments.enabled").def("true"),
                    "Applies the enrolment rules (`mappings/enrolment/rules.yaml`, read at startup; no file, no rules) to every worker whose state changes (route `apply-enrolments`), and a changed rules file to every stored worker at startup, behind the safety gate"),
            row(duration("learnbridge.enrolments.pollPeriod").def("1s").bareNumberIn(MILLIS).forCamel(),
                    "Time between polls for workers whose state changed since the rules last looked at them"),
            row(integer("learnbridge.enrolments.batchSize", 1, 1_000_000).def("500"),
                    "Changed workers per transaction"),
            row(integer("learnbridge.enrolments.maxBatches", 1, 1_000_000).def("20"),
                    "Batches per poll at most (a million joiners are worked off over several polls)"),
            row("Kafka dead-letter topic the exception queue is also published to (Kamelet `learnbridge-exception-feed-source`, the route example in it; off unless such a route is added)",
                    text("learnbridge.exceptions.kafka.topic"),
                    text("learnbridge.exceptions.kafka.brokers")),
            // Targets
            row(url(TARGET + "url"),
                    "Base URL; the worker id is appended as the last path segment"),
            row(choice(TARGET + "method", "PUT", "POST", "PATCH").def("PUT"),
                    "HTTP method of the upsert"),
            row(secret(TARGET + "token"),
                    "Bearer token sent to the target (from the environment)"),
            row("A REST JSON or SCIM target: OAuth 2.0 client credentials instead of a token (secret from the environment); the token is cached until it expires, and fetched again once after a 401",
                    text(TARGET + "oauth2.clientId"),
                    secret(TARGET + "oauth2.clientSecret"),
                    url(TARGET + "oauth2.tokenEndpoint"),
                    text(TARGET + "oauth2.scope")),
            row(integer(TARGET + "rateLimit", 0, 1_000_000).def("0").shown("none"),
                    "Requests per second to the target; requests over it wait"),
            row(integer(TARGET + "enrolRoleId", 1, Integer.MAX_VALUE).def("5"),
                    "A Moodle target: the role id given by enrolment rules (5 is Moodle's student)"),
            row(bool(TARGET + "preflight").def("true"),
                    "A Moodle target: check the token's functions and capabilities before sending (see \"Moodle targets\")"),
            row(duration(TARGET + "preflightAgain").def("PT1M"),
                    "A Moodle target whose preflight failed: how long its deliveries wait before it is checked again"),
            row(choice(TARGET + "leaverCohort", "remove", "keep").def("remove"),
                    "A Moodle target: `remove` takes a suspended leaver out of their org-unit cohort, `keep` leaves them in"),
            row(bool(TARGET + "duplicateEmails").def("false"),
                    "A Moodle target: `true` when the site allows several accounts with one email (`allowaccountssameemail`); otherwise a create whose email another account has is queued naming that account"),
            row(text(TARGET + "groups"),
                    "A SCIM target: display name pattern of org-unit Groups, e.g. `org-%s`; each worker is kept in their org unit's group only"),
            row("An LRS target (adapter `lrsDeliveries`): the HR system's home page (actor accounts are home page + worker id), the IRI base of LearnBridge's verbs, activity type and extensions, the xAPI version header (`1.0.3` or `2.0.0`), Basic credentials (password from the environment), statements per request; its `url` is the xAPI endpoint. A SCIM 2.0 target (adapter `scimDeliveries`, e.g. the LXP): `url` is the SCIM base URL, `token` the bearer token, `batchSize` users per claim (50)",
                    text(TARGET + "homePage"),
                    text(TARGET + "vocabulary").def("https://learnbridge.io/xapi"),
                    choice(TARGET + "xapiVersion", "1.0.3", "2.0.0").def("1.0.3"),
                    text(TARGET + "username"),
                    secret(TARGET + "password"),
                    integer(TARGET + "batchSize", 1, 10_000).shown("`50`")),
            row(text(TARGET + "auth").def("manual"),
                    "A Moodle target (adapter `moodleDeliveries`): the authentication plugin of the accounts it creates (`manual`: Moodle mails a generated password, `createpassword=1`; `oauth2`, `saml2`, `ldap`: the login happens elsewhere); its `url` is the Moodle site (e.g. `https://moodle.example.com`), its `token` the web-service token (from the environment, e.g. `LEARNBRIDGE_TARGETS_MOODLE_TOKEN`), its `batchSize` the users per batch (default `50`)"),
            row(list(TARGET + "changes", "JOIN", "MOVE", "UPDATE", "LEAVE").shown("all"),
                    "The change kinds a target takes, e.g. `JOIN,LEAVE` for an LRS that records only joins and leaves; the others are never queued for it and count as \"not taken\" in reconciliation"),
            // Delivery policy
            row(integer("learnbridge.delivery.batchSize", 1, 10_000).def("100"),
                    "Deliveries claimed per poll by a REST JSON target (`learnbridge.targets.<t>.batchSize` overrides); one batch per target is in flight at a time"),
            row(duration("learnbridge.delivery.pollPeriod").def("200ms").bareNumberIn(MILLIS).forCamel(),
                    "Time between claims"),
            row("Deliveries a REST JSON target sends at once, on its own threads (`learnbridge.targets.<t>.parallelism` overrides)",
                    integer("learnbridge.delivery.parallelism", 1, 256).def("8"),
                    integer(TARGET + "parallelism", 1, 256)),
            row(duration("learnbridge.delivery.initialBackoff").def("1s").bareNumberIn(MILLIS),
                    "First retry delay, doubled per attempt"),
            row(duration("learnbridge.delivery.maxBackoff").def("1m").bareNumberIn(MILLIS),
                    "Longest retry delay"),
            row(duration("learnbridge.delivery.retryBudget").def("PT10M"),
                    "How long a delivery is retried before it becomes an exception"),
            row(duration("learnbridge.delivery.maxRetryAfter").def("PT2M"),
                    "Longest `Retry-After` honoured"),
            row(duration("learnbridge.delivery.lease").def("PT15M"),
                    "How long a claimed delivery is held before it may be claimed again (after a crash)"),
            row(integer("learnbridge.delivery.breaker.failureRatePercent", 1, 100).def("50"),
                    "Each target's circuit breaker, counted in requests: opens when this share of the last `window` requests found the target unavailable (no answer, 408, 429, 5xx)"),
            row(integer("learnbridge.delivery.breaker.minimumCalls", 1, 100_000).def("20"),
                    "Requests the breaker needs to have seen before it may open"),
            row(integer("learnbridge.delivery.breaker.window", 1, 100_000).def("100"),
                    "Requests the failure share is computed over"),
            row(duration("learnbridge.delivery.breaker.openSeconds").def("30s").bareNumberIn(SECONDS),
                    "How long an open breaker leaves the target alone before one trial batch"),
            // APIs and the sandbox
            row(secret("learnbridge.api.token").def(""),
                    "Bearer token of the exceptions API; empty refuses every call"),
            row(duration("learnbridge.http.bodyTimeout").def("PT10S"),
                    "A request to the HTTP port (webhooks, API, sandbox) must have sent its whole body this long after its headers; past it, it is answered 408 and its connection closed (a caller trickling a byte a second held a connection and a worker for as long as it liked)"),
            row(bool("learnbridge.sandbox.enabled").def("true"),
                    "The built-in sandbox LMS (`/sandbox/lms/workers`); turn it off in production")
    );

    private SettingsTree() {
    }

    private static Row row(Setting setting, String doc) {
        return new Row(List.of(setting), doc);
    }

    private static Row row(String doc, Setting... settings) {
        return new Row(List.of(settings), doc);
    }

    /** The row of the gate limits a source or a target may also set (its settings are the global ones'). */
    private static Row overrides(String doc) {
        return new Row(List.of(), doc);
    }

    /** Every declared setting, in the README's order. */
    public static List<Setting> all() {
        return ROWS.stream().flatMap(r -> r.settings().stream()).toList();
    }

    /**
     * The declaration of a concrete key: {@code learnbridge.sources.hris.snapshot} is
     * {@code learnbridge.sources.<source>.snapshot}; {@code learnbridge.targets.lms.gate.maxChanges}
     * is {@code learnbridge.gate.maxChanges}. Empty for a key not declared.
     */
    public static Optional<Setting> definition(String key) {
        for (Setting s : all()) {
            if (s.key().equals(key)) {
                return Optional.of(s);
            }
        }
        for (String family : List.of(SOURCE, TARGET)) {
            String prefix = family.substring(0, family.indexOf('<'));
            if (!key.startsWith(prefix)) {
                continue;
            }
            String rest = key.substring(prefix.length());
            int dot = rest.indexOf('.');
            if (dot <= 0) {
                continue;
            }
            String suffix = rest.substring(dot + 1);
            for (Setting s : all()) {
                if (s.key().equals(family + suffix)) {
                    return Optional.of(s);
                }
                if (s.overridable() && ("learnbridge." + suffix).equals(s.key())) {
                    return Optional.of(s);
                }
            }
        }
        return Optional.empty();
    }
}
