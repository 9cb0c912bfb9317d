package io.learnbridge.event.webhook;

import static java.nio.charset.StandardCharsets.UTF_8;
import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.time.Duration;
import java.time.Instant;
import java.util.Arrays;
import java.util.Base64;
import java.util.HashMap;
import java.util.HexFormat;
import java.util.List;
import java.util.Map;
import javax.crypto.Mac;
import javax.crypto.spec.SecretKeySpec;
import org.assertj.core.api.AbstractThrowableAssert;
import org.junit.jupiter.api.Nested;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;

class WebhookVerifiersTest {

    private static final Instant NOW = Instant.ofEpochSecond(1_700_000_000L);
    private static final byte[] BODY = "{\"event\":\"employee.updated\",\"id\":\"E42\"}".getBytes(UTF_8);

    /** Headers given as name, value pairs; the lookup ignores case like an HTTP server's would. */
    private static WebhookRequest request(byte[] body, String... nameValues) {
        Map<String, String> headers = new HashMap<>();
        for (int i = 0; i < nameValues.length; i += 2) {
            headers.put(nameValues[i], nameValues[i + 1]);
        }
        return WebhookRequest.of(body, headers);
    }

    /** The test's own HMAC, independent of the production helper, for the cases beyond the vectors. */
    private static byte[] hmac(String algorithm, byte[] key, byte[]... parts) throws Exception {
        Mac mac = Mac.getInstance(algorithm);
        mac.init(new SecretKeySpec(key, algorithm));
        for (byte[] part : parts) {
            mac.update(part);
        }
        return mac.doFinal();
    }

    private static byte[] oneByteChanged(byte[] body) {
        byte[] changed = Arrays.copyOf(body, body.length);
        changed[changed.length - 2] ^= 0x01;
        return changed;
    }

    private static AbstractThrowableAssert<?, ? extends Throwable> assertRejected(
            WebhookVerifier verifier, WebhookRequest request, int status) {
        return assertThatThrownBy(() -> verifier.verify(request, NOW))
                .isInstanceOfSatisfying(WebhookRejectedException.class, e -> assertThat(e.status()).isEqualTo(status));
    }

    @Nested
    class StandardWebhooks {

        // Key bytes are base64 of "whsec_" remainder, i.e. plain UTF-8 "k-old"/"k-new" for readability.
        private final String oldSecret = "whsec_" + Base64.getEncoder().encodeToString("k-old".getBytes(UTF_8));
        private final String newSecret = "whsec_" + Base64.getEncoder().encodeToString("k-new".getBytes(UTF_8));
        private final WebhookVerifier verifier = new StandardWebhooksVerifier(List.of(oldSecret, newSecret));

        private String sign(String key, String id, long timestamp, byte[] body) throws Exception {
            byte[] mac = hmac("HmacSHA256", key.getBytes(UTF_8), (id + "." + timestamp + ".").getBytes(UTF_8), body);
            return "v1," + Base64.getEncoder().encodeToString(mac);
        }

        private WebhookRequest signed(String key, long timestamp, byte[] body) throws Exception {
            return request(body, "webhook-id", "msg_1", "webhook-timestamp", Long.toString(timestamp),
                    "webhook-signature", sign(key, "msg_1", timestamp, body));
        }

        @Test
        void knownAnswerVectorOfTheSpecVerifiesAndYieldsTheWebhookIdAsEventId() {
            // Standard Webhooks' published example; recomputed independently with:
            //   KEY=$(echo -n MfKQ9r8GKYqrTwjUPD8ILPZIo2LaLaSw | base64 -d | xxd -p -c 256)
            //   printf '%s' 'msg_p5jXN8AQM9LWM0D4loKWxJek.1614265330.{"test": 2432232314}' \
            //     | openssl dgst -sha256 -mac HMAC -macopt hexkey:$KEY -binary | base64
            WebhookVerifier spec = new StandardWebhooksVerifier(List.of("whsec_MfKQ9r8GKYqrTwjUPD8ILPZIo2LaLaSw"));
            WebhookRequest request = request("{\"test\": 2432232314}".getBytes(UTF_8),
                    "Webhook-Id", "msg_p5jXN8AQM9LWM0D4loKWxJek",
                    "Webhook-Timestamp", "1614265330",
                    "Webhook-Signature", "v1,g0hM9SsE+OTPJTGt/tmIKtSyZlE3uFJELVlNIOLJ1OE=");

            assertThat(spec.verify(request, Instant.ofEpochSecond(1614265330L))).contains("msg_p5jXN8AQM9LWM0D4loKWxJek");
        }

