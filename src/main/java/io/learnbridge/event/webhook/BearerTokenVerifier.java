package io.learnbridge.event.webhook;

import java.nio.charset.StandardCharsets;
import java.security.MessageDigest;
import java.security.NoSuchAlgorithmException;
import java.time.Instant;
import java.util.List;
import java.util.Optional;

/**
 * For HR systems that can only send a static {@code Authorization: Bearer <token>}. It proves who
 * sent the request, not what was sent, so prefer a signing scheme when the source offers one.
 * Tokens are compared as SHA-256 digests, so the comparison takes the same time whatever the
 * presented token's length or content. Several tokens are accepted so they rotate without downtime.
 * A missing header, another scheme or {@code Bearer} without a single token is a 401.
 */
public final class BearerTokenVerifier implements WebhookVerifier {

    static final String AUTHORIZATION = "Authorization";
    private static final String SCHEME = "Bearer";

    private final List<byte[]> tokenDigests;

    public BearerTokenVerifier(List<String> tokens) {
        this.tokenDigests = Secrets.required("bearer", tokens).stream().map(BearerTokenVerifier::sha256).toList();
    }

    @Override
    public Optional<String> verify(WebhookRequest request, Instant now) {
        String authorization = request.required(AUTHORIZATION);
        int space = authorization.indexOf(' ');
        String scheme = space < 0 ? authorization : authorization.substring(0, space);
        if (!scheme.equalsIgnoreCase(SCHEME)) {
            throw WebhookRejectedException.unauthorized("Authorization is not a Bearer token");
        }
        String token = space < 0 ? "" : authorization.substring(space + 1).strip();
        if (token.isEmpty() || token.chars().anyMatch(Character::isWhitespace)) {
            throw WebhookRejectedException.malformed(AUTHORIZATION);
        }
        byte[] presented = sha256(token);
        boolean match = false;
        for (byte[] expected : tokenDigests) {
            match |= MessageDigest.isEqual(expected, presented);
        }
        if (!match) {
            throw WebhookRejectedException.unauthorized("unknown bearer token");
        }
        return Optional.empty();
    }

    private static byte[] sha256(String token) {
        try {
            return MessageDigest.getInstance("SHA-256").digest(token.getBytes(StandardCharsets.UTF_8));
        } catch (NoSuchAlgorithmException e) {
            throw new IllegalStateException("SHA-256 is not available in this JVM", e);
        }
    }
}
