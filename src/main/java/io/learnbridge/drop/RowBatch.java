package io.learnbridge.drop;

import java.util.List;

/**
 * A batch of raw rows from one drop, in file order. {@code header} is the drop's header (the
 * same list object for every batch of a drop, so a mapping is bound to it once); {@code receivedAt}
 * is the default {@code effectiveAt} of its records.
 */
public record RowBatch(String fileName, java.time.Instant receivedAt, List<String> header, List<RawRow> rows) {

    /** One row as read: the line it starts on, and its fields. */
    public record RawRow(int line, String[] fields) {
    }
}
