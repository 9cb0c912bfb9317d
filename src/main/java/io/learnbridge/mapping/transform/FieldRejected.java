package io.learnbridge.mapping.transform;

/**
 * Thrown by a transform when a value makes the record unacceptable. Cheap (no stack trace):
 * rejections are an expected outcome on bad input, not a programming error.
 */
public final class FieldRejected extends RuntimeException {

    public FieldRejected(String reason) {
        super(reason, null, false, false);
    }
}
