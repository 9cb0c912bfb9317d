package io.learnbridge.delivery;

import static com.github.tomakehurst.wiremock.client.WireMock.aResponse;
import static com.github.tomakehurst.wiremock.client.WireMock.post;
import static com.github.tomakehurst.wiremock.client.WireMock.urlPathEqualTo;
import static com.github.tomakehurst.wiremock.core.WireMockConfiguration.wireMockConfig;
import static org.assertj.core.api.Assertions.assertThat;

import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.node.ObjectNode;
import com.github.tomakehurst.wiremock.WireMockServer;
import io.learnbridge.delivery.lrs.XapiClient;
import io.learnbridge.delivery.moodle.MoodleResponses;
import io.learnbridge.delivery.scim.ScimClient;
import java.io.IOException;
import java.net.URI;
import java.time.Duration;
import java.util.List;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.CsvSource;
import org.junit.jupiter.api.Test;

/** The one classifier of a target's failures (#13 item 5), and that every adapter answers as it says. */
class TargetFailureTest {

    @ParameterizedTest(name = "HTTP {0} -> {1}")
    @CsvSource({
            "408, RETRY", "429, RETRY", "500, RETRY", "502, RETRY", "503, RETRY", "504, RETRY", "599, RETRY",
            "401, CREDENTIALS", "403, CREDENTIALS",
            "400, REJECT", "404, REJECT", "409, REJECT", "410, REJECT", "413, REJECT", "422, REJECT", "301, REJECT"})
    void everyStatusHasOneKindForEveryAdapter(int status, TargetFailure kind) {
        assertThat(TargetFailure.of(status)).isEqualTo(kind);
        boolean retry = kind == TargetFailure.RETRY;
        assertThat(new ScimClient.Reply(status, null, "", null).isTransient()).as("SCIM").isEqualTo(retry);
        assertThat(new ScimClient.Reply(status, null, "", null).refusedCredentials()).as("SCIM credentials").isEqualTo(kind == TargetFailure.CREDENTIALS);
        MoodleResponses.Answer moodle = MoodleResponses.classify(status, "");
        assertThat(moodle instanceof MoodleResponses.Failure f && f.severity().retryable()).as("Moodle").isEqualTo(retry);
    }

    @Test
    void noAnswerIsRetriedAndOnly401And403AreCredentials() {
        assertThat(TargetFailure.of((Integer) null)).isEqualTo(TargetFailure.RETRY);
        assertThat(TargetFailure.credentials(null)).isFalse();
        assertThat(List.of(401, 403)).allMatch(TargetFailure::credentials);
        assertThat(List.of(400, 404, 407, 500)).noneMatch(TargetFailure::credentials);
    }

    @Test
    void onlyAnswersAboutTheWholeServiceStopTheRestOfABatch() {
        assertThat(List.of(429, 502, 503, 504)).allMatch(TargetFailure::serviceUnavailable);
        assertThat(TargetFailure.serviceUnavailable(null)).isTrue();
        assertThat(List.of(408, 500, 400, 401)).noneMatch(TargetFailure::serviceUnavailable);
    }

    /** Before the one classifier, a 408 from the LRS was queued as refused while every other target retried it. */
    @Test
    void anLrsThatTimesTheRequestOutIsTriedAgainLikeEveryOtherTarget() throws IOException {
        WireMockServer lrs = new WireMockServer(wireMockConfig().dynamicPort().bindAddress("127.0.0.1"));
        lrs.start();
        try {
            lrs.stubFor(post(urlPathEqualTo("/xapi/statements")).willReturn(aResponse().withStatus(408).withBody("request timeout")));
            ObjectNode statement = new ObjectMapper().createObjectNode().put("id", "6f1c7a30-3a5e-4d5c-9a53-2f1f0b0c0d01");
            try (XapiClient client = new XapiClient(new XapiClient.Config(URI.create(lrs.baseUrl() + "/xapi/statements"), "1.0.3",
                    "Basic dGVzdDp0ZXN0", Duration.ofSeconds(5)))) {
                assertThat(client.send(List.of(statement)).values()).singleElement().isInstanceOf(XapiClient.Transient.class);
            }
        } finally {
            lrs.stop();
        }
    }
}
