package io.learnbridge.store;

import java.time.Instant;

/**
 * One entry of the exception queue: a record or delivery that needs a human, with the fixed set
 * of context fields every dead letter keeps (stage, source coordinates, target, attempts, the
 * target's answer) and the stored source record it is replayed from.
 */
public record ExceptionEntry(
        Long id,
        Kind kind,
        Status status,
        String stage,
        String source,
        Long dropId,
        String fileName,
        Integer line,
        String workerId,
        String field,
        String target,
        Long deliveryId,
        String reason,
        String errorClass,
        Integer attempts,
        Integer httpStatus,
        String responseExcerpt,
        String sourceRecord,
        Instant createdAt,
        Instant replayedAt,
        int replayCount,
        Long eventId,
        String origin) {

    /** REJECTED: the record itself is bad (source side). FAILED: a target would not take it. */
    public enum Kind { REJECTED, FAILED }

    public enum Status { OPEN, REPLAYED }

    /** A new source-side rejection. */
    public static ExceptionEntry rejected(String stage, String source, Long dropId, String fileName, Integer line,
                                          String workerId, String field, String reason, String sourceRecord) {
        return new ExceptionEntry(null, Kind.REJECTED, Status.OPEN, stage, source, dropId, fileName, line, workerId, field,
                null, null, reason, null, null, null, null, sourceRecord, null, null, 0, null, null);
    }

    /** A new source-side rejection of a webhook or Kafka event, with where it came from. */
    public static ExceptionEntry rejectedEvent(String stage, String source, long eventId, String origin,
                                               String workerId, String field, String reason, String sourceRecord) {
        return new ExceptionEntry(null, Kind.REJECTED, Status.OPEN, stage, source, null, null, null, workerId, field,
                null, null, reason, null, null, null, null, sourceRecord, null, null, 0, eventId, origin);
    }

    /** {@code source file:line} or just the source, for messages. */
    public String where() {
        StringBuilder sb = new StringBuilder(source);
        if (origin != null) {
            sb.append(' ').append(origin);
        }
        if (fileName != null) {
            sb.append(' ').append(fileName);
            if (line != null) {
                sb.append(':').append(line);
            }
        }
        if (target != null) {
            sb.append(" -> ").append(target);
        }
        return sb.toString();
    }
}