        @Test
        void validSignatureYieldsTheWebhookId() throws Exception {
            assertThat(verifier.verify(signed("k-new", NOW.getEpochSecond(), BODY), NOW)).contains("msg_1");
        }

        @ParameterizedTest
        @ValueSource(strings = {"webhook-id", "webhook-timestamp", "webhook-signature"})
        void missingHeaderIsUnauthorizedAndNamed(String missing) throws Exception {
            Map<String, String> headers = new HashMap<>(Map.of("webhook-id", "msg_1",
                    "webhook-timestamp", Long.toString(NOW.getEpochSecond()),
                    "webhook-signature", sign("k-new", "msg_1", NOW.getEpochSecond(), BODY)));
            headers.remove(missing);

            assertRejected(verifier, WebhookRequest.of(BODY, headers), 401).hasMessage("missing header " + missing);
        }

        @ParameterizedTest
        @ValueSource(strings = {"1700000000.5", "-1700000000", "soon", "99999999999999999999"})
        void nonNumericTimestampIsMalformed(String timestamp) throws Exception {
            WebhookRequest request = request(BODY, "webhook-id", "msg_1", "webhook-timestamp", timestamp,
                    "webhook-signature", sign("k-new", "msg_1", NOW.getEpochSecond(), BODY));

            assertRejected(verifier, request, 401).hasMessage("malformed webhook-timestamp");
        }

        @ParameterizedTest
        @ValueSource(strings = {"g0hM9SsE+OTPJTGt/tmIKtSyZlE3uFJELVlNIOLJ1OE=", "v1,", ",abc", "v1,not*base64!"})
        void signatureEntryThatIsNotVersionCommaBase64IsMalformed(String signature) {
            WebhookRequest request = request(BODY, "webhook-id", "msg_1",
                    "webhook-timestamp", Long.toString(NOW.getEpochSecond()), "webhook-signature", signature);

            assertRejected(verifier, request, 401).hasMessage("malformed webhook-signature");
        }

        @Test
        void wrongSecretIsUnauthorized() throws Exception {
            assertRejected(verifier, signed("k-other", NOW.getEpochSecond(), BODY), 401).hasMessage("no matching signature");
        }

        @Test
        void bodyChangedByOneByteIsUnauthorized() throws Exception {
            WebhookRequest genuine = signed("k-new", NOW.getEpochSecond(), BODY);
            WebhookRequest tampered = new WebhookRequest(oneByteChanged(BODY), genuine.header());

            assertRejected(verifier, tampered, 401).hasMessage("no matching signature");
        }

        @Test
        void signedIdOrTimestampCannotBeSwapped() throws Exception {
            WebhookRequest genuine = signed("k-new", NOW.getEpochSecond(), BODY);
            WebhookRequest otherId = new WebhookRequest(BODY,
                    name -> name.equals("webhook-id") ? "msg_2" : genuine.header().apply(name));

            assertRejected(verifier, otherId, 401);
        }

        @ParameterizedTest
        @ValueSource(longs = {-299, 299, -300, 300})
        void timestampWithinToleranceIsAccepted(long offset) throws Exception {
            assertThat(verifier.verify(signed("k-new", NOW.getEpochSecond() + offset, BODY), NOW)).contains("msg_1");
        }

        @ParameterizedTest
        @ValueSource(longs = {-301, 301})
        void timestampOutsideToleranceIsUnauthorizedEvenWhenCorrectlySigned(long offset) throws Exception {
            assertRejected(verifier, signed("k-new", NOW.getEpochSecond() + offset, BODY), 401)
                    .hasMessage("timestamp outside tolerance");
        }

