package io.learnbridge.camel;

/**
 * A record that can never succeed as it is (mapping rejection, a target's 4xx): no retry, straight
 * to the exception queue. The counterpart of a retryable failure; the adapter decides.
 */
public final class RecordRejectedException extends RuntimeException {

    private final String field;

    public RecordRejectedException(String message, String field) {
        super(message);
        this.field = field;
    }

    public String field() {
        return field;
    }
}
