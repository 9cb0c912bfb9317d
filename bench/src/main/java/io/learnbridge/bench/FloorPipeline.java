package io.learnbridge.bench;

import com.fasterxml.jackson.core.JsonFactory;
import com.fasterxml.jackson.core.JsonGenerator;
import de.siegmar.fastcsv.reader.CsvReader;
import de.siegmar.fastcsv.reader.CsvRecord;
import java.io.IOException;
import java.io.InputStream;
import java.io.StringWriter;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.security.MessageDigest;
import java.security.NoSuchAlgorithmException;
import java.sql.Connection;
import java.sql.DriverManager;
import java.sql.PreparedStatement;
import java.sql.ResultSet;
import java.sql.SQLException;
import java.sql.Statement;
import java.time.Instant;
import java.time.LocalDate;
import java.time.OffsetDateTime;
import java.time.ZoneOffset;
import java.time.format.DateTimeFormatter;
import java.time.format.DateTimeParseException;
import java.time.format.ResolverStyle;
import java.util.HexFormat;
import java.util.Iterator;
import java.util.List;
import java.util.Locale;
import java.util.regex.Pattern;

/**
 * The floor: what a developer would write by hand for this one file, with no mapping engine and
 * no framework. FastCSV parse, the {@code hris} mapping's rules coded field by field (trim,
 * required, patterns, lower-case email, upper-case job code, status table, strict
 * {@code MM/dd/yyyy} to ISO date), canonical JSON written with a Jackson streaming generator.
 * It produces the same canonical JSON as the mapping, byte for byte, and rejects the same rows.
 *
 * <p>Two variants. Without a store it is the "parse + validate + map + JSON" floor of
 * {@code PERFORMANCE.md}. With {@code jdbc} it does the rest of the work staging needs, by hand:
 * the row as read as JSON, a SHA-256 content hash, batch inserts into the same {@code drop_row}
 * table (same schema and indexes, from the store's own migration script) with plain JDBC, one
 * commit per batch, rejected rows into {@code exception_record}; its finish settles conflicts,
 * repeats and deliveries in one transaction like {@code DropLedger.finish} (see {@link #finish}).
 * Comparing LearnBridge with this variant isolates the cost of our code from the cost of H2.
 */
public final class FloorPipeline implements BenchPipeline {

    private static final Pattern WORKER_ID = Pattern.compile("[A-Za-z0-9][A-Za-z0-9_-]{0,63}");
    private static final Pattern EMAIL = Pattern.compile("[^@\\s]+@[^@\\s]+\\.[^@\\s]+");
    private static final DateTimeFormatter US_DATE = DateTimeFormatter.ofPattern("MM/dd/uuuu").withResolverStyle(ResolverStyle.STRICT);
    private static final String[] COLUMNS = {"Employee ID", "Work Email", "First Name", "Last Name", "Manager ID", "Job Code",
        "Job Title", "Location", "Department", "Status", "Hire Date"};
    private static final int ENQUEUE_LINES = 20_000;

    private final boolean jdbc;
    private final Path dir;
    private final int batchSize;
    private final Instant receivedAt;
    private final boolean keepStores;
    private final JsonFactory json = new JsonFactory();

    public FloorPipeline(boolean jdbc, Path dir, int batchSize, Instant receivedAt, boolean keepStores) {
        this.jdbc = jdbc;
        this.dir = dir;
        this.batchSize = batchSize;
        this.receivedAt = receivedAt;
        this.keepStores = keepStores;
    }

    public static String storeName(int run) {
        return "bench-floor-" + run;
    }

    @Override
    public String name() {
        return jdbc ? "floor+jdbc" : "floor";
    }

    @Override
    public String description() {
        return jdbc
                ? "floor + source-record JSON + SHA-256 + plain-JDBC batch insert into the same H2 schema (WRITE_DELAY=0), commit per "
                        + batchSize + " rows; finish: same settlement, one tx, exists + ranged insert-select"
                : "hand-written: FastCSV -> field-by-field validate/map -> canonical JSON (Jackson streaming); no store";
    }