        @Test
        void toleranceIsAConstructorArgument() throws Exception {
            WebhookVerifier strict = new StandardWebhooksVerifier(List.of(newSecret), Duration.ofSeconds(10));

            assertThat(strict.verify(signed("k-new", NOW.getEpochSecond() - 10, BODY), NOW)).isPresent();
            assertRejected(strict, signed("k-new", NOW.getEpochSecond() - 11, BODY), 401);
        }

        @Test
        void duringRotationOldAndNewSecretsAreValidAndARemovedSecretIsNot() throws Exception {
            assertThat(verifier.verify(signed("k-old", NOW.getEpochSecond(), BODY), NOW)).contains("msg_1");
            assertThat(verifier.verify(signed("k-new", NOW.getEpochSecond(), BODY), NOW)).contains("msg_1");

            WebhookVerifier afterRotation = new StandardWebhooksVerifier(List.of(newSecret));
            assertRejected(afterRotation, signed("k-old", NOW.getEpochSecond(), BODY), 401);
        }

        @Test
        void severalSignaturesPassWhenOnlyTheSecondMatches() throws Exception {
            long ts = NOW.getEpochSecond();
            String header = sign("k-retired", "msg_1", ts, BODY) + " " + sign("k-new", "msg_1", ts, BODY);
            WebhookRequest request = request(BODY, "webhook-id", "msg_1", "webhook-timestamp", Long.toString(ts),
                    "webhook-signature", header);

            assertThat(new StandardWebhooksVerifier(List.of(newSecret)).verify(request, NOW)).contains("msg_1");
        }

        @Test
        void entriesOfOtherVersionsAreSkippedAndAloneAreUnauthorized() throws Exception {
            long ts = NOW.getEpochSecond();
            String v1 = sign("k-new", "msg_1", ts, BODY);
            WebhookRequest mixed = request(BODY, "webhook-id", "msg_1", "webhook-timestamp", Long.toString(ts),
                    "webhook-signature", "v1a,c2lnbmVk " + v1);
            WebhookRequest onlyOther = request(BODY, "webhook-id", "msg_1", "webhook-timestamp", Long.toString(ts),
                    "webhook-signature", "v1a," + v1.substring(3));

            assertThat(verifier.verify(mixed, NOW)).contains("msg_1");
            assertRejected(verifier, onlyOther, 401).hasMessage("no v1 signature in webhook-signature");
        }

        @Test
        void secretWithoutPrefixIsUsedAsUtf8Bytes() throws Exception {
            WebhookVerifier raw = new StandardWebhooksVerifier(List.of("plain-secret"));

            assertThat(raw.verify(signed("plain-secret", NOW.getEpochSecond(), BODY), NOW)).contains("msg_1");
        }

        @Test
        void rejectionNeverEchoesTheSignature() throws Exception {
            WebhookRequest request = signed("k-other", NOW.getEpochSecond(), BODY);
            String signature = request.header().apply("webhook-signature");

            assertRejected(verifier, request, 401).message().doesNotContain(signature.substring(3), oldSecret, newSecret);
        }

        @Test
        void secretThatIsNotBase64AfterThePrefixFailsConstructionWithoutEchoingIt() {
            assertThatThrownBy(() -> new StandardWebhooksVerifier(List.of(newSecret, "whsec_%%secret%%")))
                    .isInstanceOf(IllegalArgumentException.class)
                    .hasMessage("standard-webhooks secret #2 is not whsec_ followed by base64");
        }
    }

    @Nested
    class BambooHr {

        private final WebhookVerifier verifier = new BambooHrVerifier(List.of("old-secret", "new-secret"));

        private WebhookRequest signed(String secret, long timestamp, byte[] body) throws Exception {
            String ts = Long.toString(timestamp);
            String hex = HexFormat.of().formatHex(hmac("HmacSHA256", secret.getBytes(UTF_8), body, ts.getBytes(UTF_8)));
            return request(body, "X-BambooHR-Signature", hex, "X-BambooHR-Timestamp", ts);
        }

