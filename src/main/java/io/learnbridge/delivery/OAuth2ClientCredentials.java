package io.learnbridge.delivery;

import com.nimbusds.oauth2.sdk.AccessTokenResponse;
import com.nimbusds.oauth2.sdk.ClientCredentialsGrant;
import com.nimbusds.oauth2.sdk.ErrorObject;
import com.nimbusds.oauth2.sdk.ParseException;
import com.nimbusds.oauth2.sdk.Scope;
import com.nimbusds.oauth2.sdk.TokenRequest;
import com.nimbusds.oauth2.sdk.TokenResponse;
import com.nimbusds.oauth2.sdk.auth.ClientAuthentication;
import com.nimbusds.oauth2.sdk.auth.ClientSecretBasic;
import com.nimbusds.oauth2.sdk.auth.ClientSecretPost;
import com.nimbusds.oauth2.sdk.auth.Secret;
import com.nimbusds.oauth2.sdk.http.HTTPRequest;
import com.nimbusds.oauth2.sdk.http.HTTPResponse;
import com.nimbusds.oauth2.sdk.id.ClientID;
import com.nimbusds.oauth2.sdk.token.BearerAccessToken;
import java.io.IOException;
import java.net.URI;
import java.time.Clock;
import java.time.Duration;
import java.time.Instant;
import java.util.Objects;
import java.util.concurrent.locks.ReentrantLock;

/**
 * An access token for a target that authenticates with the OAuth 2.0 client credentials grant
 * (RFC 6749 §4.4), e.g. a SCIM service provider or a REST JSON target. The token request and its
 * answer are the Nimbus OAuth 2.0 SDK's ({@link ClientCredentialsGrant}, {@link TokenRequest},
 * {@link TokenResponse#parse(HTTPResponse)}); this class only caches.
 *
 * <p>{@link #authorizationHeader()} returns {@code Bearer <token>}, fetching a token on first use and
 * whenever the cached one is about to expire: {@code expires_in} minus a skew of 30 s (at most half
 * the lifetime, so a short-lived token is not fetched on every call); a token without
 * {@code expires_in} is kept until {@link #invalidate()}. A caller whose target answers 401
 * invalidates and retries once. Thread-safe: one token request at a time, the others wait for it.
 *
 * <p>Failures are {@link OAuth2TokenException}s naming the endpoint and the OAuth error, transient
 * or not. The secret is sent to the token endpoint only, and appears in no message or log.
 */
public final class OAuth2ClientCredentials {

    /** How the client authenticates at the token endpoint (RFC 6749 §2.3.1). */
    public enum ClientAuthMethod {
        /** HTTP Basic with the client id and secret, the method every server must support. */
        CLIENT_SECRET_BASIC,
        /** {@code client_id} and {@code client_secret} in the form body. */
        CLIENT_SECRET_POST
    }

    static final Duration DEFAULT_SKEW = Duration.ofSeconds(30);

    /** A cached header; {@code refreshAt} null means until invalidated. */
    private record Token(String header, Instant refreshAt) {

        boolean usableAt(Instant now) {
            return refreshAt == null || now.isBefore(refreshAt);
        }
    }

    private final URI tokenEndpoint;
    private final ClientAuthentication clientAuth;
    private final String secret;
    private final Scope scope;
    private final int timeoutMillis;
    private final Duration skew;
    private final Clock clock;
    private final ReentrantLock fetching = new ReentrantLock();
    private volatile Token current;

    /** Client secret in an HTTP Basic header; {@code scope} may be null (the server's default scope). */
    public OAuth2ClientCredentials(URI tokenEndpoint, String clientId, String clientSecret, String scope, Duration timeout) {
        this(tokenEndpoint, clientId, clientSecret, scope, timeout, ClientAuthMethod.CLIENT_SECRET_BASIC);
    }

    public OAuth2ClientCredentials(URI tokenEndpoint, String clientId, String clientSecret, String scope, Duration timeout,
            ClientAuthMethod method) {
        this(tokenEndpoint, clientId, clientSecret, scope, timeout, method, DEFAULT_SKEW, Clock.systemUTC());
    }

    OAuth2ClientCredentials(URI tokenEndpoint, String clientId, String clientSecret, String scope, Duration timeout,
            ClientAuthMethod method, Duration skew, Clock clock) {
        this.tokenEndpoint = Objects.requireNonNull(tokenEndpoint, "tokenEndpoint");
        if (clientId == null || clientId.isBlank()) {
            throw new IllegalArgumentException("OAuth 2.0 client id for " + tokenEndpoint + " is blank");
        }
        if (clientSecret == null || clientSecret.isEmpty()) {
            throw new IllegalArgumentException("OAuth 2.0 client secret for " + tokenEndpoint + " is empty");
        }
        if (timeout == null || timeout.isNegative() || timeout.isZero()) {
            throw new IllegalArgumentException("OAuth 2.0 token request timeout for " + tokenEndpoint + " must be positive, found " + timeout);
        }
        Secret secretValue = new Secret(clientSecret);
        this.clientAuth = switch (Objects.requireNonNull(method, "method")) {
            case CLIENT_SECRET_BASIC -> new ClientSecretBasic(new ClientID(clientId), secretValue);
            case CLIENT_SECRET_POST -> new ClientSecretPost(new ClientID(clientId), secretValue);
        };
        this.secret = clientSecret;
        this.scope = scope == null || scope.isBlank() ? null : Scope.parse(scope);
        this.timeoutMillis = (int) Math.min(Integer.MAX_VALUE, timeout.toMillis());
        this.skew = Objects.requireNonNull(skew, "skew");
        this.clock = Objects.requireNonNull(clock, "clock");
    }

