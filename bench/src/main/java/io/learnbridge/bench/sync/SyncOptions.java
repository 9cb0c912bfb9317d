package io.learnbridge.bench.sync;

import java.time.Duration;

/**
 * What both pipelines share: PUTs in flight to the target ({@code learnbridge.delivery.parallelism}
 * for the bridge), how long a failed PUT is retried ({@code learnbridge.delivery.retryBudget}) and
 * the first backoff ({@code learnbridge.delivery.initialBackoff}, doubling up to
 * {@code maxBackoff}); how long a phase may go without progress ({@code stall}) or last at all
 * ({@code timeout}) before it is given up; whether stores are kept; how often the live heap is read
 * after a forced full collection ({@code liveHeapEvery}; zero: never).
 */
public record SyncOptions(int parallelism, Duration retryBudget, Duration initialBackoff, Duration maxBackoff, Duration stall, Duration timeout,
                          boolean keep, Duration liveHeapEvery) {
}
