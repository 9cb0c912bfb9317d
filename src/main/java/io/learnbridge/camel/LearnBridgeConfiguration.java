package io.learnbridge.camel;

import io.learnbridge.api.ApiAuth;
import io.learnbridge.api.DropsApi;
import io.learnbridge.api.ExceptionsApi;
import io.learnbridge.api.NotServingYet;
import io.learnbridge.api.RequestBodyTimeout;
import io.learnbridge.api.ResponseHeaders;
import io.learnbridge.api.SandboxLms;
import io.learnbridge.api.WorkersApi;
import io.learnbridge.delivery.TargetKinds;
import io.learnbridge.drop.DropIngest;
import io.learnbridge.drop.DropPolicies;
import io.learnbridge.drop.UnreadDropFiles;
import io.learnbridge.enrolment.EnrolmentApplier;
import io.learnbridge.exception.ExceptionPublisher;
import io.learnbridge.store.StoreMaintenance;
import io.learnbridge.support.Metrics;
import io.learnbridge.mapping.MappingCatalog;
import io.learnbridge.mapping.Mappings;
import io.learnbridge.support.KnownSettings;
import io.learnbridge.exception.Replayer;
import io.learnbridge.support.SettingValues;
import io.learnbridge.support.Settings;
import io.learnbridge.store.DeliveryQueue;
import io.learnbridge.store.DropLedger;
import io.learnbridge.store.ExceptionQueue;
import io.learnbridge.store.Reconciliation;
import io.learnbridge.store.Replays;
import io.learnbridge.store.Store;
import io.learnbridge.event.EventProcessor;
import io.learnbridge.event.kafka.KafkaIngest;
import io.learnbridge.event.webhook.WebhookIngest;
import io.learnbridge.event.webhook.WebhookSource;
import io.learnbridge.store.EventInbox;
import java.net.InetAddress;
import java.time.Clock;
import java.time.Duration;
import java.util.List;
import java.util.HashMap;
import java.util.Map;
import java.util.Optional;
import java.util.function.Function;
import org.apache.camel.CamelConfiguration;
import org.apache.camel.CamelContext;
import org.apache.camel.health.HealthCheckRegistry;
import org.apache.camel.spi.Registry;
import org.apache.camel.support.service.ServiceSupport;

/**
 * Binds, once, the beans the routes use (listed in {@code routes/README.md}; their names are the
 * contract with integration engineers). Settings are read and validated here, mappings compiled,
 * the store opened and migrated: any problem stops startup with the file, line, field or key.
 */
public final class LearnBridgeConfiguration implements CamelConfiguration {

