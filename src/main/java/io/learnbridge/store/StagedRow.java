package io.learnbridge.store;

import java.time.Instant;

/**
 * One row of a drop as it is staged: accepted with its canonical record, or rejected with the
 * field and reason. The source record (the row as read) is kept either way, for replay.
 */
public record StagedRow(int line, String workerId, boolean accepted, String contentHash,
                        String sourceRecord, String canonical, Instant effectiveAt, String field, String reason) {
}
