package io.learnbridge.event.webhook;

import java.nio.charset.StandardCharsets;
import java.security.GeneralSecurityException;
import java.security.MessageDigest;
import java.util.List;
import javax.crypto.Mac;
import javax.crypto.spec.SecretKeySpec;

/**
 * The HMAC keys of one verifier (several, for rotation) and the constant-time check that any of
 * them produced a presented signature. A {@link Mac} is not thread-safe, so one is made per call.
 */
final class Hmac {

    private final String algorithm;
    private final List<SecretKeySpec> keys;

    private Hmac(String algorithm, List<SecretKeySpec> keys) {
        this.algorithm = algorithm;
        this.keys = keys;
    }

    /** Keys whose bytes are the secrets' UTF-8 encoding. */
    static Hmac utf8(String algorithm, List<String> secrets) {
        return of(algorithm, secrets.stream().map(s -> s.getBytes(StandardCharsets.UTF_8)).toList());
    }

    static Hmac of(String algorithm, List<byte[]> keyBytes) {
        List<SecretKeySpec> keys = keyBytes.stream().map(k -> new SecretKeySpec(k, algorithm)).toList();
        mac(algorithm, keys.get(0)); // fail at construction, not on the first request
        return new Hmac(algorithm, keys);
    }

    /** True when any key's HMAC over the concatenated {@code parts} equals any of {@code presented}. */
    boolean matchesAny(List<byte[]> presented, byte[]... parts) {
        boolean match = false;
        for (SecretKeySpec key : keys) {
            Mac mac = mac(algorithm, key);
            for (byte[] part : parts) {
                mac.update(part);
            }
            byte[] expected = mac.doFinal();
            for (byte[] candidate : presented) {
                match |= MessageDigest.isEqual(expected, candidate);
            }
        }
        return match;
    }

    private static Mac mac(String algorithm, SecretKeySpec key) {
        try {
            Mac mac = Mac.getInstance(algorithm);
            mac.init(key);
            return mac;
        } catch (GeneralSecurityException e) {
            throw new IllegalStateException(algorithm + " is not available in this JVM", e);
        }
    }
}
