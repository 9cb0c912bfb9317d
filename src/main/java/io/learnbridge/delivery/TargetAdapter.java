package io.learnbridge.delivery;

import io.learnbridge.store.Delivery;
import io.learnbridge.store.EnrolmentOutbox;
import java.util.List;

/**
 * A protocol adapter (REST JSON, SCIM 2.0, Moodle, xAPI): the bean that Kamelets
 * {@code learnbridge-due-deliveries-source} and {@code learnbridge-target-send-action} call for one
 * target. {@link #claim} takes the target's due deliveries
 * and enrolment changes from the store; {@link #send} sends them and settles each one (delivered,
 * parked for a later attempt, or failed into the exception queue), then throws
 * {@link TargetUnavailableException} if the target was unavailable (the route stops claiming
 * until its next poll). The route's circuit breaker counts requests, recorded by the target's HTTP
 * client ({@link TargetBreakers}).
 */
public interface TargetAdapter {

    /** The target's next due deliveries (empty when none is due). */
    List<Delivery> claimDeliveries(String target);

    /** The target's next due enrolment changes (empty when none is due or the target takes none). */
    List<EnrolmentOutbox.Change> claimEnrolments(String target);

    /** Sends worker deliveries and settles each; throws {@link TargetUnavailableException} after settling them all. */
    void sendDeliveries(String target, List<Delivery> deliveries);

    /** Sends enrolment changes and settles each; throws {@link TargetUnavailableException} after settling them all. */
    void sendEnrolments(String target, List<EnrolmentOutbox.Change> enrolments);

    /** How many deliveries (and, separately, enrolment changes) one claim takes. */
    int claimSize(String target);

    default TargetBatch claim(String target) {
        List<Delivery> deliveries = claimDeliveries(target);
        List<EnrolmentOutbox.Change> enrolments = claimEnrolments(target);
        int size = claimSize(target);
        return new TargetBatch(deliveries, enrolments, deliveries.size() >= size || enrolments.size() >= size);
    }

    /**
     * Deliveries first, then enrolments. When the target is unavailable for the deliveries, the
     * enrolments are not tried: they stay claimed and the breaker's fallback puts them back.
     */
    default void send(String target, TargetBatch batch) {
        if (!batch.deliveries().isEmpty()) {
            sendDeliveries(target, batch.deliveries());
        }
        if (!batch.enrolments().isEmpty()) {
            sendEnrolments(target, batch.enrolments());
        }
    }
}
