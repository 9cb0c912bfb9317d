package io.learnbridge.bench.webhook;

import com.sun.management.OperatingSystemMXBean;
import java.lang.management.CompilationMXBean;
import java.lang.management.ManagementFactory;
import java.lang.management.ThreadMXBean;
import java.net.URI;
import java.time.Instant;
import java.util.ArrayList;
import java.util.Collections;
import java.util.List;
import java.util.SortedMap;
import java.util.TreeMap;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.Semaphore;
import java.util.concurrent.ThreadFactory;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.concurrent.atomic.AtomicLong;
import java.util.concurrent.locks.LockSupport;
import org.apache.hc.client5.http.async.methods.SimpleHttpRequest;
import org.apache.hc.client5.http.async.methods.SimpleHttpResponse;
import org.apache.hc.client5.http.async.methods.SimpleRequestBuilder;
import org.apache.hc.client5.http.config.ConnectionConfig;
import org.apache.hc.client5.http.config.RequestConfig;
import org.apache.hc.client5.http.impl.async.CloseableHttpAsyncClient;
import org.apache.hc.client5.http.impl.async.HttpAsyncClients;
import org.apache.hc.client5.http.impl.nio.PoolingAsyncClientConnectionManagerBuilder;
import org.apache.hc.core5.concurrent.FutureCallback;
import org.apache.hc.core5.http.ContentType;
import org.apache.hc.core5.io.CloseMode;
import org.apache.hc.core5.reactor.IOReactorConfig;
import org.apache.hc.core5.util.Timeout;

/**
 * An open-loop load generator: request {@code i} is due at {@code start + i / rate}, whatever
 * happened to the requests before it, and its latency is measured from that scheduled time to the
 * full response. A slow server therefore cannot slow the offered load down and hide its own
 * queueing (no coordinated omission): a request that could not go out on time (the in-flight cap
 * was reached, or the pacer was descheduled) carries its wait in its latency.
 *
 * <p>One pacer thread (the caller) signs and sends; Apache HttpClient 5 async (HTTP/1.1, a pool
 * as large as the in-flight cap) does the I/O on its own threads, which this class creates so
 * their CPU time can be told apart from the server's.
 */
public final class OpenLoopLoad {

    private static final long LATE_NANOS = TimeUnit.MILLISECONDS.toNanos(1);
    private static final long DRAIN_SECONDS = 60;
    private static final int ERROR_SAMPLES = 5;
    private static final ThreadMXBean THREADS = ManagementFactory.getThreadMXBean();
    private static final CompilationMXBean JIT = ManagementFactory.getCompilationMXBean();
    private static final OperatingSystemMXBean OS =
            ManagementFactory.getOperatingSystemMXBean() instanceof OperatingSystemMXBean os ? os : null;

    private final int rate;
    private final int warmupSeconds;
    private final int seconds;
    private final int maxInFlight;

    public OpenLoopLoad(int rate, int warmupSeconds, int seconds, int maxInFlight) {
        this.rate = rate;
        this.warmupSeconds = warmupSeconds;
        this.seconds = seconds;
        this.maxInFlight = maxInFlight;
    }

    /** Total requests of a run, warm-up included. */
    public long total() {
        return (long) rate * (warmupSeconds + seconds);
    }

