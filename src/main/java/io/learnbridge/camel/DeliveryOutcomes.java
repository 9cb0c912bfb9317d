package io.learnbridge.camel;

import io.learnbridge.store.Delivery;
import io.learnbridge.store.DeliveryQueue;
import io.learnbridge.store.ExceptionEntry;
import java.net.URLEncoder;
import java.nio.charset.StandardCharsets;
import java.util.List;
import java.util.Map;
import org.apache.camel.Exchange;
import org.apache.camel.Header;
import org.apache.camel.Variable;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Bean {@code deliveries}: claims batches from the outbox and records each delivery's outcome.
 * {@link #failed} is the dead-letter step: the delivery becomes FAILED and enters the exception
 * queue with its context in one transaction; if that write fails the exception propagates
 * ({@code deadLetterHandleNewException=false}) and the delivery is claimed again later.
 */
public final class DeliveryOutcomes {

    private static final Logger LOG = LoggerFactory.getLogger(DeliveryOutcomes.class);

    private final DeliveryQueue queue;
    private final Metrics metrics;
    private final int batchSize;
    private final Map<String, String> bearerTokens;
    private final DeliveryRetry retry;

    /** @param bearerTokens target name to bearer token ({@code learnbridge.targets.<name>.token}) */
    public DeliveryOutcomes(DeliveryQueue queue, Metrics metrics, int batchSize, Map<String, String> bearerTokens, DeliveryRetry retry) {
        this.retry = retry;
        this.queue = queue;
        this.metrics = metrics;
        this.batchSize = batchSize;
        this.bearerTokens = Map.copyOf(bearerTokens);
    }

    /** Sets {@code Authorization: Bearer} when the target has a token configured. */
    public void authorize(@Variable("delivery") Delivery delivery, Exchange exchange) {
        String token = bearerTokens.get(delivery.target());
        if (token != null) {
            exchange.getIn().setHeader("Authorization", "Bearer " + token);
        }
    }

    public List<Delivery> claim(String target) {
        return queue.claim(target, batchSize);
    }

    /** The path under the target URL: the worker id, percent-encoded as one segment. */
    public String httpPath(@Variable("delivery") Delivery delivery) {
        return "/" + URLEncoder.encode(delivery.workerId(), StandardCharsets.UTF_8).replace("+", "%20");
    }

    public void delivered(@Variable("delivery") Delivery delivery, @Header(Exchange.HTTP_RESPONSE_CODE) Integer status) {
        retry.outcome(delivery.id());
        queue.delivered(delivery.id(), status == null ? 0 : status);
        metrics.delivery(delivery.target(), "delivered");
    }

    public void failed(Exchange exchange) {
        Delivery delivery = exchange.getVariable("delivery", Delivery.class);
        Throwable failure = exchange.getProperty(Exchange.EXCEPTION_CAUGHT, Throwable.class);
        if (delivery == null) {
            // Not a delivery (claiming a batch failed, e.g. the store is down): nothing to queue;
            // fail the exchange so the error is logged and the next poll tries again.
            throw new IllegalStateException("delivery poll failed: " + failure, failure);
        }
        DeliveryErrors.Verdict verdict = DeliveryErrors.classify(failure);
        int attempts = retry.outcome(delivery.id());
        String reason = verdict.retryable() ? verdict.reason() + "; gave up after " + attempts + " attempts (retry budget spent)" : verdict.reason();
        String field = failure instanceof RecordRejectedException r ? r.field() : null;
        ExceptionEntry context = new ExceptionEntry(null, ExceptionEntry.Kind.FAILED, ExceptionEntry.Status.OPEN, "deliver",
                delivery.source(), delivery.dropId(), null, delivery.line(), delivery.workerId(), field, delivery.target(),
                delivery.id(), reason, failure == null ? null : failure.getClass().getName(), attempts, verdict.httpStatus(),
                verdict.responseExcerpt(), null, null, null, 0, delivery.eventId(), null);
        long id = queue.failed(delivery, context);
        metrics.delivery(delivery.target(), "failed");
        LOG.warn("Delivery {} of worker {} to {} failed: {} (exception {})", delivery.id(), delivery.workerId(), delivery.target(), reason, id);
    }
}
