package io.learnbridge.routes;

import static org.assertj.core.api.Assertions.assertThat;

import java.util.List;
import java.util.Map;
import java.util.concurrent.TimeUnit;
import org.apache.camel.Exchange;
import org.apache.camel.ServiceStatus;
import org.apache.camel.builder.AdviceWith;
import org.apache.camel.builder.NotifyBuilder;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.CsvSource;

/**
 * The timer routes of {@code routes/apply-enrolments.camel.yaml}, {@code routes/store-maintenance.camel.yaml} (routes
 * store-maintenance and instance-heartbeat) and {@code routes/drops-housekeeping.camel.yaml} (routes release-held-changes
 * and watch-drop-folders). Each route calls
 * one bean method per tick and nothing else; each opts in to the {@code event-errors} configuration of
 * {@code routes/errors.camel.yaml}. That policy handles nothing and redelivers nothing: a tick whose bean throws
 * fails (the exception is logged by the timer, the bean is called once, not again in the same tick), the route
 * keeps running, and the next tick calls the bean again. The files share no endpoint, so loading them together does
 * not couple them: each test ticks one route, the others' timers replaced by direct endpoints that are never sent to.
 */
class TimerRoutesRouteTest extends RouteFileTestSupport {

    private static final List<String> ROUTES = List.of("apply-enrolments", "store-maintenance", "instance-heartbeat", "release-held-changes",
            "watch-drop-folders");

    /** The bean calls of all the routes, in order, as {@code bean.method}. */
    private final List<String> calls = new java.util.concurrent.CopyOnWriteArrayList<>();
    /** Bean name to how many of its next calls throw (the store is down). */
    private final Map<String, Integer> failures = new java.util.concurrent.ConcurrentHashMap<>();

    private void call(String bean, String method) {
        calls.add(bean + "." + method);
        int left = failures.getOrDefault(bean, 0);
        if (left > 0) {
            failures.put(bean, left - 1);
            throw new IllegalStateException(bean + ": the store is down");
        }
    }

    /** Stands in for bean {@code enrolmentApplier} (EnrolmentApplier). */
    public final class EnrolmentApplier {
        public int apply() {
            call("enrolmentApplier", "apply");
            return 0;
        }
    }

    /** Stands in for bean {@code storeMaintenance} (StoreMaintenance). */
    public final class StoreMaintenance {
        public int compact() {
            call("storeMaintenance", "compact");
            return 0;
        }
    }

    /** Stands in for bean {@code instances} (Instances). */
    public final class Instances {
        public List<Object> heartbeat() {
            call("instances", "heartbeat");
            return List.of();
        }
    }

    /** Stands in for bean {@code drops} (DropIngest): only what drops-housekeeping calls. */
    public final class Drops {
        public int releaseDue() {
            call("drops", "releaseDue");
            return 0;
        }
    }

    /** Stands in for bean {@code unreadDrops} (UnreadDropFiles). */
    public final class UnreadDrops {
        public List<Object> look() {
            call("unreadDrops", "look");
            return List.of();
        }
    }

    TimerRoutesRouteTest() {
        super("apply-enrolments.camel.yaml", "store-maintenance.camel.yaml", "drops-housekeeping.camel.yaml");
    }

    @Override
    protected Map<String, Object> beans() {
        return Map.of("enrolmentApplier", new EnrolmentApplier(), "storeMaintenance", new StoreMaintenance(),
                "instances", new Instances(), "drops", new Drops(), "unreadDrops", new UnreadDrops());
    }

    /** The timers that stay real tick once and then not again during a test, except apply-enrolments' (see the last test). */
    @Override
    protected java.util.Properties settings() {
        java.util.Properties settings = new java.util.Properties();
        settings.setProperty("learnbridge.enrolments.pollPeriod", "200ms");
        settings.setProperty("learnbridge.store.compactPeriod", "1h");
        settings.setProperty("learnbridge.changes.releasePeriod", "1h");
        settings.setProperty("learnbridge.cluster.heartbeat", "1h");
        return settings;
    }

    /** Replaces the timer of each route but {@code keep} by {@code direct:tick-<route id>}, then starts the context. */
    private void adviseTimersExcept(String keep) throws Exception {
        for (String routeId : ROUTES) {
            if (!routeId.equals(keep)) {
                AdviceWith.adviceWith(context, routeId, a -> a.replaceFromWith("direct:tick-" + routeId));
            }
        }
        context.start();
    }

    private Exchange tick(String routeId) {
        return template.send("direct:tick-" + routeId, exchange -> { });
    }