    /** Offers the load to {@code url} ({@code POST}), one request from {@code events} each, and waits for every answer. */
    public LoadResult run(URI url, SignedEvents events) throws InterruptedException {
        int total = Math.toIntExact(total());
        int firstMeasured = Math.toIntExact((long) rate * warmupSeconds);
        List<Thread> generatorThreads = new CopyOnWriteArrayList<>();
        generatorThreads.add(Thread.currentThread());
        AtomicInteger ioThreads = new AtomicInteger();
        ThreadFactory factory = r -> {
            Thread t = new Thread(r, "bench-load-io-" + ioThreads.incrementAndGet());
            t.setDaemon(true);
            generatorThreads.add(t);
            return t;
        };
        CloseableHttpAsyncClient client = HttpAsyncClients.custom()
                .setThreadFactory(factory)
                .setIOReactorConfig(IOReactorConfig.custom().setIoThreadCount(Math.max(1, Runtime.getRuntime().availableProcessors()))
                        .setTcpNoDelay(true).build())
                .setConnectionManager(PoolingAsyncClientConnectionManagerBuilder.create()
                        .setMaxConnTotal(maxInFlight).setMaxConnPerRoute(maxInFlight)
                        .setDefaultConnectionConfig(ConnectionConfig.custom().setConnectTimeout(Timeout.ofSeconds(5))
                                .setSocketTimeout(Timeout.ofSeconds(30)).build())
                        .build())
                .setDefaultRequestConfig(RequestConfig.custom().setResponseTimeout(Timeout.ofSeconds(30)).build())
                .disableAutomaticRetries()
                .disableCookieManagement()
                .build();
        client.start();

        long[] latencies = new long[total];
        int[] statuses = new int[total];
        AtomicLong lastMeasuredDone = new AtomicLong(Long.MIN_VALUE);
        AtomicLong duplicates = new AtomicLong();
        List<String> samples = Collections.synchronizedList(new ArrayList<>());
        Semaphore inFlight = new Semaphore(maxInFlight);
        long lateByCap = 0;
        long lateByGenerator = 0;
        long maxLag = 0;
        int peakInFlight = 0;
        long cpuStart = -1;
        long generatorCpuStart = -1;
        long jitStart = -1;
        long jitEnd;
        long windowStart = 0;
        long cpuEnd;
        long generatorCpuEnd;
        boolean drained = false;
        try {
            long start = System.nanoTime() + TimeUnit.MILLISECONDS.toNanos(20);
            for (int i = 0; i < total; i++) {
                long due = start + Math.round(i * 1e9 / rate);
                SignedEvents.Request r = events.request(i, Instant.now());
                SimpleHttpRequest request = SimpleRequestBuilder.post(url)
                        .addHeader("webhook-id", r.id())
                        .addHeader("webhook-timestamp", Long.toString(r.timestamp()))
                        .addHeader("webhook-signature", r.signature())
                        .setBody(r.body(), ContentType.APPLICATION_JSON)
                        .build();
                for (long wait = due - System.nanoTime(); wait > 0; wait = due - System.nanoTime()) {
                    LockSupport.parkNanos(wait);
                }
                if (i == firstMeasured) {
                    windowStart = due;
                    cpuStart = processCpu();
                    generatorCpuStart = cpu(generatorThreads);
                    jitStart = jitMillis();
                }
                boolean measured = i >= firstMeasured;
                boolean capped = !inFlight.tryAcquire();
                if (capped) {
                    if (measured) {
                        lateByCap++;
                    }
                    if (!inFlight.tryAcquire(DRAIN_SECONDS, TimeUnit.SECONDS)) {
                        throw new IllegalStateException(maxInFlight + " requests outstanding for " + DRAIN_SECONDS + " s: the server stopped answering");
                    }
                }
                if (measured) {
                    long lag = System.nanoTime() - due;
                    maxLag = Math.max(maxLag, lag);
                    if (!capped && lag > LATE_NANOS) {
                        lateByGenerator++;
                    }
                    peakInFlight = Math.max(peakInFlight, maxInFlight - inFlight.availablePermits());
                }
                client.execute(request, new Outcome(i, due, measured, latencies, statuses, lastMeasuredDone, duplicates, samples,
                        inFlight));
            }
            drained = inFlight.tryAcquire(maxInFlight, DRAIN_SECONDS, TimeUnit.SECONDS);
            // read before closing the client: a finished thread's CPU time can no longer be read
            cpuEnd = processCpu();
            generatorCpuEnd = cpu(generatorThreads);
            jitEnd = jitMillis();
        } finally {
            // every request answered: close connections politely (an immediate close races the I/O reactor's own loop)
            client.close(drained ? CloseMode.GRACEFUL : CloseMode.IMMEDIATE);
        }
        if (!drained) {
            samples.add("no answer within " + DRAIN_SECONDS + " s after the last request was sent");
        }

        SortedMap<Integer, Long> statusCounts = new TreeMap<>();
        long measured202 = 0;
        long measuredDone = 0;
        for (int i = 0; i < total; i++) {
            statusCounts.merge(statuses[i], 1L, Long::sum);
            if (i >= firstMeasured && statuses[i] != 0) {
                measuredDone++;
                if (statuses[i] == 202) {
                    measured202++;
                }
            }
        }
        long[] measuredLatencies = new long[(int) measuredDone];
        int k = 0;
        for (int i = firstMeasured; i < total; i++) {
            if (statuses[i] != 0) {
                measuredLatencies[k++] = latencies[i];
            }
        }
        java.util.Arrays.sort(measuredLatencies);
        long window = lastMeasuredDone.get() == Long.MIN_VALUE ? 0 : lastMeasuredDone.get() - windowStart;
        return new LoadResult(rate, warmupSeconds, seconds, maxInFlight, total, total - firstMeasured, measuredLatencies, measured202,
                statusCounts.getOrDefault(202, 0L), duplicates.get(), statusCounts, List.copyOf(samples), lateByCap, lateByGenerator, maxLag,
                peakInFlight, window, cpuStart < 0 || cpuEnd < 0 ? -1 : cpuEnd - cpuStart,
                generatorCpuStart < 0 || generatorCpuEnd < 0 ? -1 : generatorCpuEnd - generatorCpuStart,
                jitStart < 0 || jitEnd < 0 ? -1 : jitEnd - jitStart);
    }