        @Test
        void knownAnswerVectorVerifiesWithoutAnEventId() {
            // printf '%s%s' '{"employees":[{"id":"42"}]}' '1700000000' | openssl dgst -sha256 -hmac 'bamboo-secret' -r
            WebhookRequest request = request("{\"employees\":[{\"id\":\"42\"}]}".getBytes(UTF_8),
                    "x-bamboohr-signature", "a684c5429711ef1ef298721fbb159da93a457cb3122844120e5051bc60f08234",
                    "x-bamboohr-timestamp", "1700000000");

            assertThat(new BambooHrVerifier(List.of("bamboo-secret")).verify(request, NOW)).isEmpty();
        }

        @Test
        void upperCaseHexIsAccepted() throws Exception {
            WebhookRequest lower = signed("new-secret", NOW.getEpochSecond(), BODY);
            WebhookRequest upper = request(BODY,
                    "X-BambooHR-Signature", lower.header().apply("X-BambooHR-Signature").toUpperCase(),
                    "X-BambooHR-Timestamp", lower.header().apply("X-BambooHR-Timestamp"));

            assertThat(verifier.verify(upper, NOW)).isEmpty();
        }

        @ParameterizedTest
        @ValueSource(strings = {"X-BambooHR-Signature", "X-BambooHR-Timestamp"})
        void missingHeaderIsUnauthorized(String missing) throws Exception {
            WebhookRequest genuine = signed("new-secret", NOW.getEpochSecond(), BODY);
            WebhookRequest request = new WebhookRequest(BODY,
                    name -> name.equals(missing) ? null : genuine.header().apply(name));

            assertRejected(verifier, request, 401).hasMessage("missing header " + missing);
        }

        @Test
        void signatureThatIsNotHexIsMalformed() {
            WebhookRequest request = request(BODY, "X-BambooHR-Signature", "zz" + "0".repeat(62),
                    "X-BambooHR-Timestamp", Long.toString(NOW.getEpochSecond()));

            assertRejected(verifier, request, 401).hasMessage("malformed X-BambooHR-Signature");
        }

        @Test
        void nonNumericTimestampIsMalformed() {
            WebhookRequest request = request(BODY, "X-BambooHR-Signature", "00".repeat(32),
                    "X-BambooHR-Timestamp", "2023-11-14T22:13:20Z");

            assertRejected(verifier, request, 401).hasMessage("malformed X-BambooHR-Timestamp");
        }

        @Test
        void wrongSecretIsUnauthorized() throws Exception {
            assertRejected(verifier, signed("guess", NOW.getEpochSecond(), BODY), 401).hasMessage("no matching signature");
        }

        @Test
        void bodyChangedByOneByteIsUnauthorized() throws Exception {
            WebhookRequest genuine = signed("new-secret", NOW.getEpochSecond(), BODY);

            assertRejected(verifier, new WebhookRequest(oneByteChanged(BODY), genuine.header()), 401);
        }

        @Test
        void timestampIsSignedSoItCannotBeRefreshedByAReplayer() throws Exception {
            WebhookRequest old = signed("new-secret", NOW.getEpochSecond() - 3600, BODY);
            WebhookRequest refreshed = new WebhookRequest(BODY, name -> name.equals("X-BambooHR-Timestamp")
                    ? Long.toString(NOW.getEpochSecond()) : old.header().apply(name));

            assertRejected(verifier, refreshed, 401).hasMessage("no matching signature");
        }

        @ParameterizedTest
        @ValueSource(longs = {-299, 299})
        void timestampWithinToleranceIsAccepted(long offset) throws Exception {
            assertThat(verifier.verify(signed("new-secret", NOW.getEpochSecond() + offset, BODY), NOW)).isEmpty();
        }

        @ParameterizedTest
        @ValueSource(longs = {-301, 301})
        void timestampOutsideToleranceIsUnauthorized(long offset) throws Exception {
            assertRejected(verifier, signed("new-secret", NOW.getEpochSecond() + offset, BODY), 401)
                    .hasMessage("timestamp outside tolerance");
        }

