package io.learnbridge.api;

import java.nio.charset.StandardCharsets;
import java.security.MessageDigest;
import org.apache.camel.Header;

/**
 * Bean {@code apiAuth}: the exceptions API needs {@code Authorization: Bearer <learnbridge.api.token>},
 * compared in constant time. Without a configured token every request is refused.
 */
public final class ApiAuth {

    private final byte[] expected;

    public ApiAuth(String token) {
        this.expected = token == null ? null : ("Bearer " + token).getBytes(StandardCharsets.UTF_8);
    }

    public void check(@Header("Authorization") String authorization) {
        if (expected == null || authorization == null
                || !MessageDigest.isEqual(expected, authorization.getBytes(StandardCharsets.UTF_8))) {
            throw new UnauthorizedException();
        }
    }

    /** Refused: answered 401 by the API's route configuration. */
    public static final class UnauthorizedException extends RuntimeException {
        public UnauthorizedException() {
            super("missing or wrong bearer token", null, false, false);
        }
    }
}
