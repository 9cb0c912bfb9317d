package io.learnbridge.target;

import io.learnbridge.camel.Metrics;
import io.learnbridge.store.Delivery;
import io.learnbridge.store.DeliveryQueue;
import io.learnbridge.store.ExceptionEntry;
import java.time.Duration;
import java.time.Instant;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * How a store-driven target (LRS, SCIM, Moodle) settles a claimed delivery, in one place:
 * delivered; put back with exponential backoff while the retry budget lasts; or failed into the
 * exception queue with its context. Logs name ids and error classes, never the target's message,
 * which may quote personal data (it is kept in the exception queue).
 */
public final class TargetOutcomes {

    private static final Logger LOG = LoggerFactory.getLogger(TargetOutcomes.class);

    private final DeliveryQueue queue;
    private final Metrics metrics;
    private final Duration initialBackoff;
    private final Duration maxBackoff;

    public TargetOutcomes(DeliveryQueue queue, Metrics metrics, Duration initialBackoff, Duration maxBackoff) {
        this.queue = queue;
        this.metrics = metrics;
        this.initialBackoff = initialBackoff;
        this.maxBackoff = maxBackoff;
    }

    public void delivered(Delivery delivery, int status) {
        queue.delivered(delivery.id(), status);
        metrics.delivery(delivery.target(), "delivered");
    }

    /**
     * The deliveries of one claimed batch that the target acknowledged, settled together when the
     * batch ends ({@link Acknowledgements#close}): one transaction per batch instead of one per
     * request. Until then they stay SENDING under their lease, so a crash in between sends them again
     * (an upsert of the worker's newest state, which the target already holds).
     */
    public Acknowledgements acknowledgements(String target) {
        return new Acknowledgements(target);
    }

    /** Acknowledged deliveries of one batch of a target; thread-safe, as the batch's requests run concurrently. */
    public final class Acknowledgements implements AutoCloseable {

        private final String target;
        private final java.util.Map<Long, Integer> acknowledged = new java.util.concurrent.ConcurrentHashMap<>();

        private Acknowledgements(String target) {
            this.target = target;
        }

        public void delivered(Delivery delivery, int status) {
            acknowledged.put(delivery.id(), status);
        }

        /** Settles every acknowledged delivery DELIVERED in one transaction. */
        @Override
        public void close() {
            queue.deliveredAll(acknowledged);
            acknowledged.forEach((id, status) -> metrics.delivery(target, "delivered"));
        }
    }

    /**
     * The one retry rule of deliveries and enrolment changes after a transient failure ({@link TargetFailure#RETRY}):
     * empty once the item has waited longer than the retry budget (it is then failed into the exception
     * queue), else the delay before its next attempt: the target's {@code Retry-After} capped at
     * {@code maxRetryAfter}, or exponential backoff after {@code previousAttempts}.
     */
    public java.util.Optional<Duration> nextAttempt(Instant createdAt, Duration retryBudget, Duration retryAfter, Duration maxRetryAfter,
                                                    int previousAttempts) {
        if (createdAt == null || createdAt.plus(retryBudget).isBefore(Instant.now())) {
            return java.util.Optional.empty();
        }
        return java.util.Optional.of(retryAfter != null ? (retryAfter.compareTo(maxRetryAfter) > 0 ? maxRetryAfter : retryAfter)
                : backoff(previousAttempts));
    }

    /** The exponential backoff before the next attempt of a delivery claimed {@code attempts} times before. */
    public Duration backoff(int attempts) {
        return Duration.ofMillis(Math.min(maxBackoff.toMillis(), initialBackoff.toMillis() << Math.min(20, attempts)));
    }

    /** Puts the delivery back to be claimed again after {@code delay}. */
    public void retryLater(Delivery delivery, Duration delay) {
        queue.retryLater(delivery.id(), Instant.now().plus(delay));
        metrics.delivery(delivery.target(), "retried");
    }

    /**
     * A transient failure: the delivery is parked in the store until its next attempt (the
     * target's {@code Retry-After}, capped at {@code maxRetryAfter}, else exponential backoff),
     * or, once the retry budget is spent, failed into the exception queue with its last answer.
     */
    public void retryOrFail(Delivery delivery, Duration retryBudget, Duration retryAfter, Duration maxRetryAfter, Integer status,
                            String reason, String errorClass, String excerpt) {
        java.util.Optional<Duration> next = nextAttempt(delivery.createdAt(), retryBudget, retryAfter, maxRetryAfter, delivery.attempts());
        if (next.isEmpty()) {
            fail(delivery, "deliver", status, reason + "; gave up after " + attempts(delivery.attempts() + 1) + " (retry budget "
                    + retryBudget + " spent)", errorClass, excerpt);
            return;
        }
        Duration delay = next.get();
        retryLater(delivery, delay);
        LOG.debug("Delivery {} of worker {} to {} retried in {} ms: {}", delivery.id(), delivery.workerId(), delivery.target(),
                delay.toMillis(), errorClass);
    }

    /** Fails the delivery into the exception queue; {@code excerpt} defaults to the reason. Returns the exception id. */
    public long fail(Delivery delivery, String stage, Integer status, String reason, String errorClass, String excerpt) {
        return fail(delivery, stage, null, status, reason, errorClass, excerpt);
    }

    /** The target mapping refused the worker's state: failed into the exception queue naming the mapping file and field. */
    public long rejected(Delivery delivery, String mappingFile, io.learnbridge.mapping.Rejection rejection) {
        return fail(delivery, "map", rejection.field(), null, mappingFile + ": " + rejection.describe(), "TargetMappingRejected", null);
    }

    private long fail(Delivery delivery, String stage, String field, Integer status, String reason, String errorClass, String excerpt) {
        ExceptionEntry context = new ExceptionEntry(null, ExceptionEntry.Kind.FAILED, ExceptionEntry.Status.OPEN, stage,
                delivery.source(), delivery.dropId(), null, delivery.line(), delivery.workerId(), field, delivery.target(),
                delivery.id(), reason, errorClass, delivery.attempts() + 1, status, excerpt == null ? reason : excerpt,
                null, null, null, 0, delivery.eventId(), null);
        long id = queue.failed(delivery, context);
        metrics.delivery(delivery.target(), "failed");
        LOG.warn("Delivery {} of worker {} to {} failed: {}{} (exception {})", delivery.id(), delivery.workerId(), delivery.target(),
                errorClass, status == null ? "" : " HTTP " + status, id);
        return id;
    }

    /** "1 attempt", "3 attempts". */
    public static String attempts(int n) {
        return n == 1 ? "1 attempt" : n + " attempts";
    }
}
