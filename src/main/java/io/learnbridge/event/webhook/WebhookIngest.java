package io.learnbridge.event.webhook;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import io.learnbridge.support.Metrics;
import io.learnbridge.drop.DropChecksum;
import io.learnbridge.store.EventInbox;
import io.learnbridge.store.StoreException;
import java.io.IOException;
import java.time.Clock;
import java.util.Map;
import java.util.Optional;
import org.apache.camel.Exchange;
import org.apache.camel.Message;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Bean {@code webhooks}: the whole request path of {@code POST /webhooks/{source}}. It checks the
 * size, verifies the signature on the raw bytes, applies the source's rate limit, checks the body
 * is a JSON object, stores it durably and answers 202 with a receipt. Nothing else happens on the
 * request thread; the stored event is processed by route {@code process-events}. A redelivered
 * event (same event id) is acknowledged again and stored once.
 */
public final class WebhookIngest {

    private static final Logger LOG = LoggerFactory.getLogger(WebhookIngest.class);
    /**
     * Strict: a body with a key twice ({@code {"id":"E1","id":"E2"}}: which one did the sender sign
     * for?), or anything after the document (trailing bytes, a second object), is not one JSON object.
     */
    private static final ObjectMapper JSON = new ObjectMapper()
            .enable(com.fasterxml.jackson.core.JsonParser.Feature.STRICT_DUPLICATE_DETECTION)
            .enable(com.fasterxml.jackson.databind.DeserializationFeature.FAIL_ON_TRAILING_TOKENS);

    private final Map<String, WebhookSource> sources;
    private final EventInbox inbox;
    private final Metrics metrics;
    private final Clock clock;

    public WebhookIngest(Map<String, WebhookSource> sources, EventInbox inbox, Metrics metrics, Clock clock) {
        this.sources = Map.copyOf(sources);
        this.inbox = inbox;
        this.metrics = metrics;
        this.clock = clock;
    }

    /** Every step of the webhook route in one call, in the route's order (the steps below, for a caller without the route). */
    public void receive(Exchange exchange) {
        resolve(exchange);
        checkSize(exchange);
        verify(exchange);
        rateLimit(exchange);
        checkJson(exchange);
        store(exchange);
        answer(exchange);
    }

    /** Step 1: the source named in the path ({@code source} header); 404 when there is none. */
    public void resolve(Exchange exchange) {
        String name = exchange.getIn().getHeader("source", String.class);
        WebhookSource source = name == null ? null : sources.get(name);
        if (source == null) {
            throw new WebhookRefusal(404, "no webhook source '" + name + "'", null);
        }
        exchange.setVariable(SOURCE, source);
    }

    /** Step 2: the body as received, within the source's size limit; 413 over it. */
    public void checkSize(Exchange exchange) {
        WebhookSource source = source(exchange);
        byte[] received = exchange.getIn().getBody(byte[].class);
        byte[] body = received == null ? new byte[0] : received;
        if (body.length > source.maxBodyBytes()) {
            metrics.record(source.name(), "webhook-too-large", 1);
            throw new WebhookRefusal(413, "body of " + body.length + " bytes is over the limit of " + source.maxBodyBytes() + " bytes", null);
        }
        exchange.setVariable(BODY, body);
    }

    /** Step 3: the source's signature or token check over the raw body; 401 (or 400) when it fails. Keeps the event id it names. */
    public void verify(Exchange exchange) {
        WebhookSource source = source(exchange);
        Message in = exchange.getIn();
        try {
            Optional<String> eventId = source.verifier().verify(new WebhookRequest(body(exchange), header -> in.getHeader(header, String.class)),
                    clock.instant());
            exchange.setVariable(EVENT_ID, eventId.orElse(null));
        } catch (WebhookRejectedException e) {
            metrics.record(source.name(), "webhook-unauthenticated", 1);
            LOG.info("Webhook to source {} refused ({}): {}", source.name(), e.status(), e.reason());
            throw new WebhookRefusal(e.status(), e.reason(), null);
        }
    }

    /** Step 4: the source's rate limit; 429 with Retry-After over it. */
    public void rateLimit(Exchange exchange) {
        WebhookSource source = source(exchange);
        if (!source.rateLimiter().acquirePermission()) {
            metrics.record(source.name(), "webhook-rate-limited", 1);
            throw new WebhookRefusal(429, "over the rate limit of source " + source.name(), 1);
        }
    }

