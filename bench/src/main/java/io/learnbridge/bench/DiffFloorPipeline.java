package io.learnbridge.bench;

import com.fasterxml.jackson.core.JsonFactory;
import com.fasterxml.jackson.core.JsonGenerator;
import de.siegmar.fastcsv.reader.CsvReader;
import de.siegmar.fastcsv.reader.CsvRecord;
import java.io.IOException;
import java.io.StringWriter;
import java.lang.management.ManagementFactory;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.sql.Connection;
import java.sql.DriverManager;
import java.sql.PreparedStatement;
import java.sql.ResultSet;
import java.sql.SQLException;
import java.sql.Statement;
import java.time.Instant;
import java.time.temporal.ChronoUnit;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.Iterator;
import java.util.List;
import java.util.Map;

/**
 * The floor for diffing a snapshot: what a developer would write by hand to find one HRIS file's
 * joiners, movers and leavers against the last known state, with no framework. FastCSV parse, the
 * {@code hris} mapping's rules coded field by field ({@link FloorPipeline#mapValues}), two 64-bit
 * hashes per worker (the fields whose change is a MOVE; the other fields) and its status, compared
 * with the stored hashes by worker id, classified with the same rules as LearnBridge's change
 * detector (JOIN, rehire, MOVE, UPDATE, LEAVE, NOOP, a worker first seen terminated is not
 * stored), then every active worker not seen in the file leaves. Each change's canonical JSON is
 * written (Jackson streaming), as it would be to send it. The file is assumed to hold each worker
 * once (no conflict or repeat handling) and rows are not kept for audit or replay.
 *
 * <p>Two variants. Without a store, the state is a {@code HashMap} built from day 1 and kept in
 * memory (the "parse + hash + diff against 1M stored workers" floor of {@code PERFORMANCE.md}):
 * stage = parse, map, hash, compare; finish = the absence scan. With {@code jdbc}, the state lives
 * in an H2 table (same {@code WRITE_DELAY=0} store settings as LearnBridge): stage = load the state
 * into memory, then parse, map, hash, compare, keeping the changes; finish = the absence scan, then
 * in one transaction the changed workers' state merged and one delivery row per change inserted,
 * in JDBC batches.
 */
public final class DiffFloorPipeline implements DiffPipeline {

    private static final byte TERMINATED = WorkerHashes.TERMINATED;
    private static final int JOIN = WorkerHashes.JOIN;
    private static final int MOVE = WorkerHashes.MOVE;
    private static final int UPDATE = WorkerHashes.UPDATE;
    private static final int LEAVE = WorkerHashes.LEAVE;
    private static final int NOOP = WorkerHashes.NOOP;

    private final boolean jdbc;
    private final Path dir;
    private final int batchSize;
    private final Instant day2At;
    private final boolean keepStores;
    private final JsonFactory json = new JsonFactory();

    public DiffFloorPipeline(boolean jdbc, Path dir, int batchSize, Instant day2At, boolean keepStores) {
        this.jdbc = jdbc;
        this.dir = dir;
        this.batchSize = batchSize;
        this.day2At = day2At;
        this.keepStores = keepStores;
    }

    public static String storeName(int run) {
        return "bench-diff-floor-" + run;
    }

    @Override
    public String name() {
        return jdbc ? "floor+jdbc" : "floor";
    }

    @Override
    public String description() {
        return jdbc
                ? "floor with the state in an H2 table (WRITE_DELAY=0): stage = load state + parse + map + hash + compare; finish = "
                        + "absence scan + merge changed state + insert deliveries, one tx, JDBC batches of " + batchSize
                : "hand-written: FastCSV -> field-by-field map -> 2 x 64-bit hash -> compare with an in-memory HashMap of day 1's state; "
                        + "finish = absence scan";
    }

    /** One worker's last known state: hashes of its MOVE fields and of its other fields, and its status. */
    private static final class State {
        long move;
        long rest;
        byte status;
        /** The last drop (1 = day 1, 2 = day 2) that listed the worker. */
        int seenIn;

        State(long move, long rest, byte status) {
            this.move = move;
            this.rest = rest;
            this.status = status;
        }
    }

    /** A change found by the diff, kept for the jdbc variant's finish. */
    private record Change(String workerId, int kind, State state, String canonical) {
    }

    /** What a pass over a file found. */
    private static final class Tally {
        long rows;
        long accepted;
        final long[] kinds = new long[WorkerHashes.KINDS];
        long canonicalChars;
        final List<Change> changes = new ArrayList<>();

        DiffRun.Kinds kinds() {
            return new DiffRun.Kinds(kinds[JOIN], kinds[MOVE], kinds[UPDATE], kinds[LEAVE], kinds[NOOP]);
        }
    }

    @Override
    public DiffRun run(int run, Path day1, Path day2) throws Exception {
        return jdbc ? runJdbc(run, day1, day2) : runInMemory(run, day1, day2);
    }