    @Override
    public void configure(CamelContext context) throws Exception {
        Function<String, Optional<String>> properties = key -> context.getPropertiesComponent().resolveProperty(key);
        Map<String, String> raw = rawSettings(context);
        refuseUnknownSettings(raw, properties);
        // every learnbridge.* value typed once, as declared in SettingsTree: a malformed one refuses startup here
        SettingValues values = SettingValues.read(properties, raw.keySet());
        refusePortsInUse(properties);
        refuseSandboxBeyondLoopback(values, properties);
        context.getComponent("platform-http", org.apache.camel.component.platform.http.PlatformHttpComponent.class)
                .setHeaderFilterStrategy(new ResponseHeaders());
        Settings settings = Settings.read(values);
        java.time.Duration heartbeat = values.duration("learnbridge.cluster.heartbeat");
        java.time.Duration departedAfter = values.duration("learnbridge.cluster.departedAfter");
        if (departedAfter.compareTo(heartbeat.multipliedBy(3)) < 0) {
            throw new io.learnbridge.support.SettingsException("learnbridge.cluster.departedAfter", departedAfter
                    + " is less than three heartbeats (learnbridge.cluster.heartbeat = " + heartbeat + "): a running instance would be taken for departed");
        }
        String instanceId = values.optionalText("learnbridge.instanceId").orElseGet(LearnBridgeConfiguration::hostName);
        // the Lease election's settings are refused here, before the store opens
        Optional<org.apache.camel.cluster.CamelClusterService> leases = values.choice("learnbridge.cluster.service").equals("kubernetes")
                ? Optional.of(io.learnbridge.cluster.KubernetesLeases.fromSettings(instanceId, settings.store().url(), values, System::getenv))
                : Optional.empty();
        // the time settings routes hand to Camel endpoints, in the milliseconds Camel takes (it reads PT2S as 0)
        io.learnbridge.support.Durations.forCamel(properties).forEach(context.getPropertiesComponent()::addOverrideProperty);
        Mappings mappings = Mappings.load(settings.mappingsLocation());
        MappingCatalog catalog = mappings.get();
        Store store = Store.open(settings.store().url(), settings.store().user(), settings.store().password(), settings.store().poolSize());
        // commands reach the embedded store through the running bridge, not a network listener
        Optional<io.learnbridge.cli.StoreControl> control = io.learnbridge.cli.StoreControl.serve(settings.store().url(), store);
        java.util.concurrent.atomic.AtomicReference<DeliveryQueue> outbox = new java.util.concurrent.atomic.AtomicReference<>();
        context.addService(new ServiceSupport() {
            @Override
            protected void doStop() {
                control.ifPresent(io.learnbridge.cli.StoreControl::close);
                if (outbox.get() != null) {
                    releaseHandedOff(outbox.get());
                }
                store.close();
            }
        });
        // several instances on one store: each names itself in its log lines and on its metrics
        io.learnbridge.support.Logs.instance(instanceId);
        Metrics.instance(context, instanceId);
        Metrics metrics = new Metrics(context);
        if (values.choice("learnbridge.cluster.service").equals("store")) {
            // one poller per drop folder, elected on the store's PostgreSQL
            io.learnbridge.cluster.StoreClusterService cluster = new io.learnbridge.cluster.StoreClusterService(instanceId,
                    settings.store().url(), settings.store().user(), settings.store().password());
            context.addService(cluster);
            context.addRoutePolicyFactory(new io.learnbridge.cluster.DropPollerElection(cluster));
        } else if (leases.isPresent()) {
            // one poller per drop folder, elected with a Kubernetes Lease; the member id is the pod's name
            org.apache.camel.cluster.CamelClusterService cluster = leases.get();
            context.addService(cluster);
            context.addRoutePolicyFactory(new io.learnbridge.cluster.DropPollerElection(cluster));
        }
        DeliveryQueue deliveryQueue = new DeliveryQueue(store, instanceId, settings.delivery().lease());
        deliveryQueue.releaseOwnClaims();
        outbox.set(deliveryQueue);
        io.learnbridge.store.EnrolmentOutbox enrolmentOutbox = new io.learnbridge.store.EnrolmentOutbox(store, instanceId, settings.delivery().lease());
        enrolmentOutbox.releaseOwnClaims();
        TargetKinds kinds = new TargetKinds(values);
        EventInbox inbox = new EventInbox(store, instanceId, values.duration("learnbridge.events.lease"), kinds, deliveryQueue);
        inbox.releaseOwnClaims();
        // the instances sharing the store: one that stops beating is marked departed and its claims are taken at once
        io.learnbridge.store.Instances instances = new io.learnbridge.store.Instances(store, instanceId, departedAfter,
                List.of(deliveryQueue::releaseClaimsOf, enrolmentOutbox::releaseClaimsOf, inbox::releaseClaimsOf));
        instances.beat();
        ExceptionQueue exceptions = new ExceptionQueue(store);
        Replayer replayer = new Replayer(mappings::reload, exceptions, new Replays(store, settings.drops().maxHold()),
                source -> Settings.targetsOf(values, source));

        Registry registry = context.getRegistry();
        registry.bind("learnbridgeSettings", settings);
        registry.bind("learnbridgeStore", store);
        registry.bind("instances", instances);
        registry.bind("mappings", mappings);
        registry.bind("learnbridgeMetrics", metrics);
        registry.bind("fieldmap", new FieldMapComponent(mappings));
        DropLedger ledger = new DropLedger(store, instanceId, settings.drops().claimLease(), kinds, settings.drops().applyPage(),
                settings.drops().maxHold());
        registry.bind("storeMaintenance", new StoreMaintenance(store, settings.store().compactBelowFillRate(), settings.store().compactBudget()));
        registry.bind("drops", new DropIngest(ledger, mappings, values, metrics, settings.drops().batchSize(), settings.drops().retention()));
        registry.bind("unreadDrops", new UnreadDropFiles(context, metrics, settings.drops().unreadAfter(), Clock.systemUTC()));
        Function<String, List<String>> targetsOf = source -> Settings.targetsOf(values, source);
        // a source's settings are read once: resolving them through the properties (and the environment)
        // for every event was a quarter of processing events
        Map<String, List<String>> eventTargets = new java.util.concurrent.ConcurrentHashMap<>();
        Map<String, io.learnbridge.worker.ChangeDetector> eventDetectors = new java.util.concurrent.ConcurrentHashMap<>();
        Map<String, java.util.Optional<String>> rescindPointers = new java.util.concurrent.ConcurrentHashMap<>();
        EventProcessor events = new EventProcessor(inbox, mappings, source -> eventTargets.computeIfAbsent(source, targetsOf), metrics,
                values.integer("learnbridge.events.batchSize"),
                source -> eventDetectors.computeIfAbsent(source, s -> new DropPolicies(values).of(s, targetsOf.apply(s)).detector()),
                source -> rescindPointers.computeIfAbsent(source, s -> values.source(s).optionalText("rescindPointer")));
        registry.bind("events", events);
        registry.bind("kafkaIngest", new KafkaIngest(inbox, metrics, values.integer("learnbridge.kafka.maxRecordBytes"), events));
        Map<String, WebhookSource> webhookSources = new HashMap<>();
        for (String key : context.getPropertiesComponent().loadProperties(k -> k.startsWith("learnbridge.sources.") && k.endsWith(".webhook.verifier"))
                .stringPropertyNames()) {
            String source = key.substring("learnbridge.sources.".length(), key.length() - ".webhook.verifier".length());
            if (values.source(source).optionalText("webhook.verifier").isEmpty()) {
                continue;
            }
            webhookSources.put(source, WebhookSource.read(source, values));
            targetsOf.apply(source);
        }
        registry.bind("webhooks", new WebhookIngest(webhookSources, inbox, metrics, Clock.systemUTC()));
        registry.bind("exceptionFeed", new ExceptionPublisher(new io.learnbridge.store.ExceptionFeed(store)));
        io.learnbridge.enrolment.EnrolmentRules deployedRules = io.learnbridge.enrolment.EnrolmentRules.deployed(settings.mappingsLocation());
        java.util.Set<String> rulesTargets = new java.util.TreeSet<>();
        deployedRules.rules().forEach(rule -> rulesTargets.addAll(rule.enrol().keySet()));
        registry.bind("enrolmentApplier", new EnrolmentApplier(new io.learnbridge.store.Enrolments(store), deployedRules,
                values.bool("learnbridge.enrolments.enabled"), values.integer("learnbridge.enrolments.batchSize"),
                values.integer("learnbridge.enrolments.maxBatches"),
                new io.learnbridge.store.EnrolmentRulesLedger(store), new DropPolicies(values).rulesGate(rulesTargets)));
        // the protocol adapters of the target routes (Kamelets learnbridge-due-deliveries-source, learnbridge-target-send-action), and its circuit breakers' fallback
        Duration initialBackoff = values.duration("learnbridge.delivery.initialBackoff");
        Duration maxBackoff = values.duration("learnbridge.delivery.maxBackoff");
        // the targets' settings as read above, shared by every adapter
        io.learnbridge.delivery.TargetSettings targetSettings = new io.learnbridge.delivery.TargetSettings(values);
        io.learnbridge.delivery.http.HttpJsonDeliveries httpJsonDeliveries = new io.learnbridge.delivery.http.HttpJsonDeliveries(deliveryQueue, enrolmentOutbox,
                mappings, metrics, targetSettings, initialBackoff, maxBackoff);
        registry.bind("httpJsonDeliveries", httpJsonDeliveries);
        io.learnbridge.delivery.lrs.LrsDeliveries lrsDeliveries = new io.learnbridge.delivery.lrs.LrsDeliveries(deliveryQueue, enrolmentOutbox, mappings,
                metrics, targetSettings, initialBackoff, maxBackoff);
        registry.bind("lrsDeliveries", lrsDeliveries);
        io.learnbridge.delivery.moodle.MoodleDeliveries moodleDeliveries = new io.learnbridge.delivery.moodle.MoodleDeliveries(deliveryQueue,
                enrolmentOutbox, mappings, metrics, targetSettings, initialBackoff, maxBackoff);
        moodleDeliveries.enrolmentTargets(rulesTargets);
        registry.bind("moodleDeliveries", moodleDeliveries);
        io.learnbridge.delivery.scim.ScimDeliveries scimDeliveries = new io.learnbridge.delivery.scim.ScimDeliveries(deliveryQueue, enrolmentOutbox, mappings,
                metrics, targetSettings, initialBackoff, maxBackoff);
        registry.bind("scimDeliveries", scimDeliveries);
        // each target's breaker, counted in requests: found by the route as targetBreaker-<target>, recorded by the adapters' clients
        io.learnbridge.delivery.TargetBreakers breakers = io.learnbridge.delivery.TargetBreakers.read(targetSettings);
        ((org.apache.camel.support.DefaultRegistry) registry).addBeanRepository(breakers);
        for (Object adapter : List.of(httpJsonDeliveries, lrsDeliveries, moodleDeliveries, scimDeliveries)) {
            ((io.learnbridge.delivery.TargetAdapterSupport<?>) adapter).breakers(breakers);
        }
        registry.bind("deliveryBreakers", new io.learnbridge.delivery.DeliveryBreakers(deliveryQueue, enrolmentOutbox, metrics, breakers.openFor(),
                initialBackoff));
        context.addService(new ServiceSupport() {
            @Override
            protected void doStop() throws Exception {
                // the targets' HTTP connection pools and threads
                httpJsonDeliveries.close();
                scimDeliveries.close();
            }
        });
        registry.bind("workersApi", new WorkersApi(new io.learnbridge.store.WorkerHistory(store), mappings));
        registry.bind("dropsApi", new DropsApi(new io.learnbridge.store.Plans(store), ledger, targetsOf));
        registry.bind("exceptionsApi", new ExceptionsApi(exceptions, replayer, new Reconciliation(store)));
        registry.bind("apiAuth", new ApiAuth(settings.apiToken()));
        registry.bind("sandboxLms", new SandboxLms());

        HealthCheckRegistry health = HealthCheckRegistry.get(context);
        if (health != null) {
            StoreHealthCheck check = new StoreHealthCheck(store);
            check.setCamelContext(context);
            health.register(check);
        }
        context.addStartupListener(new StartupCheck(catalog, properties));
        context.addStartupListener(new NotServingYet(properties.apply("camel.server.port").map(Integer::parseInt).orElse(8080)));
        context.addStartupListener(new RequestBodyTimeout(properties.apply("camel.server.port").map(Integer::parseInt).orElse(8080),
                values.duration("learnbridge.http.bodyTimeout")));
    }

