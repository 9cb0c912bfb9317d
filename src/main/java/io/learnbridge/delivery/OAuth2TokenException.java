package io.learnbridge.delivery;

import java.net.URI;

/**
 * A token endpoint gave no access token (RFC 6749 §5.2). The message names the endpoint, the HTTP
 * status and the OAuth error code and description the endpoint sent; never the client secret.
 * {@link #isTransient()} says whether a later attempt may succeed: no answer, 408, 429 or 5xx are
 * transient; a refusal (400 {@code invalid_client}, {@code invalid_scope}, 401 ...) or an answer
 * that is not a bearer token response is not, and no retry will fix it without a settings change.
 */
public final class OAuth2TokenException extends RuntimeException {

    private final URI tokenEndpoint;
    private final Integer status;
    private final String errorCode;
    private final boolean transientFailure;

    OAuth2TokenException(URI tokenEndpoint, Integer status, String errorCode, boolean transientFailure, String message,
            Throwable cause) {
        super(message, cause);
        this.tokenEndpoint = tokenEndpoint;
        this.status = status;
        this.errorCode = errorCode;
        this.transientFailure = transientFailure;
    }

    public URI tokenEndpoint() {
        return tokenEndpoint;
    }

    /** The token endpoint's HTTP status, or null when it did not answer. */
    public Integer status() {
        return status;
    }

    /** The OAuth {@code error} code ({@code invalid_client}, ...), or null when the endpoint sent none. */
    public String errorCode() {
        return errorCode;
    }

    /** Worth another attempt later: no answer, 408, 429 or 5xx. */
    public boolean isTransient() {
        return transientFailure;
    }
}
