package io.learnbridge.target;

import io.learnbridge.ops.SettingsException;
import java.time.Duration;
import java.time.format.DateTimeParseException;
import java.util.Optional;
import java.util.function.Function;

/**
 * Reads a target's settings ({@code learnbridge.targets.<t>.*} and the shared delivery policy)
 * for the store-driven targets (LRS, SCIM, Moodle), failing with the key's name.
 */
public final class TargetSettings {

    private final Function<String, Optional<String>> properties;

    public TargetSettings(Function<String, Optional<String>> properties) {
        this.properties = properties;
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

    public Duration duration(String key, String fallback) {
        String value = text(key).orElse(fallback);
        try {
            return Duration.parse(value);
        } catch (DateTimeParseException e) {
            throw new SettingsException(key, "must be an ISO-8601 duration such as PT10M, found '" + value + "'");
        }
    }
}
