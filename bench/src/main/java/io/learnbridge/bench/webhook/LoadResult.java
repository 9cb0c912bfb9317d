package io.learnbridge.bench.webhook;

import java.util.List;
import java.util.SortedMap;

/**
 * What one open-loop run saw. Requests scheduled during the warm-up count in {@code sent},
 * {@code accepted}, {@code statuses} and {@code errorSamples} (everything the server was asked
 * to store) but not in the measured figures. Measured figures cover the requests scheduled after
 * the warm-up: {@code latencies} (sorted, nanoseconds from each request's scheduled send time to
 * its full response or failure, any status), {@code measured202} and the window from the first
 * measured scheduled send to the last measured completion, over which the process CPU time (all
 * threads), the load generator's own CPU time (its pacer and I/O threads) and the JIT compilers'
 * time ({@code jitMillis}, -1 when the JVM cannot tell) were read.
 *
 * <p>{@code statuses}: HTTP status to count; -1 = the request failed without a response
 * (connection error, timeout), 0 = no outcome before the drain timeout. Of the measured requests:
 * {@code lateByCap} counts those that found {@code maxInFlight} requests outstanding at their
 * scheduled time and went out when one finished (still timed from the schedule);
 * {@code lateByGenerator} those the pacer itself sent more than 1 ms late (a GC pause, a busy
 * CPU); {@code maxSendLagNanos} is the largest delay from schedule to send, {@code peakInFlight}
 * the most requests outstanding when one was sent.
 */
public record LoadResult(int rate, int warmupSeconds, int seconds, int maxInFlight, long sent, long measured, long[] latencies,
                         long measured202, long accepted, long duplicates, SortedMap<Integer, Long> statuses, List<String> errorSamples,
                         long lateByCap, long lateByGenerator, long maxSendLagNanos, int peakInFlight, long windowNanos,
                         long processCpuNanos, long generatorCpuNanos, long jitMillis) {

    /** Requests answered with anything but 202 (or not answered), warm-up included. */
    public long errors() {
        return sent - statuses.getOrDefault(202, 0L);
    }

    /** 202s of measured requests per second of the measured window. */
    public double achievedPerSecond() {
        return windowNanos <= 0 ? 0 : measured202 / (windowNanos / 1e9);
    }

    /** Nearest-rank percentile of the measured latencies, in milliseconds; NaN when none. */
    public double percentileMillis(double percent) {
        if (latencies.length == 0) {
            return Double.NaN;
        }
        int rank = (int) Math.ceil(percent / 100.0 * latencies.length);
        return latencies[Math.max(0, Math.min(latencies.length - 1, rank - 1))] / 1e6;
    }

    public double maxMillis() {
        return latencies.length == 0 ? Double.NaN : latencies[latencies.length - 1] / 1e6;
    }

    /** Process CPU (all threads) per measured request, microseconds; NaN when the JVM cannot tell. */
    public double cpuMicrosPerRequest() {
        return processCpuNanos < 0 || measured == 0 ? Double.NaN : processCpuNanos / 1e3 / measured;
    }

    /** Process CPU minus the load generator's threads, per measured request, microseconds. */
    public double serverCpuMicrosPerRequest() {
        return processCpuNanos < 0 || generatorCpuNanos < 0 || measured == 0 ? Double.NaN
                : (processCpuNanos - generatorCpuNanos) / 1e3 / measured;
    }

    /** The load generator's CPU per measured request, microseconds. */
    public double generatorCpuMicrosPerRequest() {
        return generatorCpuNanos < 0 || measured == 0 ? Double.NaN : generatorCpuNanos / 1e3 / measured;
    }
}
