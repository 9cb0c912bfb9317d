package io.learnbridge.delivery.moodle;

import java.io.IOException;
import java.net.URI;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicInteger;
import org.apache.hc.client5.http.classic.methods.HttpPost;
import org.apache.hc.client5.http.config.RequestConfig;
import org.apache.hc.client5.http.entity.UrlEncodedFormEntity;
import org.apache.hc.client5.http.impl.classic.CloseableHttpClient;
import org.apache.hc.client5.http.impl.classic.HttpClients;
import org.apache.hc.core5.http.NameValuePair;
import org.apache.hc.core5.http.io.entity.EntityUtils;
import org.apache.hc.core5.http.message.BasicNameValuePair;
import org.apache.hc.core5.util.Timeout;

/**
 * Calls Moodle web-service functions over the REST protocol (Apache HttpClient 5, as camel-http):
 * {@code POST <site>/webservice/rest/server.php}, form-encoded, with {@code wstoken},
 * {@code wsfunction}, {@code moodlewsrestformat=json} and the function's parameters in Moodle's
 * array syntax ({@code users[0][username]=...}). Every answer goes through
 * {@link MoodleResponses#classify}; the client itself never retries.
 */
public final class MoodleClient implements AutoCloseable {

    /** PHP's {@code max_input_vars} default: PHP silently drops the parameters beyond it. */
    public static final int MAX_PARAMETERS = 1000;

    /** How to reach a Moodle site. {@code site} is the site's root URL (https://moodle.example.com). */
    public record Config(URI site, String token, Duration timeout) {

        @Override
        public String toString() {
            return "Config[site=" + site + ", token=***, timeout=" + timeout + "]";
        }
    }

    /** A function's parameters, in order, with Moodle's array syntax built by {@link #put(String, Object)}. */
    public static final class Params {
        private final List<NameValuePair> pairs = new ArrayList<>();

        /**
         * Adds one parameter; {@code name} is Moodle's path, e.g. {@code users[0][username]}.
         * A null value is left out (Moodle applies its default).
         */
        public Params put(String name, Object value) {
            if (value != null) {
                pairs.add(new BasicNameValuePair(name, value.toString()));
            }
            return this;
        }

        public int size() {
            return pairs.size();
        }

        /** The parameters as sent, e.g. {@code users[0][username]=ada} (for tests: the values are personal data, never log them). */
        public List<String> encoded() {
            return pairs.stream().map(p -> p.getName() + "=" + p.getValue()).toList();
        }
    }

    private final URI endpoint;
    private final String token;
    private final CloseableHttpClient http;
    private final AtomicInteger calls = new AtomicInteger();
    /** The target's circuit breaker, or null. */
    private final io.github.resilience4j.circuitbreaker.CircuitBreaker breaker;

    public MoodleClient(Config config) {
        this(config, null);
    }

    /** @param rateLimit the target's rate limit, or null */
    public MoodleClient(Config config, io.github.resilience4j.ratelimiter.RateLimiter rateLimit) {
        this(config, rateLimit, null);
    }

    /**
     * @param rateLimit the target's rate limit, or null
     * @param breaker   the target's circuit breaker, or null. Moodle answers most errors with HTTP 200,
     *                  so this client records each call once it has read the answer: a retryable
     *                  failure (no answer, 5xx, a retryable Moodle error) as a failure, anything else
     *                  as a success, rather than leaving it to the HTTP client's status check.
     */
    public MoodleClient(Config config, io.github.resilience4j.ratelimiter.RateLimiter rateLimit,
                        io.github.resilience4j.circuitbreaker.CircuitBreaker breaker) {
        this.breaker = breaker;
        String site = config.site().toString();
        this.endpoint = URI.create((site.endsWith("/") ? site : site + "/") + "webservice/rest/server.php");
        this.token = config.token();
        this.http = io.learnbridge.delivery.TargetHttp.client(config.timeout(), config.timeout(), 4, rateLimit);
    }

    /** Calls one function and classifies the answer; the failure's reason names the function. */
    public MoodleResponses.Answer call(String function, Params params) {
        if (params.size() + 3 > MAX_PARAMETERS) {
            // a programming error of the caller: requests are chunked below the limit
            throw new IllegalArgumentException(function + " with " + params.size() + " parameters exceeds PHP's max_input_vars (" + MAX_PARAMETERS + ")");
        }
        List<NameValuePair> form = new ArrayList<>(params.pairs.size() + 3);
        form.add(new BasicNameValuePair("wstoken", token));
        form.add(new BasicNameValuePair("wsfunction", function));
        form.add(new BasicNameValuePair("moodlewsrestformat", "json"));
        form.addAll(params.pairs);
        HttpPost post = new HttpPost(endpoint);
        post.setHeader("Accept", "application/json");
        post.setEntity(new UrlEncodedFormEntity(form, StandardCharsets.UTF_8));
        calls.incrementAndGet();
        long start = System.nanoTime();
        MoodleResponses.Answer answer;
        try {
            answer = http.execute(post, response -> MoodleResponses.classify(response.getCode(),
                    response.getEntity() == null ? "" : EntityUtils.toString(response.getEntity(), StandardCharsets.UTF_8)));
        } catch (IOException e) {
            answer = MoodleResponses.unreachable(e);
        }
        if (breaker != null) {
            long elapsed = System.nanoTime() - start;
            if (answer instanceof MoodleResponses.Failure failure && failure.severity().retryable()) {
                breaker.onError(elapsed, java.util.concurrent.TimeUnit.NANOSECONDS, new IOException(function + ": " + failure.errorcode()));
            } else {
                breaker.onSuccess(elapsed, java.util.concurrent.TimeUnit.NANOSECONDS);
            }
        }
        return answer instanceof MoodleResponses.Failure failure ? failure.during(function) : answer;
    }

    /** Calls made so far. */
    public int calls() {
        return calls.get();
    }

    @Override
    public void close() throws IOException {
        http.close();
    }
}
