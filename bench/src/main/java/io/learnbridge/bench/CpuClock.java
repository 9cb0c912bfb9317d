package io.learnbridge.bench;

import java.lang.management.ManagementFactory;
import java.lang.management.ThreadMXBean;

/**
 * One reading of wall time, this thread's CPU time and the whole process's CPU time (all threads:
 * the pipeline, the garbage collector, the JIT compiler, H2's background writer). The pipelines
 * run on the calling thread, so the difference between the two CPU times is what the JVM and the
 * store spent around them.
 */
public record CpuClock(long wallNanos, long threadCpuNanos, long processCpuNanos) {

    private static final ThreadMXBean THREADS = ManagementFactory.getThreadMXBean();
    private static final com.sun.management.OperatingSystemMXBean OS =
            ManagementFactory.getOperatingSystemMXBean() instanceof com.sun.management.OperatingSystemMXBean os ? os : null;

    public static CpuClock now() {
        long thread = THREADS.isCurrentThreadCpuTimeSupported() ? THREADS.getCurrentThreadCpuTime() : -1;
        long process = OS == null ? -1 : OS.getProcessCpuTime();
        return new CpuClock(System.nanoTime(), thread, process);
    }

    /** The time from {@code start} to this reading; CPU parts are -1 when the JVM cannot tell. */
    public Span since(CpuClock start) {
        return new Span(wallNanos - start.wallNanos,
                threadCpuNanos < 0 || start.threadCpuNanos < 0 ? -1 : threadCpuNanos - start.threadCpuNanos,
                processCpuNanos < 0 || start.processCpuNanos < 0 ? -1 : processCpuNanos - start.processCpuNanos);
    }

    /** Elapsed wall and CPU time, in nanoseconds. */
    public record Span(long wallNanos, long threadCpuNanos, long processCpuNanos) {
    }
}
