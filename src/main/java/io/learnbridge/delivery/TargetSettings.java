package io.learnbridge.delivery;

import io.learnbridge.support.SettingValues;
import io.learnbridge.support.SettingsException;
import java.time.Duration;
import java.util.Optional;
import java.util.function.Function;

/**
 * Reads a target's settings ({@code learnbridge.targets.<t>.*} and the shared delivery policy)
 * for the target adapters, failing with the key's name. A declared key is read through the typed
 * view ({@link SettingValues}: its type, limits and default are declared once in
 * {@link io.learnbridge.support.SettingsTree}); the adapter-specific fallbacks and limits of
 * {@link #integer(String, int, int, int)} are the adapters' own.
 */
public final class TargetSettings {

    private final Function<String, Optional<String>> properties;
    private final SettingValues values;

    /** The settings as read at startup, shared by every adapter (each value typed once). */
    public TargetSettings(SettingValues values) {
        this.properties = values::raw;
        this.values = values;
    }

    /** The settings behind {@code properties} (a command that checks one target, a test). */
    public TargetSettings(Function<String, Optional<String>> properties) {
        this(SettingValues.of(properties));
    }

    /** The value, stripped; empty when missing or blank. */
    public Optional<String> text(String key) {
        return properties.apply(key).map(String::strip).filter(s -> !s.isEmpty());
    }

    public String required(String key) {
        return text(key).orElseThrow(() -> new SettingsException(key, "missing"));
    }

    public int integer(String key, int fallback, int min, int max) {
        Optional<String> value = text(key);
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

    /** A declared integer setting: as set, else its declared default, within its declared limits. */
    public int integer(String key) {
        return values.integer(key);
    }

    /** A declared text setting: as set, else its declared default. */
    public String declaredText(String key) {
        return values.text(key);
    }

    /** A declared choice, spelled as declared: as set, else its declared default. */
    public String choice(String key) {
        return values.choice(key);
    }

    /** A declared boolean setting: as set, else its declared default. */
    public boolean bool(String key) {
        return values.bool(key);
    }

    /** A declared duration setting: as set, else its declared default. */
    public Duration duration(String key) {
        return values.duration(key);
    }

    /** Connect timeout of the targets' HTTP clients ({@code camel.component.http.connectTimeout}, ms). */
    public Duration connectTimeout() {
        return Duration.ofMillis(integer("camel.component.http.connectTimeout", 5000, 1, Integer.MAX_VALUE));
    }

    /** Response timeout of the targets' HTTP clients ({@code camel.component.http.responseTimeout}, ms). */
    public Duration responseTimeout() {
        return Duration.ofMillis(integer("camel.component.http.responseTimeout", 30000, 1, Integer.MAX_VALUE));
    }

    /** The target's rate limit ({@code learnbridge.targets.<t>.rateLimit}, requests per second; 0 or missing: none), or null. */
    public io.github.resilience4j.ratelimiter.RateLimiter rateLimit(String target) {
        return TargetHttp.rateLimit(target, values.target(target).integer("rateLimit"));
    }

    /**
     * OAuth 2.0 client credentials under {@code prefix} ({@code clientId}, {@code clientSecret},
     * {@code tokenEndpoint}, optional {@code scope}).
     */
    public OAuth2ClientCredentials oauth2(String prefix) {
        String endpoint = required(prefix + "tokenEndpoint");
        java.net.URI uri;
        try {
            uri = new java.net.URI(endpoint);
        } catch (java.net.URISyntaxException e) {
            throw new SettingsException(prefix + "tokenEndpoint", "is not a URL: " + e.getMessage());
        }
        if (uri.getScheme() == null || !uri.getScheme().matches("(?i)https?") || uri.getHost() == null) {
            throw new SettingsException(prefix + "tokenEndpoint", "must be the authorization server's http(s) token endpoint");
        }
        return new OAuth2ClientCredentials(uri, required(prefix + "clientId"), text(prefix + "clientSecret").orElseThrow(
                () -> new SettingsException(prefix + "clientSecret", "missing: the client secret, from the environment")),
                text(prefix + "scope").orElse(null), responseTimeout());
    }
}
