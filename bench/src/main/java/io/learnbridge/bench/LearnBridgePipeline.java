package io.learnbridge.bench;

import io.learnbridge.mapping.MappingFile;
import io.learnbridge.mapping.SourceMapper;
import io.learnbridge.drop.CsvDrop;
import io.learnbridge.drop.DropChecksum;
import io.learnbridge.drop.DropRows;
import io.learnbridge.store.DropClaim;
import io.learnbridge.store.DropLedger;
import io.learnbridge.store.StagedRow;
import io.learnbridge.store.Store;
import java.nio.file.Files;
import java.nio.file.Path;
import java.sql.PreparedStatement;
import java.sql.ResultSet;
import java.time.Duration;
import java.time.Instant;
import java.util.List;

/**
 * LearnBridge's own drop path, the same calls the {@code drops} bean makes for a CSV drop:
 * claim by checksum ({@link DropLedger#claim}), {@link CsvDrop} batches, {@link DropRows#map}
 * with the compiled source mapping, {@link DropLedger#stage} per batch, then
 * {@link DropLedger#finish} with one target so deliveries are written too. Each run uses a fresh
 * embedded H2 file store opened the way the bridge opens it ({@link Store#open}, migrations
 * applied, {@code WRITE_DELAY=0}); opening it is not timed.
 */
public final class LearnBridgePipeline implements BenchPipeline {

    public static final String SOURCE = "hris";
    public static final String TARGET = "lms";

    private final MappingFile mapping;
    private final Path dir;
    private final int batchSize;
    private final Instant receivedAt;
    private final boolean keepStores;

    public LearnBridgePipeline(MappingFile mapping, Path dir, int batchSize, Instant receivedAt, boolean keepStores) {
        this.mapping = mapping;
        this.dir = dir;
        this.batchSize = batchSize;
        this.receivedAt = receivedAt;
        this.keepStores = keepStores;
    }

    public static String storeName(int run) {
        return "bench-store-" + run;
    }

    @Override
    public String name() {
        return "learnbridge";
    }

    @Override
    public String description() {
        return "CsvDrop -> DropRows.map (mappings/sources/" + SOURCE + ".mapping.yaml) -> DropLedger.stage into H2 (WRITE_DELAY=0), "
                + "batches of " + batchSize + "; finish: DropLedger.finish (conflicts, repeats, change detection against the stored state, safety gate, 1 delivery per change to '" + TARGET + "')";
    }

    @Override
    public RunResult run(int run, Path csv) throws Exception {
        String storeName = storeName(run);
        BenchStores.delete(dir, storeName);
        String fileName = csv.getFileName().toString();
        try (Store store = Store.open(BenchStores.url(dir, storeName), null, null, 2)) {
            DropLedger ledger = new DropLedger(store, "benchmark", Duration.ofHours(1));
            long claimNanos;
            long rows = 0;
            long accepted = 0;
            long canonicalChars = 0;
            long canonicalDigest = 0;
            DropClaim claim;
            CpuClock.Span stage;
            HeapWatch.Peaks stageHeap;
            try (HeapWatch heap = HeapWatch.start()) {
                long claimStart = System.nanoTime();
                claim = ledger.claim(SOURCE, fileName, DropChecksum.sha256(csv), Files.size(csv));
                claimNanos = System.nanoTime() - claimStart;

                CpuClock start = CpuClock.now();
                try (CsvDrop drop = CsvDrop.open(csv, fileName, receivedAt, mapping.csv(), batchSize)) {
                    SourceMapper mapper = SourceMapper.bindHeader(mapping, drop.header(), "the header of " + fileName);
                    while (drop.hasNext()) {
                        List<StagedRow> staged = DropRows.map(mapper, drop.next());
                        ledger.stage(claim, staged);
                        rows += staged.size();
                        for (StagedRow row : staged) {
                            if (row.accepted()) {
                                accepted++;
                                canonicalChars += row.canonical().length();
                                canonicalDigest += row.canonical().hashCode();
                            }
                        }
                    }
                }
                stage = CpuClock.now().since(start);
                stageHeap = heap.stop();
            }

            long finishNanos;
            HeapWatch.Peaks finishHeap;
            try (HeapWatch heap = HeapWatch.start()) {
                long finishStart = System.nanoTime();
                ledger.finish(claim, List.of(TARGET));
                finishNanos = System.nanoTime() - finishStart;
                finishHeap = heap.stop();
            }

            long storedRows = count(store, "select count(*) from drop_row where drop_id = ?", claim.dropId());
            long deliveries = store.tx(c -> io.learnbridge.store.DeliveryQueue.queuedForDrop(c, claim.dropId()));
            long unchanged = count(store, "select count(*) from drop_row where drop_id = ? and status = 'UNCHANGED'", claim.dropId());
            return new RunResult(name(), run, rows, accepted, rows - accepted, canonicalChars, canonicalDigest, stage, claimNanos,
                    finishNanos, storedRows, deliveries, unchanged, stageHeap, finishHeap);
        } finally {
            if (!keepStores) {
                BenchStores.delete(dir, storeName);
            }
        }
    }

    private static long count(Store store, String sql, long dropId) {
        return store.tx(c -> {
            try (PreparedStatement ps = c.prepareStatement(sql)) {
                ps.setLong(1, dropId);
                try (ResultSet rs = ps.executeQuery()) {
                    rs.next();
                    return rs.getLong(1);
                }
            }
        });
    }
}
