package io.learnbridge.delivery.http;

import java.util.ArrayDeque;
import java.util.Map;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CompletionException;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.Executor;

/**
 * One target's sends in flight across claims. The delivery route hands over a batch and goes on to
 * claim the next while up to {@code depth} earlier batches are still being sent, so the target's
 * connections are not idle while the store claims and settles. Two sends for one worker never
 * overlap: a send waits for the worker's send before it (from this batch or an earlier one), so the
 * newer state, claimed later, always reaches the target last.
 *
 * <p>Used by one route thread at a time ({@link #submitted}, {@link #drain}); the sends run on the
 * target's threads.
 */
final class SendPipeline {

    private final int depth;
    private final Map<String, CompletableFuture<Void>> lastByWorker = new ConcurrentHashMap<>();
    private final ArrayDeque<CompletableFuture<Void>> batches = new ArrayDeque<>();

    /** @param depth how many earlier batches may still be in flight when a call returns (0: none) */
    SendPipeline(int depth) {
        this.depth = depth;
    }

    /** Runs {@code send} on {@code threads} once the worker's earlier send, if any is in flight, has finished. */
    CompletableFuture<Void> send(String workerId, Runnable send, Executor threads) {
        CompletableFuture<Void> next = lastByWorker.compute(workerId, (worker, before) -> before == null
                ? CompletableFuture.runAsync(send, threads)
                // the outcome of the earlier send is its own batch's concern: this one only waits for it
                : before.handle((ignored, failure) -> null).thenRunAsync(send, threads));
        next.whenComplete((ignored, failure) -> lastByWorker.remove(workerId, next));
        return next;
    }

    /**
     * Records a batch handed over (its future completes once every send of it is settled), then waits
     * until at most {@code depth} batches are in flight. Throws the failure of {@code batch} itself when
     * it is waited for (depth 0); an earlier batch's failure is its own (its sender logged it, and what
     * it left unsettled stays claimed until its lease ends): thrown here, the caller would take it for a
     * failure of {@code batch}, whose sends may still be on the wire, and put that batch back in the store.
     */
    synchronized void submitted(CompletableFuture<Void> batch) {
        batches.addLast(batch);
        while (batches.size() > depth) {
            CompletableFuture<Void> oldest = batches.removeFirst();
            if (oldest == batch) {
                await(oldest);
            } else {
                oldest.handle((ignored, failure) -> null).join();
            }
        }
    }

    /** Waits for every batch in flight (before enrolments, which need their workers at the target, and at close). */
    synchronized void drain() {
        RuntimeException first = null;
        while (!batches.isEmpty()) {
            try {
                await(batches.removeFirst());
            } catch (RuntimeException e) {
                first = first == null ? e : first;
            }
        }
        if (first != null) {
            throw first;
        }
    }

    private static void await(CompletableFuture<Void> batch) {
        try {
            batch.join();
        } catch (CompletionException e) {
            if (e.getCause() instanceof RuntimeException cause) {
                throw cause;
            }
            if (e.getCause() instanceof Error error) {
                throw error;
            }
            throw e;
        }
    }
}