        @Test
        void duringRotationOldAndNewSecretsAreValidAndARemovedSecretIsNot() throws Exception {
            assertThat(verifier.verify(signed("old-secret", NOW.getEpochSecond(), BODY), NOW)).isEmpty();
            assertThat(verifier.verify(signed("new-secret", NOW.getEpochSecond(), BODY), NOW)).isEmpty();
            assertRejected(new BambooHrVerifier(List.of("new-secret")), signed("old-secret", NOW.getEpochSecond(), BODY), 401);
        }
    }

    @Nested
    class HiBob {

        private final WebhookVerifier verifier = new HiBobVerifier(List.of("old-secret", "new-secret"));

        private WebhookRequest signed(String secret, byte[] body) throws Exception {
            return request(body, "Bob-Signature",
                    Base64.getEncoder().encodeToString(hmac("HmacSHA512", secret.getBytes(UTF_8), body)));
        }

        @Test
        void knownAnswerVectorVerifiesWithoutAnEventId() {
            // printf '%s' '{"type":"employee.updated","employee":{"id":"3332883884017713238"}}' \
            //   | openssl dgst -sha512 -hmac 'bob-secret' -binary | base64 -w0
            WebhookRequest request = request(
                    "{\"type\":\"employee.updated\",\"employee\":{\"id\":\"3332883884017713238\"}}".getBytes(UTF_8),
                    "bob-signature",
                    "5gi2xHFfC6j3esb3HhFJfA3vpL9qTiXVmbenYPlkONyvLiONcJpio5Xo5Idb8TLbeYqWOY0z7NzxQAqlkAqu8g==");

            assertThat(new HiBobVerifier(List.of("bob-secret")).verify(request, NOW)).isEmpty();
        }

        @Test
        void missingHeaderIsUnauthorized() {
            assertRejected(verifier, request(BODY), 401).hasMessage("missing header Bob-Signature");
        }

        @Test
        void signatureThatIsNotBase64IsMalformed() {
            assertRejected(verifier, request(BODY, "Bob-Signature", "sha512=abc*def"), 401)
                    .hasMessage("malformed Bob-Signature");
        }

        @Test
        void wrongSecretIsUnauthorized() throws Exception {
            assertRejected(verifier, signed("guess", BODY), 401).hasMessage("no matching signature");
        }

        @Test
        void bodyChangedByOneByteIsUnauthorized() throws Exception {
            WebhookRequest genuine = signed("new-secret", BODY);

            assertRejected(verifier, new WebhookRequest(oneByteChanged(BODY), genuine.header()), 401);
        }

        @Test
        void hibobSignsNoTimestampSoTheClockIsNotConsulted() throws Exception {
            assertThat(verifier.verify(signed("new-secret", BODY), NOW.plus(Duration.ofDays(365)))).isEmpty();
        }

        @Test
        void duringRotationOldAndNewSecretsAreValidAndARemovedSecretIsNot() throws Exception {
            assertThat(verifier.verify(signed("old-secret", BODY), NOW)).isEmpty();
            assertThat(verifier.verify(signed("new-secret", BODY), NOW)).isEmpty();
            assertRejected(new HiBobVerifier(List.of("new-secret")), signed("old-secret", BODY), 401);
        }
    }

    @Nested
    class BearerToken {

        private final WebhookVerifier verifier = new BearerTokenVerifier(List.of("old-token", "new-token"));

        @Test
        void matchingTokenPassesWhateverTheCaseOfTheScheme() {
            assertThat(verifier.verify(request(BODY, "Authorization", "Bearer new-token"), NOW)).isEmpty();
            assertThat(verifier.verify(request(BODY, "authorization", "bearer new-token"), NOW)).isEmpty();
        }

        @Test
        void missingHeaderIsUnauthorized() {
            assertRejected(verifier, request(BODY), 401).hasMessage("missing header Authorization");
        }

        @Test
        void anotherSchemeIsUnauthorized() {
            assertRejected(verifier, request(BODY, "Authorization", "Basic bmV3LXRva2Vu"), 401);
        }

