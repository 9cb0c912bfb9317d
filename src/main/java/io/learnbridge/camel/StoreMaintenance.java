package io.learnbridge.camel;

import io.learnbridge.store.Store;
import java.time.Duration;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Bean {@code storeMaintenance} (route {@code store-maintenance}): keeps the embedded H2 file from
 * growing with every commit by rewriting its sparse chunks when too much of them is old pages
 * ({@code learnbridge.store.compactBelowFillRate}), for at most {@code learnbridge.store.compactBudget}
 * per run ({@link Store#compactEmbedded}). Does nothing on PostgreSQL, whose autovacuum does this work.
 */
public final class StoreMaintenance {

    private static final Logger LOG = LoggerFactory.getLogger(StoreMaintenance.class);

    private final Store store;
    private final int belowFillRate;
    private final Duration budget;

    public StoreMaintenance(Store store, int belowFillRate, Duration budget) {
        this.store = store;
        this.belowFillRate = belowFillRate;
        this.budget = budget;
    }

    /** Compacts when due; returns the share of the chunks' bytes that is live afterwards (100 when nothing was done). */
    public int compact() {
        Store.Compaction done = store.compactEmbedded(belowFillRate, budget);
        if (done == null) {
            return 100;
        }
        LOG.info("Store chunks compacted from {}% to {}% live data in {} ms (file {} MB, was {} MB)", done.fillRateBefore(), done.fillRateAfter(),
                done.took().toMillis(), done.bytesAfter() >> 20, done.bytesBefore() >> 20);
        return done.fillRateAfter();
    }
}
