package io.learnbridge.camel;

import io.learnbridge.store.Store;
import java.time.Duration;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Bean {@code storeMaintenance} (route {@code store-maintenance}): keeps the embedded H2 file close
 * to the size of its live data by compacting it when too much of it is old pages
 * ({@code learnbridge.store.compactBelowFillRate}), for at most {@code learnbridge.store.compactBudget}
 * per run. Does nothing on PostgreSQL, whose own autovacuum does this work.
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

    /** Compacts when due; returns the bytes the file shrank by (0 when nothing was done). */
    public long compact() {
        Store.Compaction done = store.compactEmbedded(belowFillRate, budget);
        if (done == null) {
            return 0;
        }
        LOG.info("Store file compacted from {} MB ({}% live) to {} MB in {} ms", done.bytesBefore() >> 20, done.fillRateBefore(),
                done.bytesAfter() >> 20, done.took().toMillis());
        return done.bytesBefore() - done.bytesAfter();
    }
}
