package io.learnbridge.delivery;

import io.learnbridge.support.Metrics;
import io.learnbridge.mapping.Mappings;
import io.learnbridge.store.Delivery;
import io.learnbridge.store.DeliveryQueue;
import io.learnbridge.store.EnrolmentOutbox;
import java.time.Duration;
import java.util.Collection;
import java.util.List;
import java.util.Map;
import java.util.concurrent.ConcurrentHashMap;

/**
 * What every protocol adapter shares: the store it claims from, the settle logic, and each
 * target's settings read once ({@link #configure}, on the first claim, so a wrong setting fails
 * the route naming its key).
 *
 * @param <T> one target's settings and connection
 */
public abstract class TargetAdapterSupport<T extends TargetAdapterSupport.Configured> implements TargetAdapter {

    /** A configured target: how many deliveries (and enrolment changes) one claim takes. */
    public interface Configured {
        int batchSize();
    }

    protected final DeliveryQueue queue;
    /** Null when this bridge sends no enrolments. */
    protected final EnrolmentOutbox enrolments;
    protected final Mappings mappings;
    protected final Metrics metrics;
    protected final TargetSettings settings;
    protected final TargetOutcomes<Delivery> outcomes;
    protected final TargetOutcomes<EnrolmentOutbox.Change> enrolmentOutcomes;
    private final boolean latestState;
    private final Map<String, T> targets = new ConcurrentHashMap<>();
    /** Each target's circuit breaker, shared with its delivery route; null: requests are not recorded. */
    private volatile TargetBreakers breakers;

    /**
     * @param latestState claim each delivery with the worker's newest state (state targets) rather than the
     *                    state of the change itself (an LRS records each change as an event)
     */
    protected TargetAdapterSupport(DeliveryQueue queue, EnrolmentOutbox enrolments, Mappings mappings, Metrics metrics,
                                   TargetSettings settings, Duration initialBackoff, Duration maxBackoff,
                                   boolean latestState) {
        this.queue = queue;
        this.enrolments = enrolments;
        this.mappings = mappings;
        this.metrics = metrics;
        this.settings = settings;
        Duration retryBudget = settings.duration("learnbridge.delivery.retryBudget");
        Duration maxRetryAfter = settings.duration("learnbridge.delivery.maxRetryAfter");
        this.outcomes = new TargetOutcomes<>(queue, metrics, "", initialBackoff, maxBackoff, retryBudget, maxRetryAfter);
        this.enrolmentOutcomes = new TargetOutcomes<>(enrolments, metrics, "enrolment-", initialBackoff, maxBackoff, retryBudget, maxRetryAfter);
        this.latestState = latestState;
    }

    /** The targets' circuit breakers, whose HTTP clients record every request in them (set before the first claim). */
    public final void breakers(TargetBreakers breakers) {
        this.breakers = breakers;
    }

    /** The target's circuit breaker, or null when none is set. */
    protected final io.github.resilience4j.circuitbreaker.CircuitBreaker breaker(String target) {
        TargetBreakers all = breakers;
        return all == null ? null : all.of(target);
    }

    /** Reads a target's settings ({@code learnbridge.targets.<name>.*}) and opens its connection. */
    protected abstract T configure(String name);

    protected final T target(String name) {
        return targets.computeIfAbsent(name, this::configure);
    }

    /** The targets configured so far. */
    protected final Collection<T> configured() {
        return targets.values();
    }

    /** Forgets the configured targets (after closing their connections). */
    protected final void forget() {
        targets.clear();
    }

    /**
     * Whether the target may be claimed for now (default: always). An adapter that checks its
     * target first (Moodle's preflight) answers false while the check fails: nothing is claimed,
     * everything waits in the store.
     */
    protected boolean ready(String target) {
        return true;
    }

    /**
     * The target's next due deliveries and enrolment changes, as many of each as one claim takes; none while the
     * target may not be claimed ({@link #ready}).
     */
    @Override
    public TargetBatch claim(String target) {
        if (!ready(target)) {
            return TargetBatch.empty(target);
        }
        List<Delivery> deliveries = claimDeliveries(target);
        List<EnrolmentOutbox.Change> changes = claimEnrolments(target);
        int size = claimSize(target);
        return new TargetBatch(target, deliveries, changes, deliveries.size() >= size || changes.size() >= size, !latestState);
    }

    /** How many deliveries (and, separately, enrolment changes) one claim takes. */
    public int claimSize(String target) {
        return target(target).batchSize();
    }

    /** The target's next due deliveries (none when none is due). */
    public List<Delivery> claimDeliveries(String target) {
        return queue.claim(target, claimSize(target), latestState);
    }

    /** The target's next due enrolment changes (none when none is due or this bridge sends no enrolments). */
    public List<EnrolmentOutbox.Change> claimEnrolments(String target) {
        return enrolments == null ? List.of() : enrolments.claim(target, claimSize(target));
    }

    /**
     * Settles what came of each item of the batch sent so far (once: a batch settled already is left alone); the
     * items not sent stay claimed. Returns how many the target was unavailable for.
     */
    public final TargetOutcomes.Unavailable settleSent(TargetBatch batch) {
        if (!batch.settling()) {
            return new TargetOutcomes.Unavailable(0, null);
        }
        return outcomes.settleAll(batch.deliveries(), batch::outcome).plus(enrolmentOutcomes.settleAll(batch.enrolments(), batch::outcome));
    }

    @Override
    public final void settle(String target, TargetBatch batch) {
        TargetOutcomes.Unavailable unavailable = settleSent(batch);
        if (unavailable.count() > 0) {
            throw new TargetUnavailableException(target, unavailable.count(), batch.size(), unavailable.last());
        }
    }
}
