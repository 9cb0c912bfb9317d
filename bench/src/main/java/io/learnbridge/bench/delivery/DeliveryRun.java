package io.learnbridge.bench.delivery;

import io.learnbridge.bench.CpuClock;
import io.learnbridge.bench.HeapWatch;

/**
 * One configuration's run: {@code queued} deliveries found for the target, then by status when the
 * queue was empty or stalled ({@code delivered}, {@code failed}, {@code pending}: still PENDING or
 * SENDING); {@code ingestNanos} from the drop to all deliveries queued (not measured);
 * {@code span} from all queued to all delivered, wall and the whole process's CPU (the bridge,
 * the loopback target, the poller, GC, JIT); {@code received}: what the loopback target counted;
 * {@code heap} from the drop to the end; {@code heapAfterGcAtEnd} after a full GC with the
 * bridge still running.
 */
public record DeliveryRun(DeliveryConfig config, int run, long workers, long queued, long delivered, long failed, long pending,
                          long ingestNanos, CpuClock.Span span, LoopbackTarget.Counts received, HeapWatch.Peaks heap, long heapAfterGcAtEnd,
                          double loadAverageStart, double loadAverageEnd) {

    public double seconds() {
        return span.wallNanos() / 1e9;
    }

    public double deliveriesPerSecond() {
        return span.wallNanos() <= 0 ? 0 : delivered * 1e9 / span.wallNanos();
    }

    public double deliveriesPerRequest() {
        return received.requests() == 0 ? 0 : (double) delivered / received.requests();
    }

    /** Process CPU seconds per 1,000 deliveries; -1 when the JVM cannot tell. */
    public double cpuSecondsPer1k() {
        return span.processCpuNanos() < 0 || delivered == 0 ? -1 : span.processCpuNanos() / 1e9 / delivered * 1000;
    }

    /** Every worker delivered exactly once: all DELIVERED, none failed, each record arrived once and nothing was refused. */
    public boolean complete() {
        return queued == workers && delivered == workers && failed == 0 && pending == 0 && received.records() == workers
                && received.distinct() == workers && received.refused() == 0;
    }
}
