package io.learnbridge.store;

/** Another instance holds the claim on this content and its lease has not expired: try later. */
public final class DropBusyException extends RuntimeException {

    public DropBusyException(String message) {
        super(message);
    }
}
