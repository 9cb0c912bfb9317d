package io.learnbridge.delivery.lrs;

import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.node.ArrayNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import java.io.IOException;
import java.net.URI;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.TimeUnit;
import org.apache.hc.client5.http.classic.methods.HttpPost;
import org.apache.hc.client5.http.config.RequestConfig;
import org.apache.hc.client5.http.impl.classic.CloseableHttpClient;
import org.apache.hc.client5.http.impl.classic.HttpClients;
import org.apache.hc.core5.http.ContentType;
import org.apache.hc.core5.http.io.entity.EntityUtils;
import org.apache.hc.core5.http.io.entity.StringEntity;
import org.apache.hc.core5.util.Timeout;

/**
 * Sends xAPI statements to an LRS in batches (Apache HttpClient 5, as camel-http). The LRS takes
 * or refuses a batch as a whole; a refused batch (400, or 409 for a statement id it holds with
 * other content) is split in halves until the statements it refuses are isolated, so one bad
 * statement never holds back the others. Answers per statement:
 * {@link Stored} (200/204, also for an id the LRS already holds with the same content),
 * {@link Refused} (400 and other 4xx: permanent), {@link Drift} (409: the LRS holds that id with
 * other content), {@link Transient} (5xx, 408, 429, timeouts, no connection: try again later, as
 * {@link io.learnbridge.delivery.TargetFailure} says for every target).
 */
public final class XapiClient implements AutoCloseable {

    private static final ObjectMapper JSON = new ObjectMapper();

    /** How to reach an LRS. {@code authorization} is the whole header value (e.g. {@code Basic ...}), or null. */
    public record Config(URI statementsUrl, String version, String authorization, Duration timeout) {
    }

    /** What became of one statement. */
    public sealed interface Outcome permits Stored, Refused, Drift, Transient {
    }

    public record Stored(int status) implements Outcome {
    }

    public record Refused(int status, String reason) implements Outcome {
    }

    public record Drift(String reason) implements Outcome {
    }

    public record Transient(Integer status, String reason, java.time.Duration retryAfter) implements Outcome {
    }

    private final Config config;
    private final CloseableHttpClient http;
    private int requests;

    public XapiClient(Config config) {
        this(config, null);
    }

    /** @param rateLimit the target's rate limit, or null */
    public XapiClient(Config config, io.github.resilience4j.ratelimiter.RateLimiter rateLimit) {
        this(config, rateLimit, null);
    }

    /** @param rateLimit the target's rate limit, or null; @param breaker the target's circuit breaker, or null */
    public XapiClient(Config config, io.github.resilience4j.ratelimiter.RateLimiter rateLimit,
                      io.github.resilience4j.circuitbreaker.CircuitBreaker breaker) {
        this.config = config;
        this.http = io.learnbridge.delivery.TargetHttp.client(config.timeout(), config.timeout(), 4, rateLimit, breaker);
    }

    /** Sends the statements (each with its id) and answers per statement id. */
    public Map<String, Outcome> send(List<ObjectNode> statements) {
        Map<String, Outcome> outcomes = new LinkedHashMap<>();
        send(statements, outcomes);
        return outcomes;
    }

    /** Requests made so far (a batch, and each half of a split batch, is one). */
    public int requests() {
        return requests;
    }

    private void send(List<ObjectNode> statements, Map<String, Outcome> outcomes) {
        if (statements.isEmpty()) {
            return;
        }
        Answer answer = post(statements);
        if (answer.status() != null && answer.status() >= 200 && answer.status() < 300) {
            statements.forEach(s -> outcomes.put(id(s), new Stored(answer.status())));
            return;
        }
        if (io.learnbridge.delivery.TargetFailure.retryable(answer.status())) {
            statements.forEach(s -> outcomes.put(id(s), new Transient(answer.status(), answer.reason(), answer.retryAfter())));
            return;
        }
        if ((answer.status() == 400 || answer.status() == 409) && statements.size() > 1) {
            int half = statements.size() / 2;
            send(statements.subList(0, half), outcomes);
            send(statements.subList(half, statements.size()), outcomes);
            return;
        }
        for (ObjectNode s : statements) {
            outcomes.put(id(s), answer.status() == 409
                    ? new Drift("the LRS holds statement " + id(s) + " with other content (HTTP 409: " + answer.reason() + ")")
                    : new Refused(answer.status(), "the LRS refused the statement (HTTP " + answer.status() + "): " + answer.reason()));
        }
    }

    /** One answer: {@code status} null when there was none; {@code retryAfter} the LRS's {@code Retry-After}, or null. */
    private record Answer(Integer status, String reason, java.time.Duration retryAfter) {
    }

    private Answer post(List<ObjectNode> statements) {
        ArrayNode batch = JSON.createArrayNode();
        statements.forEach(batch::add);
        HttpPost post = new HttpPost(config.statementsUrl());
        post.setHeader("X-Experience-API-Version", config.version());
        if (config.authorization() != null) {
            post.setHeader("Authorization", config.authorization());
        }
        post.setEntity(new StringEntity(batch.toString(), ContentType.APPLICATION_JSON.withCharset(StandardCharsets.UTF_8)));
        requests++;
        try {
            return http.execute(post, response -> {
                String body = response.getEntity() == null ? "" : EntityUtils.toString(response.getEntity(), StandardCharsets.UTF_8);
                String reason = body.isBlank() ? "HTTP " + response.getCode() + " " + response.getReasonPhrase()
                        : body.length() > 500 ? body.substring(0, 500) : body;
                return new Answer(response.getCode(), reason, io.learnbridge.delivery.TargetHttp.retryAfter(response.getFirstHeader("Retry-After")));
            });
        } catch (IOException e) {
            return new Answer(null, e.getClass().getSimpleName() + ": " + e.getMessage(), null);
        }
    }

    private static String id(ObjectNode statement) {
        return statement.path("id").asText();
    }

    @Override
    public void close() throws IOException {
        http.close();
    }
}
