package io.learnbridge.camel;

import java.time.Duration;
import org.apache.camel.Exchange;
import org.apache.camel.Predicate;

/**
 * The {@code retryWhile} of the delivery error handler: retry while the failure is transient and
 * the delivery's retry budget is not spent. Honours {@code Retry-After} (capped) by setting the
 * next redelivery delay; otherwise the policy's exponential backoff applies.
 */
public final class DeliveryRetry implements Predicate {

    /** Variable: when the first attempt started (set by the route); the retry budget counts from it. */
    public static final String STARTED_AT = "deliveryStartedAt";

    private final Duration budget;
    private final Duration maxRetryAfter;
    private final Metrics metrics;
    /**
     * Failed attempts per delivery id while it is being retried. Kept here because Camel evaluates
     * retryWhile on a copy of the exchange (a variable set here is gone by the dead-letter step)
     * and the dead-letter channel sees the original message, without CamelRedeliveryCounter.
     */
    private final java.util.Map<Long, Integer> attempts = new java.util.concurrent.ConcurrentHashMap<>();

    public DeliveryRetry(Duration budget, Duration maxRetryAfter, Metrics metrics) {
        this.budget = budget;
        this.maxRetryAfter = maxRetryAfter;
        this.metrics = metrics;
    }

    /** Attempts made for a delivery that now has an outcome (at least 1); forgets it. */
    public int outcome(long deliveryId) {
        Integer failures = attempts.remove(deliveryId);
        return failures == null ? 1 : failures;
    }

    @Override
    public boolean matches(Exchange exchange) {
        Throwable failure = exchange.getException() != null ? exchange.getException()
                : exchange.getProperty(Exchange.EXCEPTION_CAUGHT, Throwable.class);
        if (failure == null) {
            return false;
        }
        DeliveryErrors.Verdict verdict = DeliveryErrors.classify(failure);
        io.learnbridge.store.Delivery delivery = exchange.getVariable("delivery", io.learnbridge.store.Delivery.class);
        if (delivery != null) {
            attempts.merge(delivery.id(), 1, Integer::sum);
        }
        java.util.Date started = exchange.getVariable(STARTED_AT, java.util.Date.class);
        long elapsed = System.currentTimeMillis() - (started == null ? exchange.getClock().getCreated() : started.getTime());
        if (!verdict.retryable() || elapsed >= budget.toMillis()) {
            return false;
        }
        if (verdict.retryAfter() != null) {
            long delay = Math.min(verdict.retryAfter().toMillis(), maxRetryAfter.toMillis());
            exchange.getIn().setHeader(Exchange.REDELIVERY_DELAY, delay);
        } else {
            exchange.getIn().removeHeader(Exchange.REDELIVERY_DELAY);
        }
        String target = delivery == null ? "unknown" : delivery.target();
        metrics.delivery(target, "retried");
        return true;
    }
}
