package io.learnbridge.delivery;

import io.learnbridge.support.Metrics;
import io.learnbridge.store.ExceptionEntry;
import io.learnbridge.store.Outbox;
import java.time.Duration;
import java.time.Instant;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * How an adapter settles a claimed item, a worker's delivery or an enrolment change, in one place: delivered; put
 * back with exponential backoff ({@code Retry-After} honoured) while the retry budget lasts; or failed into the
 * exception queue with its context. Logs name ids and error classes, never the target's message, which may quote
 * personal data (it is kept in the exception queue).
 *
 * @param <I> what the outbox holds
 */
public final class TargetOutcomes<I extends Outbox.Item> {

    private static final Logger LOG = LoggerFactory.getLogger(TargetOutcomes.class);

    private final Outbox<I> outbox;
    private final Metrics metrics;
    private final String metric;
    private final Duration initialBackoff;
    private final Duration maxBackoff;
    private final Duration retryBudget;
    private final Duration maxRetryAfter;

    /**
     * @param metric        what the outcomes are counted as, before "delivered", "retried" and "failed" ("",
     *                      "enrolment-")
     * @param retryBudget   how long after it was queued an item is still retried
     * @param maxRetryAfter the longest {@code Retry-After} of a target honoured
     */
    public TargetOutcomes(Outbox<I> outbox, Metrics metrics, String metric, Duration initialBackoff, Duration maxBackoff,
                          Duration retryBudget, Duration maxRetryAfter) {
        this.outbox = outbox;
        this.metrics = metrics;
        this.metric = metric;
        this.initialBackoff = initialBackoff;
        this.maxBackoff = maxBackoff;
        this.retryBudget = retryBudget;
        this.maxRetryAfter = maxRetryAfter;
    }

    public void delivered(I item, int status) {
        outbox.delivered(item, status);
        metrics.delivery(item.target(), metric + "delivered");
    }

    /**
     * The one retry rule of deliveries and enrolment changes after a transient failure ({@link TargetFailure#RETRY}):
     * empty once the item has waited longer than the retry budget (it is then failed into the exception
     * queue), else the delay before its next attempt: the target's {@code Retry-After} capped at
     * {@code maxRetryAfter}, or exponential backoff after {@code previousAttempts}.
     */
    public java.util.Optional<Duration> nextAttempt(Instant createdAt, Duration retryAfter, int previousAttempts) {
        if (createdAt == null || createdAt.plus(retryBudget).isBefore(Instant.now())) {
            return java.util.Optional.empty();
        }
        return java.util.Optional.of(retryAfter != null ? (retryAfter.compareTo(maxRetryAfter) > 0 ? maxRetryAfter : retryAfter)
                : backoff(previousAttempts));
    }

    /** The exponential backoff before the next attempt of an item claimed {@code attempts} times before. */
    public Duration backoff(int attempts) {
        return Duration.ofMillis(Math.min(maxBackoff.toMillis(), initialBackoff.toMillis() << Math.min(20, attempts)));
    }

    /**
     * A transient failure: the item is parked in the store until its next attempt ({@link #nextAttempt}), or, once
     * the retry budget is spent, failed into the exception queue with its last answer.
     */
    public void retryOrFail(I item, Duration retryAfter, Integer status, String reason, String errorClass, String excerpt) {
        java.util.Optional<Duration> next = nextAttempt(item.createdAt(), retryAfter, Math.max(0, item.attempt() - 1));
        if (next.isEmpty()) {
            fail(item, null, status, reason + "; gave up after " + attempts(item.attempt()) + " (retry budget " + retryBudget + " spent)",
                    errorClass, excerpt);
            return;
        }
        Duration delay = next.get();
        outbox.retryLater(item.id(), Instant.now().plus(delay));
        metrics.delivery(item.target(), metric + "retried");
        LOG.debug("{} retried in {} ms: {}", item.describe(), delay.toMillis(), errorClass);
    }

