package io.learnbridge.delivery;

import io.github.resilience4j.circuitbreaker.CircuitBreaker;
import io.github.resilience4j.ratelimiter.RateLimiter;
import io.github.resilience4j.ratelimiter.RateLimiterConfig;
import java.io.IOException;
import java.time.Duration;
import java.time.Instant;
import java.time.ZonedDateTime;
import java.time.format.DateTimeFormatter;
import java.time.format.DateTimeParseException;
import java.util.concurrent.TimeUnit;
import org.apache.hc.client5.http.config.ConnectionConfig;
import org.apache.hc.client5.http.config.RequestConfig;
import org.apache.hc.client5.http.impl.classic.CloseableHttpClient;
import org.apache.hc.client5.http.impl.classic.HttpClientBuilder;
import org.apache.hc.client5.http.impl.classic.HttpClients;
import org.apache.hc.client5.http.impl.io.PoolingHttpClientConnectionManagerBuilder;
import org.apache.hc.core5.http.ClassicHttpResponse;
import org.apache.hc.core5.http.Header;
import org.apache.hc.core5.util.Timeout;

/**
 * The HTTP client every protocol adapter uses (Apache HttpClient 5, as camel-http), built in one
 * place: one connection pool per target (a slow target cannot take another's connections), no
 * automatic retries, no redirects, no cookies, and the target's rate limit applied to every
 * request. Also reads {@code Retry-After}.
 */
public final class TargetHttp {

    private TargetHttp() {
    }

    /**
     * The rate limit of a target: at most {@code perSecond} requests in any one-second period, a
     * request over it waiting for the next period; null for no limit.
     */
    public static RateLimiter rateLimit(String target, int perSecond) {
        if (perSecond <= 0) {
            return null;
        }
        return RateLimiter.of("target-" + target, RateLimiterConfig.custom()
                .limitForPeriod(perSecond)
                .limitRefreshPeriod(Duration.ofSeconds(1))
                // a request waits for a permit rather than fail: the limit paces, it never drops
                .timeoutDuration(Duration.ofDays(1))
                .build());
    }

    /** A client for one target; {@code rateLimit} may be null. */
    public static CloseableHttpClient client(Duration connectTimeout, Duration responseTimeout, int maxConnections, RateLimiter rateLimit) {
        return client(connectTimeout, responseTimeout, maxConnections, rateLimit, null);
    }

    /**
     * A client for one target; {@code rateLimit} and {@code breaker} may be null. Every request's
     * outcome is recorded in the target's circuit breaker ({@link TargetBreakers}): no answer,
     * 408, 429 and 5xx as failures, any other answer as a success.
     */
    public static CloseableHttpClient client(Duration connectTimeout, Duration responseTimeout, int maxConnections, RateLimiter rateLimit,
                                             CircuitBreaker breaker) {
        Timeout connect = Timeout.of(connectTimeout.toMillis(), TimeUnit.MILLISECONDS);
        Timeout response = Timeout.of(responseTimeout.toMillis(), TimeUnit.MILLISECONDS);
        HttpClientBuilder builder = HttpClients.custom()
                .disableAutomaticRetries()
                .disableRedirectHandling()
                .disableCookieManagement()
                .setConnectionManager(PoolingHttpClientConnectionManagerBuilder.create()
                        .setMaxConnTotal(maxConnections)
                        .setMaxConnPerRoute(maxConnections)
                        .setDefaultConnectionConfig(ConnectionConfig.custom().setConnectTimeout(connect).setSocketTimeout(response).build())
                        .build())
                .setDefaultRequestConfig(RequestConfig.custom().setConnectionRequestTimeout(connect).setResponseTimeout(response).build());
        if (rateLimit != null) {
            builder.addExecInterceptorFirst("rate-limit", (request, scope, chain) -> {
                RateLimiter.waitForPermission(rateLimit);
                return chain.proceed(request, scope);
            });
        }
        if (breaker != null) {
            builder.addExecInterceptorLast("circuit-breaker", (request, scope, chain) -> {
                long start = System.nanoTime();
                try {
                    ClassicHttpResponse answer = chain.proceed(request, scope);
                    int status = answer.getCode();
                    if (TargetFailure.retryable(status)) {
                        breaker.onError(System.nanoTime() - start, TimeUnit.NANOSECONDS, new TargetAnswered(status));
                    } else {
                        breaker.onSuccess(System.nanoTime() - start, TimeUnit.NANOSECONDS);
                    }
                    return answer;
                } catch (IOException | org.apache.hc.core5.http.HttpException | RuntimeException e) {
                    breaker.onError(System.nanoTime() - start, TimeUnit.NANOSECONDS, e);
                    throw e;
                }
            });
        }
        return builder.build();
    }

    /** A transient answer, as the breaker records it. */
    private static final class TargetAnswered extends Exception {
        TargetAnswered(int status) {
            super("target answered HTTP " + status, null, false, false);
        }
    }

    /** {@code Retry-After} as seconds or an HTTP date; null when absent or unreadable. */
    public static Duration retryAfter(Header header) {
        return header == null ? null : retryAfter(header.getValue());
    }

    /** {@code Retry-After} as seconds or an HTTP date; null when absent or unreadable. */
    public static Duration retryAfter(String value) {
        if (value == null || value.isBlank()) {
            return null;
        }
        String text = value.strip();
        try {
            return Duration.ofSeconds(Math.max(0, Long.parseLong(text)));
        } catch (NumberFormatException e) {
            try {
                Duration wait = Duration.between(Instant.now(), ZonedDateTime.parse(text, DateTimeFormatter.RFC_1123_DATE_TIME).toInstant());
                return wait.isNegative() ? Duration.ZERO : wait;
            } catch (DateTimeParseException ignored) {
                return null;
            }
        }
    }

    /** A response body as one line of at most 500 characters, for the exception queue. */
    public static String excerpt(String body) {
        if (body == null || body.isBlank()) {
            return null;
        }
        String line = body.replaceAll("\\s+", " ").strip();
        return line.length() <= 500 ? line : line.substring(0, 500) + "…";
    }
}
