package io.learnbridge.event.webhook;

import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.Base64;
import java.util.List;
import java.util.Optional;

/**
 * The <a href="https://www.standardwebhooks.com">Standard Webhooks</a> scheme: HMAC-SHA256 over
 * {@code webhook-id.webhook-timestamp.body}, sent as space-separated {@code v1,<base64>} entries
 * in {@code webhook-signature}. Chosen as the default for HR systems that follow the spec, because
 * it signs an id (usable for de-duplication) and a timestamp (limiting replay).
 *
 * <p>Secrets are {@code whsec_<base64 key>}; a secret without that prefix is used as UTF-8 bytes.
 * A request is valid if any secret matches any {@code v1} entry, so secrets rotate without
 * downtime. Entries of other versions (the spec reserves e.g. {@code v1a} for asymmetric
 * signatures) are skipped, as the spec's reference libraries do; an entry without a version is
 * malformed.
 */
public final class StandardWebhooksVerifier implements WebhookVerifier {

    static final String ID = "webhook-id";
    static final String TIMESTAMP = "webhook-timestamp";
    static final String SIGNATURE = "webhook-signature";
    private static final String KIND = "standard-webhooks";
    private static final String SECRET_PREFIX = "whsec_";
    private static final byte[] DOT = {'.'};

    private final Hmac hmac;
    private final Freshness freshness;

    public StandardWebhooksVerifier(List<String> secrets) {
        this(secrets, Freshness.DEFAULT_TOLERANCE);
    }

    public StandardWebhooksVerifier(List<String> secrets, Duration tolerance) {
        List<String> checked = Secrets.required(KIND, secrets);
        List<byte[]> keys = new ArrayList<>();
        for (int i = 0; i < checked.size(); i++) {
            keys.add(keyBytes(checked.get(i), i + 1));
        }
        this.hmac = Hmac.of("HmacSHA256", keys);
        this.freshness = new Freshness(tolerance);
    }

    @Override
    public Optional<String> verify(WebhookRequest request, Instant now) {
        String id = request.required(ID);
        String timestamp = request.required(TIMESTAMP);
        String signatures = request.required(SIGNATURE);
        long seconds = Freshness.parseSeconds(TIMESTAMP, timestamp);
        List<byte[]> presented = v1Signatures(signatures);
        freshness.check(seconds, now);
        if (presented.isEmpty()) {
            throw WebhookRejectedException.unauthorized("no v1 signature in " + SIGNATURE);
        }
        if (!hmac.matchesAny(presented, utf8(id), DOT, utf8(timestamp), DOT, request.body())) {
            throw WebhookRejectedException.unauthorized("no matching signature");
        }
        return Optional.of(id);
    }

    private static List<byte[]> v1Signatures(String header) {
        List<byte[]> v1 = new ArrayList<>();
        for (String entry : header.split(" ")) {
            if (entry.isEmpty()) {
                continue;
            }
            int comma = entry.indexOf(',');
            if (comma <= 0 || comma == entry.length() - 1) {
                throw WebhookRejectedException.malformed(SIGNATURE);
            }
            if (entry.startsWith("v1,")) {
                v1.add(base64(entry.substring(comma + 1)));
            }
        }
        return v1;
    }

    private static byte[] base64(String value) {
        try {
            return Base64.getDecoder().decode(value);
        } catch (IllegalArgumentException e) {
            throw WebhookRejectedException.malformed(SIGNATURE);
        }
    }

    private static byte[] keyBytes(String secret, int position) {
        if (!secret.startsWith(SECRET_PREFIX)) {
            return utf8(secret);
        }
        try {
            byte[] key = Base64.getDecoder().decode(secret.substring(SECRET_PREFIX.length()));
            if (key.length == 0) {
                throw new IllegalArgumentException("empty");
            }
            return key;
        } catch (IllegalArgumentException e) {
            throw new IllegalArgumentException(
                    KIND + " secret #" + position + " is not " + SECRET_PREFIX + " followed by base64");
        }
    }

    private static byte[] utf8(String text) {
        return text.getBytes(StandardCharsets.UTF_8);
    }
}