    @Override
    public RunResult run(int run, Path csv) throws Exception {
        String storeName = storeName(run);
        if (!jdbc) {
            try (HeapWatch heap = HeapWatch.start()) {
                Counts counts = new Counts();
                CpuClock start = CpuClock.now();
                parse(csv, null, counts);
                CpuClock.Span stage = CpuClock.now().since(start);
                return new RunResult(name(), run, counts.rows, counts.accepted, counts.rows - counts.accepted, counts.canonicalChars,
                        counts.canonicalDigest, stage, -1, -1, -1, -1, 0, heap.stop(), null);
            }
        }
        BenchStores.delete(dir, storeName);
        try (Connection c = DriverManager.getConnection(BenchStores.url(dir, storeName), "", "")) {
            try (Statement s = c.createStatement()) {
                s.execute("RUNSCRIPT FROM 'classpath:/db/migration/V1__spine.sql'");
            }
            c.setAutoCommit(false);
            long dropId;
            long claimNanos;
            Counts counts = new Counts();
            CpuClock.Span stage;
            HeapWatch.Peaks stageHeap;
            try (HeapWatch heap = HeapWatch.start()) {
                long claimStart = System.nanoTime();
                dropId = claim(c, csv);
                claimNanos = System.nanoTime() - claimStart;

                CpuClock start = CpuClock.now();
                try (Staging staging = new Staging(c, dropId, csv.getFileName().toString())) {
                    parse(csv, staging, counts);
                }
                stage = CpuClock.now().since(start);
                stageHeap = heap.stop();
            }

            long deliveries;
            long finishNanos;
            HeapWatch.Peaks finishHeap;
            try (HeapWatch heap = HeapWatch.start()) {
                long finishStart = System.nanoTime();
                deliveries = finish(c, dropId);
                finishNanos = System.nanoTime() - finishStart;
                finishHeap = heap.stop();
            }
            long storedRows = count(c, "select count(*) from drop_row where drop_id = " + dropId);
            return new RunResult(name(), run, counts.rows, counts.accepted, counts.rows - counts.accepted, counts.canonicalChars,
                    counts.canonicalDigest, stage, claimNanos, finishNanos, storedRows, deliveries, 0, stageHeap, finishHeap);
        } finally {
            if (!keepStores) {
                BenchStores.delete(dir, storeName);
            }
        }
    }

    /** Parses and maps every row; hands each to {@code staging} when there is one. */
    private void parse(Path csv, Staging staging, Counts counts) throws IOException, SQLException {
        StringWriter buffer = new StringWriter(512);
        Mapped mapped = new Mapped();
        String effectiveAt = receivedAt.toString();
        try (CsvReader<CsvRecord> reader = CsvReader.builder().skipEmptyLines(true).allowExtraFields(true).allowMissingFields(true)
                .ofCsvRecord(csv, StandardCharsets.UTF_8)) {
            Iterator<CsvRecord> records = reader.iterator();
            if (!records.hasNext()) {
                return;
            }
            List<String> header = records.next().getFields().stream().map(String::strip).toList();
            int[] col = columns(header, csv);
            while (records.hasNext()) {
                CsvRecord record = records.next();
                counts.rows++;
                String canonical = null;
                mapped.workerId = null;
                if (record.getFieldCount() != header.size()) {
                    mapped.rejectedField = "#columns";
                } else if (map(record, col, effectiveAt, buffer, mapped)) {
                    canonical = buffer.toString();
                    counts.accepted++;
                    counts.canonicalChars += canonical.length();
                    counts.canonicalDigest += canonical.hashCode();
                }
                if (staging != null) {
                    staging.add(header, record, canonical, mapped);
                }
            }
        }
    }

    /** Positions of the mapped columns in {@code header}, in the order of {@link #CANONICAL}. */
    public static int[] columns(List<String> header, Path csv) throws IOException {
        int[] col = new int[COLUMNS.length];
        for (int i = 0; i < COLUMNS.length; i++) {
            col[i] = header.indexOf(COLUMNS[i]);
            if (col[i] < 0) {
                throw new IOException(csv + ": no column '" + COLUMNS[i] + "' in the header");
            }
        }
        return col;
    }

