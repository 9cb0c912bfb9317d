package io.learnbridge.bench;

import java.util.List;

/**
 * One run of one diff pipeline: the first load of day 1 into empty state (reported apart), then
 * day 2 diffed against the stored state. {@code stage} covers parse, map and stage of day 2 (for a
 * floor: parse, map, hash and compare); {@code finish} the settlement (LearnBridge: conflicts,
 * repeats, change detection, absence scan, gate, apply, deliveries, in one transaction; floors: the
 * absence scan and, with a store, writing the changes). {@code claimNanos}, {@code releaseNanos}
 * and {@code firstLoadNanos} are -1 when the pipeline has no such step. {@code deliveries} are the
 * deliveries queued by the finish, {@code held} changes it held as future-dated (PENDING),
 * {@code released} the deliveries queued later by releasing them. {@code stateBytes} is the heap
 * the stored state takes (a floor holding it in memory), -1 otherwise; {@code firstLoadStoreBytes}
 * and {@code storeBytes} the size of the pipeline's H2 file after the first load and after the run,
 * -1 without a store.
 */
public record DiffRun(String pipeline, int run, long firstLoadNanos, Kinds firstLoad, long firstLoadDeliveries,
                      long rows, long accepted, long claimNanos, CpuClock.Span stage, HeapWatch.Peaks stageHeap,
                      CpuClock.Span finish, HeapWatch.Peaks finishHeap, Kinds plan, long deliveries, long held,
                      long releaseNanos, long released, List<String> gateReasons, long stateBytes,
                      long firstLoadStoreBytes, long storeBytes) {

    /** Counts of planned changes by kind. */
    public record Kinds(long join, long move, long update, long leave, long noop) {

        public long changes() {
            return join + move + update + leave;
        }

        @Override
        public String toString() {
            return String.format(java.util.Locale.ROOT, "JOIN %,d  MOVE %,d  UPDATE %,d  LEAVE %,d  NOOP %,d", join, move, update, leave, noop);
        }
    }

    public double stageRowsPerSecond() {
        return rows / (stage.wallNanos() / 1e9);
    }

    public double stageRowsPerCpuSecond() {
        return stage.processCpuNanos() <= 0 ? Double.NaN : rows / (stage.processCpuNanos() / 1e9);
    }

    public double finishRowsPerSecond() {
        return rows / (finish.wallNanos() / 1e9);
    }

    public double finishRowsPerCpuSecond() {
        return finish.processCpuNanos() <= 0 ? Double.NaN : rows / (finish.processCpuNanos() / 1e9);
    }

    /** Stage and finish, wall nanoseconds (claim and release not included). */
    public long diffWallNanos() {
        return stage.wallNanos() + finish.wallNanos();
    }

    public double diffRowsPerSecond() {
        return rows / (diffWallNanos() / 1e9);
    }

    public double diffRowsPerCpuSecond() {
        long cpu = stage.processCpuNanos() + finish.processCpuNanos();
        return stage.processCpuNanos() <= 0 || finish.processCpuNanos() < 0 ? Double.NaN : rows / (cpu / 1e9);
    }
}
