package io.learnbridge.store;

/** The store could not do what was asked: unreachable, or a statement failed. Retryable. */
public final class StoreException extends RuntimeException {

    public StoreException(String message, Throwable cause) {
        super(message, cause);
    }
}
