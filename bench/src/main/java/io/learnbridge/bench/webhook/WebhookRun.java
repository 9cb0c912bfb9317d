package io.learnbridge.bench.webhook;

import io.learnbridge.bench.HeapWatch;

/**
 * One run of one server: the load's result, the requests of the run found in its store
 * afterwards, the heap ({@code heap}: watched during the run; {@code heapAfterGcAtEnd}: used
 * right after a full GC once the load ended, the server still up), the load average before and
 * after, and what the server was still doing in the background when the load ended.
 */
public record WebhookRun(String server, int run, LoadResult load, long stored, HeapWatch.Peaks heap, long heapAfterGcAtEnd,
                         double loadAverageStart, double loadAverageEnd, String background, Drain drain) {

    /**
     * The background work's pace, for a server that does some (null otherwise): the largest
     * backlog sampled each second during the load (events stored and not processed, deliveries
     * not sent), the backlog when the load ended, and how long after that the last event was
     * processed and its delivery sent (-1: not within the wait).
     */
    public record Drain(long maxEvents, long maxDeliveries, long eventsAtEnd, long deliveriesAtEnd, long drainMillis, long waitedMillis) {
    }

    /** Every acknowledged request, and only those, is in the store. */
    public boolean acceptedAllStored() {
        return load.accepted() == stored;
    }
}
