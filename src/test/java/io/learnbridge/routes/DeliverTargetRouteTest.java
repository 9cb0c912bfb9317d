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
 * learnbridge-target-send-action): on a tick of the LMS's timer, claim, send inside the target's
 * circuit breaker, claim again at once while claims come back full; an open breaker hands the
 * claim back untouched.
 */
class DeliverTargetRouteTest extends RouteFileTestSupport {

    /** Stands in for the protocol adapter (bean httpJsonDeliveries): hands out queued claims, records what it was asked to send. */
    public static final class Adapter {
        final Deque<TargetBatch> claims = new ArrayDeque<>();
        final List<String> calls = new ArrayList<>();

        public TargetBatch claim(String target) {
            calls.add("claim " + target);
            return claims.isEmpty() ? new TargetBatch(List.of(), List.of(), false) : claims.poll();
        }

        public void send(String target, TargetBatch batch) {
            calls.add("send " + target + " " + batch.size());
        }
    }

    /** Stands in for bean deliveryBreakers: records the batches handed back while the breaker is open. */
    public static final class Breakers {
        final List<String> calls = new ArrayList<>();

        public void fallback(String target, TargetBatch batch, Exchange exchange) {
            calls.add("held back " + target + " " + batch.size());
        }
    }

    private final Adapter adapter = new Adapter();
    private final Breakers breakers = new Breakers();
    private final CircuitBreaker breaker = CircuitBreaker.ofDefaults("targetBreaker-lms");

    DeliverTargetRouteTest() {
        super("target-lms.camel.yaml");
    }

    @Override
    protected java.util.Map<String, Object> beans() {
        return java.util.Map.of("httpJsonDeliveries", adapter, "deliveryBreakers", breakers, "targetBreaker-lms", breaker);
    }

    private static TargetBatch batch(int deliveries, boolean full) {
        List<Delivery> items = new ArrayList<>();
        for (int i = 0; i < deliveries; i++) {
            items.add(new Delivery(i, "hris", 1L, i + 2, "E" + i, "lms", "{}", 0, null, "JOIN", java.time.Instant.EPOCH, null));
        }
        return new TargetBatch(items, List.of(), full);
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
    void theLmsInstanceClaimsAndSendsThroughItsAdapterAgainAtOnceWhileClaimsAreFull() throws Exception {
        adapter.claims.addAll(List.of(batch(2, true), batch(1, false), batch(4, false)));

        tickOnce();

        assertThat(adapter.calls).containsExactly("claim lms", "send lms 2", "claim lms", "send lms 1");
        assertThat(breakers.calls).isEmpty();
    }

    @Test
    void anOpenBreakerHandsTheClaimBackWithoutSendingIt() throws Exception {
        breaker.transitionToOpenState();
        adapter.claims.add(batch(3, false));

        tickOnce();

        assertThat(adapter.calls).containsExactly("claim lms");
        assertThat(breakers.calls).containsExactly("held back lms 3");
    }

    @Test
    void nothingDueSendsNothing() throws Exception {
        tickOnce();

        assertThat(adapter.calls).containsExactly("claim lms");
        assertThat(breakers.calls).isEmpty();
    }
}
