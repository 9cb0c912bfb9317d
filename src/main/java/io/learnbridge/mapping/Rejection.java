package io.learnbridge.mapping;

import java.util.List;

/**
 * Why one record was not accepted: the output field, the input fields it was read from, and the
 * reason (which never contains a personal value).
 */
public record Rejection(String field, List<String> inputs, String reason) {

    public Rejection {
        inputs = inputs == null ? List.of() : List.copyOf(inputs);
    }

    /** e.g. {@code email (from 'Work Email'): value (9 characters) does not match pattern ...}. */
    public String describe() {
        if (field == null) {
            return reason;
        }
        String from = inputs.isEmpty() ? "" : " (from " + String.join(", ", inputs.stream().map(i -> "'" + i + "'").toList()) + ")";
        return field + from + ": " + reason;
    }
}