    /** Canonical field names, in the order {@link #mapValues} fills them (the order of the canonical JSON). */
    public static final String[] CANONICAL = {"workerId", "email", "givenName", "familyName", "managerId", "jobCode", "jobTitle", "location",
        "orgUnit", "employmentStatus", "hireDate"};
    public static final int C_WORKER_ID = 0;
    public static final int C_MANAGER_ID = 4;
    public static final int C_ORG_UNIT = 8;
    public static final int C_STATUS = 9;
    public static final int C_HIRE_DATE = 10;

    /**
     * The {@code hris} mapping's rules, coded field by field: fills {@code v} with the canonical
     * values of one row (null where absent; index as {@link #CANONICAL}) and returns null, or
     * returns the field that rejects the row.
     */
    public static String mapValues(CsvRecord r, int[] col, String[] v) {
        String workerId = strip(r.getField(col[0]));
        if (workerId == null || !WORKER_ID.matcher(workerId).matches()) {
            return "workerId";
        }
        String email = strip(r.getField(col[1]));
        if (email == null) {
            return "email";
        }
        email = email.toLowerCase(Locale.ROOT);
        if (!EMAIL.matcher(email).matches()) {
            return "email";
        }
        String givenName = strip(r.getField(col[2]));
        if (givenName == null) {
            return "givenName";
        }
        String familyName = strip(r.getField(col[3]));
        if (familyName == null) {
            return "familyName";
        }
        String jobCode = strip(r.getField(col[5]));
        String status = strip(r.getField(col[9]));
        status = status == null ? null : switch (status.toUpperCase(Locale.ROOT)) {
            case "A", "ACTIVE" -> "ACTIVE";
            case "L", "LOA" -> "LEAVE_OF_ABSENCE";
            case "T", "TERMINATED" -> "TERMINATED";
            default -> "";
        };
        if (status == null || status.isEmpty()) {
            return "employmentStatus";
        }
        String hireDate = strip(r.getField(col[10]));
        if (hireDate != null) {
            try {
                hireDate = LocalDate.parse(hireDate, US_DATE).toString();
            } catch (DateTimeParseException e) {
                return "hireDate";
            }
        }
        v[0] = workerId;
        v[1] = email;
        v[2] = givenName;
        v[3] = familyName;
        v[4] = strip(r.getField(col[4]));
        v[5] = jobCode == null ? null : jobCode.toUpperCase(Locale.ROOT);
        v[6] = strip(r.getField(col[6]));
        v[7] = strip(r.getField(col[7]));
        v[8] = strip(r.getField(col[8]));
        v[9] = status;
        v[10] = hireDate;
        return null;
    }

    /** The canonical JSON of mapped values (as {@link #mapValues} fills them), the way the mapping writes it. */
    public static void writeCanonical(JsonGenerator g, String[] v, String effectiveAt) throws IOException {
        g.writeStartObject();
        for (int i = 0; i < CANONICAL.length; i++) {
            writeIfPresent(g, CANONICAL[i], v[i]);
        }
        g.writeStringField("effectiveAt", effectiveAt);
        g.writeEndObject();
    }

    /**
     * Writes the canonical JSON of one row into {@code out} and returns true, or returns false
     * with the rejected field in {@code mapped}.
     */
    private boolean map(CsvRecord r, int[] col, String effectiveAt, StringWriter out, Mapped mapped) throws IOException {
        String rejected = mapValues(r, col, mapped.values);
        if (rejected != null) {
            return mapped.reject(rejected);
        }
        out.getBuffer().setLength(0);
        try (JsonGenerator g = json.createGenerator(out)) {
            writeCanonical(g, mapped.values, effectiveAt);
        }
        mapped.workerId = mapped.values[0];
        mapped.rejectedField = null;
        return true;
    }

    static String strip(String value) {
        String s = value.strip();
        return s.isEmpty() ? null : s;
    }

