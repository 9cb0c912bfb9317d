package io.learnbridge.target;

import io.learnbridge.camel.Metrics;
import io.learnbridge.store.EnrolmentOutbox;
import io.learnbridge.store.ExceptionEntry;
import java.time.Duration;
import java.time.Instant;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * How an adapter settles a claimed enrolment change, in one place: delivered; parked until its
 * next attempt while the retry budget lasts ({@code Retry-After} honoured, else exponential
 * backoff); or failed into the exception queue (stage {@code enrol}) with the target's answer.
 */
public final class EnrolmentOutcomes {

    private static final Logger LOG = LoggerFactory.getLogger(EnrolmentOutcomes.class);

    private final EnrolmentOutbox outbox;
    private final Metrics metrics;
    private final TargetOutcomes backoff;
    private final Duration retryBudget;
    private final Duration maxRetryAfter;

    public EnrolmentOutcomes(EnrolmentOutbox outbox, Metrics metrics, TargetOutcomes backoff, Duration retryBudget, Duration maxRetryAfter) {
        this.outbox = outbox;
        this.metrics = metrics;
        this.backoff = backoff;
        this.retryBudget = retryBudget;
        this.maxRetryAfter = maxRetryAfter;
    }

    public void delivered(EnrolmentOutbox.Change change) {
        outbox.delivered(change.id());
        metrics.delivery(change.target(), "enrolment-delivered");
    }

    /** Permanent: the exception queue, with the reason and the target's answer. */
    public long fail(EnrolmentOutbox.Change change, Integer status, String reason, String errorClass, String excerpt) {
        ExceptionEntry context = new ExceptionEntry(null, ExceptionEntry.Kind.FAILED, ExceptionEntry.Status.OPEN, EnrolmentOutbox.STAGE,
                null, null, null, null, change.workerId(), null, change.target(), change.id(), reason, errorClass, change.attempts(), status,
                excerpt == null ? reason : excerpt, null, null, null, 0, null, null);
        long id = outbox.failed(change, context);
        metrics.delivery(change.target(), "enrolment-failed");
        LOG.warn("Enrolment change {} ({} {}) of worker {} to {} failed: {}{} (exception {})", change.id(), change.action(), change.curriculum(),
                change.workerId(), change.target(), errorClass, status == null ? "" : " HTTP " + status, id);
        return id;
    }

    /** Transient: parked until the next attempt, or failed once the retry budget is spent. */
    public void retryOrFail(EnrolmentOutbox.Change change, Duration retryAfter, Integer status, String reason, String errorClass, String excerpt) {
        // the attempts a claimed enrolment change carries include the current one; a claimed delivery's do not
        java.util.Optional<Duration> next = backoff.nextAttempt(change.createdAt(), retryBudget, retryAfter, maxRetryAfter,
                Math.max(0, change.attempts() - 1));
        if (next.isEmpty()) {
            fail(change, status, reason + "; gave up after " + TargetOutcomes.attempts(change.attempts()) + " (retry budget " + retryBudget + " spent)",
                    errorClass, excerpt);
            return;
        }
        outbox.retryLater(change.id(), Instant.now().plus(next.get()));
        metrics.delivery(change.target(), "enrolment-retried");
    }
}