    @Test
    void theFilesHoldTheseFiveTimerRoutes() throws Exception {
        var model = context.getCamelContextExtension().getContextPlugin(org.apache.camel.model.Model.class);
        assertThat(model.getRouteDefinition("apply-enrolments").getInput().getEndpointUri()).startsWith("timer:apply-enrolments");
        assertThat(model.getRouteDefinition("store-maintenance").getInput().getEndpointUri()).startsWith("timer:store-maintenance");
        assertThat(model.getRouteDefinition("instance-heartbeat").getInput().getEndpointUri()).startsWith("timer:instance-heartbeat");
        assertThat(model.getRouteDefinition("release-held-changes").getInput().getEndpointUri()).startsWith("timer:release-held-changes");
        assertThat(model.getRouteDefinition("watch-drop-folders").getInput().getEndpointUri()).startsWith("timer:watch-drop-folders");
        adviseTimersExcept(null);
        assertThat(context.getRoutes()).extracting(org.apache.camel.Route::getRouteId).containsExactlyInAnyOrderElementsOf(ROUTES);
    }

    @ParameterizedTest(name = "{0}")
    @CsvSource({
        "apply-enrolments,     enrolmentApplier.apply,  apply-due-enrolments",
        "store-maintenance,    storeMaintenance.compact, compact-store",
        "instance-heartbeat,   instances.heartbeat,     beat-and-release-departed",
        "release-held-changes, drops.releaseDue,        release-due-changes",
        "watch-drop-folders,   unreadDrops.look,        report-unread-drop-files",
    })
    void aTickCallsTheRoutesBeanMethodOnceUnderTheEventErrorsPolicy(String routeId, String call, String stepId) throws Exception {
        adviseTimersExcept(null);

        Exchange tick = tick(routeId);

        assertThat(tick.getException()).isNull();
        assertThat(calls).containsExactly(call);
        assertThat(context.getRoute(routeId).getConfigurationId()).isEqualTo("event-errors");
        assertThat(context.getProcessor(stepId)).as("the file's step id").isNotNull();
        assertThat(context.getRoute(routeId).filter(stepId)).as("the step is in route " + routeId).hasSize(1);
    }

    @ParameterizedTest(name = "{0}")
    @CsvSource({
        "apply-enrolments,     enrolmentApplier, enrolmentApplier.apply",
        "store-maintenance,    storeMaintenance, storeMaintenance.compact",
        "instance-heartbeat,   instances,        instances.heartbeat",
        "release-held-changes, drops,            drops.releaseDue",
        "watch-drop-folders,   unreadDrops,      unreadDrops.look",
    })
    void aTickWhoseBeanThrowsFailsWithoutRedeliveryAndTheNextTickCallsTheBeanAgain(String routeId, String bean, String call) throws Exception {
        adviseTimersExcept(null);
        failures.put(bean, 1);

        Exchange failed = tick(routeId);

        // event-errors handles nothing: the tick fails with the bean's exception (the timer logs it) ...
        assertThat(failed.isFailed()).isTrue();
        assertThat(failed.getException()).isInstanceOf(IllegalStateException.class).hasMessage(bean + ": the store is down");
        // ... and redelivers nothing: the bean was called once in that tick
        assertThat(calls).containsExactly(call);
        assertThat(context.getRouteController().getRouteStatus(routeId)).isEqualTo(ServiceStatus.Started);

        Exchange next = tick(routeId);

        assertThat(next.getException()).isNull();
        assertThat(calls).containsExactly(call, call);
    }

    @Test
    void theRealTimerOfApplyEnrolmentsTicksAgainAfterATickWhoseBeanThrew() throws Exception {
        failures.put("enrolmentApplier", 1);
        NotifyBuilder failedThenCompleted = new NotifyBuilder(context).fromRoute("apply-enrolments")
                .whenFailed(1).and().whenCompleted(1).create();

        adviseTimersExcept("apply-enrolments");

        assertThat(failedThenCompleted.matches(20, TimeUnit.SECONDS)).as("a failed tick, then a completed one").isTrue();
        assertThat(context.getRoute("apply-enrolments").getEndpoint().getEndpointUri()).startsWith("timer://apply-enrolments");
        assertThat(calls).hasSizeGreaterThanOrEqualTo(2).allMatch("enrolmentApplier.apply"::equals);
        assertThat(context.getRouteController().getRouteStatus("apply-enrolments")).isEqualTo(ServiceStatus.Started);
    }
}
