package io.learnbridge.event.webhook;

import java.time.Instant;
import java.util.Base64;
import java.util.List;
import java.util.Optional;

/**
 * HiBob's scheme: {@code Bob-Signature} is the base64 HMAC-SHA512 of the body. HiBob signs no
 * timestamp and no id, so there is no replay window here and the caller de-duplicates by body.
 * Several secrets are accepted so they rotate without downtime.
 */
public final class HiBobVerifier implements WebhookVerifier {

    static final String SIGNATURE = "Bob-Signature";

    private final Hmac hmac;

    public HiBobVerifier(List<String> secrets) {
        this.hmac = Hmac.utf8("HmacSHA512", Secrets.required("hibob", secrets));
    }

    @Override
    public Optional<String> verify(WebhookRequest request, Instant now) {
        byte[] presented;
        try {
            presented = Base64.getDecoder().decode(request.required(SIGNATURE));
        } catch (IllegalArgumentException e) {
            throw WebhookRejectedException.malformed(SIGNATURE);
        }
        if (!hmac.matchesAny(List.of(presented), request.body())) {
            throw WebhookRejectedException.unauthorized("no matching signature");
        }
        return Optional.empty();
    }
}
