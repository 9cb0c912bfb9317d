package io.learnbridge.event.webhook;

import java.util.Map;
import java.util.Objects;
import java.util.TreeMap;
import java.util.function.Function;

/**
 * What a verifier may look at: the body exactly as received, because signatures are computed over
 * bytes and any re-encoding breaks them, and a header lookup that the caller makes
 * case-insensitive (HTTP header names are). The body array is not copied; callers must not change it.
 *
 * @param body the raw request body
 * @param header header name to value, {@code null} when absent
 */
public record WebhookRequest(byte[] body, Function<String, String> header) {

    public WebhookRequest {
        Objects.requireNonNull(body, "body");
        Objects.requireNonNull(header, "header");
    }

    /** A request whose header lookup ignores the case of {@code headers}' names. */
    public static WebhookRequest of(byte[] body, Map<String, String> headers) {
        Map<String, String> byName = new TreeMap<>(String.CASE_INSENSITIVE_ORDER);
        byName.putAll(headers);
        return new WebhookRequest(body, byName::get);
    }

    /** The header's value; an absent or blank header is a 401, since the request proved nothing. */
    String required(String name) {
        String value = header.apply(name);
        if (value == null || value.isBlank()) {
            throw WebhookRejectedException.unauthorized("missing header " + name);
        }
        return value.strip();
    }
}
