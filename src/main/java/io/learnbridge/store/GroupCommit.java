package io.learnbridge.store;

import java.util.ArrayDeque;
import java.util.ArrayList;
import java.util.List;
import java.util.function.Function;

/**
 * Group commit for callers that each need one item stored durably before they answer (webhook
 * requests): a caller that arrives while no transaction is being written stores its item at once,
 * alone; callers that arrive while one is being written wait for it, and the first of them then
 * stores all that waited (up to {@code max}) in one transaction. Nothing waits for company: the
 * batch is whatever queued during the previous commit, so an idle store answers as before and a
 * busy one commits once per batch instead of once per request (on H2 each commit writes a chunk
 * of the file; at 500 webhooks/s those chunks, kept 45 s, grew it by a gigabyte in two minutes).
 *
 * <p>When a batch of several fails, each of its callers stores its item again alone, so one bad
 * item fails only its own caller.
 */
final class GroupCommit<I, R> {

    private final Function<List<I>, List<R>> storeAll;
    private final int max;
    private final ArrayDeque<Pending<I, R>> waiting = new ArrayDeque<>();
    private boolean writing;

    /** @param storeAll stores the items in one transaction and returns one result per item, in order */
    GroupCommit(Function<List<I>, List<R>> storeAll, int max) {
        if (max < 1) {
            throw new IllegalArgumentException("max must be at least 1");
        }
        this.storeAll = storeAll;
        this.max = max;
    }

    private static final class Pending<I, R> {
        final I item;
        R result;
        Throwable failure;
        boolean done;
        boolean alone;
        boolean lead;

        Pending(I item) {
            this.item = item;
        }
    }

    /** Stores {@code item}, with whatever else is waiting, and returns its result once it is committed. */
    R submit(I item) {
        Pending<I, R> me = new Pending<>(item);
        boolean interrupted = false;
        synchronized (this) {
            waiting.add(me);
            if (!writing) {
                writing = true;
                me.lead = true;
            }
            // not interruptible: the item may be in a transaction being written, and its caller must hear how that ended
            while (!me.done && !me.lead) {
                try {
                    wait();
                } catch (InterruptedException e) {
                    interrupted = true;
                }
            }
        }
        try {
            if (!me.done) {
                lead();
            }
            if (me.alone) {
                return storeAll.apply(List.of(item)).get(0);
            }
            if (me.failure instanceof RuntimeException e) {
                throw e;
            }
            if (me.failure instanceof Error e) {
                throw e;
            }
            return me.result;
        } finally {
            if (interrupted) {
                Thread.currentThread().interrupt();
            }
        }
    }

    /** Items waiting for a transaction (the one being written not counted). */
    synchronized int waiting() {
        return waiting.size();
    }

    /** Writes the waiting items (this caller's first among them), then hands the lead to the next caller waiting. */
    private void lead() {
        List<Pending<I, R>> batch = new ArrayList<>();
        synchronized (this) {
            while (!waiting.isEmpty() && batch.size() < max) {
                batch.add(waiting.poll());
            }
        }
        try {
            List<I> items = new ArrayList<>(batch.size());
            for (Pending<I, R> p : batch) {
                items.add(p.item);
            }
            List<R> results = storeAll.apply(items);
            if (results.size() != batch.size()) {
                throw new IllegalStateException(results.size() + " results for " + batch.size() + " items");
            }
            for (int i = 0; i < batch.size(); i++) {
                batch.get(i).result = results.get(i);
            }
        } catch (RuntimeException | Error e) {
            for (Pending<I, R> p : batch) {
                if (batch.size() == 1) {
                    p.failure = e;
                } else {
                    p.alone = true;
                }
            }
        } finally {
            synchronized (this) {
                for (Pending<I, R> p : batch) {
                    p.done = true;
                }
                Pending<I, R> next = waiting.peek();
                if (next != null) {
                    next.lead = true;
                } else {
                    writing = false;
                }
                notifyAll();
            }
        }
    }
}
