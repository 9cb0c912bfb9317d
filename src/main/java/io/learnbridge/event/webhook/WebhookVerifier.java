package io.learnbridge.event.webhook;

import java.time.Instant;
import java.util.Optional;

/**
 * Verifies one webhook request of one source. Each HR system signs its webhooks its own way; the
 * webhook route calls this one interface so that adding a source is choosing a kind, not writing
 * a route. Implementations are immutable and thread-safe, and compare in constant time on the raw
 * request bytes (never on a re-serialised body).
 */
public interface WebhookVerifier {

    /**
     * @param request the raw body and a header lookup
     * @param now the clock reading used for the timestamp window, passed in so tests need no clock
     * @return the verified event id (for de-duplication) if the request provides one, else
     *     {@link Optional#empty()}
     * @throws WebhookRejectedException with a short reason (never echoing secrets) when the request
     *     is not authentic
     */
    Optional<String> verify(WebhookRequest request, Instant now);
}
