package io.learnbridge.target;

import io.learnbridge.store.Delivery;
import java.util.List;

/**
 * A protocol adapter (REST JSON, SCIM 2.0, Moodle, xAPI): the bean that route template
 * {@code delivery-target} calls for one target. {@link #claim} takes the next batch from the store;
 * {@link #send} sends it and settles every delivery of it (delivered, parked for a later attempt,
 * or failed into the exception queue), then throws {@link TargetUnavailableException} if the
 * target was unavailable, so the route's circuit breaker sees it.
 */
public interface TargetAdapter {

    /** Claims the target's next batch of due deliveries (empty when none is due). */
    List<Delivery> claim(String target);

    /** Sends a claimed batch and settles each of its deliveries. */
    void send(String target, List<Delivery> batch);
}
