package io.learnbridge.routes;

import static org.assertj.core.api.Assertions.assertThat;

import io.github.resilience4j.circuitbreaker.CircuitBreaker;
import io.learnbridge.store.Delivery;
import io.learnbridge.delivery.TargetBatch;
import java.util.ArrayDeque;
import java.util.ArrayList;
import java.util.Deque;
import java.util.List;
import org.apache.camel.Exchange;
import org.junit.jupiter.api.Test;

/**
 * {@code routes/target-lms.camel.yaml} with the Kamelets it uses (learnbridge-due-deliveries-source,
 * learnbridge-target-send-action): on a tick of the LMS's timer, claim, map ({@code fieldmap:targets/lms}), send
 * and settle inside the target's circuit breaker, claim again at once while claims come back full; an open breaker
 * hands the claim back untouched; the target unavailable (settle throws) stops the claims until the next poll.
 */
class DeliverTargetRouteTest extends RouteFileTestSupport {

    /** What the route called, in order: the adapter, the map step, the breaker's fallback. */
    private final List<String> calls = new ArrayList<>();

    /**
     * Stands in for the protocol adapter (bean httpJsonDeliveries): hands out queued claims, records what it was asked
     * to send and settle; settling a batch in {@code unavailableFor} throws as the real settle does when the target
     * was unavailable.
     */
    public final class Adapter {
        final Deque<TargetBatch> claims = new ArrayDeque<>();
        final java.util.Set<TargetBatch> unavailableFor = new java.util.HashSet<>();

        public TargetBatch claim(String target) {
            calls.add("claim " + target);
            return claims.isEmpty() ? TargetBatch.empty(target) : claims.poll();
        }

        public void send(String target, TargetBatch batch) {
            calls.add("send " + target + " " + batch.size());
        }

        public void settle(String target, TargetBatch batch) {
            calls.add("settle " + target + " " + batch.size());
            if (unavailableFor.contains(batch)) {
                throw new io.learnbridge.delivery.TargetUnavailableException(target, batch.size(), batch.size(), "HTTP 503");
            }
        }
    }

    /** Stands in for bean deliveryBreakers: records the batches handed back. */
    public final class Breakers {

        public void fallback(String target, String adapter, TargetBatch batch, Exchange exchange) {
            calls.add("held back " + target + " " + batch.size() + " (" + adapter + ")");
            exchange.setVariable(io.learnbridge.delivery.DeliveryBreakers.DRAIN, false);
        }
    }

    /** Stands in for component fieldmap (a target mapping maps each delivery of the batch): records the mapping and the batch's size. */
    private final org.apache.camel.Component fieldmap = new org.apache.camel.support.DefaultComponent() {
        @Override
        protected org.apache.camel.Endpoint createEndpoint(String uri, String remaining, java.util.Map<String, Object> parameters) {
            return new org.apache.camel.support.ProcessorEndpoint(uri, this,
                    exchange -> calls.add("map " + remaining + " " + exchange.getIn().getBody(TargetBatch.class).size()));
        }
    };

    private final Adapter adapter = new Adapter();
    private final Breakers breakers = new Breakers();
    private final CircuitBreaker breaker = CircuitBreaker.ofDefaults("targetBreaker-lms");

    DeliverTargetRouteTest() {
        super("target-lms.camel.yaml");
    }

    @Override
    protected java.util.Map<String, Object> beans() {
        return java.util.Map.of("httpJsonDeliveries", adapter, "deliveryBreakers", breakers, "targetBreaker-lms", breaker, "fieldmap", fieldmap);
    }

    private static TargetBatch batch(int deliveries, boolean full) {
        List<Delivery> items = new ArrayList<>();
        for (int i = 0; i < deliveries; i++) {
            items.add(new Delivery(i, "hris", 1L, i + 2, "E" + i, "lms", "{}", 0, null, "JOIN", java.time.Instant.EPOCH, null));
        }
        return new TargetBatch("lms", items, List.of(), full, false);
    }

    @Override
    protected java.util.Properties settings() {
        java.util.Properties settings = new java.util.Properties();
        settings.setProperty("learnbridge.delivery.pollPeriod", "1h");
        return settings;
    }

    private void tickOnce() throws Exception {
        tickOnce("deliver-lms");
    }

    @Test
    void theLmsInstanceClaimsMapsSendsAndSettlesAgainAtOnceWhileClaimsAreFull() throws Exception {
        adapter.claims.addAll(List.of(batch(2, true), batch(1, false), batch(4, false)));

        tickOnce();

        assertThat(calls).containsExactly("claim lms", "map targets/lms 2", "send lms 2", "settle lms 2",
                "claim lms", "map targets/lms 1", "send lms 1", "settle lms 1");
    }

    @Test
    void anOpenBreakerHandsTheClaimBackWithoutSendingIt() throws Exception {
        breaker.transitionToOpenState();
        adapter.claims.add(batch(3, false));

        tickOnce();

        assertThat(calls).containsExactly("claim lms", "map targets/lms 3", "held back lms 3 (httpJsonDeliveries)");
    }

    @Test
    void theTargetUnavailableStopsTheClaimsUntilTheNextPoll() throws Exception {
        TargetBatch unavailable = batch(2, true);
        adapter.unavailableFor.add(unavailable);
        adapter.claims.addAll(List.of(unavailable, batch(1, false)));

        tickOnce();

        assertThat(calls).containsExactly("claim lms", "map targets/lms 2", "send lms 2", "settle lms 2",
                "held back lms 2 (httpJsonDeliveries)");
    }

    @Test
    void nothingDueSendsNothing() throws Exception {
        tickOnce();

        assertThat(calls).containsExactly("claim lms");
    }
}
