package io.learnbridge.bench.sync;

import com.fasterxml.jackson.core.JsonFactory;
import com.fasterxml.jackson.core.JsonGenerator;
import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import de.siegmar.fastcsv.reader.CsvReader;
import de.siegmar.fastcsv.reader.CsvRecord;
import io.learnbridge.bench.CpuClock;
import io.learnbridge.bench.FloorPipeline;
import io.learnbridge.bench.HeapWatch;
import io.learnbridge.bench.WorkerHashes;
import io.learnbridge.bench.delivery.LoopbackTarget;
import java.io.IOException;
import java.io.StringWriter;
import java.lang.management.ManagementFactory;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.sql.Connection;
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
 * The floor: what a developer would write by hand to do the same sync with no framework. FastCSV
 * parse, the {@code hris} mapping's rules coded field by field with columns found once
 * ({@link FloorPipeline#mapValues}), two 64-bit hashes per worker and its status compared with
 * the stored state ({@link WorkerHashes}, the change detector's rules) in table
 * {@code floor_state(worker_id primary key, status, move_hash, rest_hash, canonical)} of the same
 * kind of store as the bridge's (H2 with {@code WRITE_DELAY=0}, or PostgreSQL), read into memory at
 * the start of each drop: all of it for a full snapshot, in which every active worker not in the
 * file leaves (when every row is identified); for a delta drop only its workers' state, by key. Only what changed is written, in plain JDBC batches committed per
 * batch; after each commit the batch's changed workers are PUT to the target as the LMS mapping
 * would shape them ({@link FloorSender}: Apache HttpClient 5, the same parallelism). A worker first
 * seen terminated is not stored, as the bridge does. The file is assumed to hold each worker once.
 */
public final class FloorSync implements SyncPipeline {

    public static final String NAME = "floor";

    private static final int BATCH = 500;
    private static final JsonFactory JSON = new JsonFactory();
    private static final ObjectMapper MAPPER = new ObjectMapper();

    private final SyncOptions options;
    private final LoopbackTarget target;

    public FloorSync(SyncOptions options, LoopbackTarget target) {
        this.options = options;
        this.target = target;
    }

    @Override
    public String name() {
        return NAME;
    }

    @Override
    public String description() {
        return "hand-written, no Camel: FastCSV -> map by column index -> 2 x 64-bit hash -> diff with table floor_state (read into a HashMap per"
                + " drop: all of it for a full snapshot, the drop's workers for a delta) -> changed state upserted in JDBC batches of " + BATCH + ", committed per batch -> one PUT per changed worker"
                + " (Apache HttpClient 5, " + options.parallelism() + " in flight, same retries)";
    }

    /** Connects to {@code db} and creates the floor's table ({@code home} is not used: the floor reads the drops where they are). */
    @Override
    public Session open(StoreDb db, Path home, int run) throws SQLException {
        Connection c = db.connect();
        try {
            boolean postgres = c.getMetaData().getDatabaseProductName().toLowerCase(java.util.Locale.ROOT).contains("postgres");
            try (Statement s = c.createStatement()) {
                s.execute("create table floor_state (worker_id varchar(200) primary key, status smallint not null, move_hash bigint not null, "
                        + "rest_hash bigint not null, canonical varchar not null)");
            }
            c.setAutoCommit(false);
            return new Session(c, db, postgres);
        } catch (SQLException | RuntimeException e) {
            c.close();
            throw e;
        }
    }

    /** One worker's stored state, and whether this drop listed it. */
    private static final class State {
        final byte status;
        final long move;
        final long rest;
        boolean seen;

        State(byte status, long move, long rest) {
            this.status = status;
            this.move = move;
            this.rest = rest;
        }
    }

    /** The floor on one store; drops go through it one at a time. */
    public final class Session implements SyncPipeline.Session {

        private final Connection c;
        private final StoreDb db;
        private final String upsertSql;
        private final FloorSender sender;

        private Session(Connection c, StoreDb db, boolean postgres) {
            this.c = c;
            this.db = db;
            this.upsertSql = postgres
                    ? "insert into floor_state (worker_id, status, move_hash, rest_hash, canonical) values (?, ?, ?, ?, ?) on conflict (worker_id) "
                            + "do update set status = excluded.status, move_hash = excluded.move_hash, rest_hash = excluded.rest_hash, "
                            + "canonical = excluded.canonical"
                    : "merge into floor_state key (worker_id) values (?, ?, ?, ?, ?)";
            this.sender = new FloorSender(target.lmsUrl(), options);
        }

        /** Syncs {@code day} (day 0, the one-row drop, as a delta; the others as full snapshots) and waits until its PUTs are settled. */
        @Override
        public PhaseRun drop(String storeKind, int run, DayFile day) throws Exception {
            target.reset();
            sender.reset();
            long[] kinds = new long[WorkerHashes.KINDS];
            CpuClock.Span span;
            HeapWatch.Peaks peaks;
            long startNanos;
            try (HeapWatch heap = HeapWatch.start(options.liveHeapEvery())) {
                CpuClock start = CpuClock.now();
                startNanos = start.wallNanos();
                sync(day.file(), day.day() != 0, kinds);
                sender.awaitAll();
                span = CpuClock.now().since(start);
                peaks = heap.stop();
            }
            long lastPut = target.lastRecordNanos();
            LoopbackTarget.Counts received = target.reset();
            System.gc();
            long heapAfterGc = ManagementFactory.getMemoryMXBean().getHeapMemoryUsage().getUsed();
            Changes found = new Changes(kinds[WorkerHashes.JOIN], kinds[WorkerHashes.MOVE], kinds[WorkerHashes.UPDATE], kinds[WorkerHashes.LEAVE],
                    kinds[WorkerHashes.NOOP]);
            Settled settled = new Settled(sender.delivered(), 0, 0, sender.failed());
            db.vacuum(); // the night, as the bridge's (BridgeSync)
            long bytes = db.bytes(c);
            long workers;
            try (Statement s = c.createStatement(); ResultSet rs = s.executeQuery("select count(*) from floor_state")) {
                rs.next();
                workers = rs.getLong(1);
            }
            c.commit();
            List<String> problems = SyncCheck.problems(day, received, found, settled);
            long wall = lastPut != 0 ? lastPut - startNanos : span.wallNanos();
            return new PhaseRun(storeKind, NAME, run, day, wall, StoreTimes.NONE, span, peaks, heapAfterGc, received, found, settled, bytes, workers,
                    problems);
        }

        private void sync(Path csv, boolean fullSnapshot, long[] kinds) throws IOException, SQLException, InterruptedException {
            Map<String, State> state = fullSnapshot ? load() : load(workerIds(csv));
            String effectiveAt = Instant.now().truncatedTo(ChronoUnit.MICROS).toString();
            String[] v = new String[FloorPipeline.CANONICAL.length];
            long unidentified = 0;
            try (Changed changed = new Changed();
                 CsvReader<CsvRecord> reader = CsvReader.builder().skipEmptyLines(true).allowExtraFields(true).allowMissingFields(true)
                         .ofCsvRecord(csv, StandardCharsets.UTF_8)) {
                Iterator<CsvRecord> records = reader.iterator();
                if (records.hasNext()) {
                    List<String> header = records.next().getFields().stream().map(String::strip).toList();
                    int[] col = FloorPipeline.columns(header, csv);
                    while (records.hasNext()) {
                        CsvRecord record = records.next();
                        String rejected = record.getFieldCount() != header.size() ? "workerId" : FloorPipeline.mapValues(record, col, v);
                        if (rejected != null) {
                            unidentified += rejected.equals("workerId") ? 1 : 0;
                            continue;
                        }
                        long move = WorkerHashes.moveHash(v);
                        long rest = WorkerHashes.restHash(v);
                        byte status = WorkerHashes.status(v[FloorPipeline.C_STATUS]);
                        State before = state.get(v[FloorPipeline.C_WORKER_ID]);
                        int kind = before == null ? WorkerHashes.classify(false, (byte) 0, 0, 0, move, rest, status)
                                : WorkerHashes.classify(true, before.status, before.move, before.rest, move, rest, status);
                        kinds[kind]++;
                        if (before != null) {
                            before.seen = true;
                        }
                        if (kind != WorkerHashes.NOOP) {
                            changed.add(v, status, move, rest, effectiveAt);
                        }
                    }
                }
                if (fullSnapshot && unidentified == 0) {
                    kinds[WorkerHashes.LEAVE] += leavers(state, changed, effectiveAt);
                }
            }
        }

        /** Every active worker of the stored state the snapshot did not list leaves: its last state, terminated. */
        private long leavers(Map<String, State> state, Changed changed, String effectiveAt) throws SQLException, IOException, InterruptedException {
            long leavers = 0;
            String[] v = new String[FloorPipeline.CANONICAL.length];
            try (PreparedStatement ps = c.prepareStatement("select canonical from floor_state where worker_id = ?")) {
                for (Map.Entry<String, State> e : state.entrySet()) {
                    State s = e.getValue();
                    if (s.seen || s.status == WorkerHashes.TERMINATED) {
                        continue;
                    }
                    ps.setString(1, e.getKey());
                    String canonical;
                    try (ResultSet rs = ps.executeQuery()) {
                        rs.next();
                        canonical = rs.getString(1);
                    }
                    JsonNode node = MAPPER.readTree(canonical);
                    for (int i = 0; i < v.length; i++) {
                        JsonNode field = node.get(FloorPipeline.CANONICAL[i]);
                        v[i] = field == null || field.isNull() ? null : field.asText();
                    }
                    v[FloorPipeline.C_STATUS] = "TERMINATED";
                    changed.add(v, WorkerHashes.TERMINATED, s.move, s.rest, effectiveAt);
                    leavers++;
                }
            }
            return leavers;
        }

        /** The worker ids of a drop's rows, for a delta drop: only those workers' state is read. */
        private List<String> workerIds(Path csv) throws IOException {
            List<String> ids = new ArrayList<>();
            try (CsvReader<CsvRecord> reader = CsvReader.builder().skipEmptyLines(true).allowExtraFields(true).allowMissingFields(true)
                    .ofCsvRecord(csv, StandardCharsets.UTF_8)) {
                Iterator<CsvRecord> records = reader.iterator();
                if (records.hasNext()) {
                    int column = FloorPipeline.columns(records.next().getFields().stream().map(String::strip).toList(), csv)[FloorPipeline.C_WORKER_ID];
                    while (records.hasNext()) {
                        CsvRecord record = records.next();
                        if (column < record.getFieldCount()) {
                            ids.add(record.getField(column).strip());
                        }
                    }
                }
            }
            return ids;
        }

        /** The stored state of the given workers, looked up by primary key in batches. */
        private Map<String, State> load(List<String> workerIds) throws SQLException {
            Map<String, State> state = new HashMap<>();
            for (int from = 0; from < workerIds.size(); from += BATCH) {
                List<String> ids = workerIds.subList(from, Math.min(workerIds.size(), from + BATCH));
                String marks = String.join(", ", java.util.Collections.nCopies(ids.size(), "?"));
                try (PreparedStatement ps = c.prepareStatement(
                        "select worker_id, status, move_hash, rest_hash from floor_state where worker_id in (" + marks + ")")) {
                    for (int i = 0; i < ids.size(); i++) {
                        ps.setString(i + 1, ids.get(i));
                    }
                    try (ResultSet rs = ps.executeQuery()) {
                        while (rs.next()) {
                            state.put(rs.getString(1), new State((byte) rs.getShort(2), rs.getLong(3), rs.getLong(4)));
                        }
                    }
                }
            }
            c.commit();
            return state;
        }

        /** The whole stored state, for a full snapshot (its absent workers leave). */
        private Map<String, State> load() throws SQLException {
            Map<String, State> state = new HashMap<>();
            try (Statement s = c.createStatement(); ResultSet rs = s.executeQuery("select worker_id, status, move_hash, rest_hash from floor_state")) {
                while (rs.next()) {
                    state.put(rs.getString(1), new State((byte) rs.getShort(2), rs.getLong(3), rs.getLong(4)));
                }
            }
            c.commit();
            return state;
        }

        /** Changed workers: upserted in batches, each batch committed, then its PUTs handed to the sender. */
        private final class Changed implements AutoCloseable {
            private final PreparedStatement upsert;
            private final List<String[]> puts = new ArrayList<>(BATCH);
            private final StringWriter buffer = new StringWriter(512);

            Changed() throws SQLException {
                this.upsert = c.prepareStatement(upsertSql);
            }

            void add(String[] v, byte status, long move, long rest, String effectiveAt) throws IOException, SQLException, InterruptedException {
                String workerId = v[FloorPipeline.C_WORKER_ID];
                upsert.setString(1, workerId);
                upsert.setShort(2, status);
                upsert.setLong(3, move);
                upsert.setLong(4, rest);
                upsert.setString(5, json(g -> FloorPipeline.writeCanonical(g, v, effectiveAt)));
                upsert.addBatch();
                puts.add(new String[] {workerId, json(g -> lmsPayload(g, v))});
                if (puts.size() == BATCH) {
                    flush();
                }
            }

            private void flush() throws SQLException, InterruptedException {
                if (puts.isEmpty()) {
                    return;
                }
                upsert.executeBatch();
                c.commit();
                for (String[] put : puts) {
                    sender.send(put[0], put[1]);
                }
                puts.clear();
            }

            private String json(Writing writing) throws IOException {
                buffer.getBuffer().setLength(0);
                try (JsonGenerator g = JSON.createGenerator(buffer)) {
                    writing.write(g);
                }
                return buffer.toString();
            }

            @Override
            public void close() throws SQLException, InterruptedException {
                try {
                    flush();
                } finally {
                    upsert.close();
                }
            }
        }

        @Override
        public void close() throws Exception {
            try {
                sender.close();
            } finally {
                c.close();
            }
        }
    }

    private interface Writing {
        void write(JsonGenerator g) throws IOException;
    }

    /** The LMS user record, as {@code mappings/targets/lms.mapping.yaml} shapes it, written by hand; absent values left out. */
    public static void lmsPayload(JsonGenerator g, String[] v) throws IOException {
        g.writeStartObject();
        field(g, "externalId", v[FloorPipeline.C_WORKER_ID]);
        field(g, "email", v[1]);
        field(g, "firstName", v[2]);
        field(g, "lastName", v[3]);
        field(g, "displayName", v[2] == null ? v[3] : v[3] == null ? v[2] : v[2] + " " + v[3]);
        g.writeBooleanField("active", !"TERMINATED".equals(v[FloorPipeline.C_STATUS]));
        field(g, "jobTitle", v[6]);
        field(g, "department", v[FloorPipeline.C_ORG_UNIT]);
        field(g, "location", v[7]);
        g.writeObjectFieldStart("manager");
        field(g, "externalId", v[FloorPipeline.C_MANAGER_ID]);
        g.writeEndObject();
        field(g, "hireDate", v[FloorPipeline.C_HIRE_DATE]);
        g.writeEndObject();
    }

    private static void field(JsonGenerator g, String name, String value) throws IOException {
        if (value != null) {
            g.writeStringField(name, value);
        }
    }
}