    /**
     * {@code Bearer <token>} for the target's Authorization header: the cached token, or a new one.
     *
     * @throws OAuth2TokenException when the token endpoint gives none
     */
    public String authorizationHeader() {
        Token token = current;
        if (token != null && token.usableAt(clock.instant())) {
            return token.header();
        }
        fetching.lock();
        try {
            token = current;
            if (token == null || !token.usableAt(clock.instant())) {
                token = fetch();
                current = token;
            }
            return token.header();
        } finally {
            fetching.unlock();
        }
    }

    /** Drops the cached token, so that the next {@link #authorizationHeader()} fetches a fresh one (after a 401). */
    public void invalidate() {
        current = null;
    }

    /**
     * Drops the cached token only if it is still {@code rejectedHeader}: when several calls were
     * refused with the same token, the first one's refetch is not thrown away by the others.
     */
    public void invalidate(String rejectedHeader) {
        Token token = current;
        if (token != null && token.header().equals(rejectedHeader)) {
            fetching.lock();
            try {
                if (current == token) {
                    current = null;
                }
            } finally {
                fetching.unlock();
            }
        }
    }

    public URI tokenEndpoint() {
        return tokenEndpoint;
    }

    private Token fetch() {
        Instant requestedAt = clock.instant();
        HTTPRequest request = new TokenRequest(tokenEndpoint, clientAuth, new ClientCredentialsGrant(), scope).toHTTPRequest();
        request.setConnectTimeout(timeoutMillis);
        request.setReadTimeout(timeoutMillis);
        request.setFollowRedirects(false);
        HTTPResponse response;
        try {
            response = request.send();
        } catch (IOException e) {
            throw failure(null, null, true, "gave no answer (" + e.getClass().getSimpleName() + ": " + e.getMessage() + ")", e);
        }
        int status = response.getStatusCode();
        TokenResponse parsed;
        try {
            parsed = TokenResponse.parse(response);
        } catch (ParseException e) {
            throw failure(status, null, transientStatus(status), "answered HTTP " + status + " that is not an OAuth 2.0 token response ("
                    + e.getMessage() + ")", e);
        }
        if (!parsed.indicatesSuccess()) {
            ErrorObject error = parsed.toErrorResponse().getErrorObject();
            String code = error == null ? null : error.getCode();
            StringBuilder what = new StringBuilder("refused the token request: HTTP ").append(status);
            if (code != null) {
                what.append(' ').append(code);
            }
            if (error != null && error.getDescription() != null) {
                what.append(": ").append(error.getDescription());
            }
            throw failure(status, code, transientStatus(status), what.toString(), null);
        }
        AccessTokenResponse success = parsed.toSuccessResponse();
        BearerAccessToken bearer = success.getTokens().getBearerAccessToken();
        if (bearer == null) {
            throw failure(status, null, false, "issued a token of type " + success.getTokens().getAccessToken().getType()
                    + ", not Bearer", null);
        }
        return new Token(bearer.toAuthorizationHeader(), refreshAt(requestedAt, bearer.getLifetime()));
    }

    /** {@code expires_in} (seconds, 0 when absent) less the skew, the skew being at most half the lifetime. */
    private Instant refreshAt(Instant requestedAt, long lifetimeSeconds) {
        if (lifetimeSeconds <= 0) {
            return null;
        }
        Duration lifetime = Duration.ofSeconds(lifetimeSeconds);
        Duration margin = skew.compareTo(lifetime.dividedBy(2)) > 0 ? lifetime.dividedBy(2) : skew;
        return requestedAt.plus(lifetime).minus(margin);
    }

    private static boolean transientStatus(int status) {
        return TargetFailure.retryable(status);
    }

    private OAuth2TokenException failure(Integer status, String code, boolean transientFailure, String what, Throwable cause) {
        // A token endpoint may echo a form field back; the secret never goes into a message.
        String message = ("OAuth 2.0 token endpoint " + tokenEndpoint + " " + what).replace(secret, "[client secret]");
        return new OAuth2TokenException(tokenEndpoint, status, code, transientFailure, message, cause);
    }

    @Override
    public String toString() {
        return "OAuth2ClientCredentials[" + tokenEndpoint + ", client " + clientAuth.getClientID() + "]";
    }
}
