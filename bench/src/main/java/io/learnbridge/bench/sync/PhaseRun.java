package io.learnbridge.bench.sync;

import io.learnbridge.bench.CpuClock;
import io.learnbridge.bench.HeapWatch;
import io.learnbridge.bench.delivery.LoopbackTarget;
import java.util.List;

/**
 * One drop through one pipeline on one store: {@code wallNanos} from the file renamed into the
 * drop folder (the floor: from its start) to the last PUT the target received; {@code times} where
 * the bridge's time went ({@link StoreTimes#NONE} for the floor); {@code span} wall and process CPU
 * of the whole phase; {@code heap} seen during it and {@code heapAfterGc} after a full GC at its
 * end; what the target {@code received}; the changes the pipeline {@code found}; how its
 * deliveries {@code settled}; the store's size and stored workers after it; and the
 * {@code problems} the check found (empty: every expected change delivered exactly once).
 */
public record PhaseRun(String store, String pipeline, int run, DayFile day, long wallNanos, StoreTimes times, CpuClock.Span span,
                       HeapWatch.Peaks heap, long heapAfterGc, LoopbackTarget.Counts received, Changes found, Settled settled,
                       long storeBytes, long storedWorkers, List<String> problems) {

    public double seconds() {
        return wallNanos / 1e9;
    }

    /** Data rows of the drop per second of process CPU; -1 when the JVM cannot tell. */
    public double rowsPerCpuSecond() {
        return span.processCpuNanos() <= 0 ? -1 : day.rows() * 1e9 / span.processCpuNanos();
    }

    /** Store bytes per stored worker; -1 when none is stored. */
    public double bytesPerWorker() {
        return storedWorkers <= 0 ? -1 : (double) storeBytes / storedWorkers;
    }

    public boolean ok() {
        return problems.isEmpty();
    }
}