    private DiffRun runInMemory(int run, Path day1, Path day2) throws Exception {
        long before = usedAfterGc();
        long firstStart = System.nanoTime();
        Map<String, State> state = new HashMap<>();
        Tally first = new Tally();
        diff(day1, 1, state, first, day2At.minus(1, ChronoUnit.DAYS), null);
        long firstLoadNanos = System.nanoTime() - firstStart;
        long stateBytes = usedAfterGc() - before;

        Tally tally = new Tally();
        CpuClock.Span stage;
        HeapWatch.Peaks stageHeap;
        try (HeapWatch heap = HeapWatch.start()) {
            CpuClock start = CpuClock.now();
            diff(day2, 2, state, tally, day2At, null);
            stage = CpuClock.now().since(start);
            stageHeap = heap.stop();
        }
        CpuClock.Span finish;
        HeapWatch.Peaks finishHeap;
        try (HeapWatch heap = HeapWatch.start()) {
            CpuClock start = CpuClock.now();
            absent(2, state, tally, null);
            finish = CpuClock.now().since(start);
            finishHeap = heap.stop();
        }
        long changes = tally.kinds().changes();
        return new DiffRun(name(), run, firstLoadNanos, first.kinds(), first.kinds().changes(), tally.rows, tally.accepted, -1, stage,
                stageHeap, finish, finishHeap, tally.kinds(), changes, 0, -1, 0, List.of(), stateBytes, -1, -1);
    }

    private DiffRun runJdbc(int run, Path day1, Path day2) throws Exception {
        String storeName = storeName(run);
        BenchStores.delete(dir, storeName);
        try (Connection c = DriverManager.getConnection(BenchStores.url(dir, storeName), "", "")) {
            try (Statement s = c.createStatement()) {
                s.execute("create table floor_state (worker_id varchar(200) primary key, status tinyint not null, "
                        + "move_hash bigint not null, rest_hash bigint not null)");
                s.execute("create table floor_delivery (id bigint generated by default as identity primary key, "
                        + "worker_id varchar(200) not null, kind varchar(10) not null, canonical varchar not null)");
            }
            c.setAutoCommit(false);

            long firstStart = System.nanoTime();
            Tally first = new Tally();
            try (Changes changes = new Changes(c, false)) {
                diff(day1, 1, new HashMap<>(), first, day2At.minus(1, ChronoUnit.DAYS), changes::add);
            }
            long firstLoadNanos = System.nanoTime() - firstStart;
            long firstLoadStoreBytes = BenchStores.size(dir, storeName);

            Tally tally = new Tally();
            Map<String, State> state;
            CpuClock.Span stage;
            HeapWatch.Peaks stageHeap;
            try (HeapWatch heap = HeapWatch.start()) {
                CpuClock start = CpuClock.now();
                state = load(c);
                diff(day2, 2, state, tally, day2At, tally.changes::add);
                stage = CpuClock.now().since(start);
                stageHeap = heap.stop();
            }
            CpuClock.Span finish;
            HeapWatch.Peaks finishHeap;
            int deliveries;
            try (HeapWatch heap = HeapWatch.start()) {
                CpuClock start = CpuClock.now();
                absent(2, state, tally, tally.changes::add);
                try (Changes changes = new Changes(c, true)) {
                    for (Change change : tally.changes) {
                        changes.add(change);
                    }
                    deliveries = changes.deliveries;
                }
                finish = CpuClock.now().since(start);
                finishHeap = heap.stop();
            }
            return new DiffRun(name(), run, firstLoadNanos, first.kinds(), first.kinds().changes(), tally.rows, tally.accepted, -1, stage,
                    stageHeap, finish, finishHeap, tally.kinds(), deliveries, 0, -1, 0, List.of(), -1, firstLoadStoreBytes,
                    BenchStores.size(dir, storeName));
        } finally {
            if (!keepStores) {
                BenchStores.delete(dir, storeName);
            }
        }
    }

    /**
     * Diffs every row of {@code csv} (drop number {@code drop}) against {@code state}, updating it; each change goes to
     * {@code sink} when there is one, otherwise it is only counted.
     */
    private void diff(Path csv, int drop, Map<String, State> state, Tally tally, Instant receivedAt, Sink sink) throws IOException, SQLException {
        String effectiveAt = receivedAt.toString();
        String[] v = new String[FloorPipeline.CANONICAL.length];
        StringWriter buffer = new StringWriter(512);
        try (CsvReader<CsvRecord> reader = CsvReader.builder().skipEmptyLines(true).allowExtraFields(true).allowMissingFields(true)
                .ofCsvRecord(csv, StandardCharsets.UTF_8)) {
            Iterator<CsvRecord> records = reader.iterator();
            if (!records.hasNext()) {
                return;
            }
            List<String> header = records.next().getFields().stream().map(String::strip).toList();
            int[] col = FloorPipeline.columns(header, csv);
            while (records.hasNext()) {
                CsvRecord record = records.next();
                tally.rows++;
                if (record.getFieldCount() != header.size() || FloorPipeline.mapValues(record, col, v) != null) {
                    continue;
                }
                tally.accepted++;
                long move = WorkerHashes.moveHash(v);
                long rest = WorkerHashes.restHash(v);
                byte status = WorkerHashes.status(v[FloorPipeline.C_STATUS]);
                String workerId = v[FloorPipeline.C_WORKER_ID];
                State before = state.get(workerId);
                int kind = classify(before, move, rest, status);
                tally.kinds[kind]++;
                if (before != null) {
                    before.seenIn = drop;
                }
                if (kind == NOOP) {
                    continue;
                }
                State after = before;
                if (after == null) {
                    after = new State(move, rest, status);
                    after.seenIn = drop;
                    state.put(workerId, after);
                } else {
                    after.move = move;
                    after.rest = rest;
                    after.status = status;
                }
                buffer.getBuffer().setLength(0);
                try (JsonGenerator g = json.createGenerator(buffer)) {
                    FloorPipeline.writeCanonical(g, v, effectiveAt);
                }
                tally.canonicalChars += buffer.getBuffer().length();
                if (sink != null) {
                    sink.add(new Change(workerId, kind, after, buffer.toString()));
                }
            }
        }
    }

