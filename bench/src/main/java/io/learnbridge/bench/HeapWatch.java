package io.learnbridge.bench;

import com.sun.management.GarbageCollectionNotificationInfo;
import java.lang.management.GarbageCollectorMXBean;
import java.lang.management.ManagementFactory;
import java.lang.management.MemoryMXBean;
import java.lang.management.MemoryPoolMXBean;
import java.lang.management.MemoryType;
import java.lang.management.MemoryUsage;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.concurrent.Executors;
import java.util.concurrent.ScheduledExecutorService;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicLong;
import java.util.stream.Collectors;
import javax.management.ListenerNotFoundException;
import javax.management.Notification;
import javax.management.NotificationEmitter;
import javax.management.NotificationListener;
import javax.management.openmbean.CompositeData;

/**
 * Watches the heap during one benchmark run, three ways, because each answers a different
 * question:
 * <ul>
 *   <li><b>sampled</b>: the largest heap-used value read from {@link MemoryMXBean} every 50 ms by a
 *       daemon thread. Includes garbage not yet collected, so it mostly shows how far the
 *       collector let the heap fill; it can miss a spike shorter than 50 ms.</li>
 *   <li><b>pool peaks</b>: the sum of {@link MemoryPoolMXBean#getPeakUsage()} of the heap pools,
 *       reset after a full GC at the start of the run. The JVM tracks these exactly, but each pool
 *       peaks at its own moment (G1 resizes eden and old against each other), so the sum is an
 *       upper bound that can exceed the heap limit.</li>
 *   <li><b>after GC</b>: the largest heap used just after a collection (from GC notifications):
 *       what the run kept reachable, plus old-generation garbage a young collection does not
 *       reclaim. An upper bound on live data, and the closest of the three to it; near the heap
 *       limit, together with full collections, it means the run nearly ran out of memory.</li>
 *   <li><b>live</b>, only when asked ({@link #start(java.time.Duration)}): the heap used just after
 *       a full collection forced every so often ({@link System#gc()}), the data the run keeps
 *       reachable at that moment; a sequence of them shows whether that stays flat through a file.
 *       The forced collections cost time, so a run measured this way is not one to quote for speed.</li>
 * </ul>
 */
public final class HeapWatch implements AutoCloseable {

    private static final long SAMPLE_MILLIS = 50;

    private final MemoryMXBean memory = ManagementFactory.getMemoryMXBean();
    private final List<MemoryPoolMXBean> heapPools;
    private final Set<String> heapPoolNames;
    private final List<GarbageCollectorMXBean> collectors = ManagementFactory.getGarbageCollectorMXBeans();
    private final AtomicLong maxSampled = new AtomicLong();
    private final AtomicLong maxAfterGc = new AtomicLong();
    private final AtomicLong majorCollections = new AtomicLong();
    private final NotificationListener listener = this::onGc;
    private final ScheduledExecutorService sampler;
    private final long gcCountAtStart;
    private final long gcMillisAtStart;
    private final List<Long> live = new java.util.concurrent.CopyOnWriteArrayList<>();
    private Peaks peaks;

    private HeapWatch(java.time.Duration liveEvery) {
        heapPools = ManagementFactory.getMemoryPoolMXBeans().stream().filter(p -> p.getType() == MemoryType.HEAP).toList();
        heapPoolNames = heapPools.stream().map(MemoryPoolMXBean::getName).collect(Collectors.toUnmodifiableSet());
        // Start each run from a collected heap, so one run's garbage is not charged to the next.
        System.gc();
        heapPools.forEach(MemoryPoolMXBean::resetPeakUsage);
        gcCountAtStart = collectors.stream().mapToLong(GarbageCollectorMXBean::getCollectionCount).sum();
        gcMillisAtStart = collectors.stream().mapToLong(GarbageCollectorMXBean::getCollectionTime).sum();
        for (GarbageCollectorMXBean gc : collectors) {
            if (gc instanceof NotificationEmitter emitter) {
                emitter.addNotificationListener(listener, null, null);
            }
        }
        sampler = Executors.newSingleThreadScheduledExecutor(r -> {
            Thread t = new Thread(r, "benchmark-heap-sampler");
            t.setDaemon(true);
            return t;
        });
        sample();
        sampler.scheduleAtFixedRate(this::sample, SAMPLE_MILLIS, SAMPLE_MILLIS, TimeUnit.MILLISECONDS);
        if (liveEvery != null && !liveEvery.isZero()) {
            // on the same thread as the samples: a forced collection and its reading are never interleaved with another
            sampler.scheduleWithFixedDelay(this::sampleLive, liveEvery.toMillis(), liveEvery.toMillis(), TimeUnit.MILLISECONDS);
        }
    }

