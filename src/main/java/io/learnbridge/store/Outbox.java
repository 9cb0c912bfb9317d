package io.learnbridge.store;

import java.time.Instant;

/**
 * An outbox a target's adapter claims from and settles into: the deliveries of workers' states ({@link DeliveryQueue})
 * and the enrolment changes ({@link EnrolmentOutbox}). One settle logic serves both
 * ({@code io.learnbridge.delivery.TargetOutcomes}): it needs only what this says.
 *
 * @param <I> a claimed item
 */
public interface Outbox<I extends Outbox.Item> {

    /** A claimed item, as its settle sees it. */
    interface Item {

        long id();

        String target();

        String workerId();

        /** When it was queued: its retry budget runs from then. */
        Instant createdAt();

        /** Which attempt this claim is (1 for the first): the retry backoff and the exception entry count it. */
        int attempt();

        /** The item in a log line: ids and kinds, never the target's answer (which may quote personal data). */
        String describe();
    }

    /** The target took the item ({@code httpStatus}, kept where the outbox keeps it). */
    void delivered(I item, int httpStatus);

    /** Items the target took, with its answers, settled together (by default one by one). */
    default void deliveredTogether(java.util.Map<I, Integer> taken) {
        taken.forEach(this::delivered);
    }

    /** A transient failure: the item goes back to pending and is claimed again from {@code notBefore}. */
    void retryLater(long id, Instant notBefore);

    /**
     * An item the target cannot take (permanent) or that ran out of retries: FAILED, and into the exception queue with
     * the context's stage (null: the outbox's own), field, reason, error class, attempts and target answer, in one
     * transaction. Returns the exception id.
     */
    long failed(I item, ExceptionEntry context);
}
