package io.learnbridge.store;

import io.learnbridge.store.Store;
import java.time.Duration;
import java.util.function.LongSupplier;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Bean {@code storeMaintenance} (route {@code store-maintenance}): keeps the embedded H2 file from
 * growing with every commit by rewriting its sparse chunks when too much of them is old pages
 * ({@code learnbridge.store.compactBelowFillRate}), for at most {@code learnbridge.store.compactBudget}
 * per run ({@link Store#compactEmbedded}), and gives the file's free space back when less than that
 * share of the file is in use ({@link Store#shrinkEmbedded}: after a first load, or once a large
 * drop's rows are past their retention). On PostgreSQL autovacuum makes dead rows' space reusable;
 * this rewrites the tables less than that share of which is live rows ({@link Store#shrinkTables}).
 *
 * <p>A pass that frees nothing backs off. Under sustained writes (webhooks at 500/s) the dead space
 * is in chunks younger than H2's retention time (45 s), which no rewrite can free: every pass then
 * rewrote megabytes for nothing ("5% to 5% live") and held the store's commits for up to 0.7 s, which
 * was the intake's p99 (333-344 ms; 40.6 ms with no passes). After such a pass the next ones are
 * skipped for two minutes, doubling up to half an hour, until a pass frees space again.
 */
public final class StoreMaintenance {

    private static final Logger LOG = LoggerFactory.getLogger(StoreMaintenance.class);

    /** Percentage points of live data a pass must gain (or reach the threshold) to count as progress. */
    static final int PROGRESS_POINTS = 10;
    static final Duration FIRST_BACK_OFF = Duration.ofMinutes(2);
    static final Duration LONGEST_BACK_OFF = Duration.ofMinutes(30);
    /**
     * How long a round of shrinking the file waits for the transactions in flight to end (new ones
     * wait behind it) before giving up until the next run.
     */
    static final Duration SHRINK_WAIT = Duration.ofSeconds(1);

    /** One compaction pass of the store (null when there was nothing to do). */
    @FunctionalInterface
    interface Compactor {
        Store.Compaction compact(int belowFillRate, Duration budget);
    }

    /** One run of giving the file's free space back (null when there was nothing to do). */
    @FunctionalInterface
    interface Shrinker {
        Store.Shrink shrink(int belowFillRate, Duration budget, Duration maxWait);
    }

    private final Compactor compactor;
    private final Shrinker shrinker;
    private final int belowFillRate;
    private final Duration budget;
    private final LongSupplier nanoClock;
    private final BackOff rewriteBackOff;
    private final BackOff shrinkBackOff;

    public StoreMaintenance(Store store, int belowFillRate, Duration budget) {
        this(store::compactEmbedded, store::shrink, belowFillRate, budget, System::nanoTime);
    }

    StoreMaintenance(Compactor compactor, Shrinker shrinker, int belowFillRate, Duration budget, LongSupplier nanoClock) {
        this.compactor = compactor;
        this.shrinker = shrinker;
        this.belowFillRate = belowFillRate;
        this.budget = budget;
        this.nanoClock = nanoClock;
        this.rewriteBackOff = new BackOff(nanoClock);
        this.shrinkBackOff = new BackOff(nanoClock);
    }

    /**
     * The scheduled pass: the chunks' rewrite, then giving the store's space back, each when not
     * backing off. Returns the share of the chunks' bytes that is live after the rewrite (100 when
     * it did nothing or was skipped).
     */
    public synchronized int compact() {
        int live = 100;
        if (rewriteBackOff.due()) {
            Store.Compaction done = rewrite();
            if (done == null || done.fillRateAfter() >= belowFillRate || done.fillRateAfter() - done.fillRateBefore() >= PROGRESS_POINTS) {
                rewriteBackOff.reset();
            } else {
                LOG.info("Store compaction freed no space ({}% to {}% live data: the dead pages are in chunks the store still retains);"
                        + " the next pass is in {} s", done.fillRateBefore(), done.fillRateAfter(), rewriteBackOff.failed().toSeconds());
            }
            live = done == null ? 100 : done.fillRateAfter();
        }
        if (shrinkBackOff.due()) {
            Store.Shrink shrunk = shrink();
            if (shrunk == null || shrunk.bytesAfter() < shrunk.bytesBefore()) {
                shrinkBackOff.reset();
            } else {
                // each round held the store's writes for nothing (after a first load of a million workers on H2, chunks
                // larger than a round may move: 0.25-0.65 s every run)
                LOG.info("Store space could not be given back ({}% in use: H2's free space lies between chunks too large to move,"
                        + " or PostgreSQL's tables due were busy);"
                        + " the next try is in {} s", shrunk.fillRateAfter(), shrinkBackOff.failed().toSeconds());
            }
        }
        return live;
    }

    /**
     * One pass now, whatever the back-offs (the benchmark's nightly pass): the chunks' rewrite, then
     * the store's space given back. Returns the rewrite; null when it had nothing to do.
     */
    public synchronized Store.Compaction compactNow() {
        Store.Compaction done = rewrite();
        shrink();
        return done;
    }

    private Store.Compaction rewrite() {
        Store.Compaction done = compactor.compact(belowFillRate, budget);
        if (done != null) {
            LOG.info("Store chunks compacted from {}% to {}% live data in {} ms (file {} MB, was {} MB)", done.fillRateBefore(), done.fillRateAfter(),
                    done.took().toMillis(), done.bytesAfter() >> 20, done.bytesBefore() >> 20);
        }
        return done;
    }

    private Store.Shrink shrink() {
        Store.Shrink shrunk = shrinker.shrink(belowFillRate, budget, SHRINK_WAIT);
        if (shrunk != null) {
            LOG.info("Store space given back: {} MB to {} MB ({}% to {}% in use of the file or the tables due) in {} ms, {} ms of it holding writes",
                    shrunk.bytesBefore() >> 20, shrunk.bytesAfter() >> 20, shrunk.fillRateBefore(), shrunk.fillRateAfter(),
                    shrunk.took().toMillis(), shrunk.heldAlone().toMillis());
        }
        return shrunk;
    }

    /** Skips runs after one that gained nothing: two minutes, doubling up to half an hour, until one gains again. */
    private static final class BackOff {
        private final LongSupplier nanoClock;
        private long resumeAt;
        private Duration current;

        BackOff(LongSupplier nanoClock) {
            this.nanoClock = nanoClock;
            this.resumeAt = nanoClock.getAsLong();
        }

        boolean due() {
            return nanoClock.getAsLong() - resumeAt >= 0;
        }

        void reset() {
            current = null;
        }

        /** Backs off further; returns for how long. */
        Duration failed() {
            current = current == null ? FIRST_BACK_OFF : current.multipliedBy(2).compareTo(LONGEST_BACK_OFF) > 0 ? LONGEST_BACK_OFF : current.multipliedBy(2);
            resumeAt = nanoClock.getAsLong() + current.toNanos();
            return current;
        }
    }
}