    public static HeapWatch start() {
        return new HeapWatch(null);
    }

    /** As {@link #start()}, also forcing a full collection every {@code liveEvery} and reading the heap after it (null or zero: never). */
    public static HeapWatch start(java.time.Duration liveEvery) {
        return new HeapWatch(liveEvery);
    }

    /** Live readings taken so far. */
    int liveReadings() {
        return live.size();
    }

    private void sampleLive() {
        System.gc();
        live.add(memory.getHeapMemoryUsage().getUsed());
    }

    private void sample() {
        maxSampled.accumulateAndGet(memory.getHeapMemoryUsage().getUsed(), Math::max);
    }

    private void onGc(Notification notification, Object handback) {
        if (!GarbageCollectionNotificationInfo.GARBAGE_COLLECTION_NOTIFICATION.equals(notification.getType())) {
            return;
        }
        GarbageCollectionNotificationInfo info = GarbageCollectionNotificationInfo.from((CompositeData) notification.getUserData());
        if ("System.gc()".equals(info.getGcCause())) {
            return; // the collection that starts the watch, reported late
        }
        if (info.getGcAction().contains("major")) {
            majorCollections.incrementAndGet();
        }
        long used = 0;
        for (Map.Entry<String, MemoryUsage> pool : info.getGcInfo().getMemoryUsageAfterGc().entrySet()) {
            if (heapPoolNames.contains(pool.getKey())) {
                used += pool.getValue().getUsed();
            }
        }
        maxAfterGc.accumulateAndGet(used, Math::max);
    }

    /** Stops watching and returns what was seen; later calls return the same. */
    public Peaks stop() {
        if (peaks != null) {
            return peaks;
        }
        sampler.shutdownNow();
        sample();
        for (GarbageCollectorMXBean gc : collectors) {
            if (gc instanceof NotificationEmitter emitter) {
                try {
                    emitter.removeNotificationListener(listener);
                } catch (ListenerNotFoundException e) {
                    // not registered: nothing to remove
                }
            }
        }
        long poolPeaks = heapPools.stream().mapToLong(p -> p.getPeakUsage().getUsed()).sum();
        long gcCount = collectors.stream().mapToLong(GarbageCollectorMXBean::getCollectionCount).sum() - gcCountAtStart;
        long gcMillis = collectors.stream().mapToLong(GarbageCollectorMXBean::getCollectionTime).sum() - gcMillisAtStart;
        peaks = new Peaks(maxSampled.get(), poolPeaks, maxAfterGc.get(), gcCount, majorCollections.get(), gcMillis,
                memory.getHeapMemoryUsage().getMax(), List.copyOf(live));
        return peaks;
    }

    @Override
    public void close() {
        stop();
    }

    /**
     * Heap seen during a run, in bytes. {@code afterGc} is 0 when no collection ran;
     * {@code fullGcCount} counts major collections (with G1: full GCs, a sign the heap was nearly
     * exhausted; the forced collections of {@code live} are not among them, though {@code gcCount}
     * counts them); {@code max} is the heap limit (-Xmx), -1 when undefined; {@code live} the heap
     * after each forced full collection, in order (empty unless asked).
     */
    public record Peaks(long sampled, long poolPeaks, long afterGc, long gcCount, long fullGcCount, long gcMillis, long max, List<Long> live) {

        /** The largest live reading, or -1 when none was taken. */
        public long maxLive() {
            return live.stream().mapToLong(Long::longValue).max().orElse(-1);
        }
    }
}
