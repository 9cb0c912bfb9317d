package io.learnbridge.bench.webhook;

import java.nio.charset.StandardCharsets;
import java.security.GeneralSecurityException;
import java.security.SecureRandom;
import java.time.Instant;
import java.util.Base64;
import javax.crypto.Mac;
import javax.crypto.spec.SecretKeySpec;

/**
 * The benchmark's requests: one distinct worker change event per request (its own worker id and
 * webhook id, so every request is stored and none is a duplicate), signed the Standard Webhooks
 * way: {@code webhook-signature: v1,<base64 HMAC-SHA256 of id.timestamp.body>} with a
 * {@code whsec_} secret. Not thread safe: one sender thread signs.
 */
public final class SignedEvents {

    private static final String SECRET_PREFIX = "whsec_";

    private final String secret;
    private final String tag;
    private final Mac mac;

    /**
     * @param secret a {@code whsec_<base64 key>} secret
     * @param tag    makes this run's ids unique: worker ids are {@code W<tag>-<n>}, webhook ids {@code <tag>-<n>}
     */
    public SignedEvents(String secret, String tag) {
        this.secret = secret;
        this.tag = tag;
        this.mac = mac(key(secret));
    }

    /** A fresh random secret, 32 bytes, as a sender's dashboard would issue it. */
    public static String newSecret() {
        byte[] key = new byte[32];
        new SecureRandom().nextBytes(key);
        return SECRET_PREFIX + Base64.getEncoder().encodeToString(key);
    }

    /** The key bytes of a {@code whsec_} secret. */
    public static byte[] key(String secret) {
        if (!secret.startsWith(SECRET_PREFIX)) {
            throw new IllegalArgumentException("a Standard Webhooks secret starts with " + SECRET_PREFIX);
        }
        return Base64.getDecoder().decode(secret.substring(SECRET_PREFIX.length()));
    }

    /** An HMAC-SHA256 instance keyed with {@code key}. */
    public static Mac mac(byte[] key) {
        try {
            Mac m = Mac.getInstance("HmacSHA256");
            m.init(new SecretKeySpec(key, "HmacSHA256"));
            return m;
        } catch (GeneralSecurityException e) {
            throw new IllegalStateException("HmacSHA256 is not available", e);
        }
    }

    public String secret() {
        return secret;
    }

    /** Prefix of every webhook id of this run; stored event keys are {@code id:<prefix>...}. */
    public String idPrefix() {
        return tag + "-";
    }

    /** Prefix of every worker id of this run. */
    public String workerPrefix() {
        return "W" + tag + "-";
    }

    /** Request number {@code n}, signed with the timestamp {@code now}. */
    public Request request(long n, Instant now) {
        String id = idPrefix() + n;
        String workerId = workerPrefix() + n;
        long timestamp = now.getEpochSecond();
        byte[] body = ("{\"type\":\"worker.changed\",\"effectiveAt\":\"" + now + "\",\"worker\":{\"id\":\"" + workerId
                + "\",\"email\":\"" + workerId.toLowerCase(java.util.Locale.ROOT) + "@example.com\",\"firstName\":\"Given\","
                + "\"lastName\":\"Family\",\"jobTitle\":\"Engineer\",\"department\":\"Engineering\",\"status\":\"A\"}}")
                .getBytes(StandardCharsets.UTF_8);
        mac.update((id + "." + timestamp + ".").getBytes(StandardCharsets.UTF_8));
        String signature = "v1," + Base64.getEncoder().encodeToString(mac.doFinal(body));
        return new Request(id, timestamp, signature, body);
    }

    /** One signed request: the three Standard Webhooks headers and the body. */
    public record Request(String id, long timestamp, String signature, byte[] body) {
    }
}
