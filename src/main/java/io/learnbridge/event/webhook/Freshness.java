package io.learnbridge.event.webhook;

import java.time.Duration;
import java.time.Instant;
import java.util.Objects;

/**
 * The replay window of signed timestamps: a captured request replayed later than the tolerance, or
 * stamped further ahead than it, is refused. The boundary itself is accepted, as in the Standard
 * Webhooks reference libraries.
 */
final class Freshness {

    /** Five minutes, the Standard Webhooks recommendation. */
    static final Duration DEFAULT_TOLERANCE = Duration.ofMinutes(5);

    private final long toleranceSeconds;

    Freshness(Duration tolerance) {
        Objects.requireNonNull(tolerance, "tolerance");
        if (tolerance.isNegative()) {
            throw new IllegalArgumentException("tolerance must not be negative, was " + tolerance);
        }
        this.toleranceSeconds = tolerance.toSeconds();
    }

    /** Unix seconds as plain digits; anything else is a malformed header (401). */
    static long parseSeconds(String header, String value) {
        if (value.isEmpty() || value.length() > 18 || !value.chars().allMatch(c -> c >= '0' && c <= '9')) {
            throw WebhookRejectedException.malformed(header);
        }
        return Long.parseLong(value);
    }

    void check(long timestampSeconds, Instant now) {
        if (Math.abs(now.getEpochSecond() - timestampSeconds) > toleranceSeconds) {
            throw WebhookRejectedException.unauthorized("timestamp outside tolerance");
        }
    }
}