    /** The change detector's rules, on hashes: see {@link WorkerHashes#classify}. */
    private static int classify(State before, long move, long rest, byte status) {
        return before == null ? WorkerHashes.classify(false, (byte) 0, 0, 0, move, rest, status)
                : WorkerHashes.classify(true, before.status, before.move, before.rest, move, rest, status);
    }

    /** Every active worker of the state not listed by drop {@code drop} leaves. */
    private void absent(int drop, Map<String, State> state, Tally tally, Sink sink) throws IOException, SQLException {
        StringWriter buffer = new StringWriter(128);
        for (Map.Entry<String, State> e : state.entrySet()) {
            State s = e.getValue();
            if (s.seenIn == drop || s.status == TERMINATED) {
                continue;
            }
            s.status = TERMINATED;
            tally.kinds[LEAVE]++;
            buffer.getBuffer().setLength(0);
            try (JsonGenerator g = json.createGenerator(buffer)) {
                g.writeStartObject();
                g.writeStringField("workerId", e.getKey());
                g.writeStringField("employmentStatus", "TERMINATED");
                g.writeEndObject();
            }
            tally.canonicalChars += buffer.getBuffer().length();
            if (sink != null) {
                sink.add(new Change(e.getKey(), LEAVE, s, buffer.toString()));
            }
        }
    }

    private static Map<String, State> load(Connection c) throws SQLException {
        long workers;
        try (Statement s = c.createStatement(); ResultSet rs = s.executeQuery("select count(*) from floor_state")) {
            rs.next();
            workers = rs.getLong(1);
        }
        Map<String, State> state = new HashMap<>((int) Math.min(Integer.MAX_VALUE, workers * 4 / 3 + 16));
        try (Statement s = c.createStatement();
             ResultSet rs = s.executeQuery("select worker_id, status, move_hash, rest_hash from floor_state")) {
            while (rs.next()) {
                state.put(rs.getString(1), new State(rs.getLong(3), rs.getLong(4), rs.getByte(2)));
            }
        }
        return state;
    }

    /** Where the diff hands each change. */
    private interface Sink {
        void add(Change change) throws SQLException;
    }

    /**
     * Writes changes in JDBC batches: each changed worker's state merged and, with {@code deliver},
     * one delivery row per change, all committed at {@link #close} (the day-2 finish: one
     * transaction); without it (the first load) committed per batch, like a bulk import.
     */
    private final class Changes implements Sink, AutoCloseable {
        private final Connection c;
        private final boolean deliver;
        private final PreparedStatement merge;
        private final PreparedStatement delivery;
        private int pending;
        int deliveries;

        Changes(Connection c, boolean deliver) throws SQLException {
            this.c = c;
            this.deliver = deliver;
            this.merge = c.prepareStatement("merge into floor_state key (worker_id) values (?, ?, ?, ?)");
            this.delivery = c.prepareStatement("insert into floor_delivery (worker_id, kind, canonical) values (?, ?, ?)");
        }

        @Override
        public void add(Change change) throws SQLException {
            merge.setString(1, change.workerId());
            merge.setByte(2, change.state().status);
            merge.setLong(3, change.state().move);
            merge.setLong(4, change.state().rest);
            merge.addBatch();
            if (deliver) {
                delivery.setString(1, change.workerId());
                delivery.setString(2, WorkerHashes.kindName(change.kind()));
                delivery.setString(3, change.canonical());
                delivery.addBatch();
                deliveries++;
            }
            if (++pending == batchSize) {
                flush();
                if (!deliver) {
                    c.commit();
                }
            }
        }

        private void flush() throws SQLException {
            if (pending > 0) {
                merge.executeBatch();
                if (deliver) {
                    delivery.executeBatch();
                }
            }
            pending = 0;
        }

        @Override
        public void close() throws SQLException {
            try {
                flush();
                c.commit();
            } finally {
                merge.close();
                delivery.close();
            }
        }
    }

    /** Heap used after full collections: to measure what a structure holds. */
    static long usedAfterGc() {
        for (int i = 0; i < 3; i++) {
            System.gc();
        }
        return ManagementFactory.getMemoryMXBean().getHeapMemoryUsage().getUsed();
    }
}
