package io.learnbridge.camel;

import java.net.SocketTimeoutException;
import java.time.Duration;
import java.time.Instant;
import java.time.ZonedDateTime;
import java.time.format.DateTimeFormatter;
import java.time.format.DateTimeParseException;
import java.util.Map;
import org.apache.camel.http.base.HttpOperationFailedException;

/**
 * The one place that decides what a delivery failure means (Debezium's {@code ErrorHandler}
 * idea): timeouts, connection failures, 5xx and 429 are transient and retried; a mapping
 * rejection and any other 4xx are permanent. Also reads {@code Retry-After}.
 */
public final class DeliveryErrors {

    /** What a failure means for the delivery. */
    public record Verdict(boolean retryable, Integer httpStatus, Duration retryAfter, String reason, String responseExcerpt) {
    }

    private DeliveryErrors() {
    }

    public static Verdict classify(Throwable failure) {
        if (failure instanceof HttpOperationFailedException http) {
            int status = http.getStatusCode();
            boolean retryable = status == 429 || status >= 500;
            String kind = retryable ? "transient" : "permanent";
            return new Verdict(retryable, status, retryAfter(http.getResponseHeaders()),
                    "target answered HTTP " + status + " (" + kind + ")", excerpt(http.getResponseBody()));
        }
        if (failure instanceof RecordRejectedException rejected) {
            return new Verdict(false, null, null, "rejected by the target mapping: " + rejected.getMessage(), null);
        }
        for (Throwable t = failure; t != null; t = t.getCause()) {
            if (t instanceof SocketTimeoutException) {
                return new Verdict(true, null, null, "timed out waiting for the target", null);
            }
            if (t instanceof java.io.IOException) {
                return new Verdict(true, null, null, "cannot reach the target: " + t.getClass().getSimpleName() + ": " + t.getMessage(), null);
            }
        }
        return new Verdict(false, null, null, "unexpected error: " + failure, null);
    }

    /** {@code Retry-After} as seconds or an HTTP date; null when absent or unreadable. */
    static Duration retryAfter(Map<String, String> headers) {
        if (headers == null) {
            return null;
        }
        String value = headers.entrySet().stream().filter(e -> e.getKey().equalsIgnoreCase("Retry-After"))
                .map(Map.Entry::getValue).findFirst().orElse(null);
        if (value == null || value.isBlank()) {
            return null;
        }
        try {
            return Duration.ofSeconds(Math.max(0, Long.parseLong(value.strip())));
        } catch (NumberFormatException e) {
            try {
                Duration d = Duration.between(Instant.now(), ZonedDateTime.parse(value.strip(), DateTimeFormatter.RFC_1123_DATE_TIME).toInstant());
                return d.isNegative() ? Duration.ZERO : d;
            } catch (DateTimeParseException ignored) {
                return null;
            }
        }
    }

    static String excerpt(String body) {
        if (body == null) {
            return null;
        }
        String oneLine = body.replaceAll("\\s+", " ").strip();
        return oneLine.length() <= 500 ? oneLine : oneLine.substring(0, 500) + "…";
    }
}