    /**
     * Refuses to start on a {@code learnbridge.*} key that does not exist (with the nearest one that
     * does) or on a {@code {{env:NAME}}} whose variable is not set ({@link KnownSettings}); warns of
     * a {@code LEARNBRIDGE_*} environment variable that matches no setting.
     */
    private static void refuseUnknownSettings(Map<String, String> raw, Function<String, Optional<String>> properties) {
        KnownSettings known = KnownSettings.of(KnownSettings.routeTexts(
                properties.apply("camel.main.routesIncludePattern").orElse("classpath:routes/*.camel.yaml")));
        List<String> problems = known.problems(raw, System::getenv);
        if (!problems.isEmpty()) {
            throw io.learnbridge.support.SettingsException.of(problems);
        }
        for (String name : known.unknownEnvironment(System.getenv())) {
            org.slf4j.LoggerFactory.getLogger(LearnBridgeConfiguration.class).warn(
                    "Environment variable {} looks like a LearnBridge setting but matches none: it is not used", name);
        }
    }

    /** The settings as given, before placeholders are resolved: Camel's loaded properties and the {@code learnbridge.*} system properties. */
    private static Map<String, String> rawSettings(CamelContext context) {
        Map<String, String> raw = new java.util.HashMap<>();
        java.util.Properties loaded = context.getPropertiesComponent().loadProperties();
        loaded.stringPropertyNames().forEach(k -> raw.put(k, loaded.getProperty(k)));
        System.getProperties().stringPropertyNames().stream().filter(k -> k.startsWith("learnbridge.")).forEach(k -> raw.put(k, System.getProperty(k)));
        return raw;
    }

