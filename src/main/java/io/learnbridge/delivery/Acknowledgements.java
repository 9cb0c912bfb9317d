package io.learnbridge.delivery;

import io.learnbridge.support.Metrics;
import io.learnbridge.store.Delivery;
import io.learnbridge.store.DeliveryQueue;
import java.util.Map;
import java.util.concurrent.ConcurrentHashMap;

/**
 * The deliveries of one claimed batch of a target that the target acknowledged, settled together when the batch
 * ends ({@link #close}): one transaction per batch instead of one per request. Until then they stay SENDING under
 * their lease, so a crash in between sends them again (an upsert of the worker's newest state, which the target
 * already holds). Thread-safe, as the batch's requests run concurrently.
 */
public final class Acknowledgements implements AutoCloseable {

    private final DeliveryQueue queue;
    private final Metrics metrics;
    private final String target;
    private final Map<Long, Integer> acknowledged = new ConcurrentHashMap<>();

    Acknowledgements(DeliveryQueue queue, Metrics metrics, String target) {
        this.queue = queue;
        this.metrics = metrics;
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