    private static long processCpu() {
        return OS == null ? -1 : OS.getProcessCpuTime();
    }

    private static long jitMillis() {
        return JIT != null && JIT.isCompilationTimeMonitoringSupported() ? JIT.getTotalCompilationTime() : -1;
    }

    private static long cpu(List<Thread> threads) {
        if (!THREADS.isThreadCpuTimeSupported()) {
            return -1;
        }
        long sum = 0;
        for (Thread t : threads) {
            long cpu = THREADS.getThreadCpuTime(t.getId());
            if (cpu > 0) {
                sum += cpu;
            }
        }
        return sum;
    }

    /** Records one request's outcome and frees its in-flight slot, exactly once. */
    private static final class Outcome implements FutureCallback<SimpleHttpResponse> {
        private final int index;
        private final long due;
        private final boolean measured;
        private final long[] latencies;
        private final int[] statuses;
        private final AtomicLong lastMeasuredDone;
        private final AtomicLong duplicates;
        private final List<String> samples;
        private final Semaphore inFlight;

        Outcome(int index, long due, boolean measured, long[] latencies, int[] statuses, AtomicLong lastMeasuredDone, AtomicLong duplicates,
                List<String> samples, Semaphore inFlight) {
            this.index = index;
            this.due = due;
            this.measured = measured;
            this.latencies = latencies;
            this.statuses = statuses;
            this.lastMeasuredDone = lastMeasuredDone;
            this.duplicates = duplicates;
            this.samples = samples;
            this.inFlight = inFlight;
        }

        @Override
        public void completed(SimpleHttpResponse response) {
            int code = response.getCode();
            String body = response.getBodyText();
            if (code == 202 && body != null && body.contains("\"duplicate\":true")) {
                duplicates.incrementAndGet();
            }
            if (code != 202) {
                sample("status " + code + ": " + (body == null ? "" : body.length() > 160 ? body.substring(0, 160) + "..." : body));
            }
            done(code);
        }

        @Override
        public void failed(Exception e) {
            sample("no response: " + e);
            done(-1);
        }

        @Override
        public void cancelled() {
            sample("cancelled");
            done(-1);
        }

        private void done(int code) {
            long now = System.nanoTime();
            latencies[index] = now - due;
            statuses[index] = code;
            if (measured) {
                lastMeasuredDone.accumulateAndGet(now, Math::max);
            }
            inFlight.release();
        }

        private void sample(String what) {
            synchronized (samples) {
                if (samples.size() < ERROR_SAMPLES) {
                    samples.add(what);
                }
            }
        }
    }
}
