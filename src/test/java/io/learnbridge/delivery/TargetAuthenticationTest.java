package io.learnbridge.delivery;

import static com.github.tomakehurst.wiremock.client.WireMock.aResponse;
import static com.github.tomakehurst.wiremock.client.WireMock.containing;
import static com.github.tomakehurst.wiremock.client.WireMock.equalTo;
import static com.github.tomakehurst.wiremock.client.WireMock.post;
import static com.github.tomakehurst.wiremock.client.WireMock.postRequestedFor;
import static com.github.tomakehurst.wiremock.client.WireMock.put;
import static com.github.tomakehurst.wiremock.client.WireMock.putRequestedFor;
import static com.github.tomakehurst.wiremock.client.WireMock.urlPathEqualTo;
import static com.github.tomakehurst.wiremock.client.WireMock.urlPathMatching;
import static com.github.tomakehurst.wiremock.core.WireMockConfiguration.wireMockConfig;
import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

import com.github.tomakehurst.wiremock.WireMockServer;
import io.learnbridge.store.Reconciliation;
import io.learnbridge.testing.Bridge;
import io.learnbridge.testing.HrCsv;
import java.nio.file.Path;
import java.time.Duration;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** Target authentication from settings: a bearer token, or OAuth 2.0 client credentials. */
class TargetAuthenticationTest {

    @TempDir
    Path home;

    WireMockServer lms;

    @BeforeEach
    void startLms() {
        lms = new WireMockServer(wireMockConfig().dynamicPort().bindAddress("127.0.0.1"));
        lms.start();
        lms.stubFor(put(urlPathMatching("/lms/users/.*")).willReturn(aResponse().withStatus(401)));
    }

    @AfterEach
    void stopLms() {
        lms.stop();
    }

    @Test
    void theConfiguredBearerTokenIsSentWithEveryUpsert() throws Exception {
        lms.stubFor(put(urlPathMatching("/lms/users/.*")).withHeader("Authorization", equalTo("Bearer s3cret-token"))
                .atPriority(1).willReturn(aResponse().withStatus(204)));
        try (Bridge bridge = Bridge.builder(home)
                .property("learnbridge.targets.lms.url", lms.baseUrl() + "/lms/users")
                .property("learnbridge.targets.lms.token", "s3cret-token").start()) {
            bridge.drop("auth.csv", HrCsv.create().workers(1, 3).build());
            awaitDelivered(bridge, 1, 3);
        }
        lms.verify(3, putRequestedFor(urlPathMatching("/lms/users/.*")).withHeader("Authorization", equalTo("Bearer s3cret-token")));
    }

    @Test
    void oauth2ClientCredentialsAreExchangedForATokenThatIsSentWithEveryUpsert() throws Exception {
        lms.stubFor(post(urlPathEqualTo("/oauth/token")).withRequestBody(containing("grant_type=client_credentials"))
                .willReturn(aResponse().withStatus(200).withHeader("Content-Type", "application/json")
                        .withBody("{\"access_token\":\"tok-123\",\"token_type\":\"Bearer\",\"expires_in\":3600}")));
        lms.stubFor(put(urlPathMatching("/lms/users/.*")).withHeader("Authorization", equalTo("Bearer tok-123"))
                .atPriority(1).willReturn(aResponse().withStatus(200)));
        try (Bridge bridge = Bridge.builder(home)
                .property("learnbridge.targets.lms.url", lms.baseUrl() + "/lms/users")
                .property("learnbridge.targets.lms.oauth2.clientId", "learnbridge")
                .property("learnbridge.targets.lms.oauth2.clientSecret", "client-secret")
                .property("learnbridge.targets.lms.oauth2.tokenEndpoint", lms.baseUrl() + "/oauth/token").start()) {
            bridge.drop("oauth.csv", HrCsv.create().workers(1, 3).build());
            awaitDelivered(bridge, 1, 3);
            int tokens = tokenRequests();
            // camel-http 4.17 keys its token cache by request URI, and the upsert URI ends with the
            // worker id: a worker seen before reuses its cached token.
            bridge.drop("oauth-changed.csv", HrCsv.create()
                    .row(HrCsv.id(1), "Given1", "Family1", "worker1@example.com", "", "ENG-2", "Senior Engineer", "London", "Engineering", "A", "01/15/2020")
                    .row(HrCsv.id(2), "Given2", "Family2", "worker2@example.com", "", "ENG-2", "Senior Engineer", "London", "Engineering", "A", "01/15/2020")
                    .row(HrCsv.id(3), "Given3", "Family3", "worker3@example.com", "", "ENG-2", "Senior Engineer", "London", "Engineering", "A", "01/15/2020")
                    .build());
            awaitDelivered(bridge, 2, 3);
            assertThat(tokenRequests()).as("token requests for workers already seen").isEqualTo(tokens);
        }
        lms.verify(6, putRequestedFor(urlPathMatching("/lms/users/.*")).withHeader("Authorization", equalTo("Bearer tok-123")));
    }

    private int tokenRequests() {
        return lms.countRequestsMatching(postRequestedFor(urlPathEqualTo("/oauth/token")).build()).getCount();
    }

    private static void awaitDelivered(Bridge bridge, long drop, int n) {
        await().atMost(Duration.ofSeconds(30)).until(() -> new Reconciliation(bridge.store()).forDrop(drop)
                .map(r -> r.settled() && r.targets().get(0).delivered() == n).orElse(false));
    }
}
