package io.learnbridge.cli;

import io.learnbridge.support.Home;
import io.learnbridge.support.Settings;
import io.learnbridge.support.SettingsFiles;
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
 * {@code --settings} file (else the home's {@code learnbridge.properties}), the home folder's
 * {@code routes/} and {@code mappings/} ({@link Home}), then the packaged application.properties.
 */
public final class CliSettings implements Function<String, Optional<String>> {

    private final Properties defaults = new Properties();
    private final Properties file;
    private final Properties home = new Properties();

    CliSettings(Path settingsFile) {
        try (InputStream in = CliSettings.class.getClassLoader().getResourceAsStream("application.properties")) {
            if (in != null) {
                defaults.load(in);
            }
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
        Home where = Home.current();
        this.file = where.settingsFile(settingsFile).map(SettingsFiles::load).orElseGet(Properties::new);
        this.home.putAll(where.properties());
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
            value = home.getProperty(key);
        }
        if (value == null) {
            value = defaults.getProperty(key);
        }
        return Optional.ofNullable(value).map(String::strip);
    }

    /** The keys as given, before placeholders are resolved: defaults, the settings file, then system properties. */
    public java.util.Map<String, String> raw() {
        java.util.Map<String, String> raw = new java.util.HashMap<>();
        for (Properties p : new Properties[] {defaults, home, file, System.getProperties()}) {
            p.stringPropertyNames().forEach(k -> raw.put(k, p.getProperty(k)));
        }
        return raw;
    }

    /** Every key with the prefix, from the settings file and the defaults. */
    java.util.Set<String> keys(String prefix) {
        java.util.Set<String> keys = new java.util.TreeSet<>();
        for (Properties p : new Properties[] {defaults, home, file}) {
            p.stringPropertyNames().stream().filter(k -> k.startsWith(prefix)).forEach(keys::add);
        }
        return keys;
    }
}
