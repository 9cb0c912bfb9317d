package io.learnbridge.ops;

import java.io.IOException;
import java.io.InputStream;
import java.io.UncheckedIOException;
import java.nio.file.Path;
import java.util.Locale;
import java.util.Optional;
import java.util.Properties;
import java.util.function.Function;

/**
 * Settings for the commands that work without starting the bridge (validate, preview,
 * exceptions, drops), resolved with the bridge's precedence: system property, environment
 * variable ({@code learnbridge.api.token} as {@code LEARNBRIDGE_API_TOKEN}), the
 * {@code --settings} file, then the packaged application.properties.
 */
final class CliSettings implements Function<String, Optional<String>> {

    private final Properties defaults = new Properties();
    private final Properties file;

    CliSettings(Path settingsFile) {
        try (InputStream in = CliSettings.class.getClassLoader().getResourceAsStream("application.properties")) {
            if (in != null) {
                defaults.load(in);
            }
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
        this.file = settingsFile == null ? new Properties() : SettingsFiles.load(settingsFile);
    }

    @Override
    public Optional<String> apply(String key) {
        String value = System.getProperty(key);
        if (value == null) {
            value = System.getenv(key.toUpperCase(Locale.ROOT).replace('.', '_').replace('-', '_'));
        }
        if (value == null) {
            value = file.getProperty(key);
        }
        if (value == null) {
            value = defaults.getProperty(key);
        }
        return Optional.ofNullable(value).map(String::strip);
    }

    /** The keys as given, before placeholders are resolved: defaults, the settings file, then system properties. */
    java.util.Map<String, String> raw() {
        java.util.Map<String, String> raw = new java.util.HashMap<>();
        for (Properties p : new Properties[] {defaults, file, System.getProperties()}) {
            p.stringPropertyNames().forEach(k -> raw.put(k, p.getProperty(k)));
        }
        return raw;
    }

    /** Every key with the prefix, from the settings file and the defaults. */
    java.util.Set<String> keys(String prefix) {
        java.util.Set<String> keys = new java.util.TreeSet<>();
        for (Properties p : new Properties[] {defaults, file}) {
            p.stringPropertyNames().stream().filter(k -> k.startsWith(prefix)).forEach(keys::add);
        }
        return keys;
    }
}
