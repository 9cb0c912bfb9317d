package io.learnbridge.delivery;

import com.fasterxml.jackson.databind.node.ObjectNode;
import io.learnbridge.mapping.Rejection;
import io.learnbridge.store.Delivery;
import io.learnbridge.store.EnrolmentOutbox;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.concurrent.ConcurrentHashMap;

/**
 * One claim of a target's due work as it goes through the target's delivery route: claimed (worker deliveries and
 * enrolment changes), mapped ({@code fieldmap:targets/<target>}: each delivery's payload, or its rejection), sent
 * (what came of each item, {@link Sent}) and settled in the store by {@link Settlement}. Deliveries go first, so a
 * joiner exists in the target before their enrolments arrive. {@code full}: a claim got as many as it asked for,
 * so more may be due now and the route claims again at once instead of waiting for its next poll.
 *
 * <p>The route's thread maps and settles; an adapter may send the items on threads of its own, so what came of
 * each is kept thread-safe.
 */
public final class TargetBatch {

    /**
     * A delivery ready to send: the worker's state as the target mapping gave it. {@code payload} is null for a
     * voided change of an event target (an LRS voids the change's statement: there is no state to map).
     */
    public record Mapped(Delivery delivery, ObjectNode payload) {
    }

    private final String target;
    private final List<Delivery> deliveries;
    private final List<EnrolmentOutbox.Change> enrolments;
    private final boolean full;
    /** The target records each change as an event (xAPI): a voided change is sent as its void, not mapped. */
    private final boolean events;
    private final Map<Long, ObjectNode> payloads = new ConcurrentHashMap<>();
    private final Map<Long, Sent> sentDeliveries = new ConcurrentHashMap<>();
    private final Map<Long, Sent> sentEnrolments = new ConcurrentHashMap<>();
    private final java.util.concurrent.atomic.AtomicBoolean settled = new java.util.concurrent.atomic.AtomicBoolean();

    public TargetBatch(String target, List<Delivery> deliveries, List<EnrolmentOutbox.Change> enrolments, boolean full, boolean events) {
        this.target = target;
        this.deliveries = List.copyOf(deliveries);
        this.enrolments = List.copyOf(enrolments);
        this.full = full;
        this.events = events;
    }

    /** Nothing claimed. */
    public static TargetBatch empty(String target) {
        return new TargetBatch(target, List.of(), List.of(), false, false);
    }

    public String target() {
        return target;
    }

    public List<Delivery> deliveries() {
        return deliveries;
    }

    public List<EnrolmentOutbox.Change> enrolments() {
        return enrolments;
    }

    public boolean full() {
        return full;
    }

    /** Deliveries plus enrolment changes; 0 when nothing was due. */
    public int size() {
        return deliveries.size() + enrolments.size();
    }

    /** Whether the map step maps {@code delivery}: all but the voided changes of an event target. */
    public boolean needsMapping(Delivery delivery) {
        return !(events && delivery.isVoid());
    }

    /** The map step: the payload the target mapping gave for {@code delivery}. */
    public void mapped(Delivery delivery, ObjectNode payload) {
        payloads.put(delivery.id(), payload);
    }

    /** The map step: the target mapping refused the worker's state (settled into the exception queue, naming file and field). */
    public void rejected(Delivery delivery, String mappingFile, Rejection rejection) {
        sent(delivery, new Sent.Rejected(mappingFile, rejection));
    }

    /** The deliveries to send, in claim order: mapped (or voided, for an event target) and not settled by the map step. */
    public List<Mapped> toSend() {
        List<Mapped> ready = new ArrayList<>(deliveries.size());
        for (Delivery delivery : deliveries) {
            if (sentDeliveries.containsKey(delivery.id())) {
                continue;
            }
            ObjectNode payload = payloads.get(delivery.id());
            if (payload == null && needsMapping(delivery)) {
                throw new IllegalStateException("delivery " + delivery.id() + " to " + target + " was not mapped: the route lacks its step "
                        + "fieldmap:targets/" + target + " before the send");
            }
            ready.add(new Mapped(delivery, payload));
        }
        return ready;
    }

    /** What came of sending {@code delivery}. */
    public void sent(Delivery delivery, Sent sent) {
        sentDeliveries.put(delivery.id(), sent);
    }

    /** What came of sending {@code change}. */
    public void sent(EnrolmentOutbox.Change change, Sent sent) {
        sentEnrolments.put(change.id(), sent);
    }

    /** What came of sending {@code delivery}; null while it is not sent. */
    public Sent outcome(Delivery delivery) {
        return sentDeliveries.get(delivery.id());
    }

    /** What came of sending {@code change}; null while it is not sent. */
    public Sent outcome(EnrolmentOutbox.Change change) {
        return sentEnrolments.get(change.id());
    }

    /** Whether the target was unavailable for an item sent so far (the rest of the batch need not be tried). */
    public boolean unavailable() {
        return sentDeliveries.values().stream().anyMatch(TargetBatch::unavailable)
                || sentEnrolments.values().stream().anyMatch(TargetBatch::unavailable);
    }

    /** True the first time it is asked: the batch's outcomes are settled once. */
    boolean settling() {
        return settled.compareAndSet(false, true);
    }

    static boolean unavailable(Sent sent) {
        return sent instanceof Sent.Retry retry && retry.unavailable() != null;
    }
}
