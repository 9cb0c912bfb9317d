package io.learnbridge.drop;

/**
 * A drop that cannot be processed as a whole (a mapped column missing from its header): it is
 * recorded as failed, queued with the reason, and moved to the failed folder.
 */
public final class DropRejectedException extends RuntimeException {

    private final String field;

    public DropRejectedException(String field, String message) {
        super(message);
        this.field = field;
    }

    public String field() {
        return field;
    }
}
