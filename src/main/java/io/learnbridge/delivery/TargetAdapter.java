package io.learnbridge.delivery;

import io.learnbridge.store.EnrolmentOutbox;

/**
 * A protocol adapter (REST JSON, SCIM 2.0, Moodle, xAPI): the bean a target's delivery route calls, step by step
 * (Kamelets {@code learnbridge-due-deliveries-source} and {@code learnbridge-target-send-action}):
 * <ol>
 * <li>{@link #claim}: the target's due deliveries and enrolment changes from the store;</li>
 * <li>the route maps each delivery ({@code fieldmap:targets/<target>});</li>
 * <li>{@link #send(String, TargetBatch)}: each item sent, what came of it ({@link Sent}) kept in the batch. An
 * adapter implements sending one item ({@link #sendOne(String, TargetBatch.Mapped)},
 * {@link #sendOne(String, EnrolmentOutbox.Change)}); it may send a batch together instead (concurrent requests,
 * statements in one POST, users in one call);</li>
 * <li>{@link #settle}: each item settled in the store, the same way for every adapter ({@link TargetOutcomes}):
 * delivered; parked for a later attempt; or failed into the exception queue. Throws
 * {@link TargetUnavailableException} after settling when the target was unavailable, so the route stops claiming
 * until its next poll.</li>
 * </ol>
 * The route's circuit breaker counts requests, recorded by the target's HTTP client ({@link TargetBreakers}).
 */
public interface TargetAdapter {

    /** The target's next due deliveries and enrolment changes (none when nothing is due). */
    TargetBatch claim(String target);

    /** Sends one mapped delivery to {@code target}: what came of it. */
    Sent sendOne(String target, TargetBatch.Mapped delivery);

    /** Sends one enrolment change to {@code target}: what came of it. */
    Sent sendOne(String target, EnrolmentOutbox.Change change);

    /**
     * Sends the batch's mapped deliveries, then its enrolment changes, one at a time, keeping what came of each in the
     * batch. When the target is unavailable, the rest are not tried: they stay claimed and go back to the store
     * untouched. An adapter that can send several items together overrides this.
     */
    default void send(String target, TargetBatch batch) {
        for (TargetBatch.Mapped delivery : batch.toSend()) {
            Sent sent = sendOne(target, delivery);
            batch.sent(delivery.delivery(), sent);
            if (TargetBatch.unavailable(sent)) {
                return;
            }
        }
        for (EnrolmentOutbox.Change change : batch.enrolments()) {
            Sent sent = sendOne(target, change);
            batch.sent(change, sent);
            if (TargetBatch.unavailable(sent)) {
                return;
            }
        }
    }

    /**
     * Settles every item of the batch that was sent (or refused by the mapping); throws
     * {@link TargetUnavailableException} once they are settled when the target was unavailable for some.
     */
    void settle(String target, TargetBatch batch);
}
