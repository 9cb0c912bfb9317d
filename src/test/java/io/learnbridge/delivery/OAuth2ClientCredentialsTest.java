package io.learnbridge.delivery;

import static com.github.tomakehurst.wiremock.client.WireMock.absent;
import static com.github.tomakehurst.wiremock.client.WireMock.aResponse;
import static com.github.tomakehurst.wiremock.client.WireMock.equalTo;
import static com.github.tomakehurst.wiremock.client.WireMock.post;
import static com.github.tomakehurst.wiremock.client.WireMock.postRequestedFor;
import static com.github.tomakehurst.wiremock.client.WireMock.urlPathEqualTo;
import static com.github.tomakehurst.wiremock.core.WireMockConfiguration.wireMockConfig;
import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.catchThrowableOfType;

import com.github.tomakehurst.wiremock.WireMockServer;
import com.github.tomakehurst.wiremock.http.Fault;
import io.learnbridge.delivery.OAuth2ClientCredentials.ClientAuthMethod;
import java.net.URI;
import java.nio.charset.StandardCharsets;
import java.time.Clock;
import java.time.Duration;
import java.time.Instant;
import java.time.ZoneId;
import java.time.ZoneOffset;
import java.util.ArrayList;
import java.util.Base64;
import java.util.List;
import java.util.concurrent.Callable;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicReference;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;

/** {@link OAuth2ClientCredentials} against a real HTTP token endpoint (WireMock) and a clock the test moves. */
class OAuth2ClientCredentialsTest {

    private static final String TOKEN_PATH = "/oauth2/token";
    private static final String CLIENT_ID = "learnbridge";
    private static final String SECRET = "s3cret-Value-42";

    WireMockServer idp;
    MovableClock clock;

    @BeforeEach
    void startTokenEndpoint() {
        idp = new WireMockServer(wireMockConfig().dynamicPort().bindAddress("127.0.0.1"));
        idp.start();
        clock = new MovableClock(Instant.parse("2026-01-01T08:00:00Z"));
    }

    @AfterEach
    void stopTokenEndpoint() {
        idp.stop();
    }

    @Test
    void tokenIsFetchedOnceAndSharedAcrossCallsAndThreads() throws Exception {
        issue("tok-1", 3600);
        OAuth2ClientCredentials credentials = credentials("scim.write");

        List<Callable<String>> calls = new ArrayList<>();
        for (int i = 0; i < 200; i++) {
            calls.add(credentials::authorizationHeader);
        }
        ExecutorService pool = Executors.newFixedThreadPool(8);
        List<String> headers = new ArrayList<>();
        try {
            for (Future<String> header : pool.invokeAll(calls, 30, TimeUnit.SECONDS)) {
                headers.add(header.get());
            }
        } finally {
            pool.shutdownNow();
        }

        assertThat(headers).hasSize(200).containsOnly("Bearer tok-1");
        assertThat(credentials.authorizationHeader()).isEqualTo("Bearer tok-1");
        idp.verify(1, postRequestedFor(urlPathEqualTo(TOKEN_PATH)));
    }

    @Test
    void requestSendsBasicClientCredentialsTheGrantTypeAndTheScope() {
        issue("tok-1", 3600);

        credentials("scim.read scim.write").authorizationHeader();

        String basic = Base64.getEncoder().encodeToString((CLIENT_ID + ":" + SECRET).getBytes(StandardCharsets.UTF_8));
        idp.verify(1, postRequestedFor(urlPathEqualTo(TOKEN_PATH))
                .withHeader("Authorization", equalTo("Basic " + basic))
                .withHeader("Content-Type", equalTo("application/x-www-form-urlencoded; charset=UTF-8"))
                .withFormParam("grant_type", equalTo("client_credentials"))
                .withFormParam("scope", equalTo("scim.read scim.write"))
                .withFormParam("client_secret", absent()));
    }

    @Test
    void clientSecretPostSendsTheCredentialsInTheBodyAndNoAuthorizationHeader() {
        issue("tok-1", 3600);
        OAuth2ClientCredentials credentials = new OAuth2ClientCredentials(endpoint(), CLIENT_ID, SECRET, null,
                Duration.ofSeconds(5), ClientAuthMethod.CLIENT_SECRET_POST);

        assertThat(credentials.authorizationHeader()).isEqualTo("Bearer tok-1");

        idp.verify(1, postRequestedFor(urlPathEqualTo(TOKEN_PATH))
                .withHeader("Authorization", absent())
                .withFormParam("grant_type", equalTo("client_credentials"))
                .withFormParam("client_id", equalTo(CLIENT_ID))
                .withFormParam("client_secret", equalTo(SECRET))
                .withFormParam("scope", absent()));
    }