    /** Step 5: the body is one JSON object, strictly (no key twice, nothing after it); 400 otherwise. */
    public void checkJson(Exchange exchange) {
        WebhookSource source = source(exchange);
        JsonNode document = json(body(exchange));
        if (document == null || !document.isObject()) {
            metrics.record(source.name(), "webhook-bad-json", 1);
            throw new WebhookRefusal(400, "body is not one JSON object (no key twice, nothing after it)", null);
        }
        exchange.setVariable(DOCUMENT, document);
    }

    /** Step 6: the event stored durably under its key (the signed id, the source's id pointer, else the body's checksum), once. */
    public void store(Exchange exchange) {
        WebhookSource source = source(exchange);
        byte[] body = body(exchange);
        JsonNode document = exchange.getVariable(DOCUMENT, JsonNode.class);
        String signedId = exchange.getVariable(EVENT_ID, String.class);
        String eventKey = Optional.ofNullable(signedId).map(id -> "id:" + id)
                .or(() -> pointer(document, source.eventIdPointer()).map(id -> "id:" + id))
                .orElseGet(() -> "sha256:" + DropChecksum.sha256(body));
        EventInbox.Receipt receipt = inbox.receive(source.name(), EventInbox.Channel.WEBHOOK, eventKey, "webhook " + eventKey,
                new String(body, java.nio.charset.StandardCharsets.UTF_8));
        metrics.record(source.name(), receipt.duplicate() ? "webhook-duplicate" : "received", 1);
        exchange.setVariable(RECEIPT, receipt);
    }

    /** Step 7: 202 with the receipt. */
    public void answer(Exchange exchange) {
        EventInbox.Receipt receipt = exchange.getVariable(RECEIPT, EventInbox.Receipt.class);
        Message in = exchange.getIn();
        in.setHeader(Exchange.HTTP_RESPONSE_CODE, 202);
        in.setHeader(Exchange.CONTENT_TYPE, "application/json");
        in.setBody("{\"receipt\":\"" + receipt.eventId() + "\",\"duplicate\":" + receipt.duplicate() + "}");
    }

    /** Exchange variables the steps hand on. */
    static final String SOURCE = "webhookSource";
    static final String BODY = "webhookBody";
    static final String EVENT_ID = "webhookEventId";
    static final String DOCUMENT = "webhookDocument";
    static final String RECEIPT = "webhookReceipt";

    private static WebhookSource source(Exchange exchange) {
        return exchange.getVariable(SOURCE, WebhookSource.class);
    }

    private static byte[] body(Exchange exchange) {
        return exchange.getVariable(BODY, byte[].class);
    }

    /** The answer to a refused or failed request: its status, never a stack trace. */
    public void refuse(Exchange exchange) {
        Throwable cause = exchange.getProperty(Exchange.EXCEPTION_CAUGHT, Throwable.class);
        Message in = exchange.getIn();
        int status;
        String message;
        Integer retryAfter = null;
        if (cause instanceof WebhookRefusal refusal) {
            status = refusal.status();
            message = refusal.getMessage();
            retryAfter = refusal.retryAfterSeconds();
        } else if (cause instanceof StoreException) {
            // nothing was stored: the sender must retry
            status = 503;
            message = "the store is unavailable; nothing was stored, retry later";
            retryAfter = 5;
            LOG.warn("Webhook answered 503, store unavailable: {}", cause.getMessage());
        } else {
            status = 500;
            message = "internal error; nothing was stored, retry later";
            LOG.error("Webhook failed", cause);
        }
        in.removeHeaders("*", "Camel*");
        in.setHeader(Exchange.HTTP_RESPONSE_CODE, status);
        in.setHeader(Exchange.CONTENT_TYPE, "application/json");
        if (retryAfter != null) {
            in.setHeader("Retry-After", retryAfter);
        }
        in.setBody("{\"error\":" + quote(message) + "}");
    }

    /** The body as one JSON document, or null when it is not one (strictly: no key twice, nothing after it). */
    static JsonNode json(byte[] body) {
        try {
            return JSON.readTree(body);
        } catch (IOException e) {
            return null;
        }
    }

    private static Optional<String> pointer(JsonNode document, String pointer) {
        if (pointer == null) {
            return Optional.empty();
        }
        JsonNode value = document.at(pointer);
        return value.isMissingNode() || value.isNull() || value.asText().isEmpty() ? Optional.empty() : Optional.of(value.asText());
    }

    private static String quote(String s) {
        try {
            return JSON.writeValueAsString(s);
        } catch (IOException e) {
            return "\"\"";
        }
    }
}