        @ParameterizedTest
        @ValueSource(strings = {"Bearer ", "Bearer new-token extra"})
        void bearerWithoutExactlyOneTokenIsMalformed(String authorization) {
            assertRejected(verifier, request(BODY, "Authorization", authorization), 401)
                    .hasMessage("malformed Authorization");
        }

        @ParameterizedTest
        @ValueSource(strings = {"Bearer guess", "Bearer new-toke", "Bearer new-token2", "Bearer NEW-TOKEN"})
        void anyOtherTokenIsUnauthorizedWithoutEchoingIt(String authorization) {
            assertRejected(verifier, request(BODY, "Authorization", authorization), 401)
                    .hasMessage("unknown bearer token");
        }

        @Test
        void duringRotationOldAndNewTokensAreValidAndARemovedTokenIsNot() {
            assertThat(verifier.verify(request(BODY, "Authorization", "Bearer old-token"), NOW)).isEmpty();
            assertThat(verifier.verify(request(BODY, "Authorization", "Bearer new-token"), NOW)).isEmpty();
            assertRejected(new BearerTokenVerifier(List.of("new-token")),
                    request(BODY, "Authorization", "Bearer old-token"), 401);
        }
    }

    @Nested
    class Factory {

        @Test
        void eachKindBuildsItsVerifier() {
            List<String> secrets = List.of("s");
            assertThat(WebhookVerifiers.create("standard-webhooks", secrets, null)).isInstanceOf(StandardWebhooksVerifier.class);
            assertThat(WebhookVerifiers.create("bamboohr", secrets, null)).isInstanceOf(BambooHrVerifier.class);
            assertThat(WebhookVerifiers.create("hibob", secrets, null)).isInstanceOf(HiBobVerifier.class);
            assertThat(WebhookVerifiers.create("bearer", secrets, null)).isInstanceOf(BearerTokenVerifier.class);
            assertThat(WebhookVerifiers.kinds()).containsExactly("bamboohr", "bearer", "hibob", "standard-webhooks");
        }

        @Test
        void unknownKindIsNamedWithTheValidKinds() {
            assertThatThrownBy(() -> WebhookVerifiers.create("github", List.of("s"), null))
                    .isInstanceOf(IllegalArgumentException.class)
                    .hasMessage("unknown webhook verifier kind 'github'; valid kinds: bamboohr, bearer, hibob, standard-webhooks");
        }

        @Test
        void secretListThatIsEmptyOrOnlyBlankNamesTheKind() {
            for (List<String> none : List.of(List.<String>of(), List.of(" ", ""))) {
                assertThatThrownBy(() -> WebhookVerifiers.create("hibob", none, null))
                        .isInstanceOf(IllegalArgumentException.class)
                        .hasMessageContaining("'hibob' needs at least one non-blank secret")
                        .hasMessageContaining("bamboohr, bearer, hibob, standard-webhooks");
            }
        }

        @Test
        void blankSecretsAreDropped() {
            WebhookVerifier bearer = WebhookVerifiers.create("bearer", List.of("", "  ", "tok"), null);

            assertThat(bearer.verify(request(BODY, "Authorization", "Bearer tok"), NOW)).isEmpty();
        }

        @Test
        void toleranceIsPassedOnAndDefaultsToFiveMinutes() throws Exception {
            long ts = NOW.getEpochSecond() - 120;
            String signature = HexFormat.of().formatHex(
                    hmac("HmacSHA256", "s".getBytes(UTF_8), BODY, Long.toString(ts).getBytes(UTF_8)));
            WebhookRequest twoMinutesOld = request(BODY, "X-BambooHR-Signature", signature,
                    "X-BambooHR-Timestamp", Long.toString(ts));

            assertThat(WebhookVerifiers.create("bamboohr", List.of("s"), null).verify(twoMinutesOld, NOW)).isEmpty();
            assertRejected(WebhookVerifiers.create("bamboohr", List.of("s"), Duration.ofMinutes(1)), twoMinutesOld, 401);
        }
    }
}