    private static void writeIfPresent(JsonGenerator g, String name, String value) throws IOException {
        if (value != null) {
            g.writeStringField(name, value);
        }
    }

    private static long claim(Connection c, Path csv) throws IOException, SQLException {
        MessageDigest digest;
        try {
            digest = MessageDigest.getInstance("SHA-256");
        } catch (NoSuchAlgorithmException e) {
            throw new IllegalStateException(e);
        }
        byte[] buffer = new byte[1 << 16];
        try (InputStream in = Files.newInputStream(csv)) {
            for (int n; (n = in.read(buffer)) > 0; ) {
                digest.update(buffer, 0, n);
            }
        }
        try (PreparedStatement ps = c.prepareStatement(
                "insert into drop_file (source, file_name, checksum, size_bytes, status, claimed_by, claimed_at) values ('hris', ?, ?, ?, 'STAGING', 'floor', ?)",
                new String[] {"id"})) {
            ps.setString(1, csv.getFileName().toString());
            ps.setString(2, HexFormat.of().formatHex(digest.digest()));
            ps.setLong(3, Files.size(csv));
            ps.setObject(4, OffsetDateTime.now(ZoneOffset.UTC));
            ps.executeUpdate();
            try (ResultSet keys = ps.getGeneratedKeys()) {
                keys.next();
                long id = keys.getLong(1);
                c.commit();
                return id;
            }
        }
    }

    /**
     * The same settlement as {@code DropLedger.finish}, in one transaction, written the way H2
     * handles it cheaply: conflicting and repeated rows found with correlated {@code exists} on
     * the {@code (drop_id, worker_id)} index (no grouping of every worker in memory), and the
     * deliveries copied by {@code insert ... select} over ranges of lines (one statement over a
     * million rows is several times slower in H2 than the same rows in ranges). Conflicts are
     * only marked; the floor writes no exception entries for them.
     */
    private static long finish(Connection c, long dropId) throws SQLException {
        OffsetDateTime now = OffsetDateTime.now(ZoneOffset.UTC);
        try (PreparedStatement ps = c.prepareStatement("""
                update drop_row set status = 'CONFLICT' where drop_id = ? and status = 'ACCEPTED' and exists (
                    select 1 from drop_row other where other.drop_id = drop_row.drop_id and other.worker_id = drop_row.worker_id
                    and other.status = 'ACCEPTED' and other.content_hash <> drop_row.content_hash)""")) {
            ps.setLong(1, dropId);
            ps.executeUpdate();
        }
        try (PreparedStatement ps = c.prepareStatement("""
                update drop_row set status = 'DUPLICATE' where drop_id = ? and status = 'ACCEPTED' and exists (
                    select 1 from drop_row earlier where earlier.drop_id = drop_row.drop_id and earlier.worker_id = drop_row.worker_id
                    and earlier.status = 'ACCEPTED' and earlier.line < drop_row.line)""")) {
            ps.setLong(1, dropId);
            ps.executeUpdate();
        }
        long lastLine = count(c, "select coalesce(max(line), 0) from drop_row where drop_id = " + dropId);
        long deliveries = 0;
        try (PreparedStatement ps = c.prepareStatement("""
                insert into delivery (source, drop_id, line, worker_id, target, canonical, status, attempts, created_at, updated_at)
                select 'hris', drop_id, line, worker_id, 'lms', canonical, 'PENDING', 0, ?, ? from drop_row
                where drop_id = ? and status = 'ACCEPTED' and line >= ? and line < ?""")) {
            for (long from = 0; from <= lastLine; from += ENQUEUE_LINES) {
                ps.setObject(1, now);
                ps.setObject(2, now);
                ps.setLong(3, dropId);
                ps.setLong(4, from);
                ps.setLong(5, from + ENQUEUE_LINES);
                deliveries += ps.executeUpdate();
            }
        }
        try (PreparedStatement ps = c.prepareStatement("update drop_file set status = 'STAGED', finished_at = ? where id = ?")) {
            ps.setObject(1, now);
            ps.setLong(2, dropId);
            ps.executeUpdate();
        }
        c.commit();
        return deliveries;
    }

