package io.learnbridge.drop;

import java.util.ArrayDeque;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;

/**
 * One drop's staging, run one batch behind the route: while the store stages batch N on this
 * drop's own thread, the route reads and maps batch N+1. Batches are staged one at a time and in
 * the order they were handed over (a worker's first row is always staged before its repeats). At
 * most {@link #AHEAD} batches wait, so memory stays flat in the file's size. A batch that failed
 * is thrown to the route by the next hand-over or by {@link #finish}; {@link #abandon} (a drop
 * that failed, or an exchange that ended without finishing) lets the batch being staged end and
 * skips the rest, so nothing writes to a drop after the route has left it.
 */
final class StagingBehind {

    /** Batches handed over and not yet staged, beyond the one being staged. */
    static final int AHEAD = 1;

    private final ExecutorService thread;
    private final ArrayDeque<Future<?>> pending = new ArrayDeque<>();
    private volatile boolean abandoned;

    StagingBehind(long dropId) {
        this.thread = Executors.newSingleThreadExecutor(r -> {
            Thread t = new Thread(r, "learnbridge-stage-drop-" + dropId);
            t.setDaemon(true);
            return t;
        });
    }

    /** Hands a batch over, then waits while more than {@link #AHEAD} wait; throws the failure of a batch waited for. */
    synchronized void submit(Runnable stage) {
        pending.addLast(thread.submit(() -> {
            if (!abandoned) {
                try {
                    stage.run();
                } catch (RuntimeException | Error e) {
                    abandoned = true; // the batches after a failed one are not staged
                    throw e;
                }
            }
        }));
        while (pending.size() > AHEAD + 1) {
            awaitOldest();
        }
    }

    /** Waits until every batch handed over is staged; throws the first failure (the rest are skipped). */
    synchronized void finish() {
        try {
            while (!pending.isEmpty()) {
                awaitOldest();
            }
        } catch (RuntimeException | Error e) {
            abandon();
            throw e;
        } finally {
            thread.shutdown();
        }
    }

    /** Skips the batches not yet started and waits for the one being staged, whatever its outcome. */
    synchronized void abandon() {
        abandoned = true;
        while (!pending.isEmpty()) {
            try {
                awaitOldest();
            } catch (RuntimeException | Error ignored) {
                // the drop is failing already: its partial rows are deleted when it is claimed again
            }
        }
        thread.shutdown();
    }

    private void awaitOldest() {
        Future<?> oldest = pending.removeFirst();
        boolean interrupted = false;
        try {
            while (true) {
                try {
                    oldest.get();
                    return;
                } catch (InterruptedException e) {
                    // never leave a batch running behind a route that has moved on
                    interrupted = true;
                }
            }
        } catch (ExecutionException e) {
            abandoned = true;
            if (e.getCause() instanceof RuntimeException cause) {
                throw cause;
            }
            if (e.getCause() instanceof Error error) {
                throw error;
            }
            throw new IllegalStateException(e.getCause());
        } finally {
            if (interrupted) {
                Thread.currentThread().interrupt();
            }
        }
    }
}
