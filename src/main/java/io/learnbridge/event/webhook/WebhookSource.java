package io.learnbridge.event.webhook;

import io.github.resilience4j.ratelimiter.RateLimiter;
import io.github.resilience4j.ratelimiter.RateLimiterConfig;
import io.learnbridge.support.SettingValues;
import io.learnbridge.support.SettingsException;
import java.time.Duration;
import java.util.Arrays;
import java.util.List;

/**
 * One webhook source as configured ({@code learnbridge.sources.<name>.webhook.*}): how its
 * requests are verified, how big a body may be, and how many requests per second it may send.
 * Secrets come from the environment or a settings file, never from routes or mappings.
 */
public record WebhookSource(String name, WebhookVerifier verifier, int maxBodyBytes, RateLimiter rateLimiter, String eventIdPointer) {

    /** Reads one source's settings ({@code webhook.*}: types, limits and defaults declared in {@link io.learnbridge.support.SettingsTree}). */
    public static WebhookSource read(String name, SettingValues values) {
        SettingValues.Named settings = values.source(name);
        List<String> secrets = Arrays.stream(settings.text("webhook.secrets").split(","))
                .map(String::strip).filter(s -> !s.isEmpty()).toList();
        WebhookVerifier verifier;
        try {
            verifier = WebhookVerifiers.create(settings.text("webhook.verifier"), secrets, settings.duration("webhook.tolerance"));
        } catch (IllegalArgumentException e) {
            throw new SettingsException(settings.key("webhook.verifier"), e.getMessage());
        }
        RateLimiter limiter = RateLimiter.of("webhook-" + name, RateLimiterConfig.custom()
                .limitForPeriod(settings.integer("webhook.rateLimit")).limitRefreshPeriod(Duration.ofSeconds(1)).timeoutDuration(Duration.ZERO).build());
        String pointer = settings.optionalText("webhook.eventIdPointer").orElse(null);
        if (pointer != null && !pointer.startsWith("/")) {
            throw new SettingsException(settings.key("webhook.eventIdPointer"), "must be a JSON pointer such as /id, found '" + pointer + "'");
        }
        return new WebhookSource(name, verifier, settings.integer("webhook.maxBodyBytes"), limiter, pointer);
    }
}
