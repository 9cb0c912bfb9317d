package io.learnbridge.bench;

/**
 * One run of one pipeline. {@code stage} covers parse, map and stage (for a pipeline without a
 * store: parse, map and JSON); {@code claimNanos} and {@code finishNanos} are the per-drop steps
 * before and after it, -1 when the pipeline has none. {@code canonicalChars} and
 * {@code canonicalDigest} are the total length and the sum of {@link String#hashCode()} of the
 * canonical JSON of accepted rows: equal values show the pipelines produced the same records.
 * {@code storedRows} and {@code deliveries} are counted in the store after the run, -1 without one;
 * {@code unchanged} are accepted rows that need no delivery (change detection: e.g. a worker first
 * seen already terminated), 0 for a pipeline without change detection.
 * {@code stageHeap} covers claim and stage, {@code finishHeap} the finish (null without one).
 */
public record RunResult(String pipeline, int run, long rows, long accepted, long rejected, long canonicalChars, long canonicalDigest,
                        CpuClock.Span stage, long claimNanos, long finishNanos, long storedRows, long deliveries, long unchanged,
                        HeapWatch.Peaks stageHeap, HeapWatch.Peaks finishHeap) {

    public double rowsPerSecond() {
        return rows / (stage.wallNanos() / 1e9);
    }

    /** Rows per second of process CPU (all threads); NaN when the JVM cannot tell. */
    public double rowsPerCpuSecond() {
        return stage.processCpuNanos() <= 0 ? Double.NaN : rows / (stage.processCpuNanos() / 1e9);
    }

    /** Rows per second of the pipeline thread's own CPU; NaN when the JVM cannot tell. */
    public double rowsPerThreadCpuSecond() {
        return stage.threadCpuNanos() <= 0 ? Double.NaN : rows / (stage.threadCpuNanos() / 1e9);
    }
}
