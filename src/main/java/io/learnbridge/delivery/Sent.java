package io.learnbridge.delivery;

import java.time.Duration;

/**
 * What came of sending one claimed item (a worker's delivery, an enrolment change) to its target, as an adapter
 * tells it: {@link TargetOutcomes#settle} stores it, the same way for every adapter and both kinds of item.
 */
public sealed interface Sent {

    /** The target took the item, answering {@code status}. */
    record Delivered(int status) implements Sent {
    }

    /**
     * A transient failure: parked until the next attempt while the retry budget lasts, then failed with this answer.
     * {@code unavailable}: the target was unavailable, in words for the log (an error code or the target's status,
     * never its message); null when only this item has to wait (its worker has no account there yet).
     */
    record Retry(Integer status, Duration retryAfter, String reason, String errorClass, String excerpt, String unavailable)
            implements Sent {
    }

    /** A permanent failure: the exception queue at once, at {@code stage} (null: the outbox's own). */
    record Failed(String stage, Integer status, String reason, String errorClass, String excerpt) implements Sent {
    }

    /** The target mapping refused the worker's state: the exception queue, naming the mapping file and field. */
    record Rejected(String mappingFile, io.learnbridge.mapping.Rejection rejection) implements Sent {
    }
}