    /** Fails the item into the exception queue at its outbox's own stage; {@code excerpt} defaults to the reason. Returns the exception id. */
    public long fail(I item, Integer status, String reason, String errorClass, String excerpt) {
        return fail(item, null, status, reason, errorClass, excerpt);
    }

    /** As {@link #fail(Outbox.Item, Integer, String, String, String)} at {@code stage} (null: the outbox's own). */
    public long fail(I item, String stage, Integer status, String reason, String errorClass, String excerpt) {
        return fail(item, stage, null, status, reason, errorClass, excerpt);
    }

    /** The target mapping refused the worker's state: failed into the exception queue naming the mapping file and field. */
    public long rejected(I item, String mappingFile, io.learnbridge.mapping.Rejection rejection) {
        return fail(item, "map", rejection.field(), null, mappingFile + ": " + rejection.describe(), "TargetMappingRejected", null);
    }

    private long fail(I item, String stage, String field, Integer status, String reason, String errorClass, String excerpt) {
        // what the item itself knows (its source, drop, event, curriculum) the outbox adds
        ExceptionEntry context = new ExceptionEntry(null, ExceptionEntry.Kind.FAILED, ExceptionEntry.Status.OPEN, stage,
                null, null, null, null, item.workerId(), field, item.target(), item.id(), reason, errorClass, item.attempt(), status,
                excerpt == null ? reason : excerpt, null, null, null, 0, null, null);
        long id = outbox.failed(item, context);
        metrics.delivery(item.target(), metric + "failed");
        LOG.warn("{} failed: {}{} (exception {})", item.describe(), errorClass, status == null ? "" : " HTTP " + status, id);
        return id;
    }

    /** Stores what came of sending {@code item}. */
    public void settle(I item, Sent sent) {
        if (sent instanceof Sent.Delivered delivered) {
            delivered(item, delivered.status());
        } else if (sent instanceof Sent.Retry retry) {
            retryOrFail(item, retry.retryAfter(), retry.status(), retry.reason(), retry.errorClass(), retry.excerpt());
        } else if (sent instanceof Sent.Failed failed) {
            fail(item, failed.stage(), failed.status(), failed.reason(), failed.errorClass(), failed.excerpt());
        } else if (sent instanceof Sent.Rejected rejected) {
            rejected(item, rejected.mappingFile(), rejected.rejection());
        }
    }

    /**
     * Settles what came of each of {@code items} that has an outcome ({@code outcome} null: not sent, left claimed), in
     * claim order; those the target took in one transaction. Returns how many the target was unavailable for, and
     * the last reason.
     */
    public Unavailable settleAll(java.util.List<I> items, java.util.function.Function<I, Sent> outcome) {
        java.util.Map<I, Integer> taken = new java.util.LinkedHashMap<>();
        int unavailable = 0;
        String last = null;
        for (I item : items) {
            Sent sent = outcome.apply(item);
            if (sent instanceof Sent.Delivered delivered) {
                taken.put(item, delivered.status());
                continue;
            }
            if (sent != null) {
                settle(item, sent);
            }
            if (sent instanceof Sent.Retry retry && retry.unavailable() != null) {
                unavailable++;
                last = retry.unavailable();
            }
        }
        if (!taken.isEmpty()) {
            outbox.deliveredTogether(taken);
            taken.keySet().forEach(item -> metrics.delivery(item.target(), metric + "delivered"));
        }
        return new Unavailable(unavailable, last);
    }

    /** How many items of a batch the target was unavailable for, and the last reason (an error code or status). */
    public record Unavailable(int count, String last) {

        public Unavailable plus(Unavailable other) {
            return new Unavailable(count + other.count, other.last != null ? other.last : last);
        }
    }

    /** "1 attempt", "3 attempts". */
    public static String attempts(int n) {
        return n == 1 ? "1 attempt" : n + " attempts";
    }
}
