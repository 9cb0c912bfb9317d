package io.learnbridge.source.webhook;

import io.github.resilience4j.ratelimiter.RateLimiter;
import io.github.resilience4j.ratelimiter.RateLimiterConfig;
import io.learnbridge.ops.SettingsException;
import java.time.Duration;
import java.time.format.DateTimeParseException;
import java.util.Arrays;
import java.util.List;
import java.util.Optional;
import java.util.function.Function;

/**
 * One webhook source as configured ({@code learnbridge.sources.<name>.webhook.*}): how its
 * requests are verified, how big a body may be, and how many requests per second it may send.
 * Secrets come from the environment or a settings file, never from routes or mappings.
 */
public record WebhookSource(String name, WebhookVerifier verifier, int maxBodyBytes, RateLimiter rateLimiter, String eventIdPointer) {

    /** Reads and validates one source's settings, failing with the key's name. */
    public static WebhookSource read(String name, Function<String, Optional<String>> properties) {
        String prefix = "learnbridge.sources." + name + ".webhook.";
        String kind = required(properties, prefix + "verifier");
        List<String> secrets = Arrays.stream(required(properties, prefix + "secrets").split(","))
                .map(String::strip).filter(s -> !s.isEmpty()).toList();
        Duration tolerance = duration(properties, prefix + "tolerance", Duration.ofMinutes(5));
        WebhookVerifier verifier;
        try {
            verifier = WebhookVerifiers.create(kind, secrets, tolerance);
        } catch (IllegalArgumentException e) {
            throw new SettingsException(prefix + "verifier", e.getMessage());
        }
        int maxBody = integer(properties, prefix + "maxBodyBytes", 256 * 1024, 1, 64 * 1024 * 1024);
        int perSecond = integer(properties, prefix + "rateLimit", 200, 1, 1_000_000);
        RateLimiter limiter = RateLimiter.of("webhook-" + name, RateLimiterConfig.custom()
                .limitForPeriod(perSecond).limitRefreshPeriod(Duration.ofSeconds(1)).timeoutDuration(Duration.ZERO).build());
        String pointer = properties.apply(prefix + "eventIdPointer").map(String::strip).filter(s -> !s.isEmpty()).orElse(null);
        if (pointer != null && !pointer.startsWith("/")) {
            throw new SettingsException(prefix + "eventIdPointer", "must be a JSON pointer such as /id, found '" + pointer + "'");
        }
        return new WebhookSource(name, verifier, maxBody, limiter, pointer);
    }

    private static String required(Function<String, Optional<String>> properties, String key) {
        return properties.apply(key).map(String::strip).filter(s -> !s.isEmpty())
                .orElseThrow(() -> new SettingsException(key, "missing"));
    }

    private static int integer(Function<String, Optional<String>> properties, String key, int fallback, int min, int max) {
        Optional<String> value = properties.apply(key).map(String::strip).filter(s -> !s.isEmpty());
        if (value.isEmpty()) {
            return fallback;
        }
        try {
            int n = Integer.parseInt(value.get());
            if (n < min || n > max) {
                throw new SettingsException(key, "must be between " + min + " and " + max + ", found " + n);
            }
            return n;
        } catch (NumberFormatException e) {
            throw new SettingsException(key, "must be a whole number, found '" + value.get() + "'");
        }
    }

    private static Duration duration(Function<String, Optional<String>> properties, String key, Duration fallback) {
        return properties.apply(key).map(String::strip).filter(s -> !s.isEmpty())
                .map(v -> io.learnbridge.ops.Durations.parse(key, v)).orElse(fallback);
    }
}