    /**
     * The sandbox LMS answers anyone and lists every payload it received: it is for the embedded
     * default run, on a loopback host only.
     */
    private static void refuseSandboxBeyondLoopback(SettingValues values, Function<String, Optional<String>> properties) {
        if (!values.bool("learnbridge.sandbox.enabled")) {
            return;
        }
        String host = properties.apply("camel.server.host").filter(h -> !h.isBlank()).orElse("0.0.0.0");
        boolean loopback;
        try {
            loopback = java.net.InetAddress.getByName(host).isLoopbackAddress();
        } catch (java.io.IOException e) {
            loopback = false;
        }
        if (!loopback) {
            throw new io.learnbridge.support.SettingsException("learnbridge.sandbox.enabled", "the sandbox LMS has no authentication and lists every"
                    + " payload it received: it is only served on a loopback camel.server.host, not on " + host
                    + "; set learnbridge.sandbox.enabled=false (and point learnbridge.targets.<t>.url at a real target)");
        }
    }

    /**
     * Refuses to start when the HTTP port or the management port is taken by another process: Camel
     * would only log a WARN, and the bridge would run without webhooks, API or health.
     */
    private static void refusePortsInUse(Function<String, Optional<String>> properties) {
        for (String server : List.of("camel.server", "camel.management")) {
            if (!properties.apply(server + ".enabled").map(Boolean::parseBoolean).orElse(false)) {
                continue;
            }
            String host = properties.apply(server + ".host").filter(h -> !h.isBlank()).orElse("0.0.0.0");
            int port = properties.apply(server + ".port").map(Integer::parseInt).orElse(0);
            if (port <= 0) {
                continue;
            }
            try (java.net.ServerSocket probe = new java.net.ServerSocket()) {
                probe.setReuseAddress(true);
                probe.bind(new java.net.InetSocketAddress(host, port));
            } catch (java.io.IOException e) {
                throw new io.learnbridge.support.SettingsException(server + ".port", host + ":" + port + " cannot be listened on ("
                        + e.getMessage() + "): another process holds it? Stop it or set " + server + ".port");
            }
        }
    }

    private static String hostName() {
        try {
            return InetAddress.getLocalHost().getHostName();
        } catch (Exception e) {
            return "learnbridge";
        }
    }

    /** At shutdown, before the store closes: deliveries stored claimed for this instance's claims and not taken go back to pending. */
    private static void releaseHandedOff(DeliveryQueue outbox) {
        org.slf4j.Logger log = org.slf4j.LoggerFactory.getLogger(LearnBridgeConfiguration.class);
        try {
            int released = outbox.releaseHandedOff();
            if (released > 0) {
                log.info("{} deliveries stored claimed for this instance and not sent go back to pending", released);
            }
        } catch (RuntimeException e) {
            log.warn("Deliveries stored claimed for this instance stay claimed until their lease ends: {}", e.getMessage());
        }
    }
}
