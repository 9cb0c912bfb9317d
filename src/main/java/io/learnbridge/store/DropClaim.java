package io.learnbridge.store;

import java.time.Instant;

/**
 * The result of claiming a drop: either this instance now owns it ({@link #duplicateOf()} is
 * null), or the same content was already processed as drop {@code duplicateOf}. {@code applying}:
 * the drop was planned and passed the gate before a crash or stop, and only its remaining pages
 * are to be applied (nothing is staged again).
 */
public record DropClaim(long dropId, String source, String fileName, String checksum, Instant claimedAt, Long duplicateOf, boolean applying) {

    public DropClaim(long dropId, String source, String fileName, String checksum, Instant claimedAt, Long duplicateOf) {
        this(dropId, source, fileName, checksum, claimedAt, duplicateOf, false);
    }

    public boolean isDuplicate() {
        return duplicateOf != null;
    }
}