    @Test
    void tokenIsRefreshedThirtySecondsBeforeItExpires() {
        issue("tok-1", 3600);
        OAuth2ClientCredentials credentials = credentials(null);
        assertThat(credentials.authorizationHeader()).isEqualTo("Bearer tok-1");
        issue("tok-2", 3600);

        clock.advance(Duration.ofSeconds(3569));
        assertThat(credentials.authorizationHeader()).isEqualTo("Bearer tok-1");
        idp.verify(1, postRequestedFor(urlPathEqualTo(TOKEN_PATH)));

        clock.advance(Duration.ofSeconds(1));
        assertThat(credentials.authorizationHeader()).isEqualTo("Bearer tok-2");
        assertThat(credentials.authorizationHeader()).isEqualTo("Bearer tok-2");
        idp.verify(2, postRequestedFor(urlPathEqualTo(TOKEN_PATH)));
    }

    @Test
    void shortLivedTokenIsKeptForHalfItsLifetimeRatherThanFetchedOnEveryCall() {
        issue("tok-1", 31);
        OAuth2ClientCredentials credentials = credentials(null);
        assertThat(credentials.authorizationHeader()).isEqualTo("Bearer tok-1");
        issue("tok-2", 31);

        clock.advance(Duration.ofSeconds(15));
        assertThat(credentials.authorizationHeader()).isEqualTo("Bearer tok-1");
        clock.advance(Duration.ofSeconds(1));
        assertThat(credentials.authorizationHeader()).isEqualTo("Bearer tok-2");
        idp.verify(2, postRequestedFor(urlPathEqualTo(TOKEN_PATH)));
    }

    @Test
    void tokenWithoutExpiresInIsKeptUntilInvalidated() {
        issue("tok-1", null);
        OAuth2ClientCredentials credentials = credentials(null);
        assertThat(credentials.authorizationHeader()).isEqualTo("Bearer tok-1");
        issue("tok-2", null);

        clock.advance(Duration.ofDays(30));
        assertThat(credentials.authorizationHeader()).isEqualTo("Bearer tok-1");
        idp.verify(1, postRequestedFor(urlPathEqualTo(TOKEN_PATH)));

        credentials.invalidate();
        assertThat(credentials.authorizationHeader()).isEqualTo("Bearer tok-2");
        idp.verify(2, postRequestedFor(urlPathEqualTo(TOKEN_PATH)));
    }

    @Test
    void invalidatedTokenIsFetchedAgainOnNextUse() {
        issue("tok-1", 3600);
        OAuth2ClientCredentials credentials = credentials(null);
        assertThat(credentials.authorizationHeader()).isEqualTo("Bearer tok-1");
        issue("tok-2", 3600);

        credentials.invalidate();

        assertThat(credentials.authorizationHeader()).isEqualTo("Bearer tok-2");
        idp.verify(2, postRequestedFor(urlPathEqualTo(TOKEN_PATH)));
    }

    @Test
    void invalidatingAnOlderHeaderKeepsTheTokenFetchedSince() {
        issue("tok-1", 3600);
        OAuth2ClientCredentials credentials = credentials(null);
        String rejected = credentials.authorizationHeader();
        issue("tok-2", 3600);
        credentials.invalidate(rejected);
        assertThat(credentials.authorizationHeader()).isEqualTo("Bearer tok-2");

        credentials.invalidate(rejected); // a second call refused with tok-1 comes late

        assertThat(credentials.authorizationHeader()).isEqualTo("Bearer tok-2");
        idp.verify(2, postRequestedFor(urlPathEqualTo(TOKEN_PATH)));
    }

    @Test
    void invalidClientIsNotTransientAndNamesEndpointAndErrorButNotTheSecret() {
        idp.stubFor(post(urlPathEqualTo(TOKEN_PATH)).willReturn(aResponse().withStatus(401)
                .withHeader("Content-Type", "application/json").withHeader("WWW-Authenticate", "Basic realm=\"idp\"")
                .withBody("{\"error\":\"invalid_client\",\"error_description\":\"Client authentication failed\"}")));

        OAuth2TokenException failure = catchThrowableOfType(OAuth2TokenException.class, () -> credentials(null).authorizationHeader());

        assertThat(failure.isTransient()).isFalse();
        assertThat(failure.status()).isEqualTo(401);
        assertThat(failure.errorCode()).isEqualTo("invalid_client");
        assertThat(failure.tokenEndpoint()).isEqualTo(endpoint());
        assertThat(failure.getMessage()).contains(endpoint().toString(), "401", "invalid_client", "Client authentication failed")
                .doesNotContain(SECRET);
    }

