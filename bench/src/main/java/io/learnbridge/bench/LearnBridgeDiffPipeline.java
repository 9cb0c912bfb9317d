package io.learnbridge.bench;

import io.learnbridge.gate.GatePolicy;
import io.learnbridge.gate.PlanCounts;
import io.learnbridge.mapping.MappingFile;
import io.learnbridge.mapping.SourceMapper;
import io.learnbridge.drop.CsvDrop;
import io.learnbridge.drop.DropChecksum;
import io.learnbridge.drop.DropRows;
import io.learnbridge.store.DropClaim;
import io.learnbridge.store.DropLedger;
import io.learnbridge.store.StagedRow;
import io.learnbridge.store.Store;
import io.learnbridge.worker.ChangeDetector;
import java.nio.file.Files;
import java.nio.file.Path;
import java.sql.PreparedStatement;
import java.sql.ResultSet;
import java.time.Duration;
import java.time.Instant;
import java.time.temporal.ChronoUnit;
import java.util.ArrayList;
import java.util.List;

/**
 * LearnBridge's drop path for a full-snapshot source, twice into one fresh embedded H2 store:
 * day 1 into empty state (the first load, timed as a whole and reported apart), then day 2 the
 * same way, measured: claim, then {@link CsvDrop} batches through {@link DropRows#map} and
 * {@link DropLedger#stage} (stage), then {@link DropLedger#finish} with a full-snapshot
 * {@link DropLedger.Policy} (finish: conflicts, repeats, change detection against
 * {@code worker_state}, leavers by absence, the safety gate, applying the changes and one delivery
 * per change to one target). The gate is opened wide ({@link #OPEN_GATE}) so a benchmark drop is
 * never quarantined. Changes the finish holds as future-dated (PENDING) are then released the way
 * the bridge's timer does ({@link DropLedger#releaseDue}, 500 per call), timed apart.
 */
public final class LearnBridgeDiffPipeline implements DiffPipeline {

    /** No limit on deactivations or changes, no shrink limit, no approval: the benchmark measures the diff, not the gate's decision. */
    public static final GatePolicy OPEN_GATE = new GatePolicy(Integer.MAX_VALUE, 100, 0, 100, 100, 0, false);

    private static final int RELEASE_BATCH = 500;

    private final MappingFile mapping;
    private final Path dir;
    private final int batchSize;
    private final Instant day2At;
    private final boolean keepStores;

    /** @param day2At when day 2 was received; day 1 was received a day earlier */
    public LearnBridgeDiffPipeline(MappingFile mapping, Path dir, int batchSize, Instant day2At, boolean keepStores) {
        this.mapping = mapping;
        this.dir = dir;
        this.batchSize = batchSize;
        this.day2At = day2At;
        this.keepStores = keepStores;
    }

    public static String storeName(int run) {
        return "bench-diff-store-" + run;
    }

    @Override
    public String name() {
        return "learnbridge";
    }

    @Override
    public String description() {
        return "day 1 then day 2 into one H2 store (WRITE_DELAY=0): CsvDrop -> DropRows.map -> DropLedger.stage, batches of " + batchSize
                + "; finish: DropLedger.finish, full snapshot, gate opened wide (change detection against worker_state, leavers by "
                + "absence, apply, 1 delivery per change to '" + LearnBridgePipeline.TARGET + "')";
    }

