package io.learnbridge.delivery;

import io.learnbridge.store.Delivery;
import io.learnbridge.store.EnrolmentOutbox;
import java.util.List;

/**
 * What one poll of a target's delivery route claimed: worker deliveries and enrolment changes.
 * Deliveries go first, so a joiner exists in the target before their enrolments arrive.
 * {@code full}: a claim got as many as it asked for, so more may be due now and the route claims
 * again at once instead of waiting for its next poll.
 */
public record TargetBatch(List<Delivery> deliveries, List<EnrolmentOutbox.Change> enrolments, boolean full) {

    public TargetBatch {
        deliveries = List.copyOf(deliveries);
        enrolments = List.copyOf(enrolments);
    }

    /** Deliveries plus enrolment changes; 0 when nothing was due. */
    public int size() {
        return deliveries.size() + enrolments.size();
    }
}