    @Test
    void secretEchoedByTheTokenEndpointIsMaskedInTheMessage() {
        idp.stubFor(post(urlPathEqualTo(TOKEN_PATH)).willReturn(aResponse().withStatus(400)
                .withHeader("Content-Type", "application/json")
                .withBody("{\"error\":\"invalid_request\",\"error_description\":\"bad secret " + SECRET + "\"}")));

        OAuth2TokenException failure = catchThrowableOfType(OAuth2TokenException.class, () -> credentials(null).authorizationHeader());

        assertThat(failure.isTransient()).isFalse();
        assertThat(failure.errorCode()).isEqualTo("invalid_request");
        assertThat(failure.getMessage()).contains("invalid_request").doesNotContain(SECRET);
    }

    @Test
    void unavailableTokenEndpointIsTransientAndTheNextCallTriesAgain() {
        idp.stubFor(post(urlPathEqualTo(TOKEN_PATH)).willReturn(aResponse().withStatus(503)
                .withHeader("Content-Type", "text/html").withBody("<html>maintenance</html>")));
        OAuth2ClientCredentials credentials = credentials(null);

        OAuth2TokenException failure = catchThrowableOfType(OAuth2TokenException.class, credentials::authorizationHeader);

        assertThat(failure.isTransient()).isTrue();
        assertThat(failure.status()).isEqualTo(503);
        assertThat(failure.getMessage()).contains(endpoint().toString(), "503").doesNotContain(SECRET);

        issue("tok-1", 3600);
        assertThat(credentials.authorizationHeader()).isEqualTo("Bearer tok-1");
    }

    @Test
    void rateLimitedTokenRequestIsTransient() {
        idp.stubFor(post(urlPathEqualTo(TOKEN_PATH)).willReturn(aResponse().withStatus(429).withHeader("Retry-After", "5")));

        OAuth2TokenException failure = catchThrowableOfType(OAuth2TokenException.class, () -> credentials(null).authorizationHeader());

        assertThat(failure.isTransient()).isTrue();
        assertThat(failure.status()).isEqualTo(429);
    }

    @Test
    void noAnswerIsTransientWithoutStatus() {
        idp.stubFor(post(urlPathEqualTo(TOKEN_PATH)).willReturn(aResponse().withFault(Fault.CONNECTION_RESET_BY_PEER)));

        OAuth2TokenException failure = catchThrowableOfType(OAuth2TokenException.class, () -> credentials(null).authorizationHeader());

        assertThat(failure.isTransient()).isTrue();
        assertThat(failure.status()).isNull();
        assertThat(failure.getMessage()).contains(endpoint().toString(), "no answer").doesNotContain(SECRET);
    }

    @Test
    void nonBearerTokenIsRefusedNotTransient() {
        idp.stubFor(post(urlPathEqualTo(TOKEN_PATH)).willReturn(aResponse().withStatus(200).withHeader("Content-Type", "application/json")
                .withBody("{\"access_token\":\"tok-1\",\"token_type\":\"DPoP\",\"expires_in\":3600}")));

        OAuth2TokenException failure = catchThrowableOfType(OAuth2TokenException.class, () -> credentials(null).authorizationHeader());

        assertThat(failure.isTransient()).isFalse();
        assertThat(failure.getMessage()).contains(endpoint().toString(), "DPoP");
    }

    private OAuth2ClientCredentials credentials(String scope) {
        return new OAuth2ClientCredentials(endpoint(), CLIENT_ID, SECRET, scope, Duration.ofSeconds(5),
                ClientAuthMethod.CLIENT_SECRET_BASIC, OAuth2ClientCredentials.DEFAULT_SKEW, clock);
    }

    private URI endpoint() {
        return URI.create(idp.baseUrl() + TOKEN_PATH);
    }

    /** From now on the token endpoint issues {@code token} (the newest stub wins). */
    private void issue(String token, Integer expiresIn) {
        String body = "{\"access_token\":\"" + token + "\",\"token_type\":\"Bearer\""
                + (expiresIn == null ? "" : ",\"expires_in\":" + expiresIn) + "}";
        idp.stubFor(post(urlPathEqualTo(TOKEN_PATH)).willReturn(aResponse().withStatus(200)
                .withHeader("Content-Type", "application/json").withHeader("Cache-Control", "no-store").withBody(body)));
    }

    /** A clock the test moves by hand, so expiry is tested without waiting. */
    private static final class MovableClock extends Clock {

        private final AtomicReference<Instant> now;

        MovableClock(Instant start) {
            this.now = new AtomicReference<>(start);
        }

        void advance(Duration duration) {
            now.updateAndGet(instant -> instant.plus(duration));
        }

        @Override
        public Instant instant() {
            return now.get();
        }

        @Override
        public ZoneId getZone() {
            return ZoneOffset.UTC;
        }

        @Override
        public Clock withZone(ZoneId zone) {
            return this;
        }
    }
}
