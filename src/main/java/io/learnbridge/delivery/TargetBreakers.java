package io.learnbridge.delivery;

import io.github.resilience4j.circuitbreaker.CircuitBreaker;
import io.github.resilience4j.circuitbreaker.CircuitBreakerConfig;
import io.github.resilience4j.circuitbreaker.CircuitBreakerRegistry;
import java.time.Duration;
import java.util.Map;
import java.util.Set;
import org.apache.camel.spi.BeanRepository;

/**
 * Each target's circuit breaker, counted in requests. One resilience4j breaker per target is
 * shared by the delivery route's {@code circuitBreaker} step (Kamelet {@code learnbridge-target-send-action}
 * refers to it as {@code targetBreaker-<target>}: a claimed batch is not sent while it is open)
 * and by the target's HTTP client, which records every request: no answer, 408, 429 and 5xx
 * are failures, any other answer a success. So one reset connection in a batch of 100 is one
 * failed request in the window, not a failed batch; a target that is down opens the breaker
 * after {@code minimumCalls} requests, and the next claim is held back. The breaker is consulted
 * per claim (a batch once sent is sent whole); a batch that ends with deliveries parked
 * ({@link TargetUnavailableException}) is not counted again: its requests already were.
 *
 * <p>Also a Camel bean repository, so the route finds the breaker of any target by name without
 * the targets being listed anywhere but in their route files.
 */
public final class TargetBreakers implements BeanRepository {

    /** Registry name of a target's breaker: {@code targetBreaker-<target>}. */
    public static final String PREFIX = "targetBreaker-";

    private final CircuitBreakerRegistry registry;
    private final Duration openFor;

    /**
     * @param failureRatePercent share of failed requests in the window that opens the breaker
     * @param minimumCalls       requests the breaker must have seen before it may open
     * @param window             requests the failure share is computed over
     * @param openFor            how long an open breaker leaves the target alone
     */
    public TargetBreakers(float failureRatePercent, int minimumCalls, int window, Duration openFor) {
        this.openFor = openFor;
        this.registry = CircuitBreakerRegistry.of(CircuitBreakerConfig.custom()
                .slidingWindowType(CircuitBreakerConfig.SlidingWindowType.COUNT_BASED)
                .failureRateThreshold(failureRatePercent)
                .minimumNumberOfCalls(minimumCalls)
                .slidingWindowSize(window)
                .waitDurationInOpenState(openFor)
                // the trial: one batch let through after the open period; its first answered request decides
                .permittedNumberOfCallsInHalfOpenState(1)
                .writableStackTraceEnabled(false)
                .ignoreExceptions(TargetUnavailableException.class)
                .build());
    }

    /** Reads {@code learnbridge.delivery.breaker.*}. */
    public static TargetBreakers read(TargetSettings settings) {
        return new TargetBreakers(settings.integer("learnbridge.delivery.breaker.failureRatePercent"),
                settings.integer("learnbridge.delivery.breaker.minimumCalls"),
                settings.integer("learnbridge.delivery.breaker.window"),
                settings.duration("learnbridge.delivery.breaker.openSeconds"));
    }

    /** How long an open breaker leaves its target alone. */
    public Duration openFor() {
        return openFor;
    }

    /** The target's breaker. */
    public CircuitBreaker of(String target) {
        return registry.circuitBreaker(PREFIX + target);
    }

    @Override
    public Object lookupByName(String name) {
        return name != null && name.startsWith(PREFIX) && name.length() > PREFIX.length() ? of(name.substring(PREFIX.length())) : null;
    }

    @Override
    public <T> T lookupByNameAndType(String name, Class<T> type) {
        Object bean = lookupByName(name);
        return type.isInstance(bean) ? type.cast(bean) : null;
    }

    @Override
    public <T> Map<String, T> findByTypeWithName(Class<T> type) {
        return Map.of();
    }

    @Override
    public <T> Set<T> findByType(Class<T> type) {
        return Set.of();
    }
}
