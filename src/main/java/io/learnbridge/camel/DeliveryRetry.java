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

    private final Duration budget;
    private final Duration maxRetryAfter;
    private final Metrics metrics;

    public DeliveryRetry(Duration budget, Duration maxRetryAfter, Metrics metrics) {
        this.budget = budget;
        this.maxRetryAfter = maxRetryAfter;
        this.metrics = metrics;
    }

    @Override
    public boolean matches(Exchange exchange) {
        Throwable failure = exchange.getException() != null ? exchange.getException()
                : exchange.getProperty(Exchange.EXCEPTION_CAUGHT, Throwable.class);
        if (failure == null) {
            return false;
        }
        DeliveryErrors.Verdict verdict = DeliveryErrors.classify(failure);
        long elapsed = System.currentTimeMillis() - exchange.getClock().getCreated();
        if (!verdict.retryable() || elapsed >= budget.toMillis()) {
            return false;
        }
        if (verdict.retryAfter() != null) {
            long delay = Math.min(verdict.retryAfter().toMillis(), maxRetryAfter.toMillis());
            exchange.getIn().setHeader(Exchange.REDELIVERY_DELAY, delay);
        } else {
            exchange.getIn().removeHeader(Exchange.REDELIVERY_DELAY);
        }
        io.learnbridge.store.Delivery delivery = exchange.getVariable("delivery", io.learnbridge.store.Delivery.class);
        String target = delivery == null ? "unknown" : delivery.target();
        metrics.delivery(target, "retried");
        return true;
    }
}
