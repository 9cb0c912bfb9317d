package io.learnbridge.store;

import java.time.Instant;

/**
 * The result of claiming a drop: either this instance now owns it ({@link #duplicateOf()} is
 * null), or the same content was already processed as drop {@code duplicateOf}.
 */
public record DropClaim(long dropId, String source, String fileName, String checksum, Instant claimedAt, Long duplicateOf) {

    public boolean isDuplicate() {
        return duplicateOf != null;
    }
}