    private static long count(Connection c, String sql) throws SQLException {
        try (Statement s = c.createStatement(); ResultSet rs = s.executeQuery(sql)) {
            rs.next();
            return rs.getLong(1);
        }
    }

    /** The outcome of mapping one row, reused from row to row. */
    private static final class Mapped {
        final String[] values = new String[CANONICAL.length];
        String workerId;
        String rejectedField;

        boolean reject(String field) {
            rejectedField = field;
            return false;
        }
    }

    private static final class Counts {
        long rows;
        long accepted;
        long canonicalChars;
        long canonicalDigest;
    }

    /** Batch inserts of staged rows, committed every {@code batchSize} rows. */
    private final class Staging implements AutoCloseable {

        private final Connection c;
        private final long dropId;
        private final String fileName;
        private final PreparedStatement rows;
        private final PreparedStatement rejections;
        private final MessageDigest sha256;
        private final StringWriter sourceBuffer = new StringWriter(512);
        private int pending;
        private int pendingRejections;

        Staging(Connection c, long dropId, String fileName) throws SQLException {
            this.c = c;
            this.dropId = dropId;
            this.fileName = fileName;
            this.rows = c.prepareStatement(
                    "insert into drop_row (drop_id, line, worker_id, status, content_hash, source_record, canonical) values (?, ?, ?, ?, ?, ?, ?)");
            this.rejections = c.prepareStatement("""
                    insert into exception_record (kind, status, stage, source, drop_id, file_name, line, field, reason, source_record, created_at)
                    values ('REJECTED', 'OPEN', 'map', 'hris', ?, ?, ?, ?, ?, ?, ?)""");
            try {
                this.sha256 = MessageDigest.getInstance("SHA-256");
            } catch (NoSuchAlgorithmException e) {
                throw new IllegalStateException(e);
            }
        }

        void add(List<String> header, CsvRecord record, String canonical, Mapped mapped) throws IOException, SQLException {
            int line = Math.toIntExact(record.getStartingLineNumber());
            String sourceRecord = sourceRecord(header, record);
            rows.setLong(1, dropId);
            rows.setInt(2, line);
            if (canonical != null) {
                rows.setString(3, mapped.workerId);
                rows.setString(4, "ACCEPTED");
                rows.setString(5, HexFormat.of().formatHex(sha256.digest(canonical.getBytes(StandardCharsets.UTF_8))));
            } else {
                rows.setString(3, null);
                rows.setString(4, "REJECTED");
                rows.setString(5, null);
                rejections.setLong(1, dropId);
                rejections.setString(2, fileName);
                rejections.setInt(3, line);
                rejections.setString(4, mapped.rejectedField);
                rejections.setString(5, "rejected at field " + mapped.rejectedField);
                rejections.setString(6, sourceRecord);
                rejections.setObject(7, OffsetDateTime.now(ZoneOffset.UTC));
                rejections.addBatch();
                pendingRejections++;
            }
            rows.setString(6, sourceRecord);
            rows.setString(7, canonical);
            rows.addBatch();
            if (++pending == batchSize) {
                flush();
            }
        }

        private String sourceRecord(List<String> header, CsvRecord record) throws IOException {
            sourceBuffer.getBuffer().setLength(0);
            try (JsonGenerator g = json.createGenerator(sourceBuffer)) {
                g.writeStartObject();
                for (int i = 0; i < record.getFieldCount(); i++) {
                    g.writeStringField(i < header.size() ? header.get(i) : "#" + (i + 1), record.getField(i));
                }
                g.writeEndObject();
            }
            return sourceBuffer.toString();
        }

        private void flush() throws SQLException {
            if (pending > 0) {
                rows.executeBatch();
            }
            if (pendingRejections > 0) {
                rejections.executeBatch();
            }
            c.commit();
            pending = 0;
            pendingRejections = 0;
        }

        @Override
        public void close() throws SQLException {
            try {
                flush();
            } finally {
                rows.close();
                rejections.close();
            }
        }
    }
}
