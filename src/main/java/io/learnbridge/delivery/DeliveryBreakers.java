package io.learnbridge.delivery;

import io.learnbridge.support.Metrics;
import io.learnbridge.store.Delivery;
import io.learnbridge.store.DeliveryQueue;
import java.time.Duration;
import java.time.Instant;
import java.util.List;
import java.util.Map;
import java.util.concurrent.ConcurrentHashMap;
import org.apache.camel.Exchange;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Bean {@code deliveryBreakers}: the fallback of every delivery route's circuit breaker
 * (Kamelet {@code learnbridge-target-send-action}). When the breaker is open the claimed batch was never sent:
 * it goes back to the store untouched, due again when the breaker lets a call through, and the
 * claim does not count as an attempt. When the send or the settle step threw, what was sent is settled and the
 * items not sent go back after the initial backoff.
 */
public final class DeliveryBreakers {

    private static final Logger LOG = LoggerFactory.getLogger(DeliveryBreakers.class);

    /** Variable of the delivery route: claim again at once (the last claim was full and went through). */
    public static final String DRAIN = "drain";

    private final DeliveryQueue queue;
    private final io.learnbridge.store.EnrolmentOutbox enrolments;
    private final Metrics metrics;
    private final Duration openFor;
    private final Duration afterFailure;
    /** When each target's breaker was last reported open: one log line per open period. */
    private final Map<String, Instant> reported = new ConcurrentHashMap<>();

    /**
     * @param openFor      how long an open breaker stays open (the route's {@code waitDurationInOpenState})
     * @param afterFailure how long an unsettled delivery waits after an unexpected failure
     */
    public DeliveryBreakers(DeliveryQueue queue, io.learnbridge.store.EnrolmentOutbox enrolments, Metrics metrics, Duration openFor,
                            Duration afterFailure) {
        this.queue = queue;
        this.enrolments = enrolments;
        this.metrics = metrics;
        this.openFor = openFor;
        this.afterFailure = afterFailure;
    }

    /**
     * @param adapter the bean name of the target's protocol adapter, which settles what it sent (or the mapping
     *                refused) before the failure; the rest of the batch goes back to the store
     */
    public void fallback(String target, String adapter, TargetBatch batch, Exchange exchange) {
        Throwable failure = exchange.getProperty(Exchange.EXCEPTION_CAUGHT, Throwable.class);
        // no more claims this poll: the target is left alone until the next one
        exchange.setVariable(DRAIN, false);
        TargetAdapter sender = exchange.getContext().getRegistry().lookupByNameAndType(adapter, TargetAdapter.class);
        if (sender instanceof TargetAdapterSupport<?> support) {
            // settled once: after a TargetUnavailableException the settle step has settled them already
            support.settleSent(batch);
        }
        List<Long> deliveries = batch.deliveries().stream().map(Delivery::id).toList();
        List<Long> changes = batch.enrolments().stream().map(io.learnbridge.store.EnrolmentOutbox.Change::id).toList();
        if (failure == null) {
            // short-circuited: the breaker is open and the adapter was not called
            Instant until = Instant.now().plus(openFor);
            int held = queue.holdBack(deliveries, until) + enrolments.holdBack(changes, until);
            metrics.delivery(target, "held");
            Instant now = Instant.now();
            Instant last = reported.get(target);
            if (last == null || last.plus(openFor).isBefore(now)) {
                reported.put(target, now);
                LOG.warn("Circuit breaker of target {} is open: {} deliveries and enrolment changes held back for {} s; the target gets one "
                        + "trial batch after that", target, held, openFor.toSeconds());
            }
            return;
        }
        reported.remove(target);
        // whatever the adapter had not settled yet (enrolments not tried because the target was unavailable) goes back
        Instant later = Instant.now().plus(afterFailure);
        int held = queue.holdBack(deliveries, later) + enrolments.holdBack(changes, later);
        if (failure instanceof TargetUnavailableException) {
            LOG.info("{}{}", failure.getMessage(), held == 0 ? "" : "; " + held + " not tried, back in the store");
            return;
        }
        LOG.warn("Delivery to target {} failed unexpectedly ({}); {} unsettled deliveries and enrolment changes go back to the store",
                target, failure.toString(), held, failure);
    }
}