    @Override
    public DiffRun run(int run, Path day1, Path day2) throws Exception {
        String storeName = storeName(run);
        BenchStores.delete(dir, storeName);
        DropLedger.Policy policy = new DropLedger.Policy(true, OPEN_GATE, new ChangeDetector(false));
        List<String> targets = List.of(LearnBridgePipeline.TARGET);
        try (Store store = Store.open(BenchStores.url(dir, storeName), null, null, 2)) {
            DropLedger ledger = new DropLedger(store, "benchmark", Duration.ofHours(1));
            List<String> reasons = new ArrayList<>();

            long firstStart = System.nanoTime();
            DropClaim firstClaim = claim(ledger, day1);
            stage(ledger, firstClaim, day1, day2At.minus(1, ChronoUnit.DAYS), policy);
            DropLedger.Summary first = ledger.finish(firstClaim, targets, policy);
            long firstLoadNanos = System.nanoTime() - firstStart;
            first.gateReasons().forEach(r -> reasons.add("first load quarantined: " + r));
            long firstLoadStoreBytes = BenchStores.size(dir, storeName);

            long claimNanos;
            DropClaim claim;
            long[] counted;
            CpuClock.Span stage;
            HeapWatch.Peaks stageHeap;
            try (HeapWatch heap = HeapWatch.start()) {
                long claimStart = System.nanoTime();
                claim = claim(ledger, day2);
                claimNanos = System.nanoTime() - claimStart;
                CpuClock start = CpuClock.now();
                counted = stage(ledger, claim, day2, day2At, policy);
                stage = CpuClock.now().since(start);
                stageHeap = heap.stop();
            }

            DropLedger.Summary summary;
            CpuClock.Span finish;
            HeapWatch.Peaks finishHeap;
            try (HeapWatch heap = HeapWatch.start()) {
                CpuClock start = CpuClock.now();
                summary = ledger.finish(claim, targets, policy);
                finish = CpuClock.now().since(start);
                finishHeap = heap.stop();
            }
            summary.gateReasons().forEach(r -> reasons.add("day 2 quarantined: " + r));

            long held = count(store, "select count(*) from drop_row where drop_id = ? and status = 'PENDING'", claim.dropId());
            long releaseNanos = -1;
            if (held > 0) {
                long releaseStart = System.nanoTime();
                for (int calls = 0; calls <= held / RELEASE_BATCH + 2; calls++) {
                    if (ledger.releaseDue(source -> targets, RELEASE_BATCH) == 0) {
                        break;
                    }
                }
                releaseNanos = System.nanoTime() - releaseStart;
            }
            long queued = store.tx(c -> io.learnbridge.store.DeliveryQueue.queuedForDrop(c, claim.dropId()));
            return new DiffRun(name(), run, firstLoadNanos, kinds(first.plan()), first.deliveries(), counted[0], counted[1], claimNanos,
                    stage, stageHeap, finish, finishHeap, kinds(summary.plan()), summary.deliveries(), held, releaseNanos,
                    queued - summary.deliveries(), List.copyOf(reasons), -1, firstLoadStoreBytes, BenchStores.size(dir, storeName));
        } finally {
            if (!keepStores) {
                BenchStores.delete(dir, storeName);
            }
        }
    }

    private static DropClaim claim(DropLedger ledger, Path csv) throws Exception {
        return ledger.claim(LearnBridgePipeline.SOURCE, csv.getFileName().toString(), DropChecksum.sha256(csv), Files.size(csv));
    }

    /** Stages every row of {@code csv}; returns rows read and rows accepted. */
    private long[] stage(DropLedger ledger, DropClaim claim, Path csv, Instant receivedAt, DropLedger.Policy policy) throws Exception {
        long rows = 0;
        long accepted = 0;
        String fileName = csv.getFileName().toString();
        try (CsvDrop drop = CsvDrop.open(csv, fileName, receivedAt, mapping.csv(), batchSize)) {
            SourceMapper mapper = SourceMapper.bindHeader(mapping, drop.header(), "the header of " + fileName);
            while (drop.hasNext()) {
                List<StagedRow> staged = DropRows.map(mapper, drop.next());
                ledger.stage(claim, staged, policy);
                rows += staged.size();
                for (StagedRow row : staged) {
                    accepted += row.accepted() ? 1 : 0;
                }
            }
        }
        return new long[] {rows, accepted};
    }

    private static DiffRun.Kinds kinds(PlanCounts plan) {
        return new DiffRun.Kinds(plan.joins(), plan.moves(), plan.updates(), plan.leaves(), plan.unchanged());
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
