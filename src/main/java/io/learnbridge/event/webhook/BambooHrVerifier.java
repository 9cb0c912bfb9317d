package io.learnbridge.event.webhook;

import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.time.Instant;
import java.util.HexFormat;
import java.util.List;
import java.util.Optional;

/**
 * BambooHR's scheme: {@code X-BambooHR-Signature} is the hex HMAC-SHA256 of the body bytes followed
 * by the {@code X-BambooHR-Timestamp} string (unix seconds), so the timestamp is signed and bounds
 * replay. BambooHR sends no event id; the caller de-duplicates by a hash of the body. Several
 * secrets are accepted so they rotate without downtime.
 */
public final class BambooHrVerifier implements WebhookVerifier {

    static final String SIGNATURE = "X-BambooHR-Signature";
    static final String TIMESTAMP = "X-BambooHR-Timestamp";

    private final Hmac hmac;
    private final Freshness freshness;

    public BambooHrVerifier(List<String> secrets) {
        this(secrets, Freshness.DEFAULT_TOLERANCE);
    }

    public BambooHrVerifier(List<String> secrets, Duration tolerance) {
        this.hmac = Hmac.utf8("HmacSHA256", Secrets.required("bamboohr", secrets));
        this.freshness = new Freshness(tolerance);
    }

    @Override
    public Optional<String> verify(WebhookRequest request, Instant now) {
        String signature = request.required(SIGNATURE);
        String timestamp = request.required(TIMESTAMP);
        long seconds = Freshness.parseSeconds(TIMESTAMP, timestamp);
        byte[] presented = hex(signature);
        freshness.check(seconds, now);
        if (!hmac.matchesAny(List.of(presented), request.body(), timestamp.getBytes(StandardCharsets.UTF_8))) {
            throw WebhookRejectedException.unauthorized("no matching signature");
        }
        return Optional.empty();
    }

    private static byte[] hex(String value) {
        try {
            return HexFormat.of().parseHex(value);
        } catch (IllegalArgumentException e) {
            throw WebhookRejectedException.malformed(SIGNATURE);
        }
    }
}
