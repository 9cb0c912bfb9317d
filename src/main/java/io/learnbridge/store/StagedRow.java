package io.learnbridge.store;

import io.learnbridge.worker.CanonicalRecord;
import java.time.Instant;

/**
 * One row of a drop as it is staged: accepted with its canonical record, or rejected with the
 * field and reason. The source record (the row as read) is kept for every row the store writes,
 * for replay. {@code contentHash} tells identical repeats of a row from conflicting ones;
 * {@code stateHash} ({@link CanonicalRecord#stateHash()}) tells an unchanged worker from a change.
 */
public record StagedRow(int line, String workerId, boolean accepted, String contentHash, String stateHash,
                        String sourceRecord, String canonical, Instant effectiveAt, String field, String reason) {

    /** A row whose state hash is derived from its canonical record when the store needs it. */
    public StagedRow(int line, String workerId, boolean accepted, String contentHash,
                     String sourceRecord, String canonical, Instant effectiveAt, String field, String reason) {
        this(line, workerId, accepted, contentHash, null, sourceRecord, canonical, effectiveAt, field, reason);
    }

    /** The state hash, computed from the canonical record when the row was made without one. */
    String stateHashOrDerived() {
        return stateHash != null ? stateHash : canonical == null ? null : CanonicalRecord.fromJson(canonical).stateHash();
    }
}
