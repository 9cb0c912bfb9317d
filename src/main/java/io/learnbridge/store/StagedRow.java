package io.learnbridge.store;

import io.learnbridge.worker.CanonicalRecord;
import java.time.Instant;
import java.util.Objects;
import java.util.function.Supplier;

/**
 * One row of a drop as it is staged: accepted with its canonical record, or rejected with the
 * field and reason. The source record (the row as read) is kept for every row the store writes,
 * for replay. {@code contentHash} tells identical repeats of a row from conflicting ones;
 * {@code stateHash} ({@link CanonicalRecord#stateHash()}) tells an unchanged worker from a change.
 *
 * <p>A row made by {@link #mapped} writes its record and source record as JSON only when they are
 * asked for: most rows of a full snapshot are unchanged, only counted, and never written.
 */
public final class StagedRow {

    private final int line;
    private final String workerId;
    private final boolean accepted;
    private final String contentHash;
    private final String stateHash;
    private final Instant effectiveAt;
    private final String field;
    private final String reason;
    /** A rejected row's worker id as the mapping read it, for the exception queue only (the stored row has none). */
    private String namedWorkerId;
    private String sourceRecord;
    private Supplier<String> sourceRecordOf;
    private String canonical;
    private CanonicalRecord record;

    public StagedRow(int line, String workerId, boolean accepted, String contentHash, String stateHash,
                     String sourceRecord, String canonical, Instant effectiveAt, String field, String reason) {
        this.line = line;
        this.workerId = workerId;
        this.accepted = accepted;
        this.contentHash = contentHash;
        this.stateHash = stateHash;
        this.sourceRecord = sourceRecord;
        this.canonical = canonical;
        this.effectiveAt = effectiveAt;
        this.field = field;
        this.reason = reason;
    }

    /** A row whose state hash is derived from its canonical record when the store needs it. */
    public StagedRow(int line, String workerId, boolean accepted, String contentHash,
                     String sourceRecord, String canonical, Instant effectiveAt, String field, String reason) {
        this(line, workerId, accepted, contentHash, null, sourceRecord, canonical, effectiveAt, field, reason);
    }

    /**
     * An accepted row from its mapped record: the record's JSON and the source record are made
     * when first asked for.
     */
    public static StagedRow mapped(int line, CanonicalRecord record, String contentHash, String stateHash, Instant effectiveAt,
                                   Supplier<String> sourceRecord) {
        StagedRow row = new StagedRow(line, record.workerId(), true, contentHash, stateHash, null, null, effectiveAt, null, null);
        row.record = record;
        row.sourceRecordOf = sourceRecord;
        return row;
    }

    /**
     * A rejected row; {@code namedWorkerId} is the worker id the row names when it could be read
     * (the mapping's {@code workerId} rule accepted it), null otherwise. The row is stored without a
     * worker id, so it never counts as one of the worker's rows; its exception names the worker.
     */
    public static StagedRow rejected(int line, String namedWorkerId, String sourceRecord, String field, String reason) {
        StagedRow row = new StagedRow(line, null, false, null, sourceRecord, null, null, field, reason);
        row.namedWorkerId = namedWorkerId;
        return row;
    }

    public int line() {
        return line;
    }

    public String workerId() {
        return workerId;
    }

    /** The worker the row names: an accepted row's worker id, or what a rejected row's id column held (null when unreadable). */
    public String namedWorkerId() {
        return accepted ? workerId : namedWorkerId;
    }

    public boolean accepted() {
        return accepted;
    }

    public String contentHash() {
        return contentHash;
    }

    public String stateHash() {
        return stateHash;
    }

    public String sourceRecord() {
        if (sourceRecord == null && sourceRecordOf != null) {
            sourceRecord = sourceRecordOf.get();
            sourceRecordOf = null;
        }
        return sourceRecord;
    }

    public String canonical() {
        if (canonical == null && record != null) {
            canonical = record.toJson();
        }
        return canonical;
    }

    /** The canonical record, or null for a rejected row. */
    public CanonicalRecord record() {
        if (record == null && canonical != null) {
            record = CanonicalRecord.fromJson(canonical);
        }
        return record;
    }

    public Instant effectiveAt() {
        return effectiveAt;
    }

    public String field() {
        return field;
    }

    public String reason() {
        return reason;
    }

    /** The state hash, computed from the canonical record when the row was made without one. */
    String stateHashOrDerived() {
        return stateHash != null ? stateHash : record() == null ? null : record().stateHash();
    }

    @Override
    public boolean equals(Object o) {
        return o instanceof StagedRow other && line == other.line && accepted == other.accepted && Objects.equals(workerId, other.workerId)
                && Objects.equals(contentHash, other.contentHash) && Objects.equals(stateHash, other.stateHash)
                && Objects.equals(sourceRecord(), other.sourceRecord()) && Objects.equals(canonical(), other.canonical())
                && Objects.equals(effectiveAt, other.effectiveAt) && Objects.equals(field, other.field) && Objects.equals(reason, other.reason)
                && Objects.equals(namedWorkerId, other.namedWorkerId);
    }

    @Override
    public int hashCode() {
        return Objects.hash(line, workerId, accepted, contentHash);
    }

    @Override
    public String toString() {
        return "StagedRow[line=" + line + ", workerId=" + workerId + ", accepted=" + accepted
                + (accepted ? ", canonical=" + canonical() : ", namedWorkerId=" + namedWorkerId + ", field=" + field + ", reason=" + reason) + "]";
    }
}
